"""``warden replay`` end to end on the embedded model: formats, decisions, escalation, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "thread.jsonl"
runner = CliRunner()


def replay(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["replay", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def json_rows(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_seed_thread_gets_a_decision_for_each_of_its_83_lines(seed_thread: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "replay", str(seed_thread), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    rows = json_rows(completed.stdout)
    assert [row["line"] for row in rows] == list(range(1, 84))
    for row in rows:
        assert set(row) == {"line", "author", "content", "scores", "action", "labels", "reason", "evidence"}
        assert all(set(item) == {"text", "label", "weight"} for item in row["evidence"])
        assert bool(row["evidence"]) <= (row["action"] != "none")  # only acted-on messages are explained
        assert set(row["scores"]) == {
            "toxicity",
            "severe_toxicity",
            "obscene",
            "threat",
            "insult",
            "identity_attack",
        }
        assert row["action"] in {"none", "log", "warn", "queue", "delete", "timeout"}
        assert all(0.0 <= value <= 1.0 for value in row["scores"].values())


def test_table_output_names_backend_model_and_summary() -> None:
    code, out, _ = replay(str(EXAMPLE))
    assert code == 0
    assert "Scored by the embedded backend, model " in out
    assert "messages/s" in out
    assert "21 messages" in out


def test_example_thread_decisions_match_what_a_moderator_expects() -> None:
    code, out, _ = replay(str(EXAMPLE), "--json")
    assert code == 0
    rows = {row["line"]: row for row in json_rows(out)}
    assert len(rows) == 21
    # ordinary disagreement, facts and questions are left alone
    for line in (1, 2, 3, 5, 11, 16, 17):
        assert rows[line]["action"] == "none", rows[line]
    # the identity-positive self-description must not be flagged
    assert rows[19]["action"] in {"none", "log"}, rows[19]
    # a direct insult to another commenter is acted on
    assert rows[7]["action"] in {"warn", "queue", "timeout", "delete"}, rows[7]
    assert "insult" in rows[7]["labels"] or "toxicity" in rows[7]["labels"]
    assert rows[9]["action"] == "warn", rows[9]  # "you st.u.p.i.d cow": obfuscated, still addressed
    # the dehumanising line goes to moderators, and so does the threat
    assert rows[14]["action"] == "queue", rows[14]
    assert "identity_attack" in rows[14]["labels"], rows[14]
    assert rows[18]["action"] == "queue", rows[18]
    assert "threat" in rows[18]["labels"], rows[18]
    # jeering at a minister is logged, not warned: it addresses nobody in the conversation
    assert rows[10]["action"] == "log", rows[10]


def test_example_thread_conspiracy_line_goes_to_moderators() -> None:
    code, out, _ = replay(str(EXAMPLE), "--json")
    assert code == 0
    row = {row["line"]: row for row in json_rows(out)}[12]
    assert row["action"] in {"queue", "delete", "timeout"}, row


def test_escalation_is_per_author(tmp_path: Path) -> None:
    insults = ["you are a stupid idiot", "shut up you moron", "what a pathetic idiot you are", "you idiot"]
    lines = [{"author": "bully", "content": text} for text in insults]
    lines.insert(2, {"author": "other", "content": "you are an idiot"})
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    code, out, _ = replay(str(path), "--json")
    assert code == 0
    rows = json_rows(out)
    bully = [row["action"] for row in rows if row["author"] == "bully"]
    other = [row["action"] for row in rows if row["author"] == "other"]
    assert bully[:2] == ["warn", "warn"], rows
    assert bully[2] == "timeout", rows  # third warning within 24 h -> timeout (config/default.toml)
    assert other == ["warn"], rows


def test_json_mode_prints_nothing_but_json(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"author": "a", "content": "hello there"}\nnot json\n', encoding="utf-8")
    code, out, err = replay(str(path), "--json")
    assert code == 0
    assert len(json_rows(out)) == 1
    assert "line 2" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_exit_non_zero_with_a_clear_message(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "thread.txt"
    if content is not None:
        path.write_bytes(content)
    code, out, err = replay(str(path))
    assert code == 1
    assert expected in err
    assert out == ""


def test_a_file_with_only_bad_lines_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"content": \n{"author": "x"}\n', encoding="utf-8")
    code, _, err = replay(str(path))
    assert code == 1
    assert "line 1" in err and "line 2" in err
    assert "nothing scored" in err


def test_one_bad_line_and_a_1mb_line_do_not_stop_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    good = [json.dumps({"author": "a", "content": f"message number {i} about the summit"}) for i in range(3)]
    huge = json.dumps({"author": "b", "content": "x" * (1024 * 1024)})
    path.write_text("\n".join([good[0], "{broken", huge, good[1], good[2]]), encoding="utf-8")
    code, out, err = replay(str(path), "--json")
    assert code == 0
    assert [row["line"] for row in json_rows(out)] == [1, 4, 5]
    assert "line 2" in err and "line 3" in err


def test_bad_config_names_the_key_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / "strict.toml"
    config.write_text("[thresholds]\ninsult = 1.5\n", encoding="utf-8")
    code, _, err = replay(str(EXAMPLE), "--config", str(config))
    assert code == 2
    assert "strict.toml" in err
    assert "insult" in err


def test_config_changes_decisions(tmp_path: Path) -> None:
    config = tmp_path / "dry.toml"
    config.write_text("dry_run = true\n", encoding="utf-8")
    code, out, _ = replay(str(EXAMPLE), "--config", str(config))
    assert code == 0
    assert "dry-run" in out


def test_unknown_backend_is_a_clear_error() -> None:
    code, _, err = replay(str(EXAMPLE), "--backend", "magic")
    assert code == 1
    assert "magic" in err


def test_numeric_channels_get_the_policys_channel_settings(tmp_path: Path) -> None:
    thread = tmp_path / "t.jsonl"
    rows = [
        {"author": "a", "channel": "111", "content": "you are a stupid idiot"},
        {"author": "b", "channel": "222", "content": "you are a stupid idiot"},
        {"author": "c", "channel": "news", "content": "you are a stupid idiot"},
    ]
    thread.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    config = tmp_path / "channels.toml"
    config.write_text("[channels.222]\noff = true\n", encoding="utf-8")
    code, out, _ = replay(str(thread), "--json", "--config", str(config))
    assert code == 0
    actions = [row["action"] for row in json_rows(out)]
    assert actions == ["warn", "none", "warn"]
