"""Benchmark Hearth's engine on models with the shapes of DESIGN §6's llama.cpp anchors, built
with random weights straight into a store (no download; the 98 MB GGUF never has to travel).

    python scripts/bench_models.py --home /tmp/bench-home [--models smollm2-135m,llama-3.1-8b]
        [--prompt 512 --decode 128 --repeats 5] [--mapping 8x8] [--profile] [--json out.json]

Prints one row per model: prefill and decode tok/s (medians of `repeats`), load GB/s,
dispatches per token, weight bytes per token and the share of --bandwidth that decode streams.
--profile adds where a decode step's time goes (GPU time by kernel group, CPU encoding, read-back).
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.store.model_store import ModelStore  # noqa: E402
from desktop.store.tensor_codec import PlainTensor, QuantizedTensor  # noqa: E402
from desktop.store.weights_writer import WeightWriter  # noqa: E402

# The anchors' shapes (Hugging Face configs). SmolLM2's real file is Q4_1 with a Q8_0 embedding.
SHAPES = {
    "smollm2-135m": dict(
        hidden=576,
        inter=1536,
        layers=30,
        heads=9,
        kv=3,
        hd=64,
        vocab=49152,
        tied=True,
        bias=False,
        theta=1e5,
        quant="q4_1",
        embed_quant="q8_0",
    ),
    "qwen2.5-0.5b": dict(
        hidden=896,
        inter=4864,
        layers=24,
        heads=14,
        kv=2,
        hd=64,
        vocab=151936,
        tied=True,
        bias=True,
        theta=1e6,
        quant="q4_0",
        embed_quant="q4_0",
    ),
    "llama-3.2-1b": dict(
        hidden=2048,
        inter=8192,
        layers=16,
        heads=32,
        kv=8,
        hd=64,
        vocab=128256,
        tied=True,
        bias=False,
        theta=5e5,
        quant="q4_0",
        embed_quant="q4_0",
    ),
    "llama-3.1-8b": dict(
        hidden=4096,
        inter=14336,
        layers=32,
        heads=32,
        kv=8,
        hd=128,
        vocab=128256,
        tied=False,
        bias=False,
        theta=5e5,
        quant="q4_0",
        embed_quant="q4_0",
    ),
}
LLAMA_CPP_H100 = {  # DESIGN §6: prefill, decode tok/s
    "smollm2-135m": (52476, 833),
    "qwen2.5-0.5b": (52393, 924),
    "llama-3.2-1b": (35836, 920),
    "llama-3.1-8b": (11496, 304),
}


class ReusingWriter(WeightWriter):
    """Encodes each distinct random tensor once: every layer of a shape reuses the same bytes
    (speed does not depend on the values, and packing 8B codes 32 times would take minutes)."""

    def __init__(self, folder):
        super().__init__(folder)
        self._encoded = {}

    def add(self, name, tensor, shape):
        import desktop.store.weights_writer as ww

        key = id(tensor)
        if key not in self._encoded:
            self._encoded[key] = ww.encode(tensor, shape)
        original = ww.encode
        ww.encode = lambda t, s: (dict(self._encoded[key][0]), self._encoded[key][1])
        try:
            return super().add(name, tensor, shape)
        finally:
            ww.encode = original


def random_quant(rng, n, k, kind):
    """q4_0: zero point 8, f16 scale; q4_1: f16 scale + f16 min; q8_0: zero point 128."""
    bits, group = (8, 32) if kind == "q8_0" else (4, 32)
    codes = rng.integers(0, 1 << bits, (n, k), dtype=np.uint8)
    spread = 0.29 * (1 << bits) / np.sqrt(12)  # code standard deviation
    scales = (rng.uniform(0.5, 1.5, (n, k // group)) / (spread * np.sqrt(k))).astype(np.float16)
    if kind == "q4_1":
        mins = (-7.5 * scales.astype(np.float32)).astype(np.float16)
        return QuantizedTensor("q4", codes, scales, mins, group, 0, "f16", "f16", "Q4_1")
    zero = 128 if bits == 8 else 8
    return QuantizedTensor("q4" if bits == 4 else "q8", codes, scales, None, group, zero, "f16", None, kind.upper())


def tokenizer_json(vocab: int) -> str:
    """A tiny valid word-level tokenizer: the bench feeds token ids directly."""
    words = {f"w{i}": i for i in range(min(vocab, 256))}
    return json.dumps(
        {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [],
            "normalizer": None,
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None,
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": words, "unk_token": "w0"},
        }
    )


def build(store: ModelStore, name: str) -> None:
    s = SHAPES[name]
    rng = np.random.default_rng(7)
    h, hd = s["hidden"], s["hd"]
    mats = {
        "attn_q": random_quant(rng, s["heads"] * hd, h, s["quant"]),
        "attn_k": random_quant(rng, s["kv"] * hd, h, s["quant"]),
        "attn_v": random_quant(rng, s["kv"] * hd, h, s["quant"]),
        "attn_output": random_quant(rng, h, s["heads"] * hd, s["quant"]),
        "ffn_gate": random_quant(rng, s["inter"], h, s["quant"]),
        "ffn_up": random_quant(rng, s["inter"], h, s["quant"]),
        "ffn_down": random_quant(rng, h, s["inter"], s["quant"]),
    }
    shapes = {k: [v.codes.shape[0], v.codes.shape[1]] for k, v in mats.items()}
    norm = PlainTensor("f32", np.ones(h, np.float32), "F32")
    biases = {
        n: PlainTensor("f32", rng.normal(0, 0.1, shapes["attn_" + n][0]).astype(np.float32), "F32") for n in "qkv"
    }
    with store.new_model(name) as builder:
        builder.writer = writer = ReusingWriter(builder.folder)
        writer.add("token_embd.weight", random_quant(rng, s["vocab"], h, s["embed_quant"]), [s["vocab"], h])
        for i in range(s["layers"]):
            for n, t in (("attn_norm", norm), ("ffn_norm", norm)):
                writer.add(f"blk.{i}.{n}.weight", t, [h])
            for n, t in mats.items():
                writer.add(f"blk.{i}.{n}.weight", t, shapes[n])
            if s["bias"]:
                for n, t in biases.items():
                    writer.add(f"blk.{i}.attn_{n}.bias", t, [shapes["attn_" + n][0]])
        writer.add("output_norm.weight", norm, [h])
        if not s["tied"]:
            writer.add("output.weight", random_quant(rng, s["vocab"], h, s["quant"]), [s["vocab"], h])
        builder.add_file("tokenizer.json", tokenizer_json(s["vocab"]))
        builder.manifest.update(
            {
                "name": f"{name} shape (random weights)",
                "architecture": "qwen2" if s["bias"] else "llama",
                "license": "none",
                "source": {"kind": "synthetic"},
                "context_length": 8192,
                "quantization": s["quant"].upper(),
                "special_tokens": {"bos": 1, "eos": [2]},
                "config": {
                    "vocab_size": s["vocab"],
                    "hidden_size": h,
                    "intermediate_size": s["inter"],
                    "num_layers": s["layers"],
                    "num_heads": s["heads"],
                    "num_kv_heads": s["kv"],
                    "head_dim": hd,
                    "rms_norm_eps": 1e-5,
                    "rope_theta": s["theta"],
                    "rope_local_theta": None,
                    "rope_scaling": None,
                    "rope_pairing": "adjacent",
                    "tie_word_embeddings": s["tied"],
                    "attention_bias": s["bias"],
                    "qk_norm": False,
                    "norm_offset": 0.0,
                    "hidden_act": "silu",
                    "embedding_scale": 1.0,
                    "sandwich_norms": False,
                    "sliding_window": None,
                    "layer_types": ["full"] * s["layers"],
                    "attn_scale": hd**-0.5,
                    "final_logit_softcap": None,
                    "max_position_embeddings": 8192,
                },
            }
        )


if __name__ == "__main__":
    from scripts.bench_timing import main

    main(build, SHAPES, LLAMA_CPP_H100)
