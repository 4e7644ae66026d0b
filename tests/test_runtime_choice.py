"""Which runtime runs tier 2: the automatic choice per CPU, the WARDEN_RUNTIME override, and the torch
fallback when onnxruntime is missing or a graph is absent, stale or damaged. No model is loaded here."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path

import pytest

from bot.scoring.embedded import runtime as rt

BF16 = frozenset({"sse4_2", "avx", "avx2", "avx512f", "avx512_vnni", "avx512_bf16"})
AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
ARM = frozenset({"fp", "asimd", "asimddp"})


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_artifact(tmp_path: Path, *, graph: bool = True, int8: bool = False) -> Path:
    """An artifact dir with a (fake) encoder, graphs and a manifest that names them correctly."""
    art = tmp_path / "art"
    art.mkdir()
    source = b"encoder weights"
    (art / "encoder.safetensors").write_bytes(source)
    files = {}
    for wanted, name in ((graph, rt.GRAPH_FILE), (int8, rt.INT8_FILE)):
        if wanted:
            data = f"graph {name}".encode()
            (art / name).write_bytes(data)
            files[name] = _sha(data)
    manifest = {"source_sha256": _sha(source), "files": files, "weights": {rt.GRAPH_FILE: {}}}
    (art / rt.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return art


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (rt.ENV_RUNTIME, rt.ENV_THREADS, "WARDEN_ENCODER_BF16"):
        monkeypatch.delenv(name, raising=False)


def test_float_onnx_is_chosen_on_any_cpu_and_the_reason_says_why(tmp_path: Path) -> None:
    art = make_artifact(tmp_path, int8=True)
    choice = rt.choose_runtime(art, flags=AVX2)
    assert (choice.name, choice.path, choice.fallback) == ("onnx", art / rt.GRAPH_FILE, False)
    assert "float model's decisions" in choice.reason and "bf16" not in choice.reason
    assert rt.choose_runtime(art, flags=ARM).name == "onnx"


def test_with_native_bfloat16_onnx_still_runs_and_the_reason_names_the_torch_option(
    tmp_path: Path,
) -> None:
    """torch in bfloat16 is faster for offline batches there, but slower and hungrier in the bot's front
    (docs/benchmarks.md): the automatic choice stays the float32 graph and says how to switch."""
    choice = rt.choose_runtime(make_artifact(tmp_path), flags=BF16)
    assert (choice.name, choice.fallback) == ("onnx", False)
    assert "WARDEN_RUNTIME=torch" in choice.reason and "avx512_bf16" in choice.reason


def test_int8_runs_only_when_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    art = make_artifact(tmp_path, int8=True)
    assert rt.choose_runtime(art, flags=AVX2).name == "onnx"  # int8 misses the quality bounds
    monkeypatch.setenv(rt.ENV_RUNTIME, " ONNX-INT8 ")
    choice = rt.choose_runtime(art, flags=BF16)
    assert (choice.name, choice.path) == ("onnx-int8", art / rt.INT8_FILE)
    assert choice.reason == "WARDEN_RUNTIME=onnx-int8"


def test_env_override_forces_a_runtime_and_an_argument_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    art = make_artifact(tmp_path)
    monkeypatch.setenv(rt.ENV_RUNTIME, "torch")
    choice = rt.choose_runtime(art, flags=AVX2)
    assert (choice.name, choice.fallback) == ("torch", False)
    monkeypatch.setenv(rt.ENV_RUNTIME, "onnx")
    assert rt.choose_runtime(art, flags=BF16).name == "onnx"
    choice = rt.choose_runtime(art, "torch", flags=AVX2)
    assert (choice.name, choice.reason) == ("torch", "asked for torch")


def test_a_forced_graph_that_is_missing_falls_back_to_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    art = make_artifact(tmp_path)
    monkeypatch.setenv(rt.ENV_RUNTIME, "onnx-int8")
    choice = rt.choose_runtime(art, flags=AVX2)
    assert (choice.name, choice.fallback) == ("torch", True)
    assert rt.INT8_FILE in choice.reason


def test_an_unknown_override_is_reported_and_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(rt.ENV_RUNTIME, "tensorrt")
    with caplog.at_level(logging.WARNING, logger=rt.__name__):
        choice = rt.choose_runtime(make_artifact(tmp_path), flags=AVX2)
    assert choice.name == "onnx"
    assert "tensorrt" in caplog.text


def test_without_onnxruntime_torch_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    choice = rt.choose_runtime(make_artifact(tmp_path), flags=AVX2)
    assert (choice.name, choice.fallback) == ("torch", True)
    assert "onnxruntime not importable" in choice.reason


def test_a_graph_of_another_encoder_is_refused(tmp_path: Path) -> None:
    art = make_artifact(tmp_path)
    (art / "encoder.safetensors").write_bytes(b"retrained weights")
    choice = rt.choose_runtime(art, flags=AVX2)
    assert (choice.name, choice.fallback) == ("torch", True)
    assert "another encoder.safetensors" in choice.reason


def test_a_damaged_or_unlisted_graph_is_refused(tmp_path: Path) -> None:
    art = make_artifact(tmp_path)
    (art / rt.GRAPH_FILE).write_bytes(b"graph encoder.graph.onnx, truncated")
    assert "damaged" in rt.choose_runtime(art, flags=AVX2).reason
    (art / rt.MANIFEST).write_text("{not json", encoding="utf-8")
    choice = rt.choose_runtime(art, flags=AVX2)
    assert choice.name == "torch" and rt.MANIFEST in choice.reason
    (art / rt.MANIFEST).unlink()
    assert rt.MANIFEST in rt.choose_runtime(art, flags=AVX2).reason


def test_threads_follow_the_override_or_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rt.usable_cores({rt.ENV_THREADS: "3"}) == 3
    monkeypatch.setattr(rt.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7}, raising=False)
    monkeypatch.setattr(rt, "_cgroup_quota", lambda: 2)
    assert rt.usable_cores({}) == 2  # a container's 2-CPU quota on an 8-core host
    monkeypatch.setattr(rt, "_cgroup_quota", lambda: None)
    assert rt.usable_cores({rt.ENV_THREADS: "zero"}) == 8


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512_vnni\n", encoding="utf-8")
    flags = rt.cpu_flags(info)
    assert {"avx2", "avx512_vnni"} <= flags
    assert rt.describe_cpu(flags) == "avx2 avx512_vnni"
    assert rt.cpu_flags(tmp_path / "missing") == frozenset()


def test_status_shows_the_runtime_and_its_reason() -> None:
    from types import SimpleNamespace

    from bot.services import scorer_runtime

    backend = SimpleNamespace(runtime="onnx-int8", runtime_reason="int8 with avx512_vnni; 2 threads")
    assert scorer_runtime(SimpleNamespace(backend=backend)) == "onnx-int8 (int8 with avx512_vnni; 2 threads)"
    assert scorer_runtime(SimpleNamespace(backend=SimpleNamespace(runtime="torch"))) == "torch"
    assert scorer_runtime(SimpleNamespace(backend=SimpleNamespace(name="detoxify"))) == ""
