"""Length-bucketed batches for the encoder: few padding tokens, few calls.

Texts are sorted by token count and cut into consecutive groups whose padded size (rows x the longest
row) stays within a token budget, so short chat lines travel in large batches and long news comments
in small ones, and no row is padded far beyond its own length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def length_buckets(
    lengths: Sequence[int], token_budget: int = 2048, max_batch: int = 64, max_pad_ratio: float = 1.5
) -> list[np.ndarray]:
    """Indices into ``lengths``, grouped: each group is length-sorted, at most ``max_batch`` rows, at most
    ``token_budget`` padded tokens (a single longer row still gets its own group), and its longest row at
    most ``max_pad_ratio`` times its shortest (plus 8 tokens, so very short texts are not split apart)."""
    order = np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")
    groups: list[np.ndarray] = []
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order):
            groups.append(order[start:end])
            break
        width = lengths[order[end]]  # the next row is the longest so far (sorted)
        rows = end - start + 1
        if (
            rows > max_batch
            or rows * width > token_budget
            or width > max_pad_ratio * lengths[order[start]] + 8
        ):
            groups.append(order[start:end])
            start = end
    return groups


def pad(seqs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, mask)``, both int64 ``(n, longest)``, padded with 0 on the right."""
    width = max(len(seq) for seq in seqs)
    ids = np.zeros((len(seqs), width), dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask
