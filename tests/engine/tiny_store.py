"""Tiny random Hugging Face models imported into a store, and helpers comparing the GPU engine
with tests/reference_model.py on the very same stored (dequantised) weights."""

from pathlib import Path

import numpy as np

from desktop.importers.hf_import import import_hf_folder
from desktop.store.model_store import ModelStore, StoredModel
from engine.native.host import Host
from engine.plan import compile_plan
from engine.plan.adapter import traits_for
from engine.runner import ModelRunner
from tests.tiny_hf_models import write_model

CHUNK = 8
CONTEXT = 64


def tiny_model(root: Path, architecture: str) -> StoredModel:
    write_model(root / "hf", architecture)
    store = ModelStore(root / "home")
    import_hf_folder(store, root / "hf", model_id="tiny", progress=False)
    return store.open_model("tiny")


def tiny_runner(model: StoredModel, kind: str = "cpu", max_binding: int = 128 << 20) -> ModelRunner:
    plan = compile_plan(model.manifest, CONTEXT, traits_for(kind, max_binding), chunk=CHUNK, all_logits=True)
    return ModelRunner(Host(plan, model.folder))


def chunk_logits(runner: ModelRunner, n_rows: int) -> np.ndarray:
    """The logits_all rows a prefill step wrote: [n_rows, vocab]."""
    vocab = runner.plan["vocab_size"]
    return runner.host.read_buffer("logits_all")[: n_rows * vocab].reshape(n_rows, vocab)


def relative_errors(gpu: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per position: max |gpu - ref| / max |ref| over the vocabulary."""
    gpu, ref = np.atleast_2d(gpu), np.atleast_2d(ref)
    return np.abs(gpu - ref).max(axis=-1) / np.abs(ref).max(axis=-1)


def clear_margin(logits: np.ndarray, tolerance: float) -> bool:
    """Whether the top token wins by more than the engine's error could flip."""
    top2 = np.sort(logits)[-2:]
    return top2[1] - top2[0] > tolerance * np.abs(logits).max()
