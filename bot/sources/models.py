"""Value types of the context feature: a :class:`Source` found for a claim and the reply built from them,
and the library's typed rows (:class:`LibrarySource`, :class:`Feed`, :class:`AddedSource`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple
from urllib.parse import urlsplit


class SourceKind(StrEnum):
    """What a source is; shown to members so they can weigh it themselves."""

    ARTICLE = "article"  # the article a channel is discussing / an article the server trusts
    FACT_CHECK = "fact-check"
    REFERENCE = "reference"
    NEWS = "news"


def domain_of(url: str) -> str:
    """``https://www.Example.org/a`` -> ``example.org``."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


@dataclass(frozen=True, slots=True)
class Source:
    """One item that may be relevant to a claim. ``score`` is a match score on one scale, 0..1."""

    title: str
    url: str
    kind: SourceKind = SourceKind.ARTICLE
    domain: str = ""
    date: str | None = None  # ISO date (YYYY-MM-DD) when known
    snippet: str = ""
    rating: str | None = None  # the publisher's own rating text (ClaimReview alternateName), verbatim
    rating_author: str | None = None  # who gave that rating
    claim_reviewed: str | None = None
    score: float = 0.0
    provider: str = ""
    source_id: int | None = None  # row id in the local library
    pinned: bool = False  # the channel's article: always listed first when it matches at all
    # Text the semantic ranker compares with the claim (not shown); empty -> title + snippet.
    match_text: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.domain:
            object.__setattr__(self, "domain", domain_of(self.url))
        object.__setattr__(self, "kind", SourceKind(self.kind))
        object.__setattr__(self, "score", min(1.0, max(0.0, float(self.score))))

    def with_score(self, score: float) -> Source:
        return replace(self, score=score)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("match_text", None)
        data["kind"] = str(self.kind)
        return data


@dataclass(frozen=True, slots=True)
class ContextResult:
    """What Warden found for one request: the sentence searched and the ranked items (maybe none)."""

    claim: str  # the sentence(s) actually searched
    sources: tuple[Source, ...] = ()
    original: str = ""  # the text the member asked about
    providers_failed: tuple[
        str, ...
    ] = ()  # providers that errored/timed out (logged, never shown as failure)

    @property
    def empty(self) -> bool:
        return not self.sources


NO_RESULTS_TEXT = "No related items found in this server's sources"


class Row:
    """Base of the library's typed rows: also readable by column name (``row["url"]``), as the rows
    were before they were typed, and :meth:`to_dict` for JSON (columns in table order)."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]  # set by @dataclass on each row

    def __getitem__(self, column: str) -> object:
        if column not in self.__dataclass_fields__:
            raise KeyError(column)
        return getattr(self, column)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class LibrarySource(Row):
    """One article of the library as ``/sources list`` and ``warden sources list`` show it (no text)."""

    id: int
    guild_id: int  # 0: every server sees it
    url: str
    domain: str
    title: str
    kind: str
    published: str | None
    rating: str | None
    rating_author: str | None
    feed_id: int | None
    added_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> LibrarySource:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class Feed(Row):
    """One followed RSS/Atom feed: its conditional-GET validators and when it was last polled."""

    id: int
    guild_id: int
    url: str
    etag: str | None
    last_modified: str | None
    last_polled: str | None  # ISO time; None: never
    interval: int  # seconds between polls
    added_by: int | None
    added_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Feed:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True, slots=True)
class AddedSource:
    """An article just added (or found already stored: ``changed`` False)."""

    id: int
    title: str
    url: str
    kind: str
    published: str | None
    rating: str | None = None
    changed: bool = True  # False: the same text was already stored (nothing written)


class FeedAdded(NamedTuple):
    """A feed followed: its id and the entries its first poll stored."""

    feed_id: int
    stored: int
