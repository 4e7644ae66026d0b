"""One bad replay line never loses the file: the reader names it and the engine isolates it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.moderation import use_case as use_case_module
from bot.policy import load_default_policy
from bot.policy.decision import Action
from bot.replay import engine as engine_module
from bot.replay.engine import ReplayEngine, channel_id
from bot.replay.fields import FieldError, parse_channel, parse_timestamp
from bot.replay.reader import ThreadMessage, read_thread
from bot.scoring.base import LABELS, Scores, ScoringError
from tests.conftest import REPO_ROOT

DEEP = '{"author": "c", "content": "deep", "extra": ' + "[" * 9000 + "]" * 9000 + "}"


def probe_lines() -> list[str]:
    """The probe's thread: three poisoned lines between good ones."""
    return [
        json.dumps({"author": "a", "content": "hello there, how was the summit"}),
        json.dumps({"author": "b", "channel": "²", "content": "you idiot"}),
        DEEP,
        json.dumps({"author": "d", "content": "you stupid idiot", "timestamp": "0001-01-01T00:00:00"}),
        json.dumps({"author": "e", "content": "the minister spoke on monday", "channel": "123"}),
    ]


def write_thread(tmp_path: Path, lines: Sequence[str]) -> Path:
    path = tmp_path / "probe.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the reader --------------------------------------------------------------------------------------


def test_each_poisoned_line_is_named_with_a_short_reason_and_the_rest_read(tmp_path: Path) -> None:
    result = read_thread(write_thread(tmp_path, probe_lines()))

    assert [message.line for message in result.messages] == [1, 5]
    reasons = {error.line: error.message for error in result.errors}
    assert set(reasons) == {2, 3, 4}
    assert "ASCII-decimal id" in reasons[2] and "'²'" in reasons[2]
    assert "too deeply" in reasons[3]
    assert "timestamp" in reasons[4] and "0001-01-01" in reasons[4]
    assert all(len(reason) < 120 and reason.endswith("skipped") for reason in reasons.values())


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ({"channel": "٣٤"}, "ASCII-decimal id"),  # Arabic-Indic digits
        ({"channel": "-5"}, "ASCII-decimal id"),
        ({"channel": "0"}, "out of range"),
        ({"channel": str(2**64)}, "out of range"),
        ({"channel": True}, "neither an id nor a name"),
        ({"channel": 1.5}, "neither an id nor a name"),
        ({"channel": {"id": 1}}, "neither an id nor a name"),
        ({"channel": "   "}, "empty"),
        ({"channel": "x" * 101}, "longer than 100"),
        ({"channel": "news\x1b[31m"}, "control characters"),
        ({"author": ["a"]}, "author"),
        ({"author": False}, "author"),
        ({"timestamp": 1700000000}, "not an ISO 8601 string"),
        ({"timestamp": "9999-12-31T23:59:59"}, "outside 1970-9998"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "outside 1970-9998"),  # no UTC equivalent
        ({"timestamp": "1969-12-31T23:59:59Z"}, "outside 1970-9998"),
    ],
)
def test_bad_fields_are_refused_by_name(tmp_path: Path, record: dict, fragment: str) -> None:
    good = json.dumps({"author": "ok", "content": "fine"})
    bad = json.dumps({"author": "x", "content": "text", **record})
    result = read_thread(write_thread(tmp_path, [good, bad, good]))

    assert [message.line for message in result.messages] == [1, 3]
    (error,) = result.errors
    assert error.line == 2 and fragment in error.message, error.message


def test_a_huge_integer_is_a_line_error_not_a_crash(tmp_path: Path) -> None:
    huge = '{"author": "x", "content": "y", "n": ' + "9" * 5000 + "}"
    result = read_thread(write_thread(tmp_path, [huge, json.dumps({"content": "fine"})]))
    assert [message.line for message in result.messages] == [2]
    assert result.errors[0].line == 1 and "skipped" in result.errors[0].message


def test_valid_ids_names_and_timestamps_still_read() -> None:
    assert parse_channel("123") == "123"
    assert parse_channel(456) == "456"
    assert parse_channel("world-news") == "world-news"
    assert parse_channel("news2") == "news2"
    assert parse_channel("三") == "三"  # a CJK numeral is a name, not a digit
    assert parse_timestamp("2026-03-02T09:00:00+02:00") == datetime(2026, 3, 2, 7, tzinfo=UTC)
    assert parse_timestamp("2026-03-02T09:00:00") == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(FieldError):
        parse_timestamp("yesterday")


def test_engine_channel_id_takes_only_ascii_digits() -> None:
    assert channel_id("123") == 123
    assert channel_id("²") is None  # str.isdigit() is true, int() would raise
    assert channel_id("news") is None and channel_id(None) is None


# -- the engine --------------------------------------------------------------------------------------


class PickyBackend:
    """Scores everything 0.01, except that any text containing ``poison`` makes the call fail."""

    name = "picky"
    model_version = "test"

    def __init__(self, error: type[Exception] = ValueError) -> None:
        self.error = error
        self.calls = 0

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.calls += 1
        if any("poison" in text for text in texts):
            raise self.error("cannot score this text")
        return [Scores.from_mapping(dict.fromkeys(LABELS, 0.01)) for _ in texts]


def messages(*contents: str) -> list[ThreadMessage]:
    return [ThreadMessage(line=i, content=text, author=f"u{i}") for i, text in enumerate(contents, start=1)]


def test_a_message_that_breaks_the_backend_is_named_and_the_rest_scored() -> None:
    engine = ReplayEngine(PickyBackend(ScoringError), load_default_policy())
    result = engine.run(messages("fine one", "poison pill", "fine two"))

    assert [row.line for row in result.rows] == [1, 3]
    (failed,) = result.failed
    assert failed.line == 2 and "could not be scored" in failed.message and "ScoringError" in failed.message
    assert result.errors == result.failed


def test_a_backend_that_scores_nothing_still_stops_the_run() -> None:
    engine = ReplayEngine(PickyBackend(), load_default_policy())
    with pytest.raises(ValueError, match="cannot score"):
        engine.run(messages("poison one", "poison two"))


def test_a_policy_failure_on_one_line_skips_only_that_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = use_case_module.evaluate  # the replay decides through the moderation use case

    def flaky(scores, settings, **kwargs):
        if kwargs["now"] == datetime(2026, 1, 1, 0, 1, tzinfo=UTC):  # the second message
            raise OverflowError("date value out of range")
        return real(scores, settings, **kwargs)

    monkeypatch.setattr(use_case_module, "evaluate", flaky)
    result = ReplayEngine(PickyBackend(), load_default_policy()).run(messages("a", "b", "c"))

    assert [row.line for row in result.rows] == [1, 3]
    assert [(e.line, "could not be decided" in e.message) for e in result.failed] == [(2, True)]


def test_a_preparation_failure_on_one_line_skips_only_that_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine_module.prepare

    def fragile(text: str):
        if text == "b":
            raise RecursionError("maximum recursion depth exceeded")
        return real(text)

    monkeypatch.setattr(engine_module, "prepare", fragile)
    result = ReplayEngine(PickyBackend(), load_default_policy()).run(messages("a", "b", "c"))

    assert [row.line for row in result.rows] == [1, 3]
    assert result.failed[0].line == 2 and "could not be prepared" in result.failed[0].message


class InsultBackend(PickyBackend):
    def score(self, texts: Sequence[str]) -> list[Scores]:
        values = dict.fromkeys(LABELS, 0.01) | {"insult": 0.9, "toxicity": 0.9}
        return [Scores.from_mapping(values) for _ in texts]


@pytest.mark.parametrize(
    "moment",
    [
        datetime.min,
        datetime.min.replace(tzinfo=UTC),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime.max.replace(tzinfo=UTC),
    ],
)
def test_warnings_at_the_ends_of_the_calendar_are_decided(moment: datetime) -> None:
    """The reader refuses such timestamps; the engine and the policy must not overflow on them anyway."""
    thread = [ThreadMessage(line=i, content="you idiot", author="same", timestamp=moment) for i in (1, 2, 3)]
    result = ReplayEngine(InsultBackend(), load_default_policy()).run(thread)

    assert result.failed == []
    assert [row.decision.action for row in result.rows][:2] == [Action.WARN, Action.WARN]


# -- the command line ----------------------------------------------------------------------------------


def test_probe_thread_through_the_cli_names_each_bad_line_and_scores_the_rest(tmp_path: Path) -> None:
    path = write_thread(tmp_path, probe_lines())
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "replay", str(path), "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert [json.loads(line)["line"] for line in done.stdout.splitlines()] == [1, 5]
    problems = done.stderr.strip().splitlines()
    assert [line.split(" ", 3)[:3] for line in problems] == [
        [f"{path}:", "line", str(number)] for number in (2, 3, 4)
    ]
    assert "ASCII-decimal" in problems[0] and "too deeply" in problems[1] and "timestamp" in problems[2]
