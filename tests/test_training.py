"""A smoke run of the training script on a tiny subset, lexical tier only (the full run is not for CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("WARDEN_DATA", Path(__file__).resolve().parents[2] / "shared/data")) / "train"


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="training data not on this machine")
def test_tiny_training_run_writes_a_loadable_artifact(tmp_path: Path) -> None:
    from bot.scoring.embedded import EmbeddedBackend
    from training import train

    assert train.main(["--tiny", "--no-embeddings", "--out", str(tmp_path)]) == 0
    backend = EmbeddedBackend(tmp_path)
    clean, toxic = backend.score(["have a lovely day", "you are a stupid idiot"])
    assert toxic.toxicity > clean.toxicity


def test_label_mapping_masks_what_a_source_does_not_say() -> None:
    if not DATA.exists():
        pytest.skip("training data not on this machine")
    from training import data

    rows = list(data.hateval(DATA))
    not_hate = [vec for _, vec, _ in rows if vec[5] == 0]
    assert not_hate and all(vec[0] == -1 for vec in not_hate)  # HatEval "not hate" says nothing on toxicity
    first = next(iter(data.davidson(DATA)))
    assert len(first[1]) == 6


def test_teacher_fills_only_masked_cells_it_is_sure_of_and_never_templates() -> None:
    import numpy as np

    from training import train
    from training.distill import text_sha1

    texts = ["a masked row", "an unsure row", "a confident no", "a human label", "a template row"]
    labels = np.array(
        [
            [1, -1, -1, -1, -1, -1],
            [1, -1, -1, -1, -1, -1],
            [1, -1, -1, -1, -1, -1],
            [1, 0, -1, 1, -1, -1],
            [1, -1, -1, -1, -1, 1],
        ],
        dtype=np.int8,
    )
    sources = np.array(["olid", "olid", "olid", "jigsaw", "template_threat"])
    sure = np.array([0.9, 0.6, 0.9, 0.9, 0.9, 0.9], np.float32)
    teacher = {
        text_sha1(texts[0]): sure,
        text_sha1(texts[1]): np.array([0.9, 0.1, 0.9, 0.2, 0.9, 0.9], np.float32),  # between the cut-offs
        text_sha1(texts[2]): np.array([0.9, 0.01, 0.9, 0.01, 0.9, 0.9], np.float32),
        text_sha1(texts[3]): sure,
        text_sha1(texts[4]): sure,
    }
    fit, filled = train.teacher_fill(texts, labels, sources, teacher)
    severe, threat = 1, 3
    assert fit[0, severe] == 1 and fit[0, threat] == 1  # confident yes fills both masked labels
    assert fit[1, severe] == -1 and fit[1, threat] == -1  # unsure stays masked
    assert fit[2, severe] == 0 and fit[2, threat] == 0  # confident no
    assert fit[3, severe] == 0 and fit[3, threat] == 1 and not filled[3].any()  # human labels win
    assert (fit[4] == labels[4]).all() and not filled[4].any()  # templates are never filled
    assert (fit[:, [0, 2, 4, 5]] == labels[:, [0, 2, 4, 5]]).all()  # other labels untouched
    assert filled.sum() == 4
