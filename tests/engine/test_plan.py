"""The plan compiler's output on SmolLM2 (structure, sizes, fusion) and split-tensor segments."""

import json

import pytest

from engine.plan import compile_plan, plan_for
from engine.plan.adapter import traits_for
from engine.plan.builder import PlanBuilder
from engine.plan.segments import segments
from engine.plan.weights import matrix
from tests.engine.smollm2 import smollm2_store  # noqa: F401 - fixture

CONTEXT = 1024


@pytest.fixture(scope="module")
def smollm2(smollm2_store):  # noqa: F811
    return smollm2_store.open_model("smollm2-135m-instruct")


def test_smollm2_plan_structure(smollm2):
    cfg = smollm2.config
    plan = compile_plan(smollm2.manifest, CONTEXT, traits_for("cpu"))
    layers, hidden = cfg["num_layers"], cfg["hidden_size"]
    # decode per layer: 2 norms, fused qkv, rope, attention + combine, o-proj, fused gate/up, act, down
    assert plan["stats"]["dispatches"]["decode"] == 1 + 10 * layers + 3
    assert plan["stats"]["dispatches"]["prefill"] == 1 + 9 * layers
    assert plan["stats"]["dispatches"]["prefill_last"] == 1 + 9 * layers + 3
    kv_row = cfg["num_kv_heads"] * cfg["head_dim"] * 4
    assert plan["buffers"]["k_cache.0"]["size"] == CONTEXT * kv_row
    assert plan["stats"]["kv_bytes"] == 2 * layers * CONTEXT * kv_row
    assert plan["buffers"]["x"]["size"] == plan["chunk"] * hidden * 4
    assert plan["buffers"]["logits"]["size"] == cfg["vocab_size"] * 4
    # q, k and v are one fused weight per component, exactly the three tensors' bytes
    tensors = smollm2.manifest["tensors"]
    fused = plan["weights"]["blk.0.qkv.data"]
    assert sum(r["nbytes"] for r in fused["ranges"]) == sum(
        tensors[f"blk.0.attn_{n}.weight"]["parts"]["data"][0]["nbytes"] for n in "qkv"
    )
    # the tied LM head reads the embedding table, so all weights are read per token
    assert plan["stats"]["weight_bytes_per_token"] == plan["stats"]["weight_bytes"]
    assert (
        abs(plan["stats"]["weight_bytes"] - smollm2.manifest["size_bytes"])
        < 0.1 * smollm2.manifest["size_bytes"]
    )
    json.dumps(plan)  # plain data
    gpu = compile_plan(smollm2.manifest, CONTEXT, traits_for("gpu", 1 << 30))
    mapping = {
        p["constants"]["THREADS_PER_ROW"] for p in gpu["pipelines"].values() if p["kernel"] == "matvec_quant"
    }
    assert mapping == {16}  # engine/plan/adapter.py: 16 lanes per q4 row on GPUs (docs/benchmarks.md)


def test_plan_is_cached_next_to_the_model(smollm2):
    traits = traits_for("cpu")
    first = plan_for(smollm2, CONTEXT, traits)
    files = list((smollm2.folder / "plans").glob("*.json"))
    assert [f.name for f in files] == [f"{CONTEXT}-{traits['key']}.json"]
    assert plan_for(smollm2, CONTEXT, traits) == first


def test_segments_follow_each_components_own_parts():
    """data split at rows 0/6/10 and scales at 0/8/10 → dispatches over rows 0-6, 6-8, 8-10."""

    def parts(*rows):
        return [{"file": "w.bin", "offset": 256 * i, "nbytes": 16 * r, "rows": r} for i, r in enumerate(rows)]

    entry = {
        "shape": [10, 32],
        "format": "q4",
        "group_size": 32,
        "zero_point": 0,
        "scale_type": "f16",
        "min_type": None,
        "parts": {"data": parts(6, 4), "scales": parts(8, 2)},
    }
    mat = matrix(PlanBuilder(), {"w": entry}, "w")
    got = [(s.first_row, s.rows, s.row_base["data"], s.row_base["scales"]) for s in segments(mat)]
    assert got == [(0, 6, 0, 0), (6, 2, 0, 6), (8, 2, 2, 0)]
