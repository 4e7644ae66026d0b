"""The FTS5 query builder: tokens only, never raw text in MATCH; hostile input cannot break a search."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from bot.sources.fts import build_match_query, tokens
from bot.sources.store import SourceLibrary
from bot.storage.database import Database

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

HOSTILE = [
    '"unbalanced quote',
    'he said "F16" AND "F35"',
    "Putin AND Assad OR NOT Erdogan",
    "NEAR(putin assad, 2)",
    "putin*",
    "-israel +syria",
    "title:putin",
    "{title text}: putin",
    "^putin",
    "(((",
    "')); DROP TABLE sources; --",
    "Ελλάδα Россия 東京 مرحبا",
    "emoji 🚀🔥 rockets",
    "a\x00b",
    "",
    "   ",
    "*",
    "AND",
    "NEAR",
]


def test_letters_split_from_digits_and_stop_words_dropped() -> None:
    assert tokens("Israel has lost 2 F16s and 1 F35") == ["israel", "lost", "2", "f", "16", "1", "35"]
    assert tokens("the S-300 and S300") == ["s", "300"]
    assert tokens("Café déjà vu") == ["cafe", "deja", "vu"]


def test_query_quotes_every_token_and_ors_them() -> None:
    assert (
        build_match_query("Putin visited Damascus in 2020") == '"putin" OR "visited" OR "damascus" OR "2020"'
    )
    assert build_match_query("the and of") is None
    assert build_match_query("") is None


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_contain_operators(text: str) -> None:
    query = build_match_query(text)
    if query is None:
        return
    for term in query.split(" OR "):
        assert term.startswith('"') and term.endswith('"')
        inner = term[1:-1]
        assert inner and '"' not in inner
        assert all(ch.isalnum() for ch in inner), inner


@pytest.fixture
def library(database: Database) -> Iterator[SourceLibrary]:
    lib = SourceLibrary(database.db)
    lib.add_source(
        url="https://a.example/1",
        title="Putin and Assad meet in Damascus",
        text="Vladimir Putin met Bashar al-Assad. NEAR the airport, AND more.",
    )
    lib.add_source(url="https://b.example/2", title="Ελλάδα news", text="Россия 東京 text about Greece")
    yield lib


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_run_against_real_fts5(library: SourceLibrary, text: str) -> None:
    try:
        library.search(text, guild_id=0)
    except sqlite3.OperationalError as exc:  # pragma: no cover - the failure we guard against
        pytest.fail(f"FTS5 syntax error for {text!r}: {exc}")


def test_operator_words_are_searched_as_words(library: SourceLibrary) -> None:
    hits = library.search("Putin AND Assad NEAR(", guild_id=0)
    assert [h.url for h in hits] == ["https://a.example/1"]
    assert library.search("Россия", guild_id=0)[0].url == "https://b.example/2"
    assert library.search("putin*", guild_id=0)[0].url == "https://a.example/1"
