"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_THREAD = SHARED_DIR / "seed" / "thread.txt"


@pytest.fixture
def seed_thread() -> Path:
    """The real news thread in ../shared (CI has it; never copied into the repo)."""
    if not SEED_THREAD.exists():
        pytest.skip("../shared/seed/thread.txt is not beside this checkout")
    return SEED_THREAD
