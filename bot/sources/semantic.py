"""The library's passage embeddings: embedding an article when it is stored, filling in the ones
missing, and the stacked matrix a search compares a claim with.

Shared by the library (which embeds what it stores and says when it changed) and the search (which
reads the index and encodes the claim). Inference runs off the event loop (``Encoder.aencode``), the
matrix product in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import numpy as np

from bot.sources.database_api import DatabaseLike, library_call, on_library
from bot.sources.embedding import DIM, Encoder, from_blob, to_blob
from bot.sources.ranking import chunk_texts
from bot.sources.store import SourceLibrary

log = logging.getLogger(__name__)

BACKFILL_EVERY_S = 60.0
"""At most one backfill a minute, so a row that cannot be embedded does not slow every search."""

_SIGNATURE_SQL = (
    "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0), "
    "coalesce(sum(length(embedding)), 0) FROM sources "
    "WHERE embedding IS NOT NULL AND guild_id IN (0, ?)"
)


@dataclass(frozen=True, slots=True)
class LibraryIndex:
    """All chunk embeddings of a library in one float32 matrix; ``starts[i]`` is the first row of
    source ``ids[i]``."""

    ids: np.ndarray
    starts: np.ndarray
    matrix: np.ndarray

    @classmethod
    def build(cls, rows: list[tuple[int, bytes]]) -> LibraryIndex:
        ids, starts, blocks, row = [], [], [], 0
        for sid, blob in rows:
            m = from_blob(blob)
            if m is None or not len(m):
                continue
            ids.append(sid)
            starts.append(row)
            blocks.append(m)
            row += len(m)
        matrix = np.vstack(blocks) if blocks else np.zeros((0, DIM), dtype=np.float32)
        return cls(np.asarray(ids, dtype=np.int64), np.asarray(starts, dtype=np.int64), matrix)

    def best_cosines(self, query: np.ndarray) -> dict[int, float]:
        """Source id -> cosine of its best chunk with ``query``."""
        if not len(self.ids):
            return {}
        sims = self.matrix @ query
        best = np.maximum.reduceat(sims, self.starts)
        return {int(sid): float(v) for sid, v in zip(self.ids, best, strict=True)}


EMPTY_INDEX = LibraryIndex.build([])


class LibraryEmbeddings:
    """The encoder (None: BM25 only) and the per-guild index cache over the library's embeddings."""

    def __init__(self, database: DatabaseLike, encoder: Encoder | None) -> None:
        self.database = database
        self.encoder = encoder
        self._cache: dict[int, tuple[tuple[int, ...], LibraryIndex]] = {}
        self._version = 0  # bumped on every add/remove made in this process
        self._last_backfill = -1e9

    @property
    def available(self) -> bool:
        """Whether the semantic ranking can run (an encoder whose model is there)."""
        return self.encoder is not None and self.encoder.available

    def changed(self) -> None:
        """The library changed here: the next :meth:`index` is rebuilt."""
        self._version += 1

    def clear(self) -> None:
        """Drop the cached indexes."""
        self._cache.clear()

    async def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (only when :attr:`available`)."""
        assert self.encoder is not None
        return await self.encoder.aencode(texts)

    async def embed_document(self, title: str, text: str, claim_reviewed: str | None) -> bytes | None:
        """An article's passage embeddings as a blob, or None (no encoder, or it failed: logged)."""
        if not self.available:
            return None
        try:
            return to_blob(await self.encode(chunk_texts(title, text, claim_reviewed)))
        except Exception:
            log.exception("could not embed a source; it stays searchable by BM25")
            return None

    async def backfill(self, guild_id: int | None = None, limit: int = 1000) -> int:
        """Embed library rows that have no embedding yet (e.g. added while the model was unavailable),
        at most once every :data:`BACKFILL_EVERY_S`. Returns the rows tried."""
        if not self.available or time.monotonic() - self._last_backfill < BACKFILL_EVERY_S:
            return 0
        self._last_backfill = time.monotonic()
        rows = await on_library(self.database, lambda lib: lib.missing_embeddings(guild_id, limit=limit))
        for row in rows:
            blob = await self.embed_document(row["title"], row["text"], row["claim_reviewed"])
            if blob is not None:
                await library_call(self.database, SourceLibrary.set_embedding, row["id"], blob)
        return len(rows)

    async def index(self, guild_id: int) -> LibraryIndex:
        """Chunk embeddings of the library visible to ``guild_id``, stacked into one matrix and cached
        until the library changes (here, or in another process such as the CLI)."""
        db = self.database
        row = await db.run(lambda: tuple(db.db.execute(_SIGNATURE_SQL, [guild_id]).fetchone()))
        signature = (self._version, *row)
        cached = self._cache.get(guild_id)
        if cached and cached[0] == signature:
            return cached[1]
        rows = await on_library(db, lambda lib: lib.embeddings(guild_id))
        index = await asyncio.to_thread(LibraryIndex.build, rows)
        self._cache[guild_id] = (signature, index)
        return index
