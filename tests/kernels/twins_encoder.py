"""Numpy twins of the encoder (BERT) kernels: embed_bert, attention_bidirectional, gelu, mean_pool.

Packed rows: T rows hold several sequences one after another; `meta` [T, 4] u32 gives each row's
(token id, position, token type, sequence index) and `spans` [S, 2] u32 each sequence's
(first row, row count). Reductions run in float64; results are float32.
"""

import math

import numpy as np

F32 = np.float32


def pack(lengths: list[int], capacity_rows: int, capacity_sequences: int, vocab: int, rng) -> tuple:
    """Random token ids packed as the Embedder packs them: (meta [T, 4] u32, spans [S, 2] u32)."""
    meta = np.zeros((capacity_rows, 4), np.uint32)
    spans = np.zeros((capacity_sequences, 2), np.uint32)
    row = 0
    for s, n in enumerate(lengths):
        meta[row : row + n, 0] = rng.integers(0, vocab, n)
        meta[row : row + n, 1] = np.arange(n)
        meta[row : row + n, 2] = rng.integers(0, 2, n)
        meta[row : row + n, 3] = s
        spans[s] = (row, n)
        row += n
    return meta, spans


def embed_bert(word: np.ndarray, position: np.ndarray, token_type: np.ndarray, meta: np.ndarray) -> np.ndarray:
    # word [N, K], position [P, K], token_type [Y, K] f32; meta [n, 4] -> x [n, K], in transformers' order
    tokens, positions, types = meta[:, 0], meta[:, 1], meta[:, 2]
    return (word[tokens] + token_type[types]) + position[positions]


def attention_bidirectional(qkv, meta, spans, n_heads, n_kv_heads, head_dim, scale) -> np.ndarray:
    # qkv [n, (NH + 2 NKV) * HD] -> o [n, NH * HD]; each row attends to every row of its sequence
    n = qkv.shape[0]
    heads = qkv.astype(np.float64).reshape(n, n_heads + 2 * n_kv_heads, head_dim)
    q, k, v = np.split(heads, [n_heads, n_heads + n_kv_heads], axis=1)
    group = n_heads // n_kv_heads
    out = np.zeros((n, n_heads, head_dim))
    for t in range(n):
        first, count = spans[meta[t, 3]]
        keys = slice(int(first), int(first + count))
        for h in range(n_heads):
            scores = k[keys, h // group] @ q[t, h] * scale
            p = np.exp(scores - scores.max())
            out[t, h] = (p / p.sum()) @ v[keys, h // group]
    return out.reshape(n, -1).astype(F32)


def gelu(x: np.ndarray) -> np.ndarray:
    # exact GELU: x * (1 + erf(x / sqrt 2)) / 2
    erf = np.vectorize(math.erf)(x.astype(np.float64) / math.sqrt(2.0))
    return (0.5 * x * (1.0 + erf)).astype(F32)


def mean_pool(x: np.ndarray, spans: np.ndarray, normalize: bool = True, eps: float = 1e-12) -> np.ndarray:
    # x [T, W], spans [S, 2] -> [S, W]; empty slots give zeros
    out = np.zeros((spans.shape[0], x.shape[1]))
    for s, (first, count) in enumerate(spans):
        if count:
            out[s] = x[int(first) : int(first + count)].astype(np.float64).mean(axis=0)
    if normalize:
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), eps)
    return out.astype(F32)
