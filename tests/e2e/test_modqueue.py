"""The mod queue end to end: the production bot on simcord, a real SQLite file, a deterministic scorer.

A message scored as an identity attack lands in #mod-queue as an embed with persistent buttons; the
tests press them as moderators (and as a member who is not one), at once, and after a restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import discord
import pytest
import simcord
from simcord import interactions as sim_interactions
from simcord.backend import serializers

from bot.discord_adapter.factory import create_bot
from bot.moderation.queue_rules import REFUSAL
from bot.scoring.base import Scores
from bot.storage.cases import CaseType
from bot.storage.database import Database
from bot.storage.queue import QueueStatus, Resolution
from cogs.modqueue.cog import REPORT_MENU_NAME
from cogs.modqueue.views import DYNAMIC_ITEMS
from tests.e2e.conftest import KeywordBackend, World, build_test_scorer

pytestmark = pytest.mark.backends  # the bot runs on a SQLite file, then on PostgreSQL

IDENTITY_ATTACK = "People like you are vermin and should go back where you came from."
"""Scores identity_attack 0.92 with :class:`QueueKeywordBackend`: the default policy queues it."""

SEVERE = "You subhuman scum, everyone like you deserves to suffer."
"""Scores severe_toxicity 0.95: the default policy deletes it and queues it for review."""


class QueueKeywordBackend(KeywordBackend):
    """The shared keyword scorer plus a word that scores as an identity attack and one that scores as
    severe toxicity."""

    def score(self, texts: Sequence[str]) -> list[Scores]:
        out: list[Scores] = []
        for text, scores in zip(texts, super().score(texts), strict=True):
            values = scores.as_dict()
            if "vermin" in text.lower():
                values.update(identity_attack=0.92, toxicity=0.9)
            if "scum" in text.lower():
                values.update(severe_toxicity=0.95, toxicity=0.97)
            out.append(Scores(**values))
        return out


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    """The production micro-batcher over the keyword scorer (independent of the embedded model)."""
    scorer = await build_test_scorer(QueueKeywordBackend())
    yield scorer
    for name in ("drain", "aclose", "close"):
        method = getattr(scorer, name, None)
        if callable(method):
            result = method()
            if hasattr(result, "__await__"):
                await result
            break


# --------------------------------------------------------------------------- helpers


async def queue_attack(world: World) -> tuple[discord.Message, discord.Message]:
    """Alice posts an identity attack in #news; returns (her message, the queue entry message)."""
    before = len(world.queue_messages())
    message = await world.alice.send(world.news, IDENTITY_ATTACK)
    posted = world.queue_messages()
    assert len(posted) == before + 1, "the identity attack was not queued"
    return message, posted[-1]


def entry_message(world: World, message_id: int) -> discord.Message:
    """The queue message as it is now."""
    return next(m for m in world.queue_messages() if m.id == message_id)


def buttons(message: discord.Message) -> dict[str, Any]:
    """Label -> component (buttons), plus ``"timeout"`` for the duration select."""
    found: dict[str, Any] = {}
    for row in message.components:
        for child in row.children:
            key = getattr(child, "label", None) or "timeout"
            found[key] = child
    return found


def field(message: discord.Message, name: str) -> str | None:
    """The value of embed field ``name`` of the queue message, if present."""
    return next((f.value for f in message.embeds[0].fields if f.name == name), None)


async def entry_of(world: World, queue_message: discord.Message) -> Any:
    """The stored queue entry behind a queue message."""
    repo = world.bot.services.queue
    return await world.database.run(repo.get_by_queue_message, queue_message.id)


async def click_at_once(
    env: simcord.Env, actors: Sequence[simcord.MemberActor], message: discord.Message, custom_id: str
) -> list[simcord.InteractionResult]:
    """Several members press the same button in the same instant.

    simcord's ``click`` settles the bot before returning (so two ``click`` calls are sequential);
    here every INTERACTION_CREATE is on the gateway before the bot handles any of them. It builds
    the payload exactly as ``MemberActor.click`` does, with simcord's interaction helpers.
    """
    stored = env.backend.get_message(message.channel.id, message.id)
    channel = env.backend.get_channel(stored.channel_id)
    records = []
    for actor in actors:
        record, payload = sim_interactions.base_payload(
            env.backend,
            type=3,
            channel_id=channel.id,
            guild_id=actor.guild.id,
            user_id=actor.id,
            data={"custom_id": custom_id, "component_type": 2},
        )
        payload["message"] = dict(serializers.message_payload(env.backend, stored))
        record.source_message_id = stored.id
        records.append(record)
        env.backend.emit("INTERACTION_CREATE", payload)
    await env.settle()
    return [simcord.InteractionResult(env, record) for record in records]


def followup_text(result: simcord.InteractionResult) -> str:
    """The ephemeral answer the presser got."""
    texts = [m.content for m in result.followups if m.ephemeral]
    if result.response is not None and result.response.ephemeral:
        texts.insert(0, result.response.content)
    assert texts, f"no ephemeral answer: {result!r}"
    return texts[-1]


# --------------------------------------------------------------------------- flagged message -> Delete


async def test_identity_attack_is_queued_with_scores_and_buttons(world: World) -> None:
    message, posted = await queue_attack(world)
    embed = posted.embeds[0]
    assert "identity_attack" in embed.title
    assert "vermin" in (embed.description or "")
    assert field(posted, "Author") == world.alice.mention
    assert field(posted, "Channel") == world.news.mention
    assert message.jump_url in (field(posted, "Message") or "")
    assert "identity_attack █████████░ 0.92" in (field(posted, "Scores") or "")
    assert field(posted, "Reason")
    assert set(buttons(posted)) == {"Approve", "Delete", "Warn", "Ban", "Claim", "timeout"}
    entry = await entry_of(world, posted)
    assert entry.status is QueueStatus.OPEN
    assert entry.message_id == message.id
    assert entry.labels and "identity_attack" in entry.labels


async def test_moderator_delete_removes_the_message_and_records_a_case(world: World) -> None:
    message, posted = await queue_attack(world)

    result = await world.moderator.click(posted, label="Delete")

    assert message.id not in [m.id for m in world.news.history()]
    cases = await world.cases(world.alice)
    assert [case.type for case in cases] == [CaseType.DELETE]
    assert cases[0].moderator_id == world.moderator.id
    assert cases[0].message_id == message.id
    assert f"Case #{cases[0].case_number}" in followup_text(result)
    now = entry_message(world, posted.id)
    assert "deleted" in (field(now, "Outcome") or "")
    assert world.moderator.mention in (field(now, "Outcome") or "")
    assert all(component.disabled for component in buttons(now).values())
    entry = await entry_of(world, posted)
    assert entry.status is QueueStatus.RESOLVED
    assert entry.resolution is Resolution.DELETED
    assert entry.resolved_by == world.moderator.id
    assert entry.case_id == cases[0].id
    # The delete went into the modlog like any other case.
    assert world.modlog()


async def test_non_moderator_is_refused(world: World) -> None:
    message, posted = await queue_attack(world)

    result = await world.bob.click(posted, label="Delete")

    assert result.ephemeral
    assert result.response is not None and result.response.content == REFUSAL
    assert message.id in [m.id for m in world.news.history()]
    assert await world.cases(world.alice) == []
    entry = await entry_of(world, posted)
    assert entry.status is QueueStatus.OPEN
    assert not any(component.disabled for component in buttons(entry_message(world, posted.id)).values())


async def test_two_moderators_pressing_at_once_resolve_once(world: World) -> None:
    _message, posted = await queue_attack(world)
    custom_id = buttons(posted)["Delete"].custom_id

    results = await click_at_once(world.env, [world.moderator, world.admin], posted, custom_id)

    answers = [followup_text(result) for result in results]
    winners = [text for text in answers if text.startswith("Entry #")]
    losers = [text for text in answers if text.startswith("Already resolved by")]
    assert len(winners) == 1 and len(losers) == 1, answers
    entry = await entry_of(world, posted)
    winner_id = entry.resolved_by
    assert winner_id in (world.moderator.id, world.admin.id)
    assert f"<@{winner_id}>" in losers[0]
    assert len(await world.cases(world.alice)) == 1
    assert len(world.requests("DELETE", f"/channels/{world.news.id}/messages/*")) == 1


async def test_restart_keeps_the_buttons_working(
    world: World, warden_settings: Any, warden_scorer: Any
) -> None:
    _message, posted = await queue_attack(world)
    # A new process: a new bot and a new connection to the same database file.
    database = Database(warden_settings.database_target)
    restarted = create_bot(warden_settings, database=database, scorer=warden_scorer)
    try:
        await world.env.restart_bot(restarted)
        assert world.env.bot is restarted

        result = await world.moderator.click(posted, label="Approve")

        assert "approved" in followup_text(result)
        entry = await database.run(restarted.services.queue.get_by_queue_message, posted.id)
        assert entry.resolution is Resolution.APPROVED
        assert all(component.disabled for component in buttons(entry_message(world, posted.id)).values())
    finally:
        await restarted.close_services()
        database.close()


async def test_approve_records_false_positive_feedback(world: World) -> None:
    message, posted = await queue_attack(world)

    await world.moderator.click(posted, label="Approve")

    feedback = await world.database.run(world.bot.services.queue.list_feedback, world.guild.id)
    assert len(feedback) == 1
    assert feedback[0]["verdict"] == "false_positive"
    assert feedback[0]["message_id"] == message.id
    assert "identity_attack" in feedback[0]["labels"]
    # Nothing happened to the author or the message.
    assert message.id in [m.id for m in world.news.history()]
    assert await world.cases(world.alice) == []
    assert "approved" in (field(entry_message(world, posted.id), "Outcome") or "")


async def test_warn_button_warns_through_the_infraction_service(world: World) -> None:
    _message, posted = await queue_attack(world)

    await world.moderator.click(posted, label="Warn")

    cases = await world.cases(world.alice)
    assert [case.type for case in cases] == [CaseType.WARN]
    assert cases[0].dm_sent
    assert world.dms(world.alice), "the warning was not sent by DM"


async def test_timeout_select_times_the_author_out(world: World) -> None:
    _message, posted = await queue_attack(world)

    result = await world.moderator.select(posted, ["1h"], custom_id=buttons(posted)["timeout"].custom_id)

    cases = await world.cases(world.alice)
    assert [case.type for case in cases] == [CaseType.TIMEOUT]
    assert cases[0].expires_at is not None
    assert round((cases[0].expires_at - cases[0].created_at).total_seconds()) == 3600
    member = world.alice.member
    assert member is not None and member.timed_out_until is not None
    assert "timed out" in followup_text(result)
    entry = await entry_of(world, posted)
    assert entry.resolution is Resolution.TIMED_OUT


async def test_claim_marks_the_entry_and_a_second_claim_is_refused(world: World) -> None:
    _message, posted = await queue_attack(world)

    first = await world.moderator.click(posted, label="Claim")
    second = await world.admin.click(entry_message(world, posted.id), label="Claim")

    assert "You claimed" in followup_text(first)
    assert followup_text(second) == f"Already claimed by {world.moderator.mention}."
    now = entry_message(world, posted.id)
    assert field(now, "Claimed by") == world.moderator.mention
    # A claim is not a resolution: anyone may still resolve.
    await world.admin.click(now, label="Approve")
    entry = await entry_of(world, posted)
    assert entry.status is QueueStatus.RESOLVED and entry.resolved_by == world.admin.id


async def test_excerpt_with_mentions_pings_nobody(world: World) -> None:
    role = world.mod_role
    text = f"@everyone @here {role.mention} {world.bob.mention} you are vermin"
    await world.alice.send(world.news, text)
    posted = world.queue_messages()[-1]

    sends = world.requests("POST", f"/channels/{world.queue_channel.id}/messages")
    assert sends, "nothing was posted in the queue channel"
    for request in sends:
        assert request.json["allowed_mentions"] == {"parse": []}
    description = posted.embeds[0].description or ""
    assert "@everyone" not in description and "@here" not in description
    assert role.mention not in description and world.bob.mention not in description
    assert posted.mention_everyone is False
    assert posted.mentions == [] and posted.role_mentions == []


async def test_no_queue_channel_keeps_entries_in_the_database(world: World) -> None:
    await world.set_policy(queue_channel_id=None)
    await world.alice.send(world.news, IDENTITY_ATTACK)

    assert world.queue_messages() == []
    entries = await world.database.run(world.bot.services.queue.list_open, world.guild.id)
    assert len(entries) == 1 and entries[0].queue_message_id is None


async def test_dry_run_queues_nothing(world: World) -> None:
    await world.set_policy(dry_run=True)
    await world.alice.send(world.news, IDENTITY_ATTACK)

    assert world.queue_messages() == []
    assert await world.database.run(world.bot.services.queue.list_open, world.guild.id) == []


async def test_buttons_answer_nothing_when_the_cog_is_switched_off(world: World) -> None:
    _message, posted = await queue_attack(world)
    await world.set_policy(disabled_cogs=["modqueue"])

    result = await world.moderator.click(posted, label="Delete")

    assert "switched off" in followup_text(result)
    entry = await entry_of(world, posted)
    assert entry.status is QueueStatus.OPEN


async def test_automatic_delete_is_queued_for_review(world: World) -> None:
    message = await world.alice.send(world.news, SEVERE)

    assert message.id not in [m.id for m in world.news.history()], "the policy should have deleted it"
    posted = world.queue_messages()[-1]
    assert "automatic delete" in (field(posted, "Reason") or "")
    assert "subhuman" in (posted.embeds[0].description or "")  # the text survives the deletion
    (auto_case,) = await world.cases(world.alice)
    assert auto_case.type is CaseType.DELETE and auto_case.auto

    result = await world.moderator.click(posted, label="Delete")

    assert "already had this case" in followup_text(result)
    assert len(await world.cases(world.alice)) == 1


async def test_a_failed_queue_post_keeps_the_entry_for_queue_next(world: World) -> None:
    world.env.inject_error("POST", f"/channels/{world.queue_channel.id}/messages", status=500)
    await world.alice.send(world.news, IDENTITY_ATTACK)

    assert world.queue_messages() == []
    result = await world.moderator.slash(world.queue_channel, "queue next")
    assert result.response is not None

    await world.moderator.click(result.response, label="Warn")

    entries = await world.database.run(world.bot.services.queue.list_open, world.guild.id)
    assert entries == []
    assert [case.type for case in await world.cases(world.alice)] == [CaseType.WARN]


async def test_ban_needs_ban_members(world: World) -> None:
    _message, posted = await queue_attack(world)

    result = await world.moderator.click(posted, label="Ban")

    assert "Ban Members" in followup_text(result)
    assert world.guild.get_ban(world.alice) is None
    assert (await entry_of(world, posted)).status is QueueStatus.OPEN


async def test_ban_bans_the_author_after_telling_them(world: World) -> None:
    _message, posted = await queue_attack(world)
    senior = world.guild.create_role(
        "Senior moderators", permissions=discord.Permissions(manage_messages=True, ban_members=True)
    )
    judge = world.add_member("judge", senior)

    result = await judge.click(posted, label="Ban")

    assert world.guild.get_ban(world.alice) is not None
    (case,) = await world.cases(world.alice)
    assert case.type is CaseType.BAN and case.active and case.dm_sent
    assert world.dms(world.alice), "the member was not told before the ban"
    assert "banned" in followup_text(result)
    assert (await entry_of(world, posted)).resolution is Resolution.BANNED
    bans = world.requests("PUT", f"/guilds/{world.guild.id}/bans/*")
    dm_posts = [r for r in world.env.http_requests if r.path.endswith("/messages") and r.method == "POST"]
    assert len(bans) == 1 and dm_posts
    order = world.env.http_requests
    assert order.index(bans[0]) > min(order.index(r) for r in dm_posts), "banned before the DM"
    # ... and the DM in question is the one to the member, not the queue post.
    dm_channel = world.env.backend.get_dm_channel(world.alice.id)
    to_alice = world.requests("POST", f"/channels/{dm_channel.id}/messages")
    assert len(to_alice) == 1 and order.index(to_alice[0]) < order.index(bans[0]), "banned before the DM"
    modlog_posts = world.requests("POST", f"/channels/{world.modlog_channel.id}/messages")
    assert modlog_posts and order.index(modlog_posts[-1]) > order.index(bans[0]), "modlog before the ban"


async def test_ban_refused_by_discord_is_recorded_and_the_moderator_told(world: World) -> None:
    _message, posted = await queue_attack(world)
    senior = world.guild.create_role(
        "Senior moderators", permissions=discord.Permissions(manage_messages=True, ban_members=True)
    )
    judge = world.add_member("judge", senior)
    world.env.inject_error(
        "PUT", f"/guilds/{world.guild.id}/bans/*", status=403, code=50013, message="Missing Permissions"
    )

    result = await judge.click(posted, label="Ban")

    assert world.guild.get_ban(world.alice) is None
    (case,) = await world.cases(world.alice)
    # Recorded (the member was told first), but not in effect: the ban did not happen.
    assert case.type is CaseType.BAN and not case.active and case.dm_sent
    assert case.moderator_id == judge.id
    assert world.dms(world.alice), "the member was not told before the ban"
    assert "Discord refused: ban: missing the Ban Members permission." in followup_text(result)
    assert (await entry_of(world, posted)).resolution is Resolution.BANNED
    modlog = world.modlog()[-1]
    assert "missing the Ban Members permission" in str(modlog.embeds[0].to_dict())


async def test_timeout_needs_moderate_members(world: World) -> None:
    _message, posted = await queue_attack(world)
    helper = world.add_member(
        "helper", world.guild.create_role("Helpers", permissions=discord.Permissions(manage_messages=True))
    )

    result = await helper.select(posted, ["10m"], custom_id=buttons(posted)["timeout"].custom_id)

    assert "Timeout Members" in followup_text(result)
    assert await world.cases(world.alice) == []


async def test_unloading_the_cog_removes_menu_and_buttons(world: World) -> None:
    bot = world.bot
    menu_type = discord.AppCommandType.message
    assert bot.tree.get_command(REPORT_MENU_NAME, type=menu_type) is not None

    await bot.unload_extension("cogs.modqueue")

    assert bot.tree.get_command(REPORT_MENU_NAME, type=menu_type) is None
    assert bot.tree.get_command("queue") is None
    assert not set(DYNAMIC_ITEMS) & set(bot._connection._view_store._dynamic_items.values())

    await bot.load_extension("cogs.modqueue")
    assert bot.tree.get_command(REPORT_MENU_NAME, type=menu_type) is not None
