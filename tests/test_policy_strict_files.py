"""Policy files: strict booleans and numbers, UTF-8 only, a byte-order mark allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import PolicyConfigError, load_default_policy, load_policy_file


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "policy.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        ("timeout_minutes = true\n", "timeout_minutes", "must be an integer (got True)"),
        ('dry_run = "yes"\n', "dry_run", "must be true or false (got 'yes')"),
        ("dry_run = 1\n", "dry_run", "must be true or false (got 1)"),
        ("store_message_text = 0\n", "store_message_text", "must be true or false (got 0)"),
        ("retention_days = 7.0\n", "retention_days", "must be an integer (got 7.0)"),
        ('retention_days = "7"\n', "retention_days", "must be an integer (got '7')"),
        ('[thresholds]\ninsult = "0.5"\n', "thresholds.insult", "must be a number (got '0.5')"),
        ("[thresholds]\ninsult = true\n", "thresholds.insult", "must be a number (got True)"),
        ("watched_channels = [true]\n", "watched_channels.0", "must be an integer (got True)"),
        ('watched_channels = ["123"]\n', "watched_channels.0", "must be an integer (got '123')"),
        ("[channels.123]\noff = 'no'\n", "channels.123.off", "must be true or false (got 'no')"),
        ("[reports]\nlimit = true\n", "reports.limit", "must be an integer (got True)"),
        ("[context]\nproactive = 'on'\n", "context.proactive", "must be true or false (got 'on')"),
        (
            "[[escalation]]\nwarnings = true\nwithin_hours = 24\naction = 'queue'\n",
            "escalation.0.warnings",
            "must be an integer (got True)",
        ),
    ],
)
def test_booleans_and_numbers_are_not_coerced(tmp_path: Path, toml: str, key: str, message: str) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(PolicyConfigError) as caught:
        load_policy_file(path)
    assert key in caught.value.keys
    assert f"{path}: " in str(caught.value) and f"{key}: {message}" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_real_values_still_load_and_a_whole_number_is_a_threshold(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dry_run = true\ntimeout_minutes = 30\nwatched_channels = [123]\n"
        "[thresholds]\ninsult = 1\n[channels.456]\noff = true\n",
    )
    policy = load_policy_file(path)
    assert policy.dry_run is True and policy.timeout_minutes == 30
    assert policy.thresholds.insult == 1.0 and policy.watched_channels == [123]
    assert policy.channel(456) is not None and policy.channel(456).off


def test_stored_json_overrides_with_string_channel_keys_still_merge() -> None:
    merged = load_default_policy().merged({"channels": {"42": {"dry_run": True}}, "queue_channel_id": 9})
    assert merged.channel(42) is not None and merged.channel(42).dry_run is True
    again = load_default_policy().merged(merged.to_overrides())
    assert again == merged


def test_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfdry_run = true\n")
    assert load_policy_file(path).dry_run is True


def test_a_file_that_is_not_utf8_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"dry_run = true\n# caf\xe9\n")
    with pytest.raises(PolicyConfigError) as caught:
        load_policy_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: is not UTF-8 text (byte 20")
    assert "\n" not in message


def test_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError, match=r": cannot read"):
        load_policy_file(tmp_path)
