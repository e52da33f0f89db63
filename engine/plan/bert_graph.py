"""The encoder plan (BERT, e.g. all-MiniLM-L6-v2): token rows → sentence embeddings, one program.

Several texts are packed one after another into the step's ROWS rows (no padding): the host
writes `meta` [ROWS, 4] u32 = (token id, position, token type, sequence index) per row, `spans`
[SEQUENCES, 2] u32 = (first row, rows) per text (zeros for unused slots), and the Step uniform
(n_tokens = rows used); runs program "encode"; and reads `embeddings` [SEQUENCES, hidden].

    embed_bert → layernorm → num_layers × [qkv (+bias) → bidirectional attention within each text
    → out proj (+bias) + residual → layernorm → ffn_up (+bias) → GELU → ffn_down (+bias) + residual
    → layernorm] → mean pool per text → L2 normalise

Residuals are fused into the products (ACCUMULATE); the hidden state ping-pongs between `x` and
`xa` because a layernorm cannot write the buffer it reads. Tensor names: desktop/importers/bert_import.py.
"""


from desktop.errors import UnsupportedModel
from engine.plan import bert_ops, ops
from engine.plan.adapter import norm_workgroup
from engine.plan.builder import STEP_FIELDS, PlanBuilder
from engine.plan.plan_cache import cached_plan
from engine.plan.weights import Matrix, fusable, fused_matrix, matrix, vector

BERT_COMPILER_VERSION = 1


def capacity(traits: dict) -> tuple[int, int]:
    """(rows, sequences) per step: one 256-token text fits on any adapter; GPUs take bigger batches."""
    return (256, 32) if traits["kind"] == "cpu" else (1024, 64)


class EncoderGraph:
    def __init__(self, b: PlanBuilder, manifest: dict, traits: dict, rows: int, sequences: int):
        self.b, self.cfg, self.tensors = b, manifest["config"], manifest["tensors"]
        self.traits, self.rows, self.sequences = traits, rows, sequences
        self.wg = norm_workgroup(traits)
        c = self.cfg
        if c.get("pooling", "mean") != "mean":
            raise UnsupportedModel("Hearth embeds with mean pooling only; use all-MiniLM-L6-v2.")
        hidden = c["hidden_size"]
        self.qkv_width = (c["num_heads"] + 2 * c["num_kv_heads"]) * c["head_dim"]
        b.buffer("step", 64, usage="uniform")
        b.buffer("meta", 16 * rows)
        b.buffer("spans", 8 * sequences)
        for name, width in (
            ("x", hidden),
            ("xa", hidden),
            ("qkv", self.qkv_width),
            ("ctx", c["num_heads"] * c["head_dim"]),
            ("inter", c["intermediate_size"]),
        ):
            b.buffer(name, 4 * rows * width)
        b.buffer("embeddings", 4 * sequences * hidden)
        b.buffer("dummy", 16)

    def table(self, name: str) -> dict:
        """A whole f32 table (positions, token types) as one binding."""
        entry = self.tensors[name]
        if entry["format"] != "f32" or len(entry["parts"]["data"]) != 1:
            raise UnsupportedModel(f"{name} must be one f32 part; import the embedding model again.")
        return self.b.weight(name, entry["parts"]["data"])

    def product(
        self,
        label: str,
        mats: list[tuple[Matrix, int]],
        x: str,
        y: str,
        width: int,
        bias: dict,
        accumulate: bool = False,
    ) -> None:
        for mat, offset in mats:
            ops.matmul(
                self.b,
                label,
                mat,
                x,
                y,
                out_offset=offset,
                out_stride=width,
                rows=self.rows,
                traits=self.traits,
                bias=bias,
                accumulate=accumulate,
            )

    def norm(self, label: str, x: str, name: str, y: str) -> None:
        bert_ops.layernorm(
            self.b,
            label,
            x,
            vector(self.b, self.tensors, name + ".weight"),
            vector(self.b, self.tensors, name + ".bias"),
            y,
            width=self.cfg["hidden_size"],
            rows=self.rows,
            eps=self.cfg["layer_norm_eps"],
            workgroup=self.wg,
        )

    def qkv(self, p: str) -> tuple[list[tuple[Matrix, int]], dict]:
        names = [f"{p}attn_{n}.weight" for n in "qkv"]
        biases = [self.tensors[f"{p}attn_{n}.bias"]["parts"]["data"][0] for n in "qkv"]
        bias = self.b.weight(p + "qkv.bias", biases)  # stacked like the rows: bias[ROW_OFFSET + row]
        if fusable(self.tensors, names, self.traits["max_binding"]):
            return [(fused_matrix(self.b, self.tensors, names, p + "qkv"), 0)], bias
        mats, offset = [], 0
        for name in names:
            mat = matrix(self.b, self.tensors, name)
            mats.append((mat, offset))
            offset += mat.n
        return mats, bias

    def emit(self) -> None:
        b, c = self.b, self.cfg
        b.begin("encode")
        word = matrix(b, self.tensors, "token_embd.weight")
        if word.quantized or len(word.components["data"]) != 1:
            raise UnsupportedModel("The embedding table must be one float part; import the embedding model again.")
        bert_ops.embed_bert(
            b,
            "embed",
            word,
            position=self.table("position_embd.weight"),
            token_type=self.table("token_types.weight"),
            meta="meta",
            out="xa",
            rows=self.rows,
        )
        self.norm("embed_norm", "xa", "token_embd_norm", "x")
        for i in range(c["num_layers"]):
            self.layer(i)
        bert_ops.mean_pool(
            b,
            "pool",
            x="x",
            spans="spans",
            out="embeddings",
            width=c["hidden_size"],
            sequences=self.sequences,
            normalize=c.get("normalize", True),
            workgroup=self.wg,
        )

    def layer(self, i: int) -> None:
        b, c, p, hidden = self.b, self.cfg, f"blk.{i}.", self.cfg["hidden_size"]
        mats, bias = self.qkv(p)
        self.product(p + "qkv", mats, "x", "qkv", self.qkv_width, bias)
        bert_ops.attention_bidirectional(
            b, p + "attention", c, qkv="qkv", meta="meta", spans="spans", out="ctx", rows=self.rows, workgroup=self.wg
        )
        self.product(
            p + "attn_output",
            [(matrix(b, self.tensors, p + "attn_output.weight"), 0)],
            "ctx",
            "x",
            hidden,
            vector(b, self.tensors, p + "attn_output.bias"),
            accumulate=True,
        )
        self.norm(p + "attn_output_norm", "x", p + "attn_output_norm", "xa")
        inter = c["intermediate_size"]
        self.product(
            p + "ffn_up",
            [(matrix(b, self.tensors, p + "ffn_up.weight"), 0)],
            "xa",
            "inter",
            inter,
            vector(b, self.tensors, p + "ffn_up.bias"),
        )
        bert_ops.gelu(b, p + "gelu", x="inter", width=inter, rows=self.rows)
        self.product(
            p + "ffn_down",
            [(matrix(b, self.tensors, p + "ffn_down.weight"), 0)],
            "inter",
            "xa",
            hidden,
            vector(b, self.tensors, p + "ffn_down.bias"),
            accumulate=True,
        )
        self.norm(p + "layer_output_norm", "xa", p + "layer_output_norm", "x")


def compile_bert_plan(manifest: dict, traits: dict, rows: int | None = None, sequences: int | None = None) -> dict:
    """The encoder plan (docs/plan.md's format; program "encode", io meta/spans/embeddings)."""
    default_rows, default_sequences = capacity(traits)
    rows, sequences = rows or default_rows, sequences or default_sequences
    if rows > 65535:
        raise ValueError("rows must fit one dispatch dimension")
    builder = PlanBuilder()
    EncoderGraph(builder, manifest, traits, rows, sequences).emit()
    cfg = manifest["config"]
    return {
        "format": "hearth-plan",
        "format_version": 1,
        "compiler_version": BERT_COMPILER_VERSION,
        "kind": "encoder",
        "model_id": manifest["id"],
        "manifest_created": manifest.get("created"),
        "rows": rows,
        "sequences": sequences,
        "max_tokens": min(cfg["max_seq_length"], cfg["max_position_embeddings"], rows),
        "hidden_size": cfg["hidden_size"],
        "vocab_size": cfg["vocab_size"],
        "adapter": traits,
        "step": {"size": 4 * len(STEP_FIELDS), "fields": [list(f) for f in STEP_FIELDS]},
        "buffers": builder.buffers,
        "weights": builder.weights,
        "pipelines": builder.pipelines,
        "programs": builder.programs,
        "io": {"step": "step", "meta": "meta", "spans": "spans", "embeddings": "embeddings"},
        "stats": {
            "weight_bytes": sum(w["size"] for w in builder.weights.values()),
            "dispatches": {"encode": len(builder.programs["encode"])},
        },
    }


def bert_plan_for(model, traits: dict) -> dict:
    """The plan of a stored embedding model, read from its plans/ folder when current, else compiled and saved."""
    path = model.folder / "plans" / f"encoder-{traits['key']}.json"
    return cached_plan(path, BERT_COMPILER_VERSION, model, traits, lambda: compile_bert_plan(model.manifest, traits))
