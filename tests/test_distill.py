"""Teacher pseudo-labels (training/distill.py) and the tox-block worker pipe in benchmarks/model_eval.py.

Neither needs TensorFlow: the worker is replaced by a tiny fake script run with this interpreter.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from training.distill import COLUMNS, TEACHER, load_teacher, text_sha1, write_teacher

ROOT = Path(__file__).resolve().parents[1]


def test_load_teacher_reads_a_tiny_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("sha1," + ",".join(COLUMNS) + "\n")
        fh.write(f"{text_sha1('hello')},0.5,0,0.125,1,0.001,0.9\n")
        fh.write(f"{text_sha1('bye')},0,0,0,0,0,0\n")
    got = load_teacher(path)
    assert set(got) == {text_sha1("hello"), text_sha1("bye")}
    hello = got["aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"]  # sha1 of the UTF-8 bytes of "hello"
    assert hello.dtype == np.float32 and hello.shape == (6,)
    np.testing.assert_allclose(hello, [0.5, 0, 0.125, 1, 0.001, 0.9], rtol=1e-6)
    assert not got[text_sha1("bye")].any()


def test_write_teacher_is_sorted_rounded_and_byte_reproducible(tmp_path: Path) -> None:
    texts = ["zeta", "alpha", "ünïcode", "x" * 300]
    keys = [text_sha1(t) for t in texts]
    probs = np.array([[0.12345, 0, 1, 0.5, 0.0004, 0.9996]] * 4, dtype=np.float32)
    probs[:, 0] = [0.1, 0.2, 0.3, 0.4]
    a, b = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    write_teacher(a, keys, probs)
    write_teacher(b, list(reversed(keys)), probs[::-1])
    assert a.read_bytes() == b.read_bytes()  # order-independent, no timestamp or name in the gzip header
    lines = gzip.decompress(a.read_bytes()).decode().splitlines()
    assert lines[0] == "sha1," + ",".join(COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == sorted(keys)
    got = load_teacher(a)
    for t, p in zip(texts, probs, strict=True):
        np.testing.assert_allclose(got[text_sha1(t)], np.round(p, 3), atol=1e-6)
    assert lines[1].split(",")[2:] == ["0", "1", "0.5", "0", "1"]


def test_load_teacher_does_not_import_tensorflow(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    write_teacher(path, [text_sha1("a")], np.full((1, 6), 0.25))
    code = (
        "import sys\nfrom training.distill import load_teacher\n"
        f"d = load_teacher({str(path)!r})\n"
        "assert len(d) == 1 and float(d.popitem()[1][0]) == 0.25\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'torch')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_shipped_teacher_file_is_well_formed() -> None:
    if not TEACHER.exists():
        pytest.skip("training/teacher/tox_block.csv.gz not generated")
    t = load_teacher()
    assert len(t) > 100_000
    key = next(iter(t))
    assert len(key) == 40 and int(key, 16) >= 0
    v = np.stack(list(t.values()))
    assert v.shape == (len(t), 6) and v.min() >= 0 and v.max() <= 1
    assert 0.05 < float((v[:, 0] >= 0.5).mean()) < 0.95  # the teacher says both things


FAKE_WORKER = """
import json, sys
for n, line in enumerate(sys.stdin):
    if n == {die_after}:
        sys.exit(3)
    text = json.loads(line)
    first = ord(text[0]) / 1e6 if text else 0
    p = [min(1.0, len(text) / 5000), 0.0, 0.5, 1.0, len(text.split()) / 1000, first]
    # long padded answers: together with long inputs both pipes exceed their buffers
    sys.stdout.write(json.dumps(p) + " " * 2000 + "\\n")
    sys.stdout.flush()
"""


def _fake(tmp_path: Path, die_after: int = -1) -> Path:
    path = tmp_path / "fake_worker.py"
    path.write_text(textwrap.dedent(FAKE_WORKER.format(die_after=die_after)), encoding="utf-8")
    return path


def _expected(text: str) -> list[float]:
    return [
        min(1.0, len(text) / 5000),
        0.0,
        0.5,
        1.0,
        len(text.split()) / 1000,
        ord(text[0]) / 1e6 if text else 0,
    ]


def test_toxblock_subprocess_streams_300_texts_in_order(tmp_path: Path, model_eval: ModuleType) -> None:
    me = model_eval
    scorer = me.ToxBlock(python=sys.executable, worker=_fake(tmp_path))
    texts = [("word " * (i * 7 % 900)) + f"é{i}\nline two\u2028" for i in range(300)]
    texts[5] = ""
    p = scorer.predict_keyed("set", texts)
    assert p.shape == (300, 6) and p.dtype == np.float32
    np.testing.assert_allclose(p, np.array([_expected(t) for t in texts], dtype=np.float32), rtol=1e-6)
    assert scorer.threshold == dict.fromkeys(me.LABELS, 0.5)


def test_toxblock_subprocess_reports_a_dead_worker(tmp_path: Path, model_eval: ModuleType) -> None:
    me = model_eval
    scorer = me.ToxBlock(python=sys.executable, worker=_fake(tmp_path, die_after=10))
    with pytest.raises(RuntimeError, match=r"gave 10 of 300 rows \(exit 3\)"):
        scorer.predict_keyed("set", ["some text " * 500] * 300)
