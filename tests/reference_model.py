"""Plain numpy float32 forward pass over canonical tensor names: the reference the GPU engine
is judged against. It reads only the normalised config of docs/formats.md and imports nothing
from transformers, so agreeing with transformers (tests/test_reference_model.py) means
something.

Shapes: T = new tokens, S = cached + new positions, C = hidden_size, H = num_heads,
KV = num_kv_heads, D = head_dim, F = intermediate_size, V = vocab_size.

Subtleties (checked against transformers' modeling code):
- RMSNorm divides by sqrt(mean(x^2) + eps) and multiplies by w (or 1 + w when norm_offset is 1).
- qk_norm is an RMSNorm over each head's D values, applied to q and k BEFORE RoPE.
- A sliding layer with window W lets query position i see key positions j with i - W < j <= i:
  exactly W tokens including itself (transformers: kv_idx > q_idx - sliding_window).
- Gemma 3: sliding layers use rope_local_theta and no rope_scaling; rope_scaling applies to the
  full layers only. Without rope_local_theta (Mistral v0.1) sliding layers use the global RoPE.
- Gemma 3 multiplies embeddings by sqrt(C) cast to the weights' dtype; here everything is f32.
- RoPE angles are computed in float64 and rounded once to f32 (transformers computes them in
  f32; the difference is far below the tests' tolerance).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def rmsnorm(x: np.ndarray, weight: np.ndarray, eps: float, offset: float) -> np.ndarray:
    # x: [..., C], weight: [C]
    variance = np.mean(x * x, axis=-1, keepdims=True)
    return (x / np.sqrt(variance + np.float32(eps))) * (np.float32(offset) + weight)


def rope_inv_freq(head_dim: int, theta: float, scaling: dict | None) -> np.ndarray:
    """Inverse frequency of each rotated pair: [D/2], float64."""
    inv_freq = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    if scaling is None:
        return inv_freq
    if scaling["type"] == "linear":
        return inv_freq / scaling["factor"]
    if scaling["type"] == "llama3":
        factor, old_context = scaling["factor"], scaling["original_max_position_embeddings"]
        low_freq_wavelen = old_context / scaling["low_freq_factor"]
        high_freq_wavelen = old_context / scaling["high_freq_factor"]
        wavelen = 2 * math.pi / inv_freq
        # short wavelengths stay, long ones are divided by factor, the middle band interpolates
        smooth = (old_context / wavelen - scaling["low_freq_factor"]) / (
            scaling["high_freq_factor"] - scaling["low_freq_factor"]
        )
        interpolated = (1 - smooth) * inv_freq / factor + smooth * inv_freq
        scaled = np.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        middle = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
        return np.where(middle, interpolated, scaled)
    raise ValueError(f"unknown rope scaling {scaling['type']}")


def rope(x: np.ndarray, positions: np.ndarray, inv_freq: np.ndarray, pairing: str) -> np.ndarray:
    """Rotate x: [T, heads, D] at positions [T]. "half" pairs (i, i+D/2); "adjacent" (2i, 2i+1)."""
    angles = positions[:, None].astype(np.float64) * inv_freq[None, :]  # [T, D/2]
    cos = np.cos(angles).astype(np.float32)[:, None, :]  # [T, 1, D/2]
    sin = np.sin(angles).astype(np.float32)[:, None, :]
    half = x.shape[-1] // 2
    if pairing == "half":
        a, b = x[..., :half], x[..., half:]
    elif pairing == "adjacent":
        a, b = x[..., 0::2], x[..., 1::2]
    else:
        raise ValueError(f"unknown rope pairing {pairing}")
    rotated_a = a * cos - b * sin
    rotated_b = b * cos + a * sin
    out = np.empty_like(x)
    if pairing == "half":
        out[..., :half], out[..., half:] = rotated_a, rotated_b
    else:
        out[..., 0::2], out[..., 1::2] = rotated_a, rotated_b
    return out


def attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, q_positions: np.ndarray, scale: float,
              window: int | None) -> np.ndarray:
    """q: [T, H, D]; k, v: [S, KV, D] for key positions 0..S-1; returns [T, H, D]."""
    heads, kv_heads = q.shape[1], k.shape[1]
    group = heads // kv_heads  # GQA: query head h reads kv head h // group
    k = np.repeat(k, group, axis=1)  # [S, H, D]
    v = np.repeat(v, group, axis=1)
    scores = np.einsum("thd,shd->hts", q, k) * np.float32(scale)  # [H, T, S]
    key_positions = np.arange(k.shape[0])
    visible = key_positions[None, :] <= q_positions[:, None]  # [T, S] causal
    if window is not None:
        visible &= key_positions[None, :] > q_positions[:, None] - window
    scores = np.where(visible[None], scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    return np.einsum("hts,shd->thd", probs.astype(np.float32), v)


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(np.float32(math.sqrt(2 / math.pi)) * (x + np.float32(0.044715) * x**3)))


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1 + np.exp(-x))


def mlp(x: np.ndarray, gate: np.ndarray, up: np.ndarray, down: np.ndarray, act: str) -> np.ndarray:
    """Gated MLP, x: [T, C]; gate, up: [F, C]; down: [C, F]."""
    activation = {"silu": silu, "gelu_tanh": gelu_tanh}[act]
    return (activation(x @ gate.T) * (x @ up.T)) @ down.T


class ReferenceModel:
    """forward(tokens) appends tokens to the KV cache and returns their logits [T, V]."""

    def __init__(self, config: dict, weights: Callable[[str], np.ndarray] | dict):
        self.config = config
        self._source = weights.__getitem__ if isinstance(weights, dict) else weights
        self._cache: dict[str, np.ndarray] = {}
        c = config
        self._inv_freq = {
            "full": rope_inv_freq(c["head_dim"], c["rope_theta"], c["rope_scaling"]),
            "sliding": rope_inv_freq(c["head_dim"], c["rope_theta"], c["rope_scaling"]),
        }
        if c.get("rope_local_theta") is not None:
            self._inv_freq["sliding"] = rope_inv_freq(c["head_dim"], c["rope_local_theta"], None)
        self.reset()

    def reset(self) -> None:
        layers = self.config["num_layers"]
        self.k_cache: list[np.ndarray | None] = [None] * layers  # each [S, KV, D], after RoPE
        self.v_cache: list[np.ndarray | None] = [None] * layers
        self.length = 0

    def w(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = np.asarray(self._source(name), dtype=np.float32)
        return self._cache[name]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return rmsnorm(x, self.w(name), self.config["rms_norm_eps"], self.config["norm_offset"])

    def _attention_block(self, i: int, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """x: [T, C] (already normed) → [T, C]."""
        c, p = self.config, f"blk.{i}."
        T, H, KV, D = x.shape[0], c["num_heads"], c["num_kv_heads"], c["head_dim"]
        q, k, v = (x @ self.w(p + f"attn_{n}.weight").T for n in "qkv")  # [T, H*D], [T, KV*D] x2
        if c["attention_bias"]:
            q, k, v = (t + self.w(p + f"attn_{n}.bias") for t, n in zip((q, k, v), "qkv", strict=True))
        q, k, v = q.reshape(T, H, D), k.reshape(T, KV, D), v.reshape(T, KV, D)
        if c["qk_norm"]:
            q = self._norm(q, p + "attn_q_norm.weight")
            k = self._norm(k, p + "attn_k_norm.weight")
        layer_type = c["layer_types"][i]
        q = rope(q, positions, self._inv_freq[layer_type], c["rope_pairing"])
        k = rope(k, positions, self._inv_freq[layer_type], c["rope_pairing"])
        if self.k_cache[i] is not None:
            k = np.concatenate([self.k_cache[i], k])  # [S, KV, D]
            v = np.concatenate([self.v_cache[i], v])
        self.k_cache[i], self.v_cache[i] = k, v
        window = c["sliding_window"] if layer_type == "sliding" else None
        out = attention(q, k, v, positions, c["attn_scale"], window)  # [T, H, D]
        return out.reshape(T, H * D) @ self.w(p + "attn_output.weight").T

    def _block(self, i: int, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
        c, p = self.config, f"blk.{i}."
        h = self._attention_block(i, self._norm(x, p + "attn_norm.weight"), positions)
        if c["sandwich_norms"]:
            h = self._norm(h, p + "post_attention_norm.weight")
        x = x + h
        h = mlp(self._norm(x, p + "ffn_norm.weight"), self.w(p + "ffn_gate.weight"),
                self.w(p + "ffn_up.weight"), self.w(p + "ffn_down.weight"), c["hidden_act"])
        if c["sandwich_norms"]:
            h = self._norm(h, p + "post_ffw_norm.weight")
        return x + h

    def forward(self, tokens: list[int]) -> np.ndarray:
        c = self.config
        positions = np.arange(self.length, self.length + len(tokens))  # [T]
        x = self.w("token_embd.weight")[np.asarray(tokens)] * np.float32(c["embedding_scale"])  # [T, C]
        for i in range(c["num_layers"]):
            x = self._block(i, x, positions)
        self.length += len(tokens)
        x = self._norm(x, "output_norm.weight")
        head = self.w("token_embd.weight" if c["tie_word_embeddings"] else "output.weight")  # [V, C]
        logits = x @ head.T  # [T, V]
        cap = c["final_logit_softcap"]
        if cap is not None:
            logits = np.float32(cap) * np.tanh(logits / np.float32(cap))
        return logits
