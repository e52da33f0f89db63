"""compile_plan: manifest → plan dict; plan_for: the same, cached as JSON next to the model."""

from pathlib import Path

import numpy as np

from engine.plan.adapter import chunk_size
from engine.plan.builder import STEP_FIELDS, PlanBuilder
from engine.plan.graph import Graph
from engine.plan.plan_cache import cached_plan

COMPILER_VERSION = 3
PROGRAMS = ("prefill", "prefill_last", "decode")


def _freq_factors(manifest: dict, read_tensor) -> np.ndarray | None:
    scaling = manifest["config"].get("rope_scaling") or {}
    if scaling.get("type") == "freq_factors":
        return read_tensor(scaling["tensor"])
    return None


def compile_plan(
    manifest: dict,
    context: int,
    traits: dict,
    read_tensor=None,
    chunk: int | None = None,
    all_logits: bool = False,
) -> dict:
    """read_tensor(name) → f32 array is needed only for models with GGUF rope frequency factors;
    all_logits (tests) makes prefill write every row's logits to the buffer logits_all."""
    cfg = manifest["config"]
    context = int(min(context, manifest.get("context_length") or context))
    chunk = chunk or chunk_size(traits)
    builder = PlanBuilder()
    graph = Graph(builder, manifest, context, chunk, traits, _freq_factors(manifest, read_tensor), all_logits)
    for program in PROGRAMS:
        graph.emit(program)
    plan = {
        "format": "hearth-plan",
        "format_version": 1,
        "compiler_version": COMPILER_VERSION,
        "model_id": manifest["id"],
        "manifest_created": manifest.get("created"),
        "context": context,
        "chunk": chunk,
        "vocab_size": cfg["vocab_size"],
        "adapter": traits,
        "step": {"size": 4 * len(STEP_FIELDS), "fields": [list(f) for f in STEP_FIELDS]},
        "buffers": builder.buffers,
        "weights": builder.weights,
        "pipelines": builder.pipelines,
        "programs": builder.programs,
        "io": {
            "tokens": "tokens",
            "sampled": "sampled",
            "logits": "logits",
            "history": "history",
            "step": "step",
        },
    }
    plan["stats"] = _stats(plan)
    return plan


def _bound_weights(plan: dict, program: str) -> set[str]:
    return {
        b["weight"]
        for d in plan["programs"][program]
        for b in d["bindings"]
        if isinstance(b, dict) and "weight" in b
    }


def _stats(plan: dict) -> dict:
    kv = sum(v["size"] for k, v in plan["buffers"].items() if k.startswith(("k_cache.", "v_cache.")))
    scratch = sum(v["size"] for v in plan["buffers"].values()) - kv
    decode_weights = _bound_weights(plan, "decode") - {
        "token_embd.weight.data",
        "token_embd.weight.scales",
        "token_embd.weight.mins",
    }
    head_tied = any(
        d["label"] == "lm_head"
        and any(isinstance(b, dict) and b.get("weight", "").startswith("token_embd") for b in d["bindings"])
        for d in plan["programs"]["decode"]
    )
    if head_tied:
        decode_weights |= {w for w in _bound_weights(plan, "decode") if w.startswith("token_embd")}
    return {
        "weight_bytes": sum(w["size"] for w in plan["weights"].values()),
        "weight_bytes_per_token": sum(plan["weights"][w]["size"] for w in decode_weights),
        "kv_bytes": kv,
        "scratch_bytes": scratch,
        "dispatches": {p: len(plan["programs"][p]) for p in PROGRAMS},
    }


def plan_path(model_folder: Path, context: int, traits: dict) -> Path:
    return model_folder / "plans" / f"{context}-{traits['key']}.json"


def plan_for(model, context: int, traits: dict) -> dict:
    """The plan of a StoredModel, read from its plans/ folder when current, else compiled and saved."""
    context = int(min(context, model.manifest.get("context_length") or context))
    return cached_plan(
        plan_path(model.folder, context, traits),
        COMPILER_VERSION,
        model,
        traits,
        lambda: compile_plan(model.manifest, context, traits, read_tensor=model.tensor),
    )
