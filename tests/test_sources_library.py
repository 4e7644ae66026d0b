"""The local source library on real SQLite: migration, ingest of pages (trafilatura + ClaimReview),
RSS/Atom feeds served locally with conditional GET (ETag / Last-Modified, 304), guild scoping and the
channel's article searched first."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.context_settings import ContextSettings
from bot.sources import build_context_service
from bot.sources.ingest import IngestError, extract_claim_review, parse_text
from bot.sources.models import NO_RESULTS_TEXT, SourceKind
from bot.sources.service import ContextService
from bot.storage.database import Database

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

PARAGRAPH = (
    "Researchers documented thousands of incidents in which ships near Russian coasts saw their satellite "
    "navigation report false positions, often at airports. Several clusters coincided with visits by "
    "Vladimir Putin, which suggests that protective electronic warfare units spoof GPS signals around him. "
)

ARTICLE_HTML = f"""<!doctype html><html><head><title>GNSS spoofing follows the president | Example</title>
<meta property="article:published_time" content="2019-03-26T08:00:00Z"></head>
<body><nav>Home | World</nav><article><h1>Satellite navigation spoofing follows the Russian president</h1>
<p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></article><footer>Copyright</footer></body></html>"""

CLAIM_REVIEW = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage", "name": "page"},
        {
            "@type": "ClaimReview",
            "claimReviewed": "Israel lost an F-35 over Syria",
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": 1,
                "bestRating": 5,
                "alternateName": "No evidence",
            },
            "author": {"@type": "Organization", "name": "Example Checks"},
            "datePublished": "2018-05-24",
        },
    ],
}
FACTCHECK_HTML = f"""<html><head><title>Fact check: F-35</title>
<script type="application/ld+json">{{ not json </script>
<script type="application/ld+json">{json.dumps(CLAIM_REVIEW)}</script></head>
<body><article><h1>Did Israel lose an F-35 over Syria?</h1><p>Posts claim an Israeli F-35 stealth fighter was
shot down over Syria. We found no report from any air force or monitoring group of such a loss; the
Israeli air force says the F-35 has flown combat missions without losses.</p></article></body></html>"""


def rss(items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{d}</description>"
        f"<pubDate>Tue, 07 Jan 2020 10:00:00 GMT</pubDate></item>"
        for t, link, d in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Example feed</title>{body}</channel></rss>'
    )


ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><title>Turkey receives S-400 parts</title><link href="https://atom.example/s400"/>
<updated>2019-07-12T09:00:00Z</updated><summary>The first components of the S-400 missile system arrived
near Ankara despite warnings from Washington.</summary></entry></feed>"""


def static(**kwargs: Any) -> Any:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(**kwargs)

    return handle


class Site:
    def __init__(self) -> None:
        self.feed_items = [
            (
                "Putin visits Damascus",
                "https://feed.example/putin-damascus",
                "Vladimir Putin met Bashar al-Assad at the Russian command centre in Damascus.",
            )
        ]
        self.conditional: list[dict[str, str]] = []
        self.feed_status = 200
        app = web.Application()
        app.router.add_get("/article", static(text=ARTICLE_HTML, content_type="text/html"))
        app.router.add_get("/factcheck", static(text=FACTCHECK_HTML, content_type="text/html"))
        app.router.add_get("/missing", static(status=404))
        app.router.add_get("/pdf", static(body=b"%PDF", content_type="application/pdf"))
        app.router.add_get("/feed.xml", self.feed)
        app.router.add_get("/atom.xml", static(text=ATOM, content_type="application/atom+xml"))
        self.server = TestServer(app, host="127.0.0.1")

    async def feed(self, request: web.Request) -> web.Response:
        self.conditional.append({k: v for k, v in request.headers.items() if k.startswith("If-")})
        if self.feed_status != 200:
            return web.Response(status=self.feed_status)
        etag = f'"v{len(self.feed_items)}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(
            text=rss(self.feed_items),
            content_type="application/rss+xml",
            headers={"ETag": etag, "Last-Modified": "Tue, 07 Jan 2020 10:00:00 GMT"},
        )

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    s = Site()
    await s.server.start_server()
    yield s
    await s.server.close()


@pytest.fixture
async def service(database: Database) -> AsyncIterator[ContextService]:
    async with aiohttp.ClientSession() as session:
        yield ContextService(database, session, ContextSettings(semantic=False, allow_private_hosts=True))


def test_migration_creates_the_tables(database: Database) -> None:
    assert database.schema_version >= 2
    names = set(database.db.table_names())
    assert {
        "sources",
        *(() if database.dialect.postgres else ("sources_fts",)),
        "feeds",
        "channel_articles",
        "context_requests",
        "context_feedback",
    } <= names
    if database.dialect.postgres:  # the search vector and its GIN index
        index = database.db.execute(
            "SELECT indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND indexname = 'idx_sources_tsv'"
        ).fetchone()[0]
        assert "USING gin (tsv)" in index
    else:
        sql = database.db.execute("SELECT sql FROM sqlite_master WHERE name = 'sources_fts'").fetchone()[0]
        assert "porter unicode61 remove_diacritics 2" in sql


def test_claim_review_extraction() -> None:
    review = extract_claim_review(FACTCHECK_HTML)
    assert review is not None
    assert review.claim_reviewed == "Israel lost an F-35 over Syria"
    assert (
        review.rating == "No evidence" and review.author == "Example Checks" and review.date == "2018-05-24"
    )
    assert extract_claim_review("<html><script type='application/ld+json'>[]</script></html>") is None


def test_text_file_parsing() -> None:
    parsed = parse_text("# Title here\nDate: 2020-01-07\n\nBody line one.\nBody two.")
    assert parsed.title == "Title here" and parsed.published == "2020-01-07"
    assert parsed.text == "Body line one.\nBody two."


async def test_add_page_extracts_title_date_text(site: Site, service: ContextService) -> None:
    added = await service.add_url(site.url("/article"))
    assert added.kind == "article" and "spoofing" in added.title.lower()
    assert added.published == "2019-03-26"
    row = (await service.list_sources())[0]
    assert row["domain"] == "127.0.0.1"
    result = await service.context("the Russians spoof GPS around Putin")
    assert result.sources and result.sources[0].url == site.url("/article")
    stored = await service._db(lambda lib: lib.get(added.id))
    assert stored is not None and "Copyright" not in stored["text"]


async def test_add_fact_check_keeps_rating(site: Site, service: ContextService) -> None:
    added = await service.add_url(site.url("/factcheck"))
    assert added.kind == "fact-check" and added.rating == "No evidence"
    result = await service.context("Israel has lost an F35 over Syria")
    top = result.sources[0]
    assert (
        top.kind is SourceKind.FACT_CHECK
        and top.rating == "No evidence"
        and top.rating_author == "Example Checks"
    )


@pytest.mark.parametrize("path,message", [("/missing", "HTTP 404"), ("/pdf", "unsupported content type")])
async def test_add_refuses_bad_pages(site: Site, service: ContextService, path: str, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        await service.add_url(site.url(path))
    with pytest.raises(IngestError):
        await service.add_url("ftp://example.org/x")


async def test_feed_conditional_get_and_304(site: Site, service: ContextService) -> None:
    feed_id, added = await service.add_feed(site.url("/feed.xml"))
    assert added == 1
    assert site.conditional[-1] == {}
    feed = (await service.list_feeds())[0]
    assert feed["etag"] == '"v1"' and feed["last_modified"] == "Tue, 07 Jan 2020 10:00:00 GMT"
    assert feed["last_polled"]

    assert await service.poll_feed(feed_id) == 0  # unchanged: 304
    assert site.conditional[-1] == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Tue, 07 Jan 2020 10:00:00 GMT",
    }

    site.feed_items.append(
        (
            "Soleimani killed in Baghdad",
            "https://feed.example/soleimani",
            "A US drone strike near Baghdad airport killed Qassem Soleimani.",
        )
    )
    assert await service.poll_feed(feed_id) == 1  # changed feed: only the new entry is written
    assert (await service.list_feeds())[0]["etag"] == '"v2"'
    result = await service.context("Soleimani was killed by a drone at Baghdad airport")
    assert result.sources[0].url == "https://feed.example/soleimani"
    assert result.sources[0].date == "2020-01-07"

    site.feed_status = 503
    assert await service.poll_feed(feed_id) == 0  # errors keep the validators
    assert (await service.list_feeds())[0]["etag"] == '"v2"'


async def test_atom_feed_and_due_feeds(site: Site, service: ContextService) -> None:
    await service.add_feed(site.url("/atom.xml"))
    result = await service.context("Turkey got the S-400")
    assert result.sources[0].url == "https://atom.example/s400"
    assert await service.poll_due_feeds() == 0  # just polled: not due yet


async def test_guild_scoping_and_remove(database: Database) -> None:
    service = ContextService(database, None, ContextSettings(semantic=False))
    g1 = await service.add_text(
        "Golan Heights recognised",
        "Trump recognised Israeli sovereignty over the Golan.",
        "https://a.example/golan",
        guild_id=111,
    )
    await service.add_text(
        "Golan Heights history",
        "Israel captured the Golan Heights from Syria in 1967.",
        "https://b.example/golan",
        guild_id=0,
    )
    assert {s.url for s in (await service.context("Golan Heights Israel", guild_id=111)).sources} == {
        "https://a.example/golan",
        "https://b.example/golan",
    }
    assert {s.url for s in (await service.context("Golan Heights Israel", guild_id=222)).sources} == {
        "https://b.example/golan"
    }
    assert not await service.remove_source(g1.id, guild_id=222)  # another guild's source
    assert await service.remove_source(g1.id, guild_id=111)
    assert {s.url for s in (await service.context("Golan Heights Israel", guild_id=111)).sources} == {
        "https://b.example/golan"
    }
    assert (await service.context("banana bread with walnuts", guild_id=111)).empty
    assert NO_RESULTS_TEXT == "No related items found in this server's sources"


async def test_channel_article_is_searched_first(database: Database) -> None:
    service = ContextService(database, None, ContextSettings(semantic=False))
    article = await service.add_text(
        "Putin makes surprise visit to Damascus",
        "Vladimir Putin met Assad in Damascus with Shoigu. Israel was not discussed in the readout.",
        "https://article.example/putin",
        guild_id=5,
    )
    for i in range(4):
        await service.add_text(
            f"Israeli strikes in Syria {i}",
            "Israel carried out 54 strikes in Syria in 2019; Putin authorised none of them, officials said.",
            f"https://d{i}.example/s",
            guild_id=5,
        )
    claim = "Putin authorised 54 Israeli strikes in Syria in 2019"
    assert (await service.context(claim, guild_id=5, channel_id=9)).sources[0].url != article.url
    await service._db(lambda lib: lib.set_channel_article(5, 9, article.id, explicit=True))
    result = await service.context(claim, guild_id=5, channel_id=9)
    assert result.sources[0].url == article.url and result.sources[0].pinned
    other = await service.context(claim, guild_id=5, channel_id=10)
    assert other.sources[0].url != article.url


async def test_posted_link_from_trusted_domain_becomes_channel_article(
    site: Site, database: Database
) -> None:
    async with aiohttp.ClientSession() as session:
        service = ContextService(database, session, ContextSettings(semantic=False, allow_private_hosts=True))
        await service.add_url(site.url("/factcheck"), guild_id=7)  # 127.0.0.1 is now a trusted domain
        marked = await service.note_posted_links(7, 70, f"read this {site.url('/article')} !", author_id=1)
        assert len(marked) == 1
        assert await service.note_posted_links(7, 70, "and https://untrusted.example/x") == []
        result = await service.context(
            "Israel lost an F-35 and ships' GPS showed airports", guild_id=7, channel_id=70
        )
        assert result.sources[0].url == site.url("/article")


async def test_build_context_service_defaults(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARDEN_CONTEXT_PROVIDERS", raising=False)
    monkeypatch.setenv("WARDEN_FACTCHECK_API_KEY", "k-123")
    async with aiohttp.ClientSession() as session:
        service = build_context_service(database, session, None)
    assert [p.name for p in service.remote] == ["factcheck"]
    assert "k-123" not in repr(service.settings)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/admin",
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://printer.local/",
        "file:///etc/passwd",
    ],
)
async def test_private_addresses_are_refused_by_default(database: Database, url: str) -> None:
    async with aiohttp.ClientSession() as session:
        service = ContextService(database, session, ContextSettings(semantic=False))
        with pytest.raises(IngestError):
            await service.add_url(url)
        with pytest.raises(IngestError):
            await service.add_feed(url)


async def test_member_posting_the_moderators_article_does_not_demote_it(database: Database) -> None:
    service = ContextService(database, None, ContextSettings(semantic=False))
    x = await service.add_text(
        "Moderator's article", "Putin met Assad in Damascus.", "https://x.example/a", guild_id=5
    )
    y = await service.add_text(
        "Member's article", "Israel struck Syria in 2019.", "https://y.example/b", guild_id=5
    )
    await service.set_channel_article(5, 9, x.url, set_by=100)  # ``/sources article``: explicit
    assert await service.note_posted_links(5, 9, f"see {x.url}", author_id=1) == [x.id]
    assert await service.note_posted_links(5, 9, f"no, {y.url}", author_id=2) == [y.id]

    assert await service._db(lambda lib: lib.channel_article_ids(5, 9)) == [x.id, y.id]
    row = database.db.execute(
        "SELECT explicit, set_by FROM channel_articles WHERE guild_id = 5 AND channel_id = 9 "
        "AND source_id = ?",
        [x.id],
    ).fetchone()
    assert tuple(row) == (1, 100)  # still the moderator's choice
    # a moderator setting a member's posted link makes it explicit
    await service.set_channel_article(5, 9, y.url, set_by=101)
    assert await service._db(lambda lib: lib.channel_article_ids(5, 9)) == [y.id, x.id]
