"""The ``detoxify`` backend: the real detoxify library, by model name or from a local checkpoint.

By name (``original``, ``unbiased``, ``multilingual``, ``original-small``, ``unbiased-small``) detoxify
downloads its checkpoint and the Hugging Face config/tokenizer, so it needs the network the first time.
Fully offline it loads a local checkpoint file (detoxify's format: ``{"config": ..., "state_dict": ...}``)
plus a Hugging Face config folder (``config.json`` declaring 6 labels, and the tokenizer files). Note
that detoxify also resolves the checkpoint's ``config.arch.args.model_type`` with ``from_pretrained``:
offline that must be a local folder too (it can be the same folder).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.pipeline.characters import drop_lone_surrogates
from bot.scoring.base import LABELS, Scores, ScoringError

MODEL_TYPES: tuple[str, ...] = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
DEFAULT_BATCH_SIZE = 32


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DetoxifyBackend:
    """Scores with ``detoxify.Detoxify``. Loading happens in the constructor; ``score`` is blocking."""

    name = "detoxify"

    def __init__(
        self,
        model_type: str = "original",
        checkpoint: Path | str | None = None,
        huggingface_config_path: Path | str | None = None,
        device: str = "cpu",
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.model_type = model_type
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.huggingface_config_path = (
            Path(huggingface_config_path) if huggingface_config_path is not None else None
        )
        self.device = device
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._check_arguments()
        if self.checkpoint is not None:
            self._model_version = f"detoxify-ckpt-{_file_sha256(self.checkpoint)[:12]}"
        else:
            self._model_version = f"detoxify-{model_type}"
        self._model = self._load()

    @property
    def model_version(self) -> str:
        """``detoxify-<model_type>`` for named models, ``detoxify-ckpt-<sha256[:12]>`` for a checkpoint."""
        return self._model_version

    def _check_arguments(self) -> None:
        if self.checkpoint is None:
            if self.model_type not in MODEL_TYPES:
                raise ScoringError(
                    f"unknown detoxify model {self.model_type!r}: choose one of {', '.join(MODEL_TYPES)}, "
                    "or give a local checkpoint"
                )
            return
        if not self.checkpoint.is_file():
            raise ScoringError(f"detoxify checkpoint not found: {self.checkpoint}")
        if self.huggingface_config_path is not None and not self.huggingface_config_path.is_dir():
            raise ScoringError(
                f"huggingface_config_path is not a folder: {self.huggingface_config_path} "
                "(it must hold config.json and the tokenizer files)"
            )

    def _load(self) -> Any:
        try:
            from detoxify import Detoxify
        except ImportError as exc:  # pragma: no cover - detoxify is a hard dependency
            raise ScoringError("the detoxify package is not installed") from exc
        source = f"checkpoint {self.checkpoint}" if self.checkpoint else f"model {self.model_type!r}"
        try:
            model = Detoxify(
                model_type=self.model_type,
                checkpoint=str(self.checkpoint) if self.checkpoint is not None else None,
                device=self.device,
                huggingface_config_path=(
                    str(self.huggingface_config_path) if self.huggingface_config_path is not None else None
                ),
            )
        except ValueError as exc:
            raise ScoringError(f"bad detoxify {source}: {exc}") from exc
        except (KeyError, TypeError, AttributeError) as exc:
            raise ScoringError(
                f"bad detoxify {source}: it lacks the config detoxify expects "
                f"(config.arch.args and config.dataset.args.classes): {exc!r}"
            ) from exc
        except OSError as exc:
            hint = (
                " (named models are downloaded on first use: this needs network access; offline, give "
                "checkpoint= and huggingface_config_path=)"
                if self.checkpoint is None
                else " (offline, the checkpoint's config.arch.args.model_type and huggingface_config_path "
                "must be local folders with config.json and the tokenizer files)"
            )
            raise ScoringError(f"could not load detoxify {source}: {exc}{hint}") from exc
        except Exception as exc:
            raise ScoringError(f"could not load detoxify {source}: {exc!r}") from exc
        class_names = list(getattr(model, "class_names", []))
        missing = [label for label in LABELS if label not in class_names]
        if len(class_names) != len(LABELS) or missing:
            raise ScoringError(
                f"detoxify {source} has classes {class_names}; Warden needs the six labels {list(LABELS)}"
            )
        return model

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """One ``Scores`` per text, in order; texts are scored in batches of ``batch_size``."""
        if isinstance(texts, str):
            raise TypeError("score() takes a sequence of texts, not one str")
        results: list[Scores] = []
        items = list(texts)
        for start in range(0, len(items), self.batch_size):
            results.extend(self._score_batch(items[start : start + self.batch_size]))
        return results

    def _score_batch(self, batch: list[str]) -> list[Scores]:
        if not batch:
            return []
        batch = [drop_lone_surrogates(text) for text in batch]  # the tokenizer would reject the whole batch
        try:
            with self._lock:  # one forward pass at a time: the model is shared between threads
                raw = self._model.predict(batch)
        except Exception as exc:
            raise ScoringError(f"detoxify inference failed on a batch of {len(batch)}: {exc!r}") from exc
        columns: dict[str, list[float]] = {}
        for label, values in raw.items():
            # detoxify squeezes: a batch of one gives a float instead of a list
            columns[label] = [values] if isinstance(values, float | int) else list(values)
        return [
            Scores.from_mapping({label: col[i] for label, col in columns.items()}) for i in range(len(batch))
        ]
