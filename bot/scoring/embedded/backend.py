"""The ``embedded`` scorer backend: Warden's own six-label model, shipped in the repository.

Two tiers, one calibration target:

* tier 1, lexical: hashed word/char n-gram TF-IDF -> six logistic heads. Microseconds per message.
  A message whose six tier-1 scores are all below their *clear thresholds* (chosen on validation so
  tier 1 alone drops at most 2% of each label's positives) is answered by tier 1.
* tier 2, full: everything tier 1 does not clear goes here. Model 2.x: all-MiniLM-L6-v2 fine-tuned end to
  end with six heads (``finetuned.py``, chosen when the artifact has ``encoder.safetensors``). Model 1.x:
  the lexical features plus the frozen mean-pooled sentence embedding -> six logistic heads.

Both tiers are Platt-calibrated on the same validation split, so a threshold means the same whichever
tier answered (and every cleared message sits below every recommended threshold).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.scoring.base import LABELS, Scores, ScoringError

ARTIFACT_DIR = Path(__file__).resolve().parent / "artifacts"
# Model 1.1 (frozen encoder + linear heads), kept to compare against in benchmarks/model_eval.py.
ARTIFACT_DIR_1_1 = Path(__file__).resolve().parent / "artifacts_1_1"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


class EmbeddedBackend:
    """Score texts with the committed model; ``score`` blocks, one caller at a time (a lock guards it)."""

    name = "embedded"

    def __init__(
        self,
        artifact_dir: Path | None = None,
        *,
        cascade: bool = True,
        encoder=None,
        runtime: str | None = None,
    ):
        """``runtime`` forces tier 2's runtime for model 2.x (``onnx-int8``, ``onnx``, ``torch``);
        by default ``WARDEN_RUNTIME`` or the automatic choice (``runtime.py``) decides."""
        from bot.scoring.embedded.lexical import LexicalFeatures

        self.artifact_dir = Path(artifact_dir) if artifact_dir else ARTIFACT_DIR
        try:
            self.meta = json.loads((self.artifact_dir / "thresholds.json").read_text(encoding="utf-8"))
            with np.load(self.artifact_dir / "weights.npz") as z:
                w = {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ScoringError(f"embedded model artifact unreadable in {self.artifact_dir}: {exc}") from exc
        self._lex = LexicalFeatures(idf=w["idf"])
        self._c1 = w["coef1"].astype(np.float32).T.copy()  # (features, 6)
        self._b1, self._cal1 = w["b1"], w["cal1"]
        self._cal2 = w["cal2"]
        self._finetuned = None
        if (self.artifact_dir / "encoder.safetensors").exists():
            from bot.scoring.embedded.finetuned import FinetunedTier2

            self._finetuned = FinetunedTier2(self.artifact_dir, runtime=runtime)
        else:  # model 1.x: tier 2 = lexical features + the frozen sentence embedding
            self._c2 = w["coef2_lex"].astype(np.float32).T.copy()
            self._e2 = w["coef2_emb"].astype(np.float32).T.copy()  # (384, 6)
            self._b2 = w["b2"]
        trained = set(self.meta.get("trained_labels", LABELS))
        self._trained = np.array([label in trained for label in LABELS])
        self._clear = np.array(
            [self.meta["clear_thresholds"].get(label, 0.0) for label in LABELS], np.float32
        )
        self.uses_embeddings = bool(self.meta.get("uses_embeddings", True))
        self.cascade = cascade
        self._encoder = encoder
        self._lock = threading.Lock()
        self.last_tier2_share = 0.0

    @property
    def model_version(self) -> str:
        return str(self.meta["model_version"])

    def recommended_thresholds(self) -> dict[str, float]:
        """Per-label thresholds tuned on the validation split (max F1)."""
        return {label: float(self.meta["thresholds"][label]) for label in LABELS}

    def warm_up(self) -> None:
        """Load the sentence encoder now instead of on the first message that needs it (blocking)."""
        if self._finetuned is not None:
            self._finetuned.load()
        elif self.uses_embeddings:
            self._get_encoder()

    @property
    def runtime(self) -> str:
        """What runs tier 2: ``onnx-int8``, ``onnx``, ``torch-bf16``, ``torch`` or ``numpy`` (``lexical``
        for a model without embeddings); ``not loaded`` before the first message or :meth:`warm_up`."""
        if self._finetuned is not None:
            return self._finetuned.runtime or "not loaded"
        if not self.uses_embeddings:
            return "lexical"
        return self._encoder.backend if self._encoder is not None else "not loaded"

    @property
    def runtime_reason(self) -> str:
        """Why that runtime was chosen (empty before it loads, and for model 1.x)."""
        return self._finetuned.runtime_reason if self._finetuned is not None else ""

    def _get_encoder(self):
        if self._finetuned is not None:
            return self._finetuned.encoder()
        if self._encoder is None:
            from bot.minilm import shared_encoder

            self._encoder = shared_encoder()
        return self._encoder

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape ``(len(texts), 6)`` in LABELS order."""
        from bot.scoring.embedded.textprep import clean_for_scoring

        cleaned = [clean_for_scoring(t) for t in texts]
        unique = list(dict.fromkeys(cleaned))
        if len(unique) < len(cleaned):  # identical texts in one call are scored once
            where = {text: i for i, text in enumerate(unique)}
            return self.predict(unique)[[where[text] for text in cleaned]]
        out = np.zeros((len(cleaned), 6), np.float32)
        live = np.array([bool(t) for t in cleaned])
        if not live.any():
            return out
        idx = np.flatnonzero(live)
        x = self._lex.transform([cleaned[i] for i in idx])
        z1 = np.asarray(x @ self._c1) + self._b1
        p1 = _sigmoid(self._cal1[:, 0] * z1 + self._cal1[:, 1])
        if not self.uses_embeddings:
            out[idx] = p1 * self._trained
            return out
        hard = ~np.all(p1 < self._clear, axis=1) if self.cascade else np.ones(len(idx), bool)
        p = p1.copy()
        if hard.any():
            sub = np.flatnonzero(hard)
            hard_texts = [cleaned[idx[i]] for i in sub]
            if self._finetuned is not None:
                z2 = self._finetuned.logits(hard_texts)
            else:
                emb = self._get_encoder().encode(hard_texts)
                z2 = np.asarray(x[sub] @ self._c2) + emb @ self._e2 + self._b2
            p[sub] = _sigmoid(self._cal2[:, 0] * z2 + self._cal2[:, 1])
        self.last_tier2_share = float(hard.mean())
        out[idx] = p * self._trained
        return out

    def score(self, texts: Sequence[str]) -> list[Scores]:
        texts = list(texts)
        if not texts:
            return []
        with self._lock:
            try:
                probs = self.predict(texts)
            except Exception as exc:  # surface as the contract's error type
                raise ScoringError(f"embedded scoring failed: {exc}") from exc
        return [Scores(**dict(zip(LABELS, map(float, row), strict=True))) for row in probs]

    def score_fast(self, texts: Sequence[str]) -> list[tuple[Scores, bool]]:
        """Tier 1 alone, for when tier 2 cannot answer in time (the bot's degraded path): per text, its
        calibrated lexical scores and whether they are final (tier 1 clears the text, so the full
        cascade answers the same). Never runs tier 2 and never waits for ``score``'s lock."""
        from bot.scoring.embedded.textprep import clean_for_scoring

        texts = list(texts)
        try:
            cleaned = [clean_for_scoring(t) for t in texts]
            probs = np.zeros((len(cleaned), 6), np.float32)
            final = np.ones(len(cleaned), bool)
            idx = np.flatnonzero(np.array([bool(t) for t in cleaned], bool))
            if len(idx):
                x = self._lex.transform([cleaned[i] for i in idx])
                p1 = _sigmoid(self._cal1[:, 0] * (np.asarray(x @ self._c1) + self._b1) + self._cal1[:, 1])
                probs[idx] = p1 * self._trained
                if self.uses_embeddings:
                    final[idx] = np.all(p1 < self._clear, axis=1) if self.cascade else False
        except Exception as exc:  # surface as the contract's error type
            raise ScoringError(f"embedded lexical scoring failed: {exc}") from exc
        return [
            (Scores(**dict(zip(LABELS, map(float, row), strict=True))), bool(done))
            for row, done in zip(probs, final, strict=True)
        ]
