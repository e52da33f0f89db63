"""Numpy twins of the transformer-block kernels (engine/kernels/*.wgsl), one function per kernel.

Shapes: T rows (tokens) per step, NH query heads, NKV key/value heads, HD head_dim, I the MLP
width. Reductions run in float64 and results are cast to float32 (the kernels' tolerance covers
the f32 summation order); RoPE angles are formed in f32 exactly as the kernel does.
"""

import numpy as np

F32 = np.float32


def rmsnorm(x: np.ndarray, w: np.ndarray, eps: float, norm_offset: float = 0.0) -> np.ndarray:
    # x [R, W], w [W] -> [R, W]
    x64 = x.astype(np.float64)
    scale = 1.0 / np.sqrt(np.mean(x64 * x64, axis=-1, keepdims=True) + eps)
    return (x64 * scale * (w.astype(np.float64) + norm_offset)).astype(F32)


def layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    # x [R, W], w, b [W] -> [R, W]; biased variance, as torch.nn.LayerNorm
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=-1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x64 - mean) / np.sqrt(var + eps) * w + b).astype(F32)


def rope_inv_freq(head_dim: int, theta: float) -> np.ndarray:
    # [HD/2] f32: theta^(-2i/HD), the unscaled frequencies the plan would pass
    return (1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)).astype(F32)


def rope(x: np.ndarray, positions: np.ndarray, inv_freq: np.ndarray, pairing: int) -> np.ndarray:
    # x [R, HD] rows at positions [R]; pairing 0 = "half" (i, i + HD/2), 1 = "adjacent" (2i, 2i + 1)
    half = x.shape[-1] // 2
    angle = positions.astype(F32)[:, None] * inv_freq[None, :]  # [R, HD/2], rounded in f32 like the kernel
    cos, sin = np.cos(angle.astype(np.float64)), np.sin(angle.astype(np.float64))
    a = np.arange(half) if pairing == 0 else 2 * np.arange(half)
    b = a + half if pairing == 0 else a + 1
    out = np.empty(x.shape, np.float64)
    out[:, a] = x[:, a] * cos - x[:, b] * sin
    out[:, b] = x[:, b] * cos + x[:, a] * sin
    return out.astype(F32)


def rope_qkv(qkv, inv_freq, pos, n_tokens, n_heads, n_kv_heads, head_dim, pairing,
             q_norm_w=None, k_norm_w=None, eps=1e-6, norm_offset=0.0):
    # qkv [T, (NH + 2 NKV) * HD] -> q [n, NH * HD], k [n, NKV, HD], v [n, NKV, HD] for the n valid rows
    heads = qkv[:n_tokens].reshape(n_tokens, n_heads + 2 * n_kv_heads, head_dim)
    q, k, v = np.split(heads, [n_heads, n_heads + n_kv_heads], axis=1)
    if q_norm_w is not None:
        q = rmsnorm(q.reshape(-1, head_dim), q_norm_w, eps, norm_offset).reshape(q.shape)
        k = rmsnorm(k.reshape(-1, head_dim), k_norm_w, eps, norm_offset).reshape(k.shape)
    positions = pos + np.arange(n_tokens)

    def rotate(h):  # [n, heads, HD] -> same, each head at its token's position
        rows = rope(h.reshape(-1, head_dim), np.repeat(positions, h.shape[1]), inv_freq, pairing)
        return rows.reshape(h.shape)

    return rotate(q).reshape(n_tokens, -1), rotate(k), v.copy()


def attention(q, k_cache, v_cache, pos, n_heads, n_kv_heads, head_dim, scale, window=0):
    # q [n, NH * HD] (rows at positions pos + t), k_cache, v_cache [context, NKV, HD] -> [n, NH * HD]
    out = np.empty(q.shape, np.float64)
    group = n_heads // n_kv_heads
    for t in range(q.shape[0]):
        p = pos + t
        lo = max(0, p + 1 - window) if window > 0 else 0  # keys j with p - j < window
        for h in range(n_heads):
            qh = q[t, h * head_dim:(h + 1) * head_dim].astype(np.float64)
            k = k_cache[lo:p + 1, h // group].astype(np.float64)  # [keys, HD]
            v = v_cache[lo:p + 1, h // group].astype(np.float64)
            scores = (k @ qh) * scale
            weights = np.exp(scores - scores.max())
            out[t, h * head_dim:(h + 1) * head_dim] = weights @ v / weights.sum()
    return out.astype(F32)


NEG_BIG = np.float32(-3.0e38)  # the kernels' stand-in for -inf: an empty split's max


def attention_decode_partials(q, k_cache, v_cache, pos, n_heads, n_kv_heads, head_dim, scale, window, splits):
    # q [1, NH * HD] at position pos -> partials [NH, SPLITS, HD + 2]:
    # per split of the key range, (sum_j e^(s_j - m) v_j, m = max_j s_j, sum_j e^(s_j - m))
    lo = max(0, pos + 1 - window) if window > 0 else 0
    chunk = -(-(pos + 1 - lo) // splits)
    out = np.zeros((n_heads, splits, head_dim + 2), np.float64)
    for h in range(n_heads):
        qh = q[0, h * head_dim:(h + 1) * head_dim].astype(np.float64)
        for s in range(splits):
            start, end = lo + s * chunk, min(pos + 1, lo + (s + 1) * chunk)
            if start >= end:
                out[h, s, head_dim] = NEG_BIG
                continue
            k = k_cache[start:end, h // (n_heads // n_kv_heads)].astype(np.float64)  # [keys, HD]
            v = v_cache[start:end, h // (n_heads // n_kv_heads)].astype(np.float64)
            scores = (k @ qh) * scale
            m = scores.max()
            weights = np.exp(scores - m)
            out[h, s, :head_dim], out[h, s, head_dim], out[h, s, head_dim + 1] = weights @ v, m, weights.sum()
    return out.astype(F32)


def attention_combine(partials: np.ndarray) -> np.ndarray:
    # partials [NH, SPLITS, HD + 2] -> o [1, NH * HD]
    p = partials.astype(np.float64)
    acc, m, total = p[:, :, :-2], p[:, :, -2], p[:, :, -1]
    c = np.exp(m - m.max(axis=1, keepdims=True))  # [NH, SPLITS]
    o = (c[:, :, None] * acc).sum(axis=1) / (c * total).sum(axis=1)[:, None]
    return o.reshape(1, -1).astype(F32)


def gated_act(gu: np.ndarray, act: int) -> np.ndarray:
    # gu [n, 2I] (gate, then up) -> [n, I]; act 0 = SiLU, 1 = GELU tanh approximation
    g, up = np.split(gu.astype(np.float64), 2, axis=-1)
    if act == 1:
        activated = 0.5 * g * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (g + 0.044715 * g**3)))
    else:
        activated = g / (1.0 + np.exp(-g))
    return (activated * up).astype(F32)


def softcap(x: np.ndarray, cap: float) -> np.ndarray:
    # x [...] -> same shape
    return (cap * np.tanh(x.astype(np.float64) / cap)).astype(F32)
