"""Score texts with tox-block 0.1.2 (TensorFlow) in a separate interpreter; Warden itself never imports TF.

Run it with the TensorFlow virtualenv (see training/README.md, "Teacher (tox-block) pseudo-labels"):

    printf '"have a nice day"\\n"thanks"\\n' | /work/tfenv/bin/python benchmarks/toxblock_worker.py

Protocol: one JSON string per input line on stdin; one JSON list of six probabilities per input line on
stdout, in the same order, in detoxify's label order (toxicity, severe_toxicity, obscene, threat, insult,
identity_attack) taken from tox-block's (toxic, severe_toxic, obscene, threat, insult, identity_hate).
Whatever lines are already waiting are scored together in batches of up to ``--batch``; output is flushed
after every batch, so a client may also send one line and wait for its answer.

By default the numbers are what ``tox_block.prediction.make_predictions`` returns (its per-label min-max
rescaling, clipped to [0, 1]); ``--raw`` gives the model's own sigmoid outputs instead. TensorFlow runs
on one thread. Imports nothing from the repository, so the TF virtualenv needs no Warden dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TOX_BLOCK_KEYS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")  # = detoxify order
BATCH = 512

_loaded: tuple | None = None


def load(threads: int = 1) -> tuple:
    """(encoder, model, rescale table) of tox-block, loaded once, TensorFlow limited to ``threads``."""
    global _loaded
    if _loaded is None:
        import absl.logging
        import tensorflow as tf

        absl.logging.set_verbosity(absl.logging.ERROR)
        tf.get_logger().setLevel("ERROR")
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import warnings

        with warnings.catch_warnings():  # also undoes tox_block.prediction's global "ignore" filter
            warnings.simplefilter("ignore")
            from tox_block import prediction
            from tox_block.config import config
        _loaded = (prediction._encoder, prediction._model, config.RESCALE_PROBA)
    return _loaded


def score(texts: list[str], raw: bool = False, batch: int = BATCH):
    """(n, 6) float32 probabilities in detoxify order. Empty texts are allowed (they encode to padding)."""
    import numpy as np
    import pandas as pd

    encoder, model, rescale = load()
    out = np.zeros((len(texts), 6), dtype=np.float32)
    for i in range(0, len(texts), batch):
        chunk = [t if isinstance(t, str) else "" for t in texts[i : i + batch]]
        x = encoder.transform(pd.DataFrame({"text": chunk}))
        out[i : i + len(chunk)] = np.asarray(model.predict_on_batch(x), dtype=np.float32)
    if not raw:  # exactly make_predictions(rescale=True): |p - min| / (max - min), then clipped to [0, 1]
        lo = np.array([rescale[k][0] for k in TOX_BLOCK_KEYS], dtype=np.float32)
        hi = np.array([rescale[k][1] for k in TOX_BLOCK_KEYS], dtype=np.float32)
        out = np.clip(np.abs((out - lo) / (hi - lo)), 0.0, 1.0)
    return out


def _lines(stream, batch: int):
    """Yield lists of complete lines: everything already readable, at most ``batch`` at a time."""
    fd = stream.fileno()
    buf = b""
    eof = False
    while not eof:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            eof = True
        buf += chunk
        # keep reading while more input is immediately available and the batch is not full yet
        while not eof and buf.count(b"\n") < batch and select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                eof = True
            buf += chunk
        *done, buf = buf.split(b"\n")
        if eof and buf.strip():
            done.append(buf)
        done = [line for line in done if line.strip()]
        for i in range(0, len(done), batch):
            yield done[i : i + batch]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", action="store_true", help="the model's sigmoid outputs, without rescaling")
    ap.add_argument("--batch", type=int, default=BATCH)
    args = ap.parse_args(argv)
    load()
    out = sys.stdout
    for lines in _lines(sys.stdin, args.batch):
        texts = [json.loads(line) for line in lines]
        p = score(texts, raw=args.raw, batch=args.batch)
        out.write("".join(json.dumps([round(float(v), 7) for v in row]) + "\n" for row in p))
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
