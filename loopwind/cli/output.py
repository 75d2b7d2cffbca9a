"""Printing (human or ``--json``), exit codes, and turning errors into one line."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console

from ..sdk import errors

# Exit codes (documented in the README's CLI section).
OK = 0
FAILED = 1  # the server refused the request (validation, conflict, render failed, quota, rate limit)
USAGE = 2  # bad arguments or input files: bad --props JSON, a folder without loopwind.json
AUTH = 3  # not logged in, credentials refused or expired, missing scope or plan feature
NOT_FOUND = 4  # no such template, version, job or key
SERVER = 5  # the server failed (5xx) or could not be reached
INTERRUPTED = 130  # ctrl-c


class UsageProblem(errors.LoopwindError):
    """Bad local input (exit 2)."""

    def __init__(self, message: str, *, code: str = "usage", details: Any = None):
        super().__init__(message, code=code, details=details)


class Interrupted(errors.LoopwindError):
    """ctrl-c (exit 130)."""


def exit_code(error: Exception) -> int:
    if isinstance(error, Interrupted):
        return INTERRUPTED
    if isinstance(error, UsageProblem):
        return USAGE
    if isinstance(error, errors.AuthError | errors.PermissionDenied):
        return AUTH
    if isinstance(error, errors.NotFound):
        return NOT_FOUND
    if isinstance(error, errors.ServerError | errors.APIConnectionError):
        return SERVER
    return FAILED


class Output:
    def __init__(self, json_mode: bool = False):
        self.json = json_mode
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    def info(self, message: str) -> None:
        """Progress and hints: stderr, so stdout stays the result (and pure JSON with --json)."""
        self.err.print(message, markup=False)

    def result(self, data: Any, text: str | None = None) -> None:
        """The command's result: ``data`` as JSON with --json, else ``text`` (if any)."""
        if self.json:
            click.echo(json.dumps(data, indent=2, default=str))
        elif text is not None:
            self.out.print(text, markup=False)

    def event(self, data: Any, text: str | None = None) -> None:
        """One of a stream of results: a JSON line with --json."""
        if self.json:
            click.echo(json.dumps(data, default=str), nl=True)
            sys.stdout.flush()
        elif text is not None:
            self.out.print(text, markup=False)

    def table(self, rows: list[dict], columns: list[tuple[str, str]], data: Any, empty: str) -> None:
        if self.json:
            self.result(data)
            return
        if not rows:
            self.info(empty)
            return
        cells = [[_cell(row.get(key)) for _, key in columns] for row in rows]
        if not self.out.is_terminal:  # pipes and files get whole values, tab-separated
            click.echo("\t".join(title for title, _ in columns))
            for line in cells:
                click.echo("\t".join(line))
            return
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for title, _ in columns:
            table.add_column(title, overflow="fold")
        for line in cells:
            table.add_row(*line)
        self.out.print(table)

    def fail(self, error: Exception) -> int:
        code = exit_code(error)
        if isinstance(error, errors.LoopwindError):
            message, body = error.message, error.to_dict()
            if isinstance(error, errors.RateLimited) and error.retry_after:
                message += f" (retry after {error.retry_after:g} s)"
        else:
            message, body = str(error), {"code": "error", "message": str(error)}
        if self.json:
            click.echo(json.dumps({"error": body}, default=str))
        if not isinstance(error, UsageProblem):
            message = " ".join(message.split())  # the server's message on one line
        click.echo(f"error: {message}", err=True)
        return code


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def stdout_is_terminal() -> bool:
    return sys.stderr.isatty()
