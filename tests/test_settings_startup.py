"""``python -m bot`` checks every configuration it is given before connecting: the policy file, the
context settings and the database path each fail with one line naming the file (and key), exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import check_policy
from bot.context_settings import ContextConfigError
from bot.settings import Settings, SettingsError, context_from_env
from tests.conftest import REPO_ROOT


def run_bot(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m bot`` with only ``env`` (plus PATH and a token): nothing from the developer's shell."""
    clean = {"PATH": os.environ.get("PATH", ""), "DISCORD_TOKEN": "x", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=REPO_ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def only_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_broken_context_config_stops_the_start_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "context.toml"
    config.write_text("[context]\nmax_items = true\n", encoding="utf-8")
    db = tmp_path / "w.db"

    line = only_line(run_bot({"WARDEN_CONTEXT_CONFIG": str(config), "WARDEN_DB_PATH": str(db)}))

    assert line == (
        "warden: error: invalid context settings: WARDEN_CONTEXT_CONFIG: "
        f"{config}: context.max_items: must be an integer (got True)"
    )
    assert not db.exists()  # stopped before anything was opened


def test_a_missing_context_config_and_an_unknown_provider_stop_the_start(tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    line = only_line(run_bot({"WARDEN_CONTEXT_CONFIG": str(tmp_path / "nope.toml"), "WARDEN_DB_PATH": db}))
    assert "WARDEN_CONTEXT_CONFIG" in line and "nope.toml: cannot read" in line
    line = only_line(run_bot({"WARDEN_CONTEXT_PROVIDERS": "wikipedia,snopes", "WARDEN_DB_PATH": db}))
    assert "WARDEN_CONTEXT_PROVIDERS: unknown provider 'snopes'" in line


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"dry_run = true\n# caf\xe9\n", "is not UTF-8 text"),
        (b"timeout_minutes = true\n", "timeout_minutes: must be an integer (got True)"),
        (b'dry_run = "yes"\n', "dry_run: must be true or false (got 'yes')"),
    ],
)
def test_a_bad_policy_file_is_one_line(tmp_path: Path, content: bytes, fragment: str) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_bytes(content)
    line = only_line(run_bot({"WARDEN_CONFIG": str(policy), "WARDEN_DB_PATH": str(tmp_path / "w.db")}))
    assert line.startswith(f"warden: error: invalid policy: {policy}: ") and fragment in line


def unusable(tmp_path: Path, kind: str) -> Path:
    if kind == "a directory":
        folder = tmp_path / "folder.db"
        folder.mkdir()
        return folder
    if kind == "a file as parent":
        plain = tmp_path / "plain"
        plain.write_text("x", encoding="utf-8")
        return plain / "w.db"
    return Path("/proc/warden-test.db")


@pytest.mark.parametrize("kind", ["a directory", "under /proc", "a file as parent"])
def test_an_unusable_database_path_is_one_line(tmp_path: Path, kind: str) -> None:
    path = unusable(tmp_path, kind)
    line = only_line(run_bot({"WARDEN_DB_PATH": str(path)}))
    assert line.startswith("warden: error: cannot use database") and str(path) in line


def test_a_policy_with_a_byte_order_mark_passes_the_check(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_bytes(b"\xef\xbb\xbfdry_run = true\n")
    check_policy(policy)  # no error: the start goes on


def test_the_context_section_is_checked_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "context.toml"
    config.write_bytes(b"\xef\xbb\xbf[context]\nsemantic = false\n")
    monkeypatch.setenv("WARDEN_CONTEXT_CONFIG", str(config))
    monkeypatch.delenv("WARDEN_CONTEXT_PROVIDERS", raising=False)
    context_from_env()
    config.write_text("[context]\nsemantic = 'no'\n", encoding="utf-8")
    with pytest.raises(ContextConfigError, match=r"context\.semantic: must be true or false"):
        context_from_env()


def test_environment_strings_still_parse_into_typed_settings() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "x", "WARDEN_TEST_GUILD_ID": "123"})
    assert settings.test_guild_id == 123


def test_a_policy_path_that_is_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"WARDEN_CONFIG: is a directory"):
        Settings.from_env({"DISCORD_TOKEN": "x", "WARDEN_CONFIG": str(tmp_path)})
