"""Stateless lexical features: hashed word 1-2-grams and char 2-5-grams, sublinear TF x IDF, L2-normalised.

Hashing keeps the artifact free of a pickled vocabulary: only the IDF vector (numpy) is stored.

The char n-grams are sklearn's ``char_wb`` analyzer, which works word by word; :class:`CharNgrams`
hashes each distinct word once (and remembers it), then builds a batch's counts as one sparse product
(texts x words) @ (words x n-grams), the same matrix sklearn computes n-gram by n-gram in Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

WORD_FEATURES = 2**16
CHAR_FEATURES = 2**18
N_FEATURES = WORD_FEATURES + CHAR_FEATURES
CHAR_NGRAMS = (2, 5)


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
        ngram_range=CHAR_NGRAMS,
        alternate_sign=False,
        norm=None,
        lowercase=True,
    )
    return word, char


# sklearn's char_wb: runs of two or more blanks become one space before the split into words.
_WHITE_SPACES = re.compile(r"\s\s+")


def _word_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The char_wb n-grams of one word, as sklearn's ``_char_wb_ngrams`` lists them."""
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if size <= n:  # a short word counts once, whole
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


class CharNgrams:
    """Hashed char_wb n-gram counts, equal to sklearn's ``HashingVectorizer(analyzer="char_wb")``.

    Each distinct word is analysed and hashed once; ``max_words`` bounds what is remembered (the memory
    is dropped whole when full: a chat's vocabulary refills it within a few batches).
    """

    def __init__(self, n_features: int = CHAR_FEATURES, max_words: int = 50_000):
        from sklearn.feature_extraction import FeatureHasher

        self._hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
        self.n_features = n_features
        self.max_words = max_words
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Counts ``(len(texts), n_features)``, float64, indices sorted (as sklearn returns them)."""
        vocab: dict[str, int] = {}
        columns: list[int] = []
        lengths = np.zeros(len(texts) + 1, dtype=np.int64)
        for row, text in enumerate(texts):
            words = _WHITE_SPACES.sub(" ", text.lower()).split()
            columns.extend(vocab.setdefault(word, len(vocab)) for word in words)
            lengths[row + 1] = len(words)
        per_text = sp.csr_matrix(
            (np.ones(len(columns)), np.asarray(columns, dtype=np.int64), np.cumsum(lengths)),
            shape=(len(texts), len(vocab)),
        )
        counts = per_text @ self._word_matrix(list(vocab))
        counts.sort_indices()
        return counts

    def _word_matrix(self, words: list[str]) -> sp.csr_matrix:
        """(words x n_features) n-gram counts, from memory where the word was seen before."""
        missing = [word for word in words if word not in self._rows]
        if missing:
            if len(self._rows) + len(missing) > self.max_words:
                self._rows.clear()
                missing = words
            hashed = self._hasher.transform(_word_ngrams(w, *CHAR_NGRAMS) for w in missing)
            hashed = sp.csr_matrix(hashed)
            for i, word in enumerate(missing):
                start, end = hashed.indptr[i], hashed.indptr[i + 1]
                self._rows[word] = (hashed.indices[start:end].copy(), hashed.data[start:end].copy())
        rows = [self._rows[word] for word in words]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(indices) for indices, _ in rows])
        if not rows:
            return sp.csr_matrix((0, self.n_features))
        return sp.csr_matrix(
            (np.concatenate([d for _, d in rows]), np.concatenate([i for i, _ in rows]), indptr),
            shape=(len(rows), self.n_features),
        )


class LexicalFeatures:
    def __init__(self, idf: np.ndarray | None = None):
        self.word, self.char = _hashers()
        self._char_ngrams = CharNgrams()
        self.idf = idf

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        m = sp.hstack([self.word.transform(texts), self._char_ngrams.transform(texts)], format="csr")
        m.data = np.log1p(m.data).astype(np.float32)
        return m.astype(np.float32, copy=False)

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
        # L2 per row, in place: each stored value divided by its row's norm (empty rows stay empty)
        rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
        norms = np.sqrt(np.bincount(rows, weights=m.data.astype(np.float64) ** 2, minlength=m.shape[0]))
        norms[norms == 0] = 1.0
        m.data /= norms[rows].astype(np.float32)
        return m
