"""``warden sources ...`` and ``warden context``: same database as the bot, JSON output clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import sources as sources_cli
from bot.storage.database import Database

ARTICLES = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "context_articles"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    sources_cli.register(app)

    @app.callback()
    def main() -> None:  # a group, as in the real ``warden`` app
        pass

    return app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "bot.db"
    monkeypatch.setenv("WARDEN_DB_PATH", str(db))
    monkeypatch.delenv("WARDEN_CONTEXT_PROVIDERS", raising=False)
    monkeypatch.delenv("WARDEN_FACTCHECK_API_KEY", raising=False)
    monkeypatch.delenv("WARDEN_CONTEXT_CONFIG", raising=False)
    return db


def test_add_list_context_remove(app: typer.Typer, env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("f16-downed-2018.txt", "f35-combat.txt", "golan-heights.txt"):
        result = runner.invoke(app, ["sources", "add", str(ARTICLES / name)])
        assert result.exit_code == 0, result.output
        assert "Added #" in result.stdout
    html = tmp_path / "page.html"
    html.write_text(
        "<html><head><title>Hezbollah tunnels</title></head><body><article><p>"
        + "The Israeli army destroyed six Hezbollah tunnels from Lebanon. " * 5
        + "</p></article></body></html>",
        encoding="utf-8",
    )
    assert runner.invoke(app, ["sources", "add", str(html), "--guild", "42"]).exit_code == 0

    listed = runner.invoke(app, ["sources", "list", "--json"])
    rows = json.loads(listed.stdout)["sources"]
    assert len(rows) == 4 and {r["guild_id"] for r in rows} == {0, 42}

    out = runner.invoke(app, ["context", "Israel has lost 2 F16s and 1 F35", "--json"])
    assert out.exit_code == 0, out.output
    items = json.loads(out.stdout)
    assert items and all(set(i) == {"title", "url", "kind", "score"} for i in items)
    assert {i["title"] for i in items[:2]} == {
        "Israeli F-16 crashes after Syrian anti-aircraft fire",
        "Israel says it was first to use the F-35 in combat",
    }
    assert all(0 <= i["score"] <= 1 for i in items)

    # guild 42 also sees its own source; guild 0 does not
    assert json.loads(runner.invoke(app, ["context", "Hezbollah tunnels", "--json"]).stdout) == []
    assert json.loads(runner.invoke(app, ["context", "Hezbollah tunnels", "--json", "--guild", "42"]).stdout)

    pretty = runner.invoke(app, ["context", "Israel has lost 2 F16s and 1 F35"])
    assert "Searched:" in pretty.stdout and "not a verdict" in pretty.stdout
    none = runner.invoke(app, ["context", "banana bread recipe"])
    assert "No related items found in this server's sources" in none.stdout

    first_id = str(rows[-1]["id"])
    assert runner.invoke(app, ["sources", "remove", first_id]).exit_code == 0
    assert runner.invoke(app, ["sources", "remove", first_id]).exit_code == 1
    # same database the bot opens
    database = Database(env)
    try:
        assert database.db["sources"].count == 3
    finally:
        database.close()


def test_add_missing_file_fails_cleanly(app: typer.Typer, env: Path) -> None:
    result = CliRunner().invoke(app, ["sources", "add", "/nonexistent/file.txt"])
    assert result.exit_code == 1
    assert "Could not add" in result.output


def test_db_option_overrides_env(app: typer.Typer, env: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["sources", "add", str(ARTICLES / "golan-heights.txt"), "--db", str(other)]
        ).exit_code
        == 0
    )
    assert json.loads(
        runner.invoke(app, ["context", "Golan annexed 1981", "--json", "--db", str(other)]).stdout
    )
    assert json.loads(runner.invoke(app, ["context", "Golan annexed 1981", "--json"]).stdout) == []


def test_config_help_shows_the_context_section() -> None:
    """Rich markup would swallow a bare ``[context]`` in the ``--config`` help."""
    from bot.cli.app import app as warden

    for args in (["context", "--help"], ["sources", "add", "--help"]):
        result = CliRunner().invoke(warden, args, env={"COLUMNS": "200", "TERM": "dumb"})
        assert result.exit_code == 0, result.output
        assert "TOML file with a [context] section" in result.stdout
