"""Model 2.0's fine-tuned tier 2: its artifact format, the loader, the shared emoji spelling, and the
training pipeline end to end on a tiny set (train -> export -> load through the embedded backend)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from bot.scoring.base import LABELS
from bot.scoring.embedded import EmbeddedBackend
from bot.scoring.embedded.backend import ARTIFACT_DIR
from bot.scoring.embedded.textprep import describe_emoji

DATA = Path(__file__).resolve().parents[2] / "shared/data/train"


def test_shipped_artifact_is_fp16_safetensors_of_the_trained_layers_only() -> None:
    from safetensors import safe_open

    path = ARTIFACT_DIR / "encoder.safetensors"
    assert path.exists(), "model 2.0 ships encoder.safetensors"
    with safe_open(str(path), framework="numpy") as fh:
        keys = list(fh.keys())
        meta = fh.metadata()
        assert {fh.get_tensor(k).dtype for k in keys} == {np.dtype(np.float16)}
    assert "head.weight" in keys and "head.bias" in keys
    assert not any(k.startswith("embeddings.") for k in keys), "embeddings come from the wheel"
    frozen = int(json.loads(meta["warden"])["frozen_layers"])
    layers = {int(k.split(".")[2]) for k in keys if k.startswith("encoder.layer.")}
    assert layers == set(range(frozen, 6))
    total = sum(p.stat().st_size for p in ARTIFACT_DIR.iterdir() if p.is_file())
    assert total <= 50 * 1024 * 1024


def test_a_mismatched_override_is_refused() -> None:
    from bot.minilm import MiniLMEncoder

    with pytest.raises(ValueError, match="does not match"):
        MiniLMEncoder(use_torch=False, overrides={"encoder.layer.5.output.dense.bias": np.zeros(3)})
    with pytest.raises(ValueError, match="does not match"):
        MiniLMEncoder(use_torch=False, overrides={"no.such.weight": np.zeros(384)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love them 😍", "I love them smiling face with heart-shaped eyes"),
        ("I would love to 🔪 some 👳🏾", "I would love to hocho some man with turban"),
        ("no emoji at all.", "no emoji at all."),
        ("family 👨‍👩‍👧", "family man woman girl"),
    ],
)
def test_emoji_are_spelled_out_for_the_encoder(text: str, expected: str) -> None:
    assert describe_emoji(text) == expected


def test_emoji_spelling_is_linear_on_long_input() -> None:
    text = "😀" * 20000
    assert describe_emoji(text).count("grinning face") == 20000


def test_closing_punctuation_augmentation_only_touches_a_final_mark() -> None:
    from training.finetune import vary_ending

    cls, sep, dot, bang, word = 101, 102, 1012, 999, 7592
    rng = random.Random(0)
    seen = {tuple(vary_ending([cls, word, word, dot, sep], {dot, bang}, rng)) for _ in range(200)}
    assert seen == {(cls, word, word, dot, sep), (cls, word, word, sep), (cls, word, word, bang, sep)}
    assert vary_ending([cls, word, word, word, sep], {dot, bang}, rng) == [cls, word, word, word, sep]


def test_doubled_letter_augmentation_doubles_one_letter_of_a_word() -> None:
    from training.finetune import double_a_letter

    text = "If I ever meet you, 2 of us go."
    # every letter of "ever", "meet" and "you" written twice; "If", "of", "us", "go" and "2" never touched
    spans = [(5, 9), (10, 14), (15, 18)]
    expected = {text[: j + 1] + text[j:] for a, b in spans for j in range(a, b)}
    rng = random.Random(0)
    assert {double_a_letter(text, rng) for _ in range(300)} == expected
    assert double_a_letter("ok 42 !", rng) == "ok 42 !"
    assert double_a_letter(text, random.Random(5)) == double_a_letter(text, random.Random(5))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "gpu"], "use cpu, cuda or cuda:N"),
        (["--double-letter", "1.5"], "a share of rows, from 0 to 1"),
    ],
)
def test_bad_training_flags_stop_with_a_short_error(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from training import finetune

    with pytest.raises(SystemExit) as stopped:
        finetune.main([*argv, "--out", str(tmp_path / "ft")])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "ft").exists()  # nothing written before the flags are checked


def test_per_source_cap_keeps_small_sources_whole() -> None:
    from training.finetune import cap_per_source

    rows = [("a", [0.0] * 6, "big")] * 50 + [("b", [1.0] * 6, "small")] * 5
    capped = cap_per_source(rows, 10, random.Random(13))
    assert sum(r[2] == "big" for r in capped) == 10
    assert sum(r[2] == "small" for r in capped) == 5


def test_class_weights_mask_unknown_labels_and_upweight_rare_positives() -> None:
    from training.finetune import class_weights

    y = np.array([[1.0] + [-1.0] * 5] + [[0.0] + [-1.0] * 5] * 9, np.float32)
    w = class_weights(y, np.ones(10, np.float32))
    assert np.all(w[:, 1:] == 0)  # masked labels never enter the loss
    assert w[0, 0] == pytest.approx(3.0)  # sqrt(9 negatives / 1 positive)
    assert np.all(w[1:, 0] == 1.0)


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="needs ../shared/data/train beside this checkout")
def test_tiny_training_exports_an_artifact_the_backend_loads(tmp_path: Path) -> None:
    from training import export_v2, finetune

    out = tmp_path / "ft"
    assert finetune.main(["--tiny", "--out", str(out), "--eval-every", "10", "--ckpt-every", "5"]) == 0
    report = json.loads((out / "finetune_report.json").read_text(encoding="utf-8"))
    assert report["steps"] > 0 and report["best"]["step"] > 0
    art = tmp_path / "art"
    argv = ["--tiny", "--ckpt", str(out / "best.pt"), "--report", str(out / "finetune_report.json")]
    assert export_v2.main([*argv, "--out", str(art)]) == 0
    assert not list(art.glob("*.pt")) and not list(art.glob("*.pkl"))
    backend = EmbeddedBackend(art, cascade=False)
    assert backend.model_version.startswith("warden-embedded-2.0+")
    scores = backend.score(["you are an idiot", "see you at the match tomorrow", ""])
    assert all(0.0 <= s[label] <= 1.0 for s in scores for label in LABELS)
    assert scores[2][LABELS[0]] == 0.0
    # A rerun from the last checkpoint resumes instead of starting over, and ends at the same step.
    assert finetune.main(["--tiny", "--out", str(out), "--eval-every", "10", "--ckpt-every", "5"]) == 0
    again = json.loads((out / "finetune_report.json").read_text(encoding="utf-8"))
    assert again["steps"] == report["steps"]


def test_the_encoder_file_is_byte_identical_across_exports(tmp_path: Path) -> None:
    import torch

    from training.export_v2 import write_encoder

    g = torch.Generator().manual_seed(0)
    state = {f"encoder.layer.5.k{i}": torch.randn(4, 4, generator=g) for i in range(8)}
    state |= {"head.weight": torch.randn(6, 384, generator=g), "head.bias": torch.zeros(6)}
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    blobs = {write_encoder(state, d, 5).read_bytes() for d in (first, second, first)}
    assert len(blobs) == 1


def test_the_default_policy_uses_the_thresholds_derived_for_the_shipped_model() -> None:
    from bot.policy import load_default_policy

    meta = json.loads((ARTIFACT_DIR / "thresholds.json").read_text(encoding="utf-8"))
    policy = load_default_policy()
    assert {label: policy.thresholds[label] for label in LABELS} == meta["policy_thresholds"]


def test_closing_marks_never_decide_a_score() -> None:
    backend = EmbeddedBackend()
    plain, stop, bang = backend.score(["you are a clown", "you are a clown.", "you are a clown!!"])
    assert plain == stop == bang


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Idiot!!", "Idiot"), ("Really?", "Really?"), ("...", "..."), ("a. b. ", "a. b"), ("x", "x")],
)
def test_only_closing_full_stops_and_exclamation_marks_are_dropped(text: str, expected: str) -> None:
    from bot.scoring.embedded.textprep import strip_closing_marks

    assert strip_closing_marks(text) == expected
