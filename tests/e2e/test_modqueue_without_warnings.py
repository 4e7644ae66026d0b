"""The mod queue acts on members without the warnings cog.

The queue's buttons act through the infraction service, which acts through the bot's own Discord actions
(wired in ``create_bot``), and the role-hierarchy rule lives in the adapter: neither comes from the
warnings cog, so unloading it leaves the queue working. What the warnings cog still decides is whether
the policy's own decisions are carried out.
"""

from __future__ import annotations

import discord

from bot.storage.cases import CaseType
from tests.e2e.conftest import INSULT, World
from tests.e2e.test_modqueue import (  # noqa: F401  (warden_scorer: the module's deterministic scorer)
    IDENTITY_ATTACK,
    followup_text,
    queue_attack,
    warden_scorer,
)
from tests.e2e.test_modqueue_appeals import warned_and_appealed


async def unload_warnings(world: World) -> None:
    await world.bot.unload_extension("cogs.warnings")
    assert world.bot.get_cog("Warnings") is None and "cogs.warnings" not in world.bot.extensions


async def test_warn_appeal_and_pardon_from_the_queue_without_the_warnings_cog(world: World) -> None:
    await unload_warnings(world)

    case_number, appeal = await warned_and_appealed(world)  # Warn pressed; the DM's Appeal button works

    (case,) = await world.cases(world.alice)
    assert case.type is CaseType.WARN and case.dm_sent and case.case_number == case_number
    assert any(f"Case #{case_number}" in (post.embeds[0].title or "") for post in world.modlog())
    result = await world.moderator.click(appeal, label="Pardon")
    assert "pardoned" in followup_text(result)
    (case,) = await world.cases(world.alice)
    assert case.pardoned and case.pardoned_by == world.moderator.id


async def test_the_timeout_select_acts_without_the_warnings_cog(world: World) -> None:
    await unload_warnings(world)
    _message, posted = await queue_attack(world)
    select = next(
        child for row in posted.components for child in row.children if getattr(child, "label", None) is None
    )

    await world.moderator.select(posted, ["1h"], custom_id=select.custom_id)

    (case,) = await world.cases(world.alice)
    assert case.type is CaseType.TIMEOUT and case.active
    assert world.alice.member is not None and world.alice.member.timed_out_until is not None


async def test_the_role_hierarchy_still_holds_without_the_warnings_cog(world: World) -> None:
    await unload_warnings(world)
    senior = world.guild.create_role(
        "Senior", permissions=discord.Permissions(manage_messages=True), position=50
    )
    boss = world.add_member("boss", senior)
    await boss.send(world.news, IDENTITY_ATTACK)
    posted = world.queue_messages()[-1]

    result = await world.moderator.click(posted, label="Warn")

    assert "at or above my top role" in followup_text(result)
    assert await world.cases(boss) == []


async def test_without_the_warnings_cog_the_policy_decisions_are_not_carried_out(world: World) -> None:
    await unload_warnings(world)

    message = await world.alice.send(world.news, INSULT)  # a "warn" decision

    assert await world.cases(world.alice) == []
    assert world.dms(world.alice) == []
    assert message.id in {m.id for m in world.news.history()}
