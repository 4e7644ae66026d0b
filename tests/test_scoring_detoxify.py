"""DetoxifyBackend through detoxify's own loader, on a tiny random-weight BERT checkpoint (offline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from bot.scoring import LABELS, ScorerBackend, Scores, ScoringError, build_backend  # noqa: E402
from bot.scoring.detoxify_backend import DetoxifyBackend  # noqa: E402

pytestmark = pytest.mark.slow

WORDS = [
    "you",
    "are",
    "an",
    "idiot",
    "stupid",
    "the",
    "news",
    "from",
    "syria",
    "putin",
    "is",
    "a",
    "great",
    "day",
    "hello",
    "world",
    "visit",
]
CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


@pytest.fixture(scope="module")
def offline() -> Iterator[pytest.MonkeyPatch]:
    patch = pytest.MonkeyPatch()
    patch.setenv("HF_HUB_OFFLINE", "1")
    patch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield patch
    patch.undo()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, offline: pytest.MonkeyPatch) -> dict:
    """A tiny BERT: config + tokenizer folder, the model object and a detoxify-format checkpoint."""
    root = tmp_path_factory.mktemp("tiny-detoxify")
    folder = root / "hf"
    folder.mkdir()
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *letters, *(f"##{c}" for c in letters)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(folder / "vocab.txt"))
    tokenizer.save_pretrained(folder)
    torch.manual_seed(1234)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
        num_labels=6,
        initializer_range=0.5,  # large random weights: distinct inputs give clearly distinct scores
    )
    model = transformers.BertForSequenceClassification(config).eval()
    config.save_pretrained(folder)
    checkpoint = root / "tiny.ckpt"
    torch.save(
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": str(folder),
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": 6,
                    }
                },
                "dataset": {"args": {"classes": CLASSES}},
            },
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    return {"folder": folder, "checkpoint": checkpoint, "model": model, "tokenizer": tokenizer, "root": root}


@pytest.fixture(scope="module")
def backend(tiny: dict) -> DetoxifyBackend:
    return DetoxifyBackend(
        checkpoint=tiny["checkpoint"], huggingface_config_path=tiny["folder"], batch_size=3
    )


def _direct(tiny: dict, texts: list[str]) -> list[list[float]]:
    rows = []
    for text in texts:  # one at a time: no padding involved in the reference
        encoded = tiny["tokenizer"](text, return_tensors="pt", truncation=True)
        with torch.no_grad():
            logits = tiny["model"](**encoded).logits
        rows.append(torch.sigmoid(logits)[0].tolist())
    return rows


def test_backend_meets_the_contract(backend: DetoxifyBackend, tiny: dict) -> None:
    assert isinstance(backend, ScorerBackend)
    assert backend.name == "detoxify"
    assert backend.model_version.startswith("detoxify-ckpt-")
    assert len(backend.model_version) == len("detoxify-ckpt-") + 12


def test_scores_shape_labels_and_range(backend: DetoxifyBackend) -> None:
    texts = ["you are an idiot", "hello world", "the news from syria", "great day", "putin visit"]
    scores = backend.score(texts)
    assert len(scores) == len(texts)  # five texts with batch_size 3: two internal batches
    for item in scores:
        assert isinstance(item, Scores)
        assert tuple(item.as_dict()) == LABELS
        assert all(0.0 <= value <= 1.0 for value in item.as_dict().values())


def test_single_text_is_not_squeezed_away(backend: DetoxifyBackend) -> None:
    [only] = backend.score(["you are an idiot"])
    assert isinstance(only, Scores)


def test_empty_batch(backend: DetoxifyBackend) -> None:
    assert backend.score([]) == []


def test_deterministic_and_input_dependent(backend: DetoxifyBackend) -> None:
    first = backend.score(["you are an idiot", "hello world"])
    second = backend.score(["you are an idiot", "hello world"])
    assert first == second
    assert first[0] != first[1]


def test_scores_equal_a_direct_forward_pass(backend: DetoxifyBackend, tiny: dict) -> None:
    texts = ["you are an idiot", "hello world", "the news from syria is a great day"]
    expected = _direct(tiny, texts)
    got = backend.score(texts)  # batched and padded by detoxify: equal up to float noise
    for scores, row in zip(got, expected, strict=True):
        assert [scores[label] for label in LABELS] == pytest.approx(row, abs=1e-5)


def test_rejects_a_single_string(backend: DetoxifyBackend) -> None:
    with pytest.raises(TypeError):
        backend.score("you are an idiot")


def test_registry_builds_it(tiny: dict) -> None:
    built = build_backend(
        "detoxify", checkpoint=str(tiny["checkpoint"]), huggingface_config_path=str(tiny["folder"])
    )
    assert isinstance(built, DetoxifyBackend)
    assert built.model_version.startswith("detoxify-ckpt-")


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScoringError, match="checkpoint not found"):
        DetoxifyBackend(checkpoint=tmp_path / "nope.ckpt", huggingface_config_path=tmp_path)


def test_checkpoint_without_config_is_a_clear_error(tiny: dict, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ckpt"
    torch.save({"state_dict": tiny["model"].state_dict()}, bad)
    with pytest.raises(ScoringError, match="bad detoxify checkpoint"):
        DetoxifyBackend(checkpoint=bad, huggingface_config_path=tiny["folder"])


def test_checkpoint_with_incomplete_config_is_a_clear_error(tiny: dict, tmp_path: Path) -> None:
    bad = tmp_path / "partial.ckpt"
    torch.save({"config": {"arch": {}}, "state_dict": {}}, bad)
    with pytest.raises(ScoringError, match="lacks the config"):
        DetoxifyBackend(checkpoint=bad, huggingface_config_path=tiny["folder"])


def test_config_folder_missing_is_a_clear_error(tiny: dict, tmp_path: Path) -> None:
    with pytest.raises(ScoringError, match="not a folder"):
        DetoxifyBackend(checkpoint=tiny["checkpoint"], huggingface_config_path=tmp_path / "missing")


def test_unknown_model_name_is_a_clear_error() -> None:
    with pytest.raises(ScoringError, match="unknown detoxify model"):
        DetoxifyBackend(model_type="huge")
