"""One function per kernel: the only place that knows each kernel's bindings and constants
(read from the headers of engine/kernels/*.wgsl). Each appends dispatches to the builder."""

from engine.plan.builder import PlanBuilder
from engine.plan.segments import segments
from engine.plan.weights import Matrix

FLOAT_FORMATS = {"f32": 0, "f16": 1, "bf16": 2}
MIN_KINDS = {None: 0, "f16": 1, "f32": 2}
STEP = "step"
DUMMY = "dummy"  # bound where a kernel declares a binding it does not read under its constants


def spread(groups: int) -> tuple[int, int, int]:
    """Workgroup count as (x, y, 1) with x <= 65535 (kernels index x + y * 65535 or x + y * nx)."""
    if groups <= 65535:
        return (max(groups, 1), 1, 1)
    return (65535, -(-groups // 65535), 1)


def quant_constants(mat: Matrix, row_base: dict) -> dict:
    e = mat.entry
    return {
        "BITS": 4 if e["format"] == "q4" else 8,
        "GROUP_SIZE": e["group_size"],
        "ZERO_POINT": e["zero_point"],
        "SCALE_F16": int(e["scale_type"] == "f16"),
        "MIN_KIND": MIN_KINDS[e["min_type"]],
        "DATA_ROW_BASE": row_base.get("data", 0),
        "SCALES_ROW_BASE": row_base.get("scales", 0),
        "MINS_ROW_BASE": row_base.get("mins", 0),
    }


def _matrix_dispatches(
    b: PlanBuilder,
    label: str,
    kernel_base: str,
    mat: Matrix,
    x: str,
    y: str,
    constants: dict,
    bias: dict | None,
    out_offset: int,
    groups_of,
):
    """One dispatch per segment of `mat`; groups_of(rows) gives the workgroup counts."""
    for seg in segments(mat):
        seg_constants = {
            **constants,
            "N": seg.rows,
            "K": mat.k,
            "ROW_OFFSET": out_offset + seg.first_row,
            "HAS_BIAS": int(bias is not None),
        }
        bias_ref = bias or DUMMY
        if mat.quantized:
            seg_constants.update(quant_constants(mat, seg.row_base))
            refs = seg.refs
            bindings = [refs["data"], refs["scales"], refs.get("mins", DUMMY), bias_ref, x, y, STEP]
            kernel = kernel_base + "_quant"
        else:
            assert seg.row_base.get("data", 0) == 0, "float parts hold whole rows from their start"
            seg_constants["FORMAT"] = FLOAT_FORMATS[mat.entry["format"]]
            bindings = [seg.refs["data"], bias_ref, x, y, STEP]
            kernel = kernel_base + "_float"
        b.dispatch(label, kernel, seg_constants, bindings, groups_of(seg.rows))


def matvec(
    b: PlanBuilder,
    label: str,
    mat: Matrix,
    x: str,
    y: str,
    *,
    out_offset: int,
    out_stride: int,
    mapping: dict,
    bias: dict | None = None,
    accumulate: bool = False,
    x_row_from_step: bool = False,
):
    """y[out_offset + n] (+)= mat[n, :] . x[row] for one row (decode, or the LM head after a chunk)."""
    constants = {
        "OUT_STRIDE": out_stride,
        "ACCUMULATE": int(accumulate),
        "X_ROW_FROM_STEP": int(x_row_from_step),
        **mapping,
    }
    _matrix_dispatches(
        b,
        label,
        "matvec",
        mat,
        x,
        y,
        constants,
        bias,
        out_offset,
        lambda rows: spread(-(-rows // mapping["ROWS_PER_WORKGROUP"])),
    )


def matmul(
    b: PlanBuilder,
    label: str,
    mat: Matrix,
    x: str,
    y: str,
    *,
    out_offset: int,
    out_stride: int,
    rows: int,
    traits: dict,
    bias: dict | None = None,
    accumulate: bool = False,
):
    """y[t, out_offset + n] (+)= mat[n, :] . x[t, :] for the chunk's rows (prefill)."""
    constants = {"OUT_STRIDE": out_stride, "ACCUMULATE": int(accumulate), "T": rows}
    _matrix_dispatches(
        b, label, "matmul", mat, x, y, constants, bias, out_offset, lambda n: (-(-n // 32), -(-rows // 32), 1)
    )


def rmsnorm(
    b: PlanBuilder,
    label: str,
    x: str,
    weight: dict,
    y: str | None,
    *,
    width: int,
    rows: int,
    eps: float,
    offset: float,
    workgroup: int,
    rows_per_token: int = 1,
):
    """y = rmsnorm(x) * (w + offset) per row of `width`; y None = in place."""
    constants = {
        "WIDTH": width,
        "ROWS_PER_TOKEN": rows_per_token,
        "EPS": eps,
        "NORM_OFFSET": offset,
        "IN_PLACE": int(y is None),
        "WORKGROUP": workgroup,
    }
    # In place, Y is never touched, but it may not alias X: WebGPU refuses a dispatch that binds one
    # buffer twice when either binding is writable (native wgpu does not check; browsers do).
    output = y or b.buffer("rmsnorm_unused_output", 16)
    b.dispatch(label, "rmsnorm", constants, [x, weight, output, STEP], spread(rows * rows_per_token))


def rope_qkv(
    b: PlanBuilder,
    label: str,
    cfg: dict,
    *,
    qkv: str,
    inv_freq: str,
    q_norm,
    k_norm,
    q_out: str,
    k_cache: str,
    v_cache: str,
    rows: int,
    workgroup: int,
):
    constants = {
        "HEAD_DIM": cfg["head_dim"],
        "N_HEADS": cfg["num_heads"],
        "N_KV_HEADS": cfg["num_kv_heads"],
        "PAIRING": 1 if cfg["rope_pairing"] == "adjacent" else 0,
        "QK_NORM": int(cfg["qk_norm"]),
        "EPS": cfg["rms_norm_eps"],
        "NORM_OFFSET": cfg["norm_offset"],
        "WORKGROUP": workgroup,
    }
    bindings = [qkv, inv_freq, q_norm or DUMMY, k_norm or DUMMY, q_out, k_cache, v_cache, STEP]
    b.dispatch(label, "rope_qkv", constants, bindings, (rows, cfg["num_heads"] + 2 * cfg["num_kv_heads"], 1))


def _attention_constants(cfg: dict, window: int | None, workgroup: int) -> dict:
    return {
        "HEAD_DIM": cfg["head_dim"],
        "N_HEADS": cfg["num_heads"],
        "N_KV_HEADS": cfg["num_kv_heads"],
        "SCALE": cfg["attn_scale"],
        "WINDOW": window or 0,
        "WORKGROUP": workgroup,
    }


def attention_prefill(b, label, cfg, *, q, k_cache, v_cache, out, rows, window, workgroup):
    constants = _attention_constants(cfg, window, workgroup)
    b.dispatch(
        label, "attention_prefill", constants, [q, k_cache, v_cache, out, STEP], (rows, cfg["num_heads"], 1)
    )


def attention_decode(b, label, cfg, *, q, k_cache, v_cache, partials, out, splits, window, workgroup):
    constants = {**_attention_constants(cfg, window, workgroup), "SPLITS": splits}
    b.dispatch(
        label,
        "attention_decode",
        constants,
        [q, k_cache, v_cache, partials, STEP],
        (splits, cfg["num_heads"], 1),
    )
    b.dispatch(
        label + ".combine",
        "attention_combine",
        {"HEAD_DIM": cfg["head_dim"], "SPLITS": splits, "WORKGROUP": workgroup},
        [partials, out],
        (cfg["num_heads"], 1, 1),
    )


def gated_act(b, label, *, gu: str, out: str, intermediate: int, act: str, rows: int, workgroup: int):
    constants = {"INTERMEDIATE": intermediate, "ACT": 0 if act == "silu" else 1, "WORKGROUP": workgroup}
    b.dispatch(label, "gated_act", constants, [gu, out, STEP], (-(-intermediate // workgroup), rows, 1))


def residual_add(b, label, *, x: str, y: str, params: str, n: int):
    b.dispatch(label, "residual_add", {"WORKGROUP": 64}, [x, y, params], spread(-(-n // 64)))


def softcap(b, label, *, x: str, n: int, cap: float):
    b.dispatch(label, "softcap", {"N": n, "CAP": cap, "WORKGROUP": 64}, [x], spread(-(-n // 64)))


def sample(b, label, *, logits: str, history: str, counts: str, out_tokens: str, readback: str, vocab: int):
    b.dispatch(
        label,
        "sample_token",
        {"VOCAB_PADDED": vocab},
        [STEP, logits, history, counts, out_tokens, readback],
        (1, 1, 1),
    )


def embed(b: PlanBuilder, label: str, mat: Matrix, *, tokens: str, out: str, rows: int, scale: float):
    """out[t, :] = table[tokens[t], :] * scale for t < step.n_tokens; one dispatch per segment."""
    for seg in segments(mat):
        constants = {
            "N": seg.rows,
            "K": mat.k,
            "ROW_OFFSET": seg.first_row,
            "EMBED_SCALE": scale,
            "WORKGROUP": 64,
        }
        if mat.quantized:
            constants.update(quant_constants(mat, seg.row_base))
            refs = seg.refs
            bindings = [refs["data"], refs["scales"], refs.get("mins", DUMMY), tokens, out, STEP]
            kernel = "embed_quant"
        else:
            constants["FORMAT"] = FLOAT_FORMATS[mat.entry["format"]]
            bindings = [seg.refs["data"], tokens, out, STEP]
            kernel = "embed_float"
        b.dispatch(label, kernel, constants, bindings, (((mat.k + 3) // 4 + 63) // 64, rows, 1))
