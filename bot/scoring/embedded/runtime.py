"""Which runtime runs tier 2's encoder on this machine, and why.

By default the float32 ONNX graph (``encoder.graph.onnx``, assembled at load: ``onnx_graph.py``) on
every CPU: the float torch pass's decisions exactly (``benchmarks/runtime_quality.py``), 1.7x its speed
without native bfloat16, and in the bot's front a lower latency and a flat memory even where torch has
bfloat16 (``benchmarks/speed.py``; docs/benchmarks.md). Torch is the fallback, and the choice for offline
replays on CPUs with native bfloat16 (``WARDEN_RUNTIME=torch``: about 1.3x faster there in large
batches). The int8 graph (``encoder.int8.onnx``, built on request by ``python -m training.export_onnx
--int8``) is faster still but moves about 4% of HateCheck decisions, so it runs only when asked for.
``WARDEN_RUNTIME`` = ``auto`` (default) | ``onnx`` | ``onnx-int8`` | ``torch`` forces one; an ONNX
runtime that cannot load falls back to torch, with a warning. A graph is used only when ``onnx.json``
names the ``encoder.safetensors`` it was built from and the graph's own digest, so a retrained encoder
never runs behind a stale or damaged graph.

Importing this module is cheap: onnxruntime is imported only to build a session.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

GRAPH_FILE = "encoder.graph.onnx"
INT8_FILE = "encoder.int8.onnx"
MANIFEST = "onnx.json"
OPSET = 17
RUNTIMES = ("onnx", "onnx-int8", "torch")
GRAPHS = {"onnx": GRAPH_FILE, "onnx-int8": INT8_FILE}
ENV_RUNTIME = "WARDEN_RUNTIME"
ENV_THREADS = "WARDEN_THREADS"
FLAGS_OF_INTEREST = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
NATIVE_BF16 = ("amx_bf16", "avx512_bf16")


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime to try (``onnx-int8``, ``onnx`` or ``torch``), the graph it reads and why it won.

    ``fallback``: torch only because no ONNX graph could be used (worth a warning: the fast path is lost).
    """

    name: str
    reason: str
    path: Path | None = None
    fallback: bool = False


def source_digest(artifact_dir: Path) -> str:
    """sha256 of the artifact's ``encoder.safetensors`` (what an ONNX graph must have been built from)."""
    from bot.scoring.embedded.finetuned import ENCODER_FILE

    return hashlib.sha256((Path(artifact_dir) / ENCODER_FILE).read_bytes()).hexdigest()


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (x86 ``flags`` or ARM ``Features``); empty where they cannot be read."""
    try:
        with cpuinfo.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in {"flags", "Features"}:
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def usable_cores(env: Mapping[str, str] | None = None) -> int:
    """The cores this process may use: CPU affinity, capped by a cgroup CPU quota (containers),
    or ``WARDEN_THREADS``. A container limited to 2 CPUs on a 64-core host gets 2, not 64."""
    env = os.environ if env is None else env
    forced = env.get(ENV_THREADS, "").strip()
    if forced.isdigit() and int(forced) > 0:
        return int(forced)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_quota() -> int | None:
    """CPUs allowed by the cgroup v2 (``cpu.max``) or v1 (``cfs_quota_us``) quota, rounded up."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="utf-8").split()[:2]
        if quota != "max":
            return math.ceil(int(quota) / int(period))
        return None
    except (OSError, ValueError):
        pass
    try:
        quota_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text(encoding="utf-8"))
        period_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text(encoding="utf-8"))
        return math.ceil(quota_us / period_us) if quota_us > 0 else None
    except (OSError, ValueError):
        return None


def describe_cpu(flags: frozenset[str] | None = None) -> str:
    """The flags that decide the runtime, e.g. ``avx2 avx512f avx512_vnni avx512_bf16``."""
    flags = cpu_flags() if flags is None else flags
    present = [flag for flag in FLAGS_OF_INTEREST if flag in flags]
    return " ".join(present) if present else "none of " + "/".join(FLAGS_OF_INTEREST)


def read_manifest(artifact_dir: Path) -> dict:
    """``onnx.json`` (raises ``OSError``/``ValueError`` when missing or unreadable)."""
    manifest = json.loads((Path(artifact_dir) / MANIFEST).read_text(encoding="utf-8"))
    if not isinstance(manifest, dict):
        raise ValueError(f"{MANIFEST} is not an object")
    return manifest


def graph_problem(artifact_dir: Path, name: str) -> str | None:
    """Why the ONNX graph ``name`` cannot be used (missing, stale, damaged), or ``None`` when it can."""
    artifact_dir = Path(artifact_dir)
    if not (artifact_dir / name).is_file():
        return f"{name} not in the artifact"
    try:
        manifest = read_manifest(artifact_dir)
        expected = manifest["files"][name]
        source = manifest["source_sha256"]
        if name == GRAPH_FILE and not isinstance(manifest["weights"][name], dict):
            raise TypeError("weights")
    except (OSError, ValueError, KeyError, TypeError):
        return f"{MANIFEST} missing or does not list {name}"
    try:
        if source != source_digest(artifact_dir):
            return f"{name} was built from another encoder.safetensors (re-run training.export_onnx)"
        if hashlib.sha256((artifact_dir / name).read_bytes()).hexdigest() != expected:
            return f"{name} differs from the exported graph (damaged or replaced)"
    except OSError as exc:
        return f"{name} unreadable: {exc}"
    return None


def _onnxruntime_problem() -> str | None:
    try:
        import onnx  # noqa: F401  (assembles the float32 graph)
        import onnxruntime  # noqa: F401
    except Exception as exc:  # ImportError, or a broken native library
        return f"onnxruntime not importable ({type(exc).__name__}: {exc})"
    return None


def choose_runtime(
    artifact_dir: Path,
    requested: str | None = None,
    *,
    flags: frozenset[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> RuntimeChoice:
    """Pick tier 2's runtime for this CPU and artifact (no session is built here; module docstring).

    ``requested`` (or ``WARDEN_RUNTIME``) forces one of :data:`RUNTIMES`; ``auto`` or nothing: the
    float32 ONNX graph, else torch.
    """
    env = os.environ if env is None else env
    source = "asked for " if requested else f"{ENV_RUNTIME}="
    wanted = (requested or env.get(ENV_RUNTIME, "") or "auto").strip().lower()
    if wanted not in (*RUNTIMES, "auto"):
        choices = ", ".join(("auto", *RUNTIMES))
        log.warning("%s=%r is not one of %s: choosing automatically", ENV_RUNTIME, wanted, choices)
        wanted = "auto"
    if wanted == "torch":
        return RuntimeChoice("torch", f"{source}torch")
    missing_ort = _onnxruntime_problem()
    if missing_ort:
        return RuntimeChoice("torch", missing_ort, fallback=True)
    name = GRAPHS["onnx" if wanted == "auto" else wanted]
    problem = graph_problem(artifact_dir, name)
    if problem:
        prefix = f"{source}{wanted} but " if wanted != "auto" else "no usable ONNX graph: "
        return RuntimeChoice("torch", prefix + problem, fallback=True)
    if wanted != "auto":
        return RuntimeChoice(wanted, f"{source}{wanted}", Path(artifact_dir) / name)
    flags = cpu_flags() if flags is None else flags
    bf16 = next((flag for flag in NATIVE_BF16 if flag in flags), None)
    hint = f"; {ENV_RUNTIME}=torch is faster for offline replays here ({bf16})" if bf16 else ""
    return RuntimeChoice(
        "onnx", f"float32 ONNX: the float model's decisions on any CPU{hint}", Path(artifact_dir) / name
    )
