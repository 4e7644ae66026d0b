"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.database import Database

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_THREAD = SHARED_DIR / "seed" / "thread.txt"


@pytest.fixture
def seed_thread() -> Path:
    """The real news thread in ../shared (CI has it; never copied into the repo)."""
    if not SEED_THREAD.exists():
        pytest.skip("../shared/seed/thread.txt is not beside this checkout")
    return SEED_THREAD


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A real, migrated SQLite database file in ``tmp_path``, closed after the test."""
    db = Database(tmp_path / "warden.db")
    yield db
    db.close()
