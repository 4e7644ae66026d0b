"""Appeals in the mod queue: a member appeals a case from its DM; moderators pardon or uphold it."""

from __future__ import annotations

import discord

from bot.storage.queue import QueueSource, QueueStatus, Resolution
from tests.e2e.conftest import World
from tests.e2e.test_modqueue import (  # noqa: F401  (warden_scorer: the module's deterministic scorer)
    buttons,
    entry_of,
    field,
    followup_text,
    queue_attack,
    warden_scorer,
)

APPEAL_TEXT = "I was quoting the article, not saying it myself. @everyone"


async def warned_and_appealed(world: World) -> tuple[int, discord.Message]:
    """A moderator warns alice from the queue; alice appeals from the DM. Returns (case number, the
    appeal's queue message)."""
    _message, posted = await queue_attack(world)
    await world.moderator.click(posted, label="Warn")
    (case,) = await world.cases(world.alice)
    dm = world.dms(world.alice)[-1]
    shown = await world.alice.user.click(dm, label="Appeal")
    assert shown.modal is not None
    await world.alice.user.submit_modal(shown, {"warden:appeal:text": APPEAL_TEXT})
    appeal = world.queue_messages()[-1]
    assert appeal.id != posted.id, "the appeal was not posted in the queue"
    return case.case_number, appeal


async def test_appeal_is_posted_with_its_case_and_text(world: World) -> None:
    case_number, appeal = await warned_and_appealed(world)

    embed = appeal.embeds[0]
    assert embed.title.startswith("Appeal #") and f"case #{case_number} (warn)" in embed.title
    assert "quoting the article" in (embed.description or "")
    assert "@everyone" not in (embed.description or "")
    assert field(appeal, "Member") == world.alice.mention
    assert (field(appeal, "Case") or "").startswith(f"#{case_number} warn")
    assert set(buttons(appeal)) == {"Uphold", "Pardon", "Claim"}
    entry = await entry_of(world, appeal)
    assert entry.source is QueueSource.APPEAL


async def test_pardon_pardons_the_case(world: World) -> None:
    case_number, appeal = await warned_and_appealed(world)

    result = await world.moderator.click(appeal, label="Pardon")

    (case,) = await world.cases(world.alice)
    assert case.case_number == case_number and case.pardoned and case.pardoned_by == world.moderator.id
    assert "pardoned" in followup_text(result)
    entry = await entry_of(world, appeal)
    assert entry.status is QueueStatus.RESOLVED and entry.resolution is Resolution.APPROVED
    now = world.queue_messages()[-1]
    assert "pardoned" in (field(now, "Outcome") or "")
    assert all(component.disabled for component in buttons(now).values())
    # Appeals give the model no feedback: only the warn entry's verdict is there.
    feedback = await world.database.run(world.bot.services.queue.list_feedback, world.guild.id)
    assert [row["resolution"] for row in feedback] == ["warned"]


async def test_uphold_keeps_the_case(world: World) -> None:
    _case_number, appeal = await warned_and_appealed(world)

    await world.moderator.click(appeal, label="Uphold")

    (case,) = await world.cases(world.alice)
    assert not case.pardoned and case.active
    entry = await entry_of(world, appeal)
    assert entry.resolution is Resolution.WARNED
    assert "upheld" in (field(world.queue_messages()[-1], "Outcome") or "")
