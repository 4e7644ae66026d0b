"""Scoring end to end: a member's message in a watched channel -> score -> decision -> case, DM, modlog."""

from __future__ import annotations

import os

from simcord.enums import MessageType

from tests.e2e.conftest import CLEAN, INSULT, INSULT_2, World


async def test_insult_in_watched_channel_warns_with_dm_case_and_modlog(world: World) -> None:
    if os.environ.get("WARDEN_TEST_BACKEND") != "keyword":
        assert world.bot.services.backend_name == "embedded"  # the headline runs on the shipped model
    message = await world.alice.send(world.news, INSULT)

    cases = await world.cases(world.alice)
    assert [(case.type.value, case.auto, case.message_id) for case in cases] == [("warn", True, message.id)]
    assert cases[0].dm_sent is True
    dms = world.dms(world.alice)
    assert len(dms) == 1
    assert "warned" in dms[0].embeds[0].title
    assert len(world.modlog()) == 1
    assert "Case #1" in world.modlog()[0].embeds[0].title


async def test_clean_message_and_unwatched_channel_do_nothing(world: World) -> None:
    await world.alice.send(world.news, CLEAN)
    await world.alice.send(world.off_topic, INSULT)

    assert await world.cases() == []
    assert world.dms(world.alice) == []


async def test_edit_turning_clean_toxic_is_caught_once(world: World) -> None:
    message = await world.alice.send(world.news, CLEAN)
    assert await world.cases() == []

    await world.alice.edit(message, INSULT)
    await world.alice.edit(message, INSULT_2)

    cases = await world.cases(world.alice)
    assert [(case.type.value, case.message_id) for case in cases] == [("warn", message.id)]
    assert len(world.dms(world.alice)) == 1
    record = await world.database.run(world.bot.services.scores.get, message.id)
    assert record is not None and record.edited_at is not None


async def test_edit_of_an_uncached_message_is_scored(world: World) -> None:
    message = await world.alice.send(world.news, CLEAN)
    world.bot._connection._messages.clear()  # as after a restart: the bot no longer holds it

    await world.alice.edit(message, INSULT)

    assert [case.message_id for case in await world.cases(world.alice)] == [message.id]


async def test_dry_run_records_the_decision_and_acts_on_nothing(world: World) -> None:
    await world.set_policy(dry_run=True)

    message = await world.alice.send(world.news, INSULT)

    assert await world.cases() == []
    assert world.dms(world.alice) == []
    assert world.modlog() == []
    record = await world.database.run(world.bot.services.scores.get, message.id)
    assert record is not None
    assert record.dry_run is True
    assert record.action.value == "warn"


async def test_bots_webhooks_and_system_messages_are_not_scored(world: World) -> None:
    other_bot = world.guild.add_member(world.env.create_user("otherbot", bot=True))
    await other_bot.send(world.news, INSULT)
    hook = world.guild.create_webhook(world.news, "rss")
    await hook.send(INSULT)
    world.guild.create_system_message(world.news, MessageType.NEW_MEMBER, author=world.alice)
    await world.env.settle()

    assert await world.cases() == []
    stats = await world.database.run(world.bot.services.scores.stats_today, world.guild.id)
    assert stats.scored == 0


async def test_exempt_role_is_not_scored(world: World) -> None:
    await world.set_policy(exempt_roles=[world.mod_role.id])

    await world.moderator.send(world.news, INSULT)

    assert await world.cases() == []


async def test_overloaded_scorer_logs_and_acts_on_nothing(world: World, caplog) -> None:
    from bot.scoring.batcher import Overloaded

    class Full:
        name = "embedded"
        model_version = "full"

        async def score(self, text: str):
            raise Overloaded(1024, 1024)

    world.bot.services.scorer = Full()
    await world.alice.send(world.news, INSULT)

    assert await world.cases() == []
    assert world.bot.services.metrics.overloaded == 1
    assert any("overloaded" in record.getMessage() for record in caplog.records)


async def test_modlog_5xx_does_not_crash_the_listener(world: World) -> None:
    world.env.inject_error("POST", f"/channels/{world.modlog_channel.id}/messages", status=500)

    await world.alice.send(world.news, INSULT)

    cases = await world.cases(world.alice)
    assert len(cases) == 1 and cases[0].dm_sent is True
    assert world.modlog() == []
    # the next message goes through: the listener survived
    await world.bob.send(world.news, INSULT)
    assert len(world.modlog()) == 1
    world.env.raise_errors()  # nothing escaped to discord.py's error handlers


JEER = "The energy minister is a clown and a liar."


async def test_jeer_at_a_public_figure_is_logged_even_in_a_reply(world: World) -> None:
    jeer = await world.alice.send(world.news, JEER)
    record = await world.database.run(world.bot.services.scores.get, jeer.id)
    assert record is not None
    assert record.action == "log"
    assert "addresses nobody" in record.reason

    target = await world.bob.send(world.news, CLEAN)
    reply = await world.alice.send(world.news, JEER, reply_to=target)
    record = await world.database.run(world.bot.services.scores.get, reply.id)
    assert record is not None and record.action == "log"
    assert await world.cases() == []


async def test_a_bare_insult_in_a_reply_is_aimed_at_the_member_replied_to(world: World) -> None:
    target = await world.bob.send(world.news, CLEAN)
    plain = await world.alice.send(world.news, "What a pathetic idiot.")
    reply = await world.alice.send(world.news, "What a pathetic idiot.", reply_to=target)
    record = await world.database.run(world.bot.services.scores.get, plain.id)
    assert record is not None and record.action == "log"
    assert [case.message_id for case in await world.cases(world.alice)] == [reply.id]


async def test_stored_texts_are_erased_after_retention(world: World) -> None:
    await world.set_policy(store_message_text=True, retention_days=1)
    kept = await world.alice.send(world.news, CLEAN)
    expiring = await world.bob.send(world.news, "The summit article was long but worth reading.")
    scores = world.bot.services.scores
    assert (await world.database.run(scores.get, kept.id)).text == CLEAN

    def age(message_id: int) -> None:  # as if the retention day had passed for this one message
        with world.database.transaction() as db:
            db.execute(
                "UPDATE message_scores SET text_expires_at = ? WHERE message_id = ?",
                ["2000-01-01T00:00:00+00:00", message_id],
            )

    await world.database.run(age, expiring.id)
    cog = world.bot.get_cog("ScoringCog")
    assert cog.purge_expired_text.is_running()
    assert await cog.purge_expired_text() == 1

    assert (await world.database.run(scores.get, expiring.id)).text is None
    assert (await world.database.run(scores.get, kept.id)).text == CLEAN
