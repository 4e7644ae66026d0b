"""The moderation use case driven directly: a real SQLite file, the production micro-batcher over the
deterministic keyword scorer, and ports that record what the platform was asked to do. No Discord:
``tests/e2e`` proves the scoring cog adapts it; this proves what it does with a message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events import DecisionEvent
from bot.moderation.message import Assessment, MessageInput, Ports
from bot.moderation.use_case import ModerateMessage
from bot.pipeline import prepare
from bot.policy import PolicySettings, load_default_policy
from bot.policy.decision import Action
from bot.scoring.base import Scores
from bot.scoring.batcher import MicroBatcher, Overloaded
from bot.scoring.front import ChunkScores
from bot.storage.cases import CaseRepository, CaseType
from bot.storage.database import Database
from bot.storage.decisions import DecisionRepository
from bot.storage.queue import QueueRepository
from bot.storage.scores import ScoreRepository
from tests.e2e.conftest import CLEAN, INSULT, THREAT, KeywordBackend

GUILD, CHANNEL, ALICE, BOB, EXEMPT_ROLE = 10, 20, 30, 31, 40
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Policies:
    """One policy for every server, changeable by the test."""

    def __init__(self, policy: PolicySettings) -> None:
        self.policy = policy

    async def get(self, guild_id: int) -> PolicySettings:
        return self.policy


@dataclass
class Platform:
    """Ports that record what the use case asked for."""

    enabled: bool = True
    acting: bool = True
    queueing: bool = True
    emitted: list[DecisionEvent] = field(default_factory=list)
    acted: list[DecisionEvent] = field(default_factory=list)

    def ports(self) -> Ports:
        async def enabled(_guild_id: int) -> bool:
            return self.enabled

        async def acts_in(_guild_id: int) -> bool:
            return self.acting

        async def queues_in(_guild_id: int) -> bool:
            return self.queueing

        async def act(event: DecisionEvent) -> None:
            self.acted.append(event)

        return Ports(
            enabled=enabled,
            acts_in=acts_in,
            queues_in=queues_in,
            act=act,
            emit=self.emitted.append,
            now=lambda message: message.created_at,
        )


@dataclass
class Setup:
    use_case: ModerateMessage
    platform: Platform
    policies: Policies
    database: Database
    scorer: Any

    async def stored(self, message_id: int) -> Any:
        return await self.database.run(ScoreRepository(self.database).get, message_id)

    async def cases(self, user_id: int = ALICE) -> list[Any]:
        repo = CaseRepository(self.database)
        found = await self.database.run(repo.list_for_user, GUILD, user_id)
        return sorted(found, key=lambda case: case.case_number)

    async def entries(self) -> list[Any]:
        return await self.database.run(QueueRepository(self.database).list_open, GUILD)


def build(database: Database, scorer: Any, *, evidence: bool = True) -> Setup:
    platform = Platform()
    policies = Policies(load_default_policy())
    cases = CaseRepository(database)
    use_case = ModerateMessage(
        database=database,
        policies=policies,
        scores=ScoreRepository(database),
        cases=cases,
        decisions=DecisionRepository(database, cases=cases),
        scorer=lambda: scorer,
        model_version=lambda: "keyword-test-1",
        backend=lambda: "keyword-test",
        ports=platform.ports(),
        evidence=evidence,
    )
    return Setup(use_case, platform, policies, database, scorer)


@pytest.fixture
async def setup(database: Database) -> AsyncIterator[Setup]:
    batcher = MicroBatcher(KeywordBackend())
    await batcher.start()
    built = build(database, batcher)
    yield built
    await built.use_case.close()
    await batcher.close()


def message(
    number: int, content: str, *, author: int = ALICE, minutes: int = 0, **fields: Any
) -> MessageInput:
    return MessageInput(
        guild_id=GUILD,
        channel_id=CHANNEL,
        policy_channel_id=CHANNEL,
        message_id=1000 + number,
        author_id=author,
        content=content,
        created_at=T0 + timedelta(minutes=minutes),
        **fields,
    )


async def test_an_insult_is_decided_recorded_acted_on_and_emitted_with_its_case(setup: Setup) -> None:
    outcome = await setup.use_case.handle(message(1, INSULT))

    assert outcome is not None and outcome.decision.action is Action.WARN
    stored = await setup.stored(1001)
    assert stored.action is Action.WARN and stored.scores == outcome.scores
    (case,) = await setup.cases()
    assert case.type is CaseType.WARN and case.message_id == 1001
    (event,) = setup.platform.emitted
    assert setup.platform.acted == [event]
    assert event.case_number == case.case_number and event.action == "warn"
    assert (event.guild_id, event.channel_id, event.author_id) == (GUILD, CHANNEL, ALICE)
    assert {item["text"] for item in event.evidence} == {"idiot"}  # the word behind the warning


async def test_a_clean_message_is_recorded_without_case_or_evidence(setup: Setup) -> None:
    outcome = await setup.use_case.handle(message(1, CLEAN))

    assert outcome is not None and outcome.decision.action is Action.NONE
    assert (await setup.stored(1001)).action is Action.NONE
    assert await setup.cases() == [] and outcome.evidence == ()
    assert [event.action for event in setup.platform.emitted] == ["none"]


async def test_the_history_is_read_from_the_store_so_the_ladder_climbs(setup: Setup) -> None:
    actions = [(await setup.use_case.handle(message(n, INSULT, minutes=n))).decision.action for n in range(3)]
    other = await setup.use_case.handle(message(9, INSULT, author=BOB, minutes=4))

    assert actions == [Action.WARN, Action.WARN, Action.TIMEOUT]
    assert other is not None and other.decision.action is Action.WARN  # Bob's ladder is his own
    assert [case.type for case in await setup.cases()] == [CaseType.WARN, CaseType.WARN, CaseType.TIMEOUT]
    assert [case.type for case in await setup.cases(BOB)] == [CaseType.WARN]


async def test_a_burst_from_one_member_is_decided_in_arrival_order(setup: Setup) -> None:
    burst = [message(n, f"{INSULT} ({n})", minutes=n) for n in range(4)]

    outcomes = await asyncio.gather(*(setup.use_case.handle(item) for item in burst))

    assert [event.message_id for event in setup.platform.emitted] == [1000, 1001, 1002, 1003]
    assert [outcome.decision.action for outcome in outcomes if outcome is not None] == [
        Action.WARN,
        Action.WARN,
        Action.TIMEOUT,
        Action.TIMEOUT,
    ]
    # the fourth read the third's case: a strike during the running timeout is a warning on its message
    assert [case.type for case in await setup.cases()] == [CaseType.WARN] * 2 + [
        CaseType.TIMEOUT,
        CaseType.WARN,
    ]
    assert len(setup.use_case.turns) == 0  # every turn released


@pytest.mark.parametrize(
    ("change", "incoming"),
    [
        ("switched off", message(1, INSULT)),
        ("unwatched", message(1, INSULT)),
        ("exempt channel", message(1, INSULT)),
        ("exempt role", message(1, INSULT, role_ids=(EXEMPT_ROLE,))),
        ("nothing to score", message(1, "** __ ~~")),
    ],
)
async def test_guards_stop_a_message_before_anything_is_scored_or_stored(
    setup: Setup, change: str, incoming: MessageInput
) -> None:
    policy = setup.policies.policy
    if change == "switched off":
        setup.platform.enabled = False
    elif change == "unwatched":
        setup.policies.policy = policy.merged({"watched_channels": [CHANNEL + 1]})
    elif change == "exempt channel":
        setup.policies.policy = policy.merged({"exempt_channels": [CHANNEL]})
    elif change == "exempt role":
        setup.policies.policy = policy.merged({"exempt_roles": [EXEMPT_ROLE]})
    batches = setup.scorer.batches_total

    assert await setup.use_case.handle(incoming) is None
    assert setup.scorer.batches_total == batches  # never reached the scorer
    assert await setup.stored(1001) is None and setup.platform.emitted == []


async def test_without_the_warnings_and_queue_sides_no_case_or_entry_is_opened(setup: Setup) -> None:
    setup.platform.acting = setup.platform.queueing = False

    outcome = await setup.use_case.handle(message(1, THREAT))

    assert outcome is not None and outcome.decision.action is not Action.NONE
    assert await setup.cases() == [] and await setup.entries() == []
    (event,) = setup.platform.emitted
    assert event.case_number is None and event.queue_entry_id is None


async def test_a_queued_decision_opens_its_entry_with_the_score(setup: Setup) -> None:
    outcome = await setup.use_case.handle(message(1, THREAT))

    assert outcome is not None and outcome.decision.action is Action.QUEUE
    (entry,) = await setup.entries()
    assert entry.message_id == 1001 and setup.platform.emitted[0].queue_entry_id == entry.id


async def test_an_edit_updates_the_score_and_opens_no_second_case(setup: Setup) -> None:
    await setup.use_case.handle(message(1, INSULT))
    edited_at = T0 + timedelta(minutes=5)

    await setup.use_case.handle(message(1, f"{INSULT} really", edited=True, edited_at=edited_at, minutes=0))

    assert len(await setup.cases()) == 1
    assert (await setup.stored(1001)).edited_at == edited_at
    assert [event.edited for event in setup.platform.emitted] == [False, True]


async def test_a_reply_is_addressed_even_when_prepare_thought_otherwise(setup: Setup) -> None:
    text = "Only an idiot would believe this."  # speaks to nobody here, unless it answers someone
    chunks = (Scores(toxicity=0.97, insult=0.93, obscene=0.2),)
    prepared = prepare(text)
    assert not prepared.addressed
    policy = setup.policies.policy

    alone = await setup.use_case.decide(message(1, text), Assessment(prepared, chunks), policy)
    reply = await setup.use_case.decide(message(2, text, is_reply=True), Assessment(prepared, chunks), policy)

    assert alone.decision.unaddressed_insult and not reply.decision.unaddressed_insult


class Front:
    """A scorer front the test steers: refuses (``Overloaded``) or answers degraded."""

    def __init__(self, *, refuse: bool = False, degraded: bool = False) -> None:
        self.refuse = refuse
        self.degraded = degraded
        self.backend = KeywordBackend()

    async def score_chunks(self, texts: Sequence[str], *, allow_degraded: bool = True) -> ChunkScores:
        if self.refuse:
            raise Overloaded(1, 1)
        return ChunkScores(tuple(self.backend.score(list(texts))), degraded=self.degraded and allow_degraded)

    async def score_many(self, texts: Sequence[str]) -> list[Scores]:
        return self.backend.score(list(texts))

    def has_room(self) -> bool:
        return False  # the re-score queue keeps what it holds

    async def progressed(self) -> None:
        await asyncio.sleep(3600)


async def test_a_degraded_answer_is_decided_degraded_stored_so_and_queued_for_the_full_model(
    database: Database,
) -> None:
    setup = build(database, Front(degraded=True))
    try:
        outcome = await setup.use_case.handle(message(1, INSULT))
    finally:
        await setup.use_case.close()

    assert outcome is not None and outcome.event.degraded
    assert outcome.decision.reason.startswith("degraded")
    assert outcome.evidence == ()  # explained with the full model's re-score, not during the burst
    assert (await setup.stored(1001)).degraded
    assert 1001 in setup.use_case.rescores and setup.use_case.metrics.degraded == 1


async def test_a_message_no_tier_can_take_waits_for_the_full_model_unscored(database: Database) -> None:
    setup = build(database, Front(refuse=True))
    try:
        assert await setup.use_case.handle(message(1, INSULT)) is None
    finally:
        await setup.use_case.close()

    assert 1001 in setup.use_case.rescores
    assert setup.use_case.metrics.deferred == 1 and setup.use_case.metrics.overloaded == 1
    assert await setup.stored(1001) is None and setup.platform.emitted == []
