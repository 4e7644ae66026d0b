"""The lexical tier's char n-grams, hashed word by word, are exactly sklearn's char_wb counts; the
vectorised TF-IDF rows equal the straightforward computation."""

from __future__ import annotations

import random

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from bot.scoring.embedded.lexical import CharNgrams, LexicalFeatures

TEXTS = [
    "You are an idiot and everyone in this thread knows it.",
    "The ministry DENIED the report; the convoy left at 06:00.",
    "a",
    "ab",
    "",
    "   ",
    "x\t\ty  z\n\nw\x1c\x1cv",
    "ΟΔΟΣ Σ ΣΑΣ",  # final sigma depends on the word's end
    "İstanbul ǅemal ﬁnance",  # lower() changes length
    "é" * 40,
    "emoji 😍😍 and cjk 中文字",
    "idiot idiot idiot idiot",
]


def _random_texts(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcdeéßİΣ1 .,!?\t\n😀-'"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(n)]


def test_char_ngrams_equal_sklearns_char_wb_counts() -> None:
    texts = TEXTS + _random_texts(500)
    reference = sp.csr_matrix(LexicalFeatures().char.transform(texts))
    ours = CharNgrams().transform(texts)
    assert ours.shape == reference.shape
    assert (ours != reference).nnz == 0


def test_remembered_words_give_the_same_counts_and_the_memory_is_bounded() -> None:
    ngrams = CharNgrams(max_words=50)
    first = ngrams.transform(TEXTS)
    again = ngrams.transform(TEXTS)  # every word from memory this time
    assert (first != again).nnz == 0
    ngrams.transform(_random_texts(200))
    assert len(ngrams._rows) <= 50 + 200 * 60  # cleared when full, then refilled by one batch at most
    assert (ngrams.transform(TEXTS) != first).nnz == 0


def test_tfidf_rows_equal_the_plain_computation() -> None:
    rng = np.random.default_rng(0)
    lex = LexicalFeatures()
    lex.idf = rng.uniform(1.0, 9.0, lex.word.n_features + lex.char.n_features).astype(np.float32)
    texts = TEXTS + _random_texts(100)
    counts = sp.hstack([lex.word.transform(texts), lex.char.transform(texts)], format="csr")
    counts.data = np.log1p(counts.data)
    expected = normalize(sp.csr_matrix(counts.multiply(lex.idf.astype(np.float64))), norm="l2")
    got = lex.transform(texts)
    assert got.dtype == np.float32
    assert abs(got - expected).max() < 1e-6
    assert got[[TEXTS.index(""), TEXTS.index("   ")]].nnz == 0
