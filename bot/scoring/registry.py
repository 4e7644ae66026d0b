"""Build a scorer backend by its configured name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.scoring.base import ScorerBackend

BACKENDS: tuple[str, ...] = ("embedded", "detoxify")
_DETOXIFY_OPTIONS = frozenset({"model_type", "checkpoint", "huggingface_config_path", "device", "batch_size"})


def build_backend(name: str, **options: Any) -> ScorerBackend:
    """The backend called ``name``: ``embedded`` (the bundled model) or ``detoxify`` (the library).

    ``detoxify`` takes ``model_type``, ``checkpoint``, ``huggingface_config_path``, ``device`` and
    ``batch_size``; ``embedded`` passes its options to ``EmbeddedBackend``. Options that are ``None``
    are dropped, so a settings object can pass every field. Unknown names raise ``ValueError``.
    """
    key = name.strip().lower()
    options = {option: value for option, value in options.items() if value is not None}
    if key == "embedded":
        from bot.scoring.embedded import EmbeddedBackend  # lazy: loads model artifacts

        return EmbeddedBackend(**options)
    if key == "detoxify":
        unknown = sorted(set(options) - _DETOXIFY_OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown option(s) for the detoxify backend: {', '.join(unknown)} "
                f"(valid: {', '.join(sorted(_DETOXIFY_OPTIONS))})"
            )
        from bot.scoring.detoxify_backend import DetoxifyBackend  # lazy: imports torch

        for path_option in ("checkpoint", "huggingface_config_path"):
            if path_option in options:
                options[path_option] = Path(options[path_option])
        return DetoxifyBackend(**options)
    raise ValueError(f"unknown scorer backend {name!r}: choose one of {', '.join(BACKENDS)}")
