"""Fixtures for engine tests: no Django, no database."""

from __future__ import annotations

import pytest
from engine_helpers import TEMPLATES


@pytest.fixture
def templates_dir():
    return TEMPLATES


@pytest.fixture
def fast_template_timeout(monkeypatch):
    from loopwind.engine import limits

    monkeypatch.setattr(limits, "TEMPLATE_TIME_LIMIT", 0.5)
    return 0.5
