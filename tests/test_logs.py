"""The log format prints the facts call sites pass in ``extra={...}``."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

from bot.logs import BOT_FORMAT, FieldsFormatter, record_fields
from tests.conftest import REPO_ROOT


def record(message: str, *args: object, exc_info: Any = None, **extra: object) -> logging.LogRecord:
    return logging.getLogger("bot.storage.settings").makeRecord(
        "bot.storage.settings", logging.ERROR, __file__, 1, message, args, exc_info, extra=extra
    )


def test_extra_fields_follow_the_message_in_the_order_given() -> None:
    line = FieldsFormatter("%(levelname)s %(name)s: %(message)s").format(
        record("stored settings no longer valid, using the defaults", guild_id=42, error="bad threshold")
    )

    assert line == (
        "ERROR bot.storage.settings: stored settings no longer valid, using the defaults "
        'guild_id=42 error="bad threshold"'
    )


def test_a_record_without_extra_reads_as_before() -> None:
    plain = "%(levelname)s %(name)s: %(message)s"
    made = record("message %s in guild %s: no evidence", 7, 42)

    assert FieldsFormatter(plain).format(made) == logging.Formatter(plain).format(made)
    assert record_fields(made) == {}


def test_a_value_cannot_break_the_line_or_forge_a_field() -> None:
    line = FieldsFormatter("%(message)s").format(
        record("feed not parsed", feed_url="x\nERROR fake a=b", empty="")
    )

    assert "\n" not in line
    assert line == 'feed not parsed feed_url="x\\nERROR fake a=b" empty=""'


def test_fields_stay_on_the_message_line_above_the_traceback() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        made = record("feed poll failed", exc_info=sys.exc_info(), feed_id=3)

    first, *rest = FieldsFormatter("%(message)s").format(made).splitlines()

    assert first == "feed poll failed feed_id=3"
    assert rest[0].startswith("Traceback") and rest[-1] == "ValueError: boom"


def test_the_bot_and_the_cli_log_through_it() -> None:
    code = (
        "import logging, sys\n"
        "from bot.__main__ import _configure_logging\n"
        "_configure_logging('INFO')\n"
        "logging.getLogger('bot.storage.settings').error('stored settings no longer valid',"
        " extra={'guild_id': 42, 'error': 'bad'})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )

    assert done.stderr.rstrip().endswith("stored settings no longer valid guild_id=42 error=bad")
    assert BOT_FORMAT.startswith("%(asctime)s")
