"""build_backend: names, options, errors."""

from __future__ import annotations

import pytest

from bot.scoring import BACKENDS, ScoringError, build_backend


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(ValueError, match="embedded, detoxify"):
        build_backend("perspective")


def test_unknown_detoxify_option_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown option"):
        build_backend("detoxify", colour="red")


def test_missing_detoxify_checkpoint_is_a_scoring_error(tmp_path) -> None:
    pytest.importorskip("detoxify")
    with pytest.raises(ScoringError, match="checkpoint not found"):
        build_backend("detoxify", checkpoint=tmp_path / "none.ckpt", huggingface_config_path=None)


def test_names() -> None:
    assert BACKENDS == ("embedded", "detoxify")


def test_embedded_dispatches_to_the_embedded_package(monkeypatch: pytest.MonkeyPatch) -> None:
    embedded = pytest.importorskip("bot.scoring.embedded")
    seen = {}

    class FakeEmbedded:
        name = "embedded"
        model_version = "fake"

        def __init__(self, **options):
            seen.update(options)

    monkeypatch.setattr(embedded, "EmbeddedBackend", FakeEmbedded, raising=False)
    backend = build_backend("Embedded", artifact_dir="x", unused=None)
    assert isinstance(backend, FakeEmbedded)
    assert seen == {"artifact_dir": "x"}  # None options are dropped
