"""Getting articles into the library: fetch a page, extract title/date/text (trafilatura) and any
schema.org ClaimReview (JSON-LD); poll RSS/Atom feeds (feedparser) with conditional GET."""

from __future__ import annotations

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
    status: int  # 200, 304, or the error status (0 = network error)
    entries: list[ParsedArticle] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None


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


_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def _blocked_ip(address: str) -> bool:
    import ipaddress

    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


async def check_public_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse (:class:`IngestError`) URLs that are not http(s) or that point at this machine or a private
    network (cloud metadata, admin panels): ``/sources add`` must not become a way to probe the host.
    Hostnames are resolved and every address checked (best effort: the fetch resolves again)."""
    import asyncio
    import socket
    from urllib.parse import urlsplit

    if not re.match(r"(?i)^https?://", url):
        raise IngestError("only http(s) URLs can be added")
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        raise IngestError("that URL has no host")
    if allow_private:
        return
    if host == "localhost" or host.endswith(_BLOCKED_SUFFIXES) or _blocked_ip(host):
        raise IngestError("that address points to a private network")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise IngestError("that host name could not be resolved") from exc
    if any(_blocked_ip(str(info[4][0])) for info in infos):
        raise IngestError("that address points to a private network")


async def fetch_page(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout_s: float = 10.0,
    max_bytes: int = 3_000_000,
    user_agent: str = USER_AGENT,
) -> tuple[str, str]:
    """GET a page; returns (decoded body, content type). Raises :class:`IngestError` on any failure."""
    if not re.match(r"(?i)^https?://", url):
        raise IngestError("only http(s) URLs can be added")
    try:
        async with session.get(
            url,
            headers={"User-Agent": user_agent, "Accept": "text/html,text/plain;q=0.9"},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            if resp.status != 200:
                raise IngestError(f"the page answered HTTP {resp.status}")
            ctype = resp.headers.get("Content-Type", "").lower()
            if ctype and not any(t in ctype for t in ("html", "text/plain", "xml")):
                raise IngestError(f"unsupported content type {ctype.split(';')[0]}")
            body = await resp.content.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise IngestError("the page is too large")
            return body.decode(resp.get_encoding() if resp.charset else "utf-8", errors="replace"), ctype
    except TimeoutError as exc:
        raise IngestError("the page took too long to answer") from exc
    except aiohttp.ClientError as exc:
        raise IngestError(f"could not fetch the page ({type(exc).__name__})") from exc


# --- feeds -----------------------------------------------------------------------------------------
def parse_feed(body: bytes, feed_url: str) -> list[ParsedArticle]:
    """Entries of an RSS/Atom document as articles (title, link, date, summary/content). Blocking."""
    import feedparser

    parsed = feedparser.parse(body)
    out = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        parts = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
        parts.append(entry.get("summary", ""))
        text = max((_strip_html(p) for p in parts), key=len, default="")
        date = None
        for key in ("published_parsed", "updated_parsed"):
            if entry.get(key):
                date = datetime(*entry[key][:6], tzinfo=UTC).date().isoformat()
                break
        out.append(
            ParsedArticle(
                title=_strip_html(entry.get("title", "")) or link, text=text, published=date, url=link
            )
        )
    return out


async def poll_feed(
    session: aiohttp.ClientSession,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout_s: float = 10.0,
    max_bytes: int = 5_000_000,
    user_agent: str = USER_AGENT,
) -> FeedPoll:
    """Conditional GET of a feed: 304 -> no entries and the old validators; errors -> status + log line."""
    headers = {
        "User-Agent": user_agent,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with session.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            if resp.status == 304:
                return FeedPoll(status=304, etag=etag, last_modified=last_modified)
            if resp.status != 200:
                log.warning("feed answered %s", resp.status, extra={"feed_url": url, "status": resp.status})
                return FeedPoll(status=resp.status, etag=etag, last_modified=last_modified)
            body = await resp.content.read(max_bytes + 1)
            new_etag = resp.headers.get("ETag", etag)
            new_lm = resp.headers.get("Last-Modified", last_modified)
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("feed unreachable: %s", type(exc).__name__, extra={"feed_url": url})
        return FeedPoll(status=0, etag=etag, last_modified=last_modified)
    import asyncio

    entries = await asyncio.to_thread(parse_feed, body[:max_bytes], url)
    return FeedPoll(status=200, entries=entries, etag=new_etag, last_modified=new_lm)
