"""The baseline scorers of benchmarks/model_eval.py: alt-profanity-check and tox-block.

Each has ``name``, ``threshold`` (0.5 for every label) and ``predict_keyed(key, texts) -> (n, 6)`` in
LABELS order, like the embedded columns.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from bot.scoring.base import LABELS

ROOT = Path(__file__).resolve().parents[1]


class ProfanityCheck:
    name = "alt-profanity-check"

    def __init__(self):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from profanity_check import predict_prob
        self._p = predict_prob
        self.threshold = dict.fromkeys(LABELS, 0.5)

    def predict_keyed(self, key, texts):
        p = np.asarray(self._p(texts), dtype=np.float32)
        return np.repeat(p[:, None], 6, axis=1)


class ToxBlock:
    """tox-block 0.1.2 (TensorFlow): in-process when ``tox_block`` imports here, else through
    benchmarks/toxblock_worker.py run by ``python`` (a separate interpreter with TensorFlow and tox-block,
    e.g. /work/tfenv/bin/python; see training/README.md). Scores come back in detoxify's label order."""

    name = "tox-block"
    WORKER = ROOT / "benchmarks/toxblock_worker.py"

    def __init__(self, python: str | os.PathLike | None = None, worker: str | os.PathLike | None = None):
        self.threshold = dict.fromkeys(LABELS, 0.5)
        self._f = None
        self.python, self.worker = python, Path(worker or self.WORKER)
        if python is None:  # only then try in-process: Warden's own environments have no TensorFlow
            from tox_block.prediction import make_predictions

            self._f = make_predictions

    def predict_keyed(self, key, texts):
        if self._f is not None:
            res = self._f([t or " " for t in texts])
            keys = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
            p = np.array([[res[i][k] for k in keys] for i in range(len(texts))], dtype=np.float32)
            return np.clip(p, 0.0, 1.0).reshape(len(texts), 6)
        return self._subprocess(texts)

    def _subprocess(self, texts: list[str]) -> np.ndarray:
        """Feed the worker from a thread while this one reads the answers (no pipe deadlock)."""
        import contextlib
        import subprocess
        import tempfile
        import threading

        out = np.zeros((len(texts), 6), dtype=np.float32)
        env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
        with tempfile.TemporaryFile() as err:  # TensorFlow's start-up chatter; shown only on failure
            proc = subprocess.Popen(
                [str(self.python), str(self.worker)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
            )
            stdin, stdout = proc.stdin, proc.stdout
            assert stdin is not None and stdout is not None  # both are pipes

            def feed() -> None:
                try:
                    for t in texts:
                        stdin.write((json.dumps(t) + "\n").encode("utf-8"))
                except OSError:
                    pass  # the worker died (broken pipe): reported below
                finally:
                    with contextlib.suppress(OSError):
                        stdin.close()

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
            n = 0
            for line in stdout:
                if n >= len(texts):
                    break
                out[n] = json.loads(line)
                n += 1
            stdout.close()
            writer.join()
            rc = proc.wait()
            if n != len(texts) or rc != 0:
                err.seek(0)
                tail = err.read().decode("utf-8", "replace")[-2000:]
                raise RuntimeError(f"tox-block worker gave {n} of {len(texts)} rows (exit {rc}):\n{tail}")
        return out
