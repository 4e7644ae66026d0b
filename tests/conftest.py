"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from bot.storage.database import Database
from tests import pg

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_THREAD = SHARED_DIR / "seed" / "thread.txt"


@pytest.fixture
def seed_thread() -> Path:
    """The real news thread in ../shared (CI has it; never copied into the repo)."""
    if not SEED_THREAD.exists():
        pytest.skip("../shared/seed/thread.txt is not beside this checkout")
    return SEED_THREAD


BACKENDS = ("sqlite", pytest.param("postgres", marks=pytest.mark.postgres))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``backends`` run once per backend (SQLite and PostgreSQL): their ``database``, or
    for the Discord tests (``tests/e2e``) the bot's settings and so its database."""
    if not metafunc.definition.get_closest_marker("backends"):
        return
    if "database" in metafunc.fixturenames:
        metafunc.parametrize("database", BACKENDS, indirect=True)
    elif "warden_settings" in metafunc.fixturenames:
        metafunc.parametrize("warden_settings", BACKENDS, indirect=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    """With a PostgreSQL URL given, a PostgreSQL test that skips is a failure: CI must run them all."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    postgres = item.get_closest_marker("postgres") is not None
    if report.skipped and postgres and pg.base_url() and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"a postgres test skipped although {pg.ENV} is set: {report.longrepr}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema (dropped after the test); skips without a server."""
    base = pg.base_url()
    if base is None:
        pytest.skip(pg.SKIP_REASON)
    name, url = pg.create_schema(base)
    yield url
    pg.drop_schema(base, name)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A real, migrated database, closed after the test: a SQLite file in ``tmp_path``, or (tests
    marked ``backends``, their ``postgres`` variant) a fresh PostgreSQL schema."""
    if getattr(request, "param", "sqlite") == "postgres":
        db = Database(request.getfixturevalue("pg_url"))
    else:
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
