"""``warden sources ...``/``warden context``: bad ``[context]`` settings and unusable databases are one
line on stderr naming the file (and the key), exit status 2, no traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from tests.conftest import REPO_ROOT

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_DB_PATH", str(tmp_path / "default.db"))
    for name in ("WARDEN_CONTEXT_CONFIG", "WARDEN_CONTEXT_PROVIDERS", "WARDEN_FACTCHECK_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def write(tmp_path: Path, content: str | bytes, name: str = "context.toml") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[context]\nmax_items = true\n", "context.max_items: must be an integer (got True)"),
        ('[context]\nsemantic = "yes"\n', "context.semantic: must be true or false (got 'yes')"),
        ("[context]\nmax_itmes = 3\n", "context.max_itmes: unknown key"),
        ("[context\n", "not valid TOML"),
        (b"[context]\nuser_agent = 'caf\xe9'\n", "is not UTF-8 text"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ("context", "Israel has lost 2 F16s"),
        ("sources", "poll"),
        ("sources", "feed", "http://127.0.0.1:9/feed.xml"),
    ],
)
def test_bad_context_config_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, content: str | bytes, expected: str, command: tuple[str, ...]
) -> None:
    config = write(tmp_path, content)
    db = tmp_path / "w.db"
    code, out, err = invoke(*command, "--config", str(config), "--db", str(db))

    assert code == 2
    line = one_line(err)
    assert line.startswith(f"error: {config}: ") and expected in line
    assert out == ""
    assert not db.exists()  # checked before the database is opened


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    code, _, err = invoke("context", "a claim", "--config", str(tmp_path / "nope.toml"))
    assert code == 2
    assert one_line(err).startswith(f"error: {tmp_path / 'nope.toml'}: cannot read")


def test_a_config_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    config = write(tmp_path, b"\xef\xbb\xbf[context]\nsemantic = false\nmax_items = 3\n")
    code, out, err = invoke(
        "context", "a claim", "--config", str(config), "--json", "--db", str(tmp_path / "w.db")
    )
    assert code == 0, err
    assert out.strip() == "[]"


def test_a_broken_environment_config_is_named_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path, "[context]\ndaily_limit = 'five'\n")
    monkeypatch.setenv("WARDEN_CONTEXT_CONFIG", str(config))
    code, _, err = invoke("sources", "list")
    assert code == 2
    assert one_line(err) == (
        f"error: WARDEN_CONTEXT_CONFIG: {config}: context.daily_limit: must be an integer (got 'five')"
    )


def unusable_paths(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    plain = tmp_path / "plain-file"
    plain.write_text("x", encoding="utf-8")
    return {
        "a directory": folder,
        "under /proc": Path("/proc/warden-test/w.db"),
        "a file as parent": plain / "w.db",
    }


@pytest.mark.parametrize("kind", ["a directory", "under /proc", "a file as parent"])
@pytest.mark.parametrize("command", [("sources", "list"), ("context", "a claim"), ("sources", "remove", "1")])
def test_an_unusable_database_is_one_line_exit_2(tmp_path: Path, kind: str, command: tuple[str, ...]) -> None:
    path = unusable_paths(tmp_path)[kind]
    code, out, err = invoke(*command, "--db", str(path))
    assert code == 2
    line = one_line(err)
    assert line.startswith("error: ") and str(path) in line
    assert out == ""


@pytest.mark.parametrize("kind", ["a directory", "under /proc"])
def test_real_process_prints_no_traceback(tmp_path: Path, kind: str) -> None:
    """The installed entry point, as a user runs it: one line on stderr, exit 2."""
    path = unusable_paths(tmp_path)[kind]
    bad = write(tmp_path, "[context]\nproactive = 'yes'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    for args in (["sources", "list", "--db", str(path)], ["context", "x", "--config", str(bad)]):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=REPO_ROOT,
            env=env | {"WARDEN_DB_PATH": str(tmp_path / "w.db"), "COLUMNS": "80"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
