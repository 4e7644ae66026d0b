"""A two-tier test backend whose cost the test controls, for the degraded path (issue 12, item 4).

The full model scores known insult words (``FULL_INSULT``) and costs ``overhead_s + item_s * n`` per
call (slept in the worker thread; a closed ``gate`` holds every call). The lexical tier
(``score_fast``) scores the same words differently (``LEXICAL_INSULT``) and clears every text without
one, as the embedded model's tier 1 clears ordinary chat: then its answer is final.

With the default policy (insult threshold 0.70, degraded 0.85; ``medium`` band 0.75 warns):

- ``idiot``: the lexical tier says 0.80, below the degraded threshold (logged); the full model 0.93
  warns, so the re-score opens the case;
- ``moron``: the lexical tier says 0.95, a degraded warning opens the case at once; the full model's
  0.91 warns too, and its re-score must not open a second case.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from bot.scoring.base import Scores

FULL_INSULT = {"idiot": 0.93, "moron": 0.91}
LEXICAL_INSULT = {"idiot": 0.80, "moron": 0.95}


def _insult(text: str, table: dict[str, float]) -> float:
    lowered = text.lower()
    return max((value for word, value in table.items() if word in lowered), default=0.01)


class TieredFake:
    """See the module docstring; ``full_texts``/``fast_texts`` record what each tier scored."""

    name = "tiered-fake"
    model_version = "tiered-fake-1"

    def __init__(self, *, item_s: float = 0.0, overhead_s: float = 0.0) -> None:
        self.item_s = item_s
        self.overhead_s = overhead_s
        self.gate = threading.Event()
        self.gate.set()
        self.fast_gate = threading.Event()
        """Holds every lexical-tier call while clear (set by default)."""
        self.fast_gate.set()
        self.full_calls: list[list[str]] = []
        self.fast_calls: list[list[str]] = []
        self._lock = threading.Lock()

    @property
    def full_texts(self) -> list[str]:
        with self._lock:
            return [text for call in self.full_calls for text in call]

    @property
    def fast_texts(self) -> list[str]:
        with self._lock:
            return [text for call in self.fast_calls for text in call]

    def score(self, texts: Sequence[str]) -> list[Scores]:
        with self._lock:
            self.full_calls.append(list(texts))
        self.gate.wait(30)
        if self.overhead_s or self.item_s:
            time.sleep(self.overhead_s + self.item_s * len(texts))
        return [self._scores(_insult(text, FULL_INSULT)) for text in texts]

    def score_fast(self, texts: Sequence[str]) -> list[tuple[Scores, bool]]:
        with self._lock:
            self.fast_calls.append(list(texts))
        self.fast_gate.wait(30)
        answers = []
        for text in texts:
            insult = _insult(text, LEXICAL_INSULT)
            answers.append((self._scores(insult), insult < 0.5))
        return answers

    @staticmethod
    def _scores(insult: float) -> Scores:
        return Scores(insult=insult, toxicity=min(1.0, insult + 0.02) if insult > 0.5 else 0.02)
