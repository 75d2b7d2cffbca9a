"""The ``loopwind`` command. Exit codes: see ``loopwind.cli.output``."""

from __future__ import annotations

import sys
import warnings

import click

from ..sdk import errors
from . import analytics, manage, orgs, output, registry, rendering  # noqa: F401,E402  (commands register on import)
from .app import State, cli

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> int:
    state = State()
    with warnings.catch_warnings():
        # A deprecated or yanked template version: the author's message, on stderr like progress
        warnings.simplefilter("always", errors.LoopwindDeprecationWarning)
        warnings.showwarning = lambda message, category, *_: state.out.info(f"⚠ Deprecated: {message}")
        return _main(argv, state)


def _main(argv: list[str] | None, state: State) -> int:
    try:
        cli.main(args=argv, prog_name="loopwind", standalone_mode=False, obj=state)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return output.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return output.INTERRUPTED
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return output.INTERRUPTED
    except errors.LoopwindError as exc:
        return state.out.fail(exc)
    except ValueError as exc:  # the SDK's argument checks (e.g. a template that is not user/name)
        return state.out.fail(output.UsageProblem(str(exc)))
    return output.OK


def run() -> None:
    sys.exit(main())
