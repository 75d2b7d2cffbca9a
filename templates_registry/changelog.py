"""A version's notes from the bundle's CHANGELOG.md, read once at publish and stored with the version
(versions are immutable, so the notes shown for 1.2.0 are the ones published with it).

The file is read the way people write it (Keep a Changelog and its looser cousins): a level-2 or
level-3 heading naming the version — ``## 1.2.0``, ``## [1.2.0] - 2026-05-01``, ``### v1.2.0 (beta)`` —
starts its section, which runs to the next heading of the same or a higher level."""

from __future__ import annotations

import re
from collections.abc import Mapping

CHANGELOG_NAMES = ("CHANGELOG.md", "changelog.md", "Changelog.md")
MAX_NOTES = 5000  # characters kept per version: notes, not a novel
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _names_version(heading: str, version: str) -> bool:
    # "1.2.0" must not match "11.2.0" or "1.2.0-beta": the version stands alone, optionally after v/[.
    pattern = rf"(?<![\w.-])\[?v?{re.escape(version)}\]?(?![\w.-]|-\w)"
    return re.search(pattern, heading) is not None


def changelog_section(text: str, version: str) -> str:
    """The body under the heading that names ``version`` ('' when no heading does)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _HEADING.match(line)
        if not match or len(match.group(1)) < 2 or not _names_version(match.group(2), version):
            continue
        level = len(match.group(1))
        body: list[str] = []
        for following in lines[index + 1 :]:
            heading = _HEADING.match(following)
            if heading and len(heading.group(1)) <= level:
                break
            body.append(following)
        return "\n".join(body).strip()[:MAX_NOTES]
    return ""


def changelog_for(files: Mapping[str, bytes], version: str) -> str:
    for name in CHANGELOG_NAMES:
        if name in files:
            return changelog_section(files[name].decode("utf-8", errors="replace"), version)
    return ""
