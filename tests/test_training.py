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
