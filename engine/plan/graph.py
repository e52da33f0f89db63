"""The transformer as dispatches: embed → blocks → final norm → LM head → sampler, for one
program (prefill chunk of C rows, or decode of 1 row). Every architecture difference is read
from the normalised config (docs/formats.md), none from the architecture's name."""

import numpy as np

from engine.plan import ops
from engine.plan.adapter import attention_splits, matvec_mapping, norm_workgroup
from engine.plan.builder import PlanBuilder
from engine.plan.rope import inv_freq_table, rope_kind
from engine.plan.weights import Matrix, fusable, fused_matrix, matrix, vector


class Graph:
    def __init__(
        self,
        b: PlanBuilder,
        manifest: dict,
        context: int,
        chunk: int,
        traits: dict,
        freq_factors: np.ndarray | None = None,
        all_logits: bool = False,
    ):
        self.b, self.cfg, self.tensors = b, manifest["config"], manifest["tensors"]
        self.context, self.chunk, self.traits = context, chunk, traits
        self.mapping = matvec_mapping(traits)
        self.wg = norm_workgroup(traits)
        self.splits = attention_splits(traits, context)
        self.freq_factors = freq_factors
        self.all_logits = all_logits  # tests: prefill also writes every row's logits to logits_all
        self._declare_buffers()

    # ---- buffers ----
    def _declare_buffers(self) -> None:
        b, c, rows = self.b, self.cfg, self.chunk
        hidden, heads, kv, hd, inter = (
            c["hidden_size"],
            c["num_heads"],
            c["num_kv_heads"],
            c["head_dim"],
            c["intermediate_size"],
        )
        self.qkv_width = (heads + 2 * kv) * hd
        b.buffer("step", 64, usage="uniform")
        b.buffer("tokens", 4 * rows)
        for name, width in (
            ("x", hidden),
            ("xn", hidden),
            ("h", hidden),
            ("qkv", self.qkv_width),
            ("q", heads * hd),
            ("attn", heads * hd),
            ("gu", 2 * inter),
            ("act", inter),
        ):
            b.buffer(name, 4 * rows * width)
        b.buffer("partials", 4 * heads * self.splits * (hd + 2))
        b.buffer("logits", 4 * c["vocab_size"])
        if self.all_logits:
            b.buffer("logits_all", 4 * rows * c["vocab_size"])
        b.buffer("counts", 4 * c["vocab_size"])
        b.buffer("history", 4 * (self.context + 1))
        b.buffer("sampled", 16)
        b.buffer("dummy", 16)
        b.buffer("residual_n", 16, init=np.array([rows * hidden], np.uint32))
        for i in range(c["num_layers"]):
            b.buffer(f"k_cache.{i}", 4 * self.context * kv * hd)
            b.buffer(f"v_cache.{i}", 4 * self.context * kv * hd)
        kinds = {rope_kind(c, i) for i in range(c["num_layers"])}
        for kind in sorted(kinds):
            b.buffer(f"rope.{kind}", 2 * hd, init=inv_freq_table(c, kind, self.freq_factors))

    # ---- weights ----
    def stacked(self, names: list[str], fused_name: str) -> list[tuple[Matrix, int]]:
        """The matrices computing `names` into one output row: fused when possible, with offsets."""
        if fusable(self.tensors, names, self.traits["max_binding"]):
            return [(fused_matrix(self.b, self.tensors, names, fused_name), 0)]
        out, offset = [], 0
        for name in names:
            mat = matrix(self.b, self.tensors, name)
            out.append((mat, offset))
            offset += mat.n
        return out

    def qkv_bias(self, layer: int) -> dict | None:
        if not self.cfg["attention_bias"]:
            return None
        names = [f"blk.{layer}.attn_{n}.bias" for n in "qkv"]
        return self.b.weight(f"blk.{layer}.qkv.bias", [self.tensors[n]["parts"]["data"][0] for n in names])

    def norm_weight(self, name: str) -> dict:
        return vector(self.b, self.tensors, name)

    # ---- ops ----
    def product(self, label, mats, x, y, out_stride, rows, bias=None, accumulate=False, last_row=False):
        for mat, offset in mats:
            if rows == 1 or last_row:
                ops.matvec(
                    self.b,
                    label,
                    mat,
                    x,
                    y,
                    out_offset=offset,
                    out_stride=out_stride,
                    mapping=self.mapping,
                    bias=bias,
                    accumulate=accumulate,
                    x_row_from_step=last_row,
                )
            else:
                ops.matmul(
                    self.b,
                    label,
                    mat,
                    x,
                    y,
                    out_offset=offset,
                    out_stride=out_stride,
                    rows=rows,
                    traits=self.traits,
                    bias=bias,
                    accumulate=accumulate,
                )

    def norm(self, label, x, weight_name, y, width, rows):
        ops.rmsnorm(
            self.b,
            label,
            x,
            self.norm_weight(weight_name),
            y,
            width=width,
            rows=rows,
            eps=self.cfg["rms_norm_eps"],
            offset=self.cfg["norm_offset"],
            workgroup=self.wg,
        )

    def residual(self, label, out_name, rows, post_norm):
        """x += out (through a post norm on Gemma 3), or nothing when the product accumulated."""
        hidden = self.cfg["hidden_size"]
        self.norm(label + ".post_norm", "h", post_norm, None, hidden, rows)
        ops.residual_add(self.b, label + ".residual", x="x", y="h", params="residual_n", n=rows * hidden)

    # ---- the model ----
    def emit(self, program: str) -> None:
        rows = 1 if program == "decode" else self.chunk
        c, b = self.cfg, self.b
        b.begin(program)
        ops.embed(
            b,
            "embed",
            matrix(b, self.tensors, "token_embd.weight"),
            tokens="tokens",
            out="x",
            rows=rows,
            scale=c["embedding_scale"],
        )
        for i in range(c["num_layers"]):
            self.block(i, rows, decode=program == "decode")
        if self.all_logits and program != "decode":
            self.head_all_rows(rows)
        if program != "prefill":
            self.head(rows, last_row=program == "prefill_last")

    def block(self, i: int, rows: int, decode: bool) -> None:
        c, p, hidden = self.cfg, f"blk.{i}.", self.cfg["hidden_size"]
        sandwich = c["sandwich_norms"]
        self.norm(p + "attn_norm", "x", p + "attn_norm.weight", "xn", hidden, rows)
        qkv = self.stacked([p + f"attn_{n}.weight" for n in "qkv"], p + "qkv")
        self.product(p + "qkv", qkv, "xn", "qkv", self.qkv_width, rows, bias=self.qkv_bias(i))
        norms = (
            (self.norm_weight(p + "attn_q_norm.weight"), self.norm_weight(p + "attn_k_norm.weight"))
            if c["qk_norm"]
            else (None, None)
        )
        kcache, vcache = f"k_cache.{i}", f"v_cache.{i}"
        ops.rope_qkv(
            b := self.b,
            p + "rope",
            c,
            qkv="qkv",
            inv_freq=f"rope.{rope_kind(c, i)}",
            q_norm=norms[0],
            k_norm=norms[1],
            q_out="q",
            k_cache=kcache,
            v_cache=vcache,
            rows=rows,
            workgroup=self.wg,
        )
        window = c["sliding_window"] if c["layer_types"][i] == "sliding" else None
        if decode:
            ops.attention_decode(
                b,
                p + "attention",
                c,
                q="q",
                k_cache=kcache,
                v_cache=vcache,
                partials="partials",
                out="attn",
                splits=self.splits,
                window=window,
                workgroup=self.wg,
            )
        else:
            ops.attention_prefill(
                b,
                p + "attention",
                c,
                q="q",
                k_cache=kcache,
                v_cache=vcache,
                out="attn",
                rows=rows,
                window=window,
                workgroup=self.wg,
            )
        out = [(matrix(b, self.tensors, p + "attn_output.weight"), 0)]
        self.product(
            p + "attn_output", out, "attn", "h" if sandwich else "x", hidden, rows, accumulate=not sandwich
        )
        if sandwich:
            self.residual(p + "attn", "h", rows, p + "post_attention_norm.weight")
        self.norm(p + "ffn_norm", "x", p + "ffn_norm.weight", "xn", hidden, rows)
        inter = c["intermediate_size"]
        gate_up = self.stacked([p + "ffn_gate.weight", p + "ffn_up.weight"], p + "gate_up")
        self.product(p + "gate_up", gate_up, "xn", "gu", 2 * inter, rows)
        ops.gated_act(
            b, p + "act", gu="gu", out="act", intermediate=inter, act=c["hidden_act"], rows=rows, workgroup=64
        )
        down = [(matrix(b, self.tensors, p + "ffn_down.weight"), 0)]
        self.product(
            p + "ffn_down", down, "act", "h" if sandwich else "x", hidden, rows, accumulate=not sandwich
        )
        if sandwich:
            self.residual(p + "ffn", "h", rows, p + "post_ffw_norm.weight")

    def head(self, rows: int, last_row: bool) -> None:
        c, b = self.cfg, self.b
        self.norm("output_norm", "x", "output_norm.weight", "xn", c["hidden_size"], rows)
        name = "token_embd.weight" if c["tie_word_embeddings"] else "output.weight"
        vocab = c["vocab_size"]
        self.product(
            "lm_head", [(matrix(b, self.tensors, name), 0)], "xn", "logits", vocab, rows, last_row=last_row
        )
        if c["final_logit_softcap"]:
            ops.softcap(b, "softcap", x="logits", n=vocab, cap=c["final_logit_softcap"])
        ops.sample(
            b,
            "sample",
            logits="logits",
            history="history",
            counts="counts",
            out_tokens="tokens",
            readback="sampled",
            vocab=vocab,
        )

    def head_all_rows(self, rows: int) -> None:
        c = self.cfg
        self.norm("output_norm.all", "x", "output_norm.weight", "xn", c["hidden_size"], rows)
        name = "token_embd.weight" if c["tie_word_embeddings"] else "output.weight"
        vocab = c["vocab_size"]
        self.product(
            "lm_head.all", [(matrix(self.b, self.tensors, name), 0)], "xn", "logits_all", vocab, rows
        )
        if c["final_logit_softcap"]:
            ops.softcap(self.b, "softcap.all", x="logits_all", n=rows * vocab, cap=c["final_logit_softcap"])
