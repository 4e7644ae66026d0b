"""``/warden tune`` end to end: suggestions from the moderators' recorded verdicts, applied by a button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from simcord import SetupError

from tests.e2e.conftest import INSULT, World, build_test_scorer
from tests.e2e.test_modqueue import QueueKeywordBackend
from tests.test_reports_tune import record_verdicts


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    scorer = await build_test_scorer(QueueKeywordBackend())
    yield scorer
    await scorer.close()


def buttons(message) -> dict[str, object]:
    return {child.label: child for row in message.components for child in row.children}


async def test_tune_suggests_and_a_button_applies(world: World) -> None:
    await world.set_policy(thresholds={"insult": 0.46})
    await world.database.run(record_verdicts, world.database, world.guild.id)

    result = await world.admin.slash(world.news, "warden tune")

    reply = result.response
    assert reply is not None and reply.ephemeral
    text = reply.content
    assert "From 50 queue verdicts" in text
    assert (
        "`insult`: 41 confirmed, 9 approved; at 0.78 (now 0.46), 9 fewer false positives and 1 more miss"
        in text
    )
    assert "`threat`: not enough decisions yet (0 of 20)" in text
    assert (await world.policy()).thresholds.insult == 0.46  # nothing changed by itself

    pressed = await world.admin.click(reply.message, label="Apply insult 0.78")

    assert (await world.policy()).thresholds.insult == 0.78
    assert any("`insult` threshold set to 0.78 (was 0.46)" in m.content for m in pressed.followups)
    (button,) = buttons(result.response.message).values()  # the answer as it is now
    assert button.label == "insult set to 0.78" and button.disabled  # type: ignore[attr-defined]


async def test_tune_with_too_few_verdicts_offers_nothing(world: World) -> None:
    await world.alice.send(world.news, INSULT)

    result = await world.admin.slash(world.news, "warden tune")

    reply = result.response
    assert reply is not None
    assert "`insult`: not enough decisions yet (0 of 20)" in reply.content
    assert "Nothing to apply yet" in reply.content
    assert reply.components == []


async def test_tune_is_for_admins_only(world: World) -> None:
    with pytest.raises(SetupError, match="not visible"):
        await world.moderator.slash(world.news, "warden tune")
