"""Dispatches of the encoder (BERT) kernels: the only place that knows their bindings and constants
(read from the headers of engine/kernels/{embed_bert,attention_bidirectional,gelu,mean_pool,layernorm}.wgsl).
Matrix products reuse engine.plan.ops.matmul."""

from engine.plan.builder import PlanBuilder
from engine.plan.ops import FLOAT_FORMATS, STEP, spread
from engine.plan.weights import Matrix


def embed_bert(
    b: PlanBuilder,
    label: str,
    word: Matrix,
    *,
    position: dict,
    token_type: dict,
    meta: str,
    out: str,
    rows: int,
    workgroup: int = 64,
) -> None:
    """out[t] = (word[token] + token_type[type]) + position[pos] for the step's rows."""
    constants = {"N": word.n, "K": word.k, "FORMAT": FLOAT_FORMATS[word.entry["format"]], "WORKGROUP": workgroup}
    data = word.components["data"][0].ref
    b.dispatch(
        label,
        "embed_bert",
        constants,
        [data, position, token_type, meta, out, STEP],
        (-(-word.k // workgroup), rows, 1),
    )


def layernorm(
    b: PlanBuilder,
    label: str,
    x: str,
    weight: dict,
    bias: dict,
    y: str,
    *,
    width: int,
    rows: int,
    eps: float,
    workgroup: int,
) -> None:
    """y = (x - mean) / sqrt(var + eps) * weight + bias per row; x and y must differ."""
    constants = {"WIDTH": width, "EPS": eps, "WORKGROUP": workgroup}
    b.dispatch(label, "layernorm", constants, [x, weight, bias, y, STEP], spread(rows))


def attention_bidirectional(
    b: PlanBuilder, label: str, cfg: dict, *, qkv: str, meta: str, spans: str, out: str, rows: int, workgroup: int
) -> None:
    constants = {
        "HEAD_DIM": cfg["head_dim"],
        "N_HEADS": cfg["num_heads"],
        "N_KV_HEADS": cfg["num_kv_heads"],
        "SCALE": cfg["head_dim"] ** -0.5,
        "WORKGROUP": workgroup,
    }
    b.dispatch(label, "attention_bidirectional", constants, [qkv, meta, spans, out, STEP], (rows, cfg["num_heads"], 1))


def gelu(b: PlanBuilder, label: str, *, x: str, width: int, rows: int, workgroup: int = 64) -> None:
    """x = GELU(x) (exact erf form), in place."""
    b.dispatch(label, "gelu", {"WIDTH": width, "WORKGROUP": workgroup}, [x, STEP], (-(-width // workgroup), rows, 1))


def mean_pool(
    b: PlanBuilder,
    label: str,
    *,
    x: str,
    spans: str,
    out: str,
    width: int,
    sequences: int,
    normalize: bool,
    workgroup: int,
) -> None:
    constants = {"WIDTH": width, "NORMALIZE": int(normalize), "WORKGROUP": workgroup}
    b.dispatch(label, "mean_pool", constants, [x, spans, out], (sequences, 1, 1))
