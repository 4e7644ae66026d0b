"""Stateless lexical features: hashed word 1-2-grams and char 2-5-grams, sublinear TF x IDF, L2-normalised.

Hashing keeps the artifact free of a pickled vocabulary: only the IDF vector (numpy) is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

WORD_FEATURES = 2**16
CHAR_FEATURES = 2**18
N_FEATURES = WORD_FEATURES + CHAR_FEATURES


def _hashers():
    from sklearn.feature_extraction.text import HashingVectorizer

    word = HashingVectorizer(
        n_features=WORD_FEATURES,
        ngram_range=(1, 2),
        alternate_sign=False,
        norm=None,
        lowercase=True,
        token_pattern=r"(?u)\b\w+\b|[^\w\s]",
    )
    char = HashingVectorizer(
        n_features=CHAR_FEATURES,
        analyzer="char_wb",
        ngram_range=(2, 5),
        alternate_sign=False,
        norm=None,
        lowercase=True,
    )
    return word, char


class LexicalFeatures:
    def __init__(self, idf: np.ndarray | None = None):
        self.word, self.char = _hashers()
        self.idf = idf

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        m = sp.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")
        m.data = np.log1p(m.data).astype(np.float32)
        return m.astype(np.float32)

    def fit_idf(self, texts: Sequence[str]) -> np.ndarray:
        m = self.counts(texts)
        df = np.bincount(m.indices, minlength=N_FEATURES)
        n = m.shape[0]
        self.idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        return self.idf

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if self.idf is None:
            raise RuntimeError("idf not fitted")
        m = self.counts(texts)
        m.data *= self.idf[m.indices]
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms).dot(m), dtype=np.float32)
