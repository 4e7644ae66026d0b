"""Merging and filtering: BM25 / provider order plus a semantic score, fused by reciprocal rank fusion.

* Every provider's own ranking (BM25 for the local library) is one list; the semantic ranking
  (cosine of all-MiniLM-L6-v2 embeddings, the claim against each candidate's best chunk) is another.
  RRF: ``score(d) = sum over lists of 1 / (k + rank_list(d))``, k = 60. RRF decides the order.
* The shown match score (0..1, one scale for every provider) is ``0.6 * cosine + 0.4 * coverage``
  (coverage = share of the claim's content words found in the item), or coverage alone without the
  encoder. Items under ``min_score`` are dropped (weak matches).
* The channel's article is pinned first when it shares words with the claim (BM25 finds it) or
  passes the lower ``min_article_score``.
* At most ``max_per_domain`` items per domain and ``max_items`` in all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from bot.sources.models import Source

SEMANTIC_WEIGHT = 0.6
UNCAPPED_DOMAINS = frozenset({"local"})  # files added by an admin from disk: no publisher to cap
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def chunk_texts(
    title: str, text: str, claim_reviewed: str | None = None, *, words: int = 60, max_chunks: int = 24
) -> list[str]:
    """Deterministic passages of a document for embedding: the title (+ reviewed claim), then
    sentence-aligned windows of about ``words`` words."""
    head = title.strip()
    if claim_reviewed:
        head = f"{head}. {claim_reviewed.strip()}"
    chunks = [head] if head else []
    current: list[str] = []
    count = 0
    for sentence in _SENTENCE.split(re.sub(r"\s+", " ", text).strip()):
        if not sentence:
            continue
        n = len(sentence.split())
        if current and count + n > words:
            chunks.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += n
        if len(chunks) >= max_chunks:
            break
    if current and len(chunks) < max_chunks:
        chunks.append(" ".join(current))
    return chunks or [text[:500] or "untitled"]


def url_key(url: str) -> str:
    """Dedup key: scheme-less, no www, no trailing slash, no fragment."""
    url = re.sub(r"^https?://(www\.)?", "", url.strip().lower()).split("#", 1)[0]
    return url.rstrip("/")


def rrf(rankings: Iterable[Sequence[Hashable]], k: int = 60) -> dict[Hashable, float]:
    fused: dict[Hashable, float] = defaultdict(float)
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] += 1.0 / (k + rank)
    return dict(fused)


def display_score(coverage: float, cosine: float | None) -> float:
    if cosine is None:
        return coverage
    return SEMANTIC_WEIGHT * max(0.0, cosine) + (1 - SEMANTIC_WEIGHT) * coverage


@dataclass(frozen=True, slots=True)
class RankConfig:
    max_items: int = 6
    max_per_domain: int = 2
    min_score: float = 0.4
    min_article_score: float = 0.2
    rrf_k: int = 60


def fuse(
    provider_lists: Sequence[Sequence[Source]],
    cosines: dict[str, float] | None,
    config: RankConfig,
    pinned: Sequence[Source] = (),
    extra: Sequence[Source] = (),
    pinned_matched: frozenset[str] = frozenset(),
) -> list[Source]:
    """Rank, score, filter and cap. ``cosines`` maps ``url_key`` -> cosine (None: BM25/provider order only);
    ``extra`` are candidates that only the semantic list ranks. ``pinned`` (the channel's article) come
    first: always when their ``url_key`` is in ``pinned_matched`` (they share words with the claim),
    otherwise when they score at least ``min_article_score``."""
    by_key: dict[str, Source] = {}
    rankings: list[list[str]] = []
    for items in provider_lists:
        ranking = []
        for item in items:
            key = url_key(item.url)
            if key not in by_key or (item.rating and not by_key[key].rating):
                by_key[key] = item
            if key not in ranking:
                ranking.append(key)
        rankings.append(ranking)
    for item in extra:  # candidates found only by the semantic ranking
        by_key.setdefault(url_key(item.url), item)
    if cosines is not None:
        rankings.append(sorted((k for k in by_key if k in cosines), key=lambda k: -cosines[k]))
    fused = rrf(rankings, k=config.rrf_k)

    def scored(item: Source) -> Source:
        key = url_key(item.url)
        cos = cosines.get(key) if cosines is not None else None
        return item.with_score(display_score(item.score, cos if cosines is not None else None))

    out: list[Source] = []
    per_domain: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    for item in pinned:  # the channel's article(s): first, on the lower bar
        key = url_key(item.url)
        item = scored(item)
        if key in seen or (key not in pinned_matched and item.score < config.min_article_score):
            continue
        seen.add(key)
        per_domain[item.domain] += 1
        out.append(item)
    order = sorted(by_key, key=lambda k: -fused.get(k, 0.0))
    for key in order:
        if len(out) >= config.max_items:
            break
        if key in seen:
            continue
        item = scored(by_key[key])
        capped = item.domain not in UNCAPPED_DOMAINS and per_domain[item.domain] >= config.max_per_domain
        if item.score < config.min_score or capped:
            continue
        seen.add(key)
        per_domain[item.domain] += 1
        out.append(item)
    return out[: config.max_items]
