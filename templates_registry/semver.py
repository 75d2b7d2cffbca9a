"""Semantic versions (semver.org 2.0), just what the registry needs: parse, order, next patch."""

from __future__ import annotations

import re
from typing import NamedTuple

_SEMVER = re.compile(
    r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


class Version(NamedTuple):
    major: int
    minor: int
    patch: int
    prerelease: str

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{self.prerelease}" if self.prerelease else core

    def next_patch(self) -> Version:
        # 1.2.3-beta → 1.2.3 (the release it led to); 1.2.3 → 1.2.4
        if self.prerelease:
            return Version(self.major, self.minor, self.patch, "")
        return Version(self.major, self.minor, self.patch + 1, "")


def parse(text: str) -> Version | None:
    match = _SEMVER.match(text.strip()) if isinstance(text, str) and len(text) <= 64 else None
    if not match:
        return None
    major, minor, patch, prerelease, _build = match.groups()
    return Version(int(major), int(minor), int(patch), prerelease or "")
