"""Embedding cache for training: MiniLM vectors keyed by text SHA-1 (training/cache/, gitignored)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from bot.minilm import MiniLMEncoder

CACHE = Path(__file__).resolve().parent / "cache" / "embeddings.npz"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed(texts: list[str], encoder: MiniLMEncoder | None = None, chunk: int = 2048, log=print) -> np.ndarray:
    cache: dict[str, np.ndarray] = {}
    if CACHE.exists():
        with np.load(CACHE) as z:
            cache = dict(zip(z["keys"].tolist(), z["emb"], strict=True))
    keys = [_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache}.items())
    if missing:
        encoder = encoder or MiniLMEncoder(bf16=False)  # training stays float32 on every CPU
        t0 = time.time()
        for start in range(0, len(missing), chunk):
            part = missing[start : start + chunk]
            vecs = encoder.encode([t for _, t in part])
            for (k, _), v in zip(part, vecs, strict=True):
                cache[k] = v
            log(f"embedded {start + len(part)}/{len(missing)} in {time.time() - t0:.0f}s")
            # save after every chunk: a long run can be stopped and resumed
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            ks = list(cache)
            tmp = CACHE.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(ks), emb=np.stack([cache[k] for k in ks]))
            tmp.replace(CACHE)  # atomic: a reader never sees a half-written cache
    return np.stack([cache[k] for k in keys]).astype(np.float32)
