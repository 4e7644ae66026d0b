"""Getting articles into the library: fetch a page, extract title/date/text (trafilatura) and any
schema.org ClaimReview (JSON-LD); poll RSS/Atom feeds (feedparser) with conditional GET."""

from __future__ import annotations

import asyncio
import codecs
import html as html_lib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.sources.http import USER_AGENT
from bot.sources.safe_fetch import FetchError, SafeFetcher

log = logging.getLogger(__name__)


class IngestError(Exception):
    """A page or feed could not be fetched or yielded no text; the message is safe to show an admin."""


@dataclass(frozen=True, slots=True)
class ClaimReview:
    claim_reviewed: str | None
    rating: str | None  # reviewRating.alternateName, verbatim
    author: str | None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    title: str
    text: str
    published: str | None = None
    claim_review: ClaimReview | None = None
    url: str | None = None

    @property
    def kind(self) -> str:
        return "fact-check" if self.claim_review is not None else "article"


@dataclass(frozen=True, slots=True)
class FeedPoll:
    status: int  # 200, 304, or the error status (0 = not fetched: refused, unreachable, too large...)
    entries: list[ParsedArticle] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # why the poll failed, safe to show an admin; None when it worked

    @property
    def ok(self) -> bool:
        return self.error is None and self.status in (200, 304)


# --- ClaimReview -----------------------------------------------------------------------------------
_LD_JSON = re.compile(
    r"<script[^>]*type\s*=\s*[\"']application/ld\+json[\"'][^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL
)


def _walk_ld(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, list):
        for item in node:
            out += _walk_ld(item)
    elif isinstance(node, dict):
        out.append(node)
        for key in ("@graph", "mainEntity", "hasPart"):
            if key in node:
                out += _walk_ld(node[key])
    return out


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        value = value.get("name") or value.get("alternateName")
    return str(value).strip() or None if value else None


def _is_type(node: dict[str, Any], wanted: str) -> bool:
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t.split("/")[-1].split(":")[-1] == wanted for t in types)


def extract_claim_review(html: str) -> ClaimReview | None:
    """The first schema.org ClaimReview in the page's JSON-LD, or None (malformed JSON is skipped)."""
    for block in _LD_JSON.findall(html):
        try:
            data = json.loads(html_lib.unescape(block.strip()) if "&quot;" in block else block.strip())
        except ValueError:
            continue
        for node in _walk_ld(data):
            if not _is_type(node, "ClaimReview"):
                continue
            rating = node.get("reviewRating")
            rating = rating[0] if isinstance(rating, list) and rating else rating
            rating_text = None
            if isinstance(rating, dict):
                rating_text = rating.get("alternateName") or rating.get("name")
                if not rating_text and rating.get("ratingValue") is not None:
                    best = rating.get("bestRating")
                    rating_text = f"{rating['ratingValue']}/{best}" if best else str(rating["ratingValue"])
            claim = node.get("claimReviewed")
            return ClaimReview(
                claim_reviewed=str(claim).strip() if claim else None,
                rating=str(rating_text).strip() if rating_text else None,
                author=_name(node.get("author")),
                date=_iso_date(node.get("datePublished")),
            )
    return None


# --- pages -----------------------------------------------------------------------------------------
def _iso_date(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).strip()
    match = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    if match:
        return f"{match[1]}-{match[2]}-{match[3]}"
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError):
        return None


_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _strip_html(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.IGNORECASE | re.DOTALL)
    return re.sub(r"\s+", " ", html_lib.unescape(_TAG.sub(" ", html))).strip()


def looks_like_html(content: str) -> bool:
    head = content.lstrip()[:500].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in content[:5000].lower() or "<p>" in head


def parse_html(html: str, url: str | None = None) -> ParsedArticle:
    """Title, date and main text of an HTML page (trafilatura), plus any ClaimReview. Blocking."""
    import trafilatura

    doc = None
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False, favor_recall=True
        )
    except Exception:  # trafilatura raises assorted errors on odd markup; fall back to tag stripping
        log.warning("trafilatura failed; falling back to tag stripping", extra={"url": url}, exc_info=True)
    title = (getattr(doc, "title", None) or "").strip() if doc is not None else ""
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    date = _iso_date(getattr(doc, "date", None)) if doc is not None else None
    if not title:
        match = _TITLE.search(html)
        title = _strip_html(match[1]) if match else ""
    if len(text) < 40:
        body = re.search(r"<body[^>]*>(.*)</body>", html, re.IGNORECASE | re.DOTALL)
        text = _strip_html(body[1] if body else html)
    review = extract_claim_review(html)
    if review and not date:
        date = review.date
    return ParsedArticle(
        title=title or (url or "untitled"), text=text, published=date, claim_review=review, url=url
    )


def parse_text(text: str, name: str = "") -> ParsedArticle:
    """A plain-text article: the first non-empty line is the title; a ``Date: YYYY-MM-DD`` line is read."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    title = next((ln for ln in lines if ln), name or "untitled").lstrip("# ").strip()
    body_lines = lines[lines.index(next(ln for ln in lines if ln)) + 1 :] if any(lines) else []
    date = None
    kept = []
    for ln in body_lines:
        m = re.match(r"(?i)^(?:date|published):\s*(\S+)", ln)
        if m and date is None:
            date = _iso_date(m[1])
            continue
        kept.append(ln)
    return ParsedArticle(title=title, text="\n".join(kept).strip(), published=date)


def parse_content(content: str, url: str | None = None, content_type: str = "") -> ParsedArticle:
    if "html" in content_type or (not content_type.startswith("text/plain") and looks_like_html(content)):
        return parse_html(content, url)
    return parse_text(content, name=url or "")


def read_file(path: Path) -> ParsedArticle:
    """Parse a local .html/.htm/.txt/.md file."""
    content = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in {".html", ".htm"}:
        return parse_html(content, path.resolve().as_uri())
    return parse_text(content, name=path.stem)


def _text_encoding(charset: str) -> str:
    """The codec for a declared charset; :class:`IngestError` when Python has no text codec by that name."""
    try:
        info = codecs.lookup(charset)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise IngestError(f"the page declares an unknown character set ({charset[:30]!r})")
    return info.name


def _check_page_response(resp: aiohttp.ClientResponse) -> None:
    """Refuse a page before its body is read: wrong content type or an unknown character set."""
    ctype = resp.headers.get("Content-Type", "").lower()
    if ctype and not any(t in ctype for t in ("html", "text/plain", "xml")):
        raise IngestError(f"unsupported content type {ctype.split(';')[0]}")
    if resp.charset:
        _text_encoding(resp.charset)


async def fetch_page(
    fetcher: SafeFetcher,
    url: str,
    *,
    timeout_s: float = 10.0,
    max_bytes: int = 3_000_000,
    user_agent: str = USER_AGENT,
) -> tuple[str, str]:
    """GET a page through ``fetcher`` (every hop checked); returns (decoded body, content type). The
    body is read whole: over ``max_bytes`` or ``timeout_s`` is refused. Raises :class:`IngestError`."""
    try:
        fetched = await fetcher.get(
            url,
            headers={"User-Agent": user_agent, "Accept": "text/html,text/plain;q=0.9"},
            timeout_s=timeout_s,
            max_bytes=max_bytes,
            before_body=_check_page_response,
        )
    except FetchError as exc:
        raise IngestError(str(exc)) from exc
    if fetched.status != 200:
        raise IngestError(f"the page answered HTTP {fetched.status}")
    ctype = fetched.headers.get("Content-Type", "").lower()
    encoding = _text_encoding(fetched.charset) if fetched.charset else "utf-8"
    return fetched.body.decode(encoding, errors="replace"), ctype


# --- feeds -----------------------------------------------------------------------------------------
MAX_FEED_ENTRIES = 50  # default cap on the entries one poll reads (``max_feed_entries`` in [context])


def parse_feed(body: bytes, feed_url: str, *, limit: int | None = None) -> list[ParsedArticle]:
    """Entries of an RSS/Atom document as articles (title, link, date, summary/content), the first
    ``limit`` entries with a link in document order (feeds list the newest first). Blocking.
    Raises :class:`IngestError` when the document is not a feed at all."""
    import feedparser

    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        raise IngestError("that address is not an RSS or Atom feed")
    out: list[ParsedArticle] = []
    for entry in parsed.entries:
        if limit is not None and len(out) >= limit:
            log.info(
                "feed entries over the cap skipped",
                extra={"feed_url": feed_url, "entries": len(parsed.entries), "cap": limit},
            )
            break
        link = entry.get("link")
        if not link:
            continue
        parts = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
        parts.append(entry.get("summary", ""))
        text = max((_strip_html(p) for p in parts), key=len, default="")
        date = None
        for key in ("published_parsed", "updated_parsed"):
            if entry.get(key):
                year, month, day = entry[key][:3]  # a UTC struct_time
                date = datetime(year, month, day, tzinfo=UTC).date().isoformat()
                break
        out.append(
            ParsedArticle(
                title=_strip_html(entry.get("title", "")) or link, text=text, published=date, url=link
            )
        )
    return out


async def poll_feed(
    fetcher: SafeFetcher,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 10.0,
    max_bytes: int = 5_000_000,
    max_entries: int = MAX_FEED_ENTRIES,
    user_agent: str = USER_AGENT,
) -> FeedPoll:
    """Conditional GET of a feed through ``fetcher`` (every hop checked): 304 -> no entries and the old
    validators; any failure -> its status (0: not fetched), :attr:`FeedPoll.error` and a log line."""
    headers = {
        "User-Agent": user_agent,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        fetched = await fetcher.get(url, headers=headers, timeout_s=timeout_s, max_bytes=max_bytes)
    except FetchError as exc:
        log.warning("feed not fetched: %s", exc, extra={"feed_url": url})
        return FeedPoll(status=0, etag=etag, last_modified=last_modified, error=str(exc))
    if fetched.status == 304:
        return FeedPoll(status=304, etag=etag, last_modified=last_modified)
    if fetched.status != 200:
        log.warning("feed answered %s", fetched.status, extra={"feed_url": url, "status": fetched.status})
        return FeedPoll(
            status=fetched.status,
            etag=etag,
            last_modified=last_modified,
            error=f"the feed answered HTTP {fetched.status}",
        )
    try:
        entries = await asyncio.to_thread(parse_feed, fetched.body, url, limit=max_entries)
    except IngestError as exc:
        log.warning("feed not parsed: %s", exc, extra={"feed_url": url})
        return FeedPoll(status=200, etag=etag, last_modified=last_modified, error=str(exc))
    return FeedPoll(
        status=200,
        entries=entries,
        etag=fetched.headers.get("ETag", etag),
        last_modified=fetched.headers.get("Last-Modified", last_modified),
    )
