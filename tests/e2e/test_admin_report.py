"""``/warden report`` end to end: the chart of the server's real database, attached to an ephemeral reply."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from simcord import SetupError

from tests.e2e.conftest import CLEAN, INSULT, World, build_test_scorer
from tests.e2e.test_modqueue import IDENTITY_ATTACK, QueueKeywordBackend


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    scorer = await build_test_scorer(QueueKeywordBackend())
    yield scorer
    await scorer.close()


async def test_report_attaches_the_chart_of_this_server(world: World) -> None:
    await world.bob.send(world.news, CLEAN)
    await world.alice.send(world.news, INSULT)
    await world.alice.send(world.news, IDENTITY_ATTACK)
    (card,) = world.queue_messages()
    await world.moderator.click(card, label="Approve")

    result = await world.admin.slash(world.news, "warden report", days=7)

    reply = result.response  # the answer replaces the deferred "thinking" message
    assert reply is not None and reply.ephemeral
    assert (
        "3 messages scored, 2 with an action, 1 queue verdict (100% approved as false positives)"
        in reply.content
    )
    (attachment,) = reply.attachments
    assert attachment.filename == "warden-report.png"
    data = await attachment.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1300, 950)


async def test_report_is_for_admins_only(world: World) -> None:
    with pytest.raises(SetupError, match="not visible"):
        await world.moderator.slash(world.news, "warden report")
