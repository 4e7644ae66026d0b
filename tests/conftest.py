"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

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


@pytest.fixture(scope="session")
def model_eval() -> ModuleType:
    """benchmarks/model_eval.py loaded as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "model_eval_under_test", REPO_ROOT / "benchmarks/model_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
