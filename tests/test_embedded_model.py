"""The committed embedded model: loads offline, scores on the right side of its thresholds, resists
obfuscation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.scoring.base import LABELS, ScorerBackend, Scores
from bot.scoring.embedded import EmbeddedBackend
from bot.scoring.embedded.backend import ARTIFACT_DIR

CLEAN = [
    "Thanks for sharing, I really enjoyed this article.",
    "I disagree with the council's decision on the new bus routes.",
    "I am a proud gay Muslim woman.",
    "My neighbours are Jewish and they are lovely people.",
]
TOXIC = [
    "You are a worthless idiot, shut up.",
    "Go back to your country, you filthy animal.",
    "I will find you and kill you.",
]


@pytest.fixture(scope="module")
def backend() -> EmbeddedBackend:
    return EmbeddedBackend()


def test_artifact_files_are_safe_formats_and_small() -> None:
    files = [p for p in ARTIFACT_DIR.iterdir() if p.is_file()]
    # .onnx: tier 2's graph (protobuf, no code, no pickle), its weight matrices left out (onnx_graph.py)
    assert {p.suffix for p in files} <= {".npz", ".json", ".md", ".txt", ".safetensors", ".onnx"}
    assert all(p.stat().st_size < 1024 * 1024 for p in files if p.suffix == ".onnx")
    assert sum(p.stat().st_size for p in files) < 50 * 1024 * 1024
    meta = json.loads((ARTIFACT_DIR / "thresholds.json").read_text(encoding="utf-8"))
    assert set(meta["thresholds"]) == set(LABELS)


def test_contract(backend: EmbeddedBackend) -> None:
    assert backend.name == "embedded"
    assert isinstance(backend, ScorerBackend)
    assert re.fullmatch(r"warden-embedded-\d+\.\d+\+[0-9a-f]{10}", backend.model_version)
    thresholds = backend.recommended_thresholds()
    assert set(thresholds) == set(LABELS)
    assert all(0.0 < t < 1.0 for t in thresholds.values())
    assert backend.score([]) == []


def test_clean_and_toxic_fall_on_the_right_side(backend: EmbeddedBackend) -> None:
    thr = backend.recommended_thresholds()["toxicity"]
    scores = backend.score(CLEAN + TOXIC)
    assert all(isinstance(s, Scores) for s in scores)
    for text, s in zip(CLEAN, scores[: len(CLEAN)], strict=True):
        assert s.toxicity < thr, (text, s)
    for text, s in zip(TOXIC, scores[len(CLEAN) :], strict=True):
        assert s.toxicity >= thr, (text, s)


def test_threat_label(backend: EmbeddedBackend) -> None:
    (s,) = backend.score(["I will find you and kill you."])
    assert s.threat >= backend.recommended_thresholds()["threat"]


def test_batch_order_and_empty_text(backend: EmbeddedBackend) -> None:
    texts = ["", TOXIC[0], CLEAN[0]]
    batch = backend.score(texts)
    assert batch[0] == Scores.zeros()
    one_by_one = [backend.score([t])[0] for t in texts]
    for a, b in zip(batch, one_by_one, strict=True):
        for label in LABELS:
            assert a[label] == pytest.approx(b[label], abs=1e-4)


def test_cascade_and_tier2_agree_on_decisions(backend: EmbeddedBackend) -> None:
    full = EmbeddedBackend(cascade=False)
    thr = backend.recommended_thresholds()["toxicity"]
    for text in CLEAN + TOXIC:
        assert (backend.score([text])[0].toxicity >= thr) == (full.score([text])[0].toxicity >= thr), text


OBFUSCATED = [
    ("you are an idiot", "you are an 1d10t"),
    ("you are an idiot", "you are an i d i o t"),
    ("you are an idiot", "you are an id\u200biot"),
    ("you are an idiot", "y\u043eu \u0430re \u0430n idi\u043et"),  # Cyrillic homoglyphs
    ("shut up you moron", "shut up you m0r0n"),
    ("shut up you moron", "shut up you m.o.r.o.n"),
    ("you are an idiot", "you are an idot"),  # a dropped letter
    ("what a stupid take", "what a sutpid take"),  # two letters swapped
    ("I hate muslims", "I hate mslims"),
    ("you are an idiot", "you are an i d  i o t"),  # a stray double space inside the word
]


@pytest.mark.parametrize(("plain", "obfuscated"), OBFUSCATED)
def test_obfuscated_variants_score_close_to_plain(
    backend: EmbeddedBackend, plain: str, obfuscated: str
) -> None:
    prep = pytest.importorskip("bot.pipeline").normalize
    thr = backend.recommended_thresholds()["toxicity"]
    a, b = backend.score([prep(plain), prep(obfuscated)])
    assert b.toxicity >= thr
    assert abs(a.toxicity - b.toxicity) < 0.2, (prep(obfuscated), a, b)


def test_import_is_light() -> None:
    code = (
        "import sys, bot.scoring.embedded as m; "
        "print(int('torch' in sys.modules), int('sklearn' in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.split() == ["0", "0"]
