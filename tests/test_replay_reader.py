"""The replay's thread reader: both formats, and every kind of bad input named by line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.replay.reader import MAX_MESSAGE_CHARS, ThreadReadError, read_thread


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_plain_text_one_message_a_line_blank_lines_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "first message\n\n  second one  \nthird\n")
    result = read_thread(path)
    assert result.format == "text"
    assert [(m.line, m.content, m.author) for m in result.messages] == [
        (1, "first message", None),
        (3, "second one", None),
        (4, "third", None),
    ]
    assert result.errors == []


def test_seed_thread_reads_all_83_lines(seed_thread: Path) -> None:
    result = read_thread(seed_thread)
    assert len(result.messages) == 83
    assert result.errors == []


def test_jsonl_fields_and_timestamps(tmp_path: Path) -> None:
    rows = [
        {"author": "ana", "content": "hello", "channel": "news", "timestamp": "2026-03-02T09:00:00Z"},
        {"author": 42, "content": "numeric author"},
    ]
    path = write(tmp_path, "t.jsonl", "\n".join(json.dumps(r) for r in rows))
    result = read_thread(path)
    assert result.format == "jsonl"
    first, second = result.messages
    assert (first.author, first.channel, first.timestamp.isoformat()) == (
        "ana",
        "news",
        "2026-03-02T09:00:00+00:00",
    )
    assert second.author == "42"
    assert second.timestamp is None


def test_jsonl_detected_without_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "thread.log", '{"author": "a", "content": "x"}\n')
    assert read_thread(path).format == "jsonl"


def test_bad_jsonl_lines_are_named_and_the_rest_is_read(tmp_path: Path) -> None:
    lines = [
        '{"author": "a", "content": "good one"}',
        '{"author": "b", "content": ',
        "[1, 2]",
        '{"author": "c"}',
        '{"author": "d", "content": "bad time", "timestamp": "yesterday"}',
        '{"author": "e", "content": "good two"}',
    ]
    result = read_thread(write(tmp_path, "t.jsonl", "\n".join(lines)))
    assert [m.content for m in result.messages] == ["good one", "good two"]
    by_line = {error.line: error.message for error in result.errors}
    assert set(by_line) == {2, 3, 4, 5}
    assert "not valid JSON" in by_line[2]
    assert "not a JSON object" in by_line[3]
    assert '"content"' in by_line[4]
    assert "timestamp" in by_line[5]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ThreadReadError, match="no such file"):
        read_thread(tmp_path / "nope.txt")


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(ThreadReadError, match="binary"):
        read_thread(path)


def test_empty_and_blank_files(tmp_path: Path) -> None:
    for name, content in (("empty.txt", ""), ("blank.txt", "\n  \n\t\n")):
        with pytest.raises(ThreadReadError, match="empty"):
            read_thread(write(tmp_path, name, content))


def test_a_1mb_line_is_skipped_by_name_and_the_others_kept(tmp_path: Path) -> None:
    huge = "a" * (1024 * 1024)
    path = write(tmp_path, "t.txt", f"before\n{huge}\nafter\n")
    result = read_thread(path)
    assert [m.content for m in result.messages] == ["before", "after"]
    (error,) = result.errors
    assert error.line == 2
    assert f"{MAX_MESSAGE_CHARS:,}" in error.message


def test_invalid_utf8_line_is_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", b"good\n\xff\xfe broken \xc3\n fine\n")
    result = read_thread(path)
    assert [m.content for m in result.messages] == ["good", "fine"]
    assert [e.line for e in result.errors] == [2]
