"""Numpy twins of the weight-reading kernels (matvec_*, matmul_*, embed_*), built on the store's
own decoder (desktop.store.tensor_codec.decode) so the kernels are checked against the format."""

import numpy as np

from desktop.store.tensor_codec import decode
from tests.kernels.weights_maker import StoredWeights


def dequantize(weights: StoredWeights) -> np.ndarray:
    """W [N, K] float32, exactly as docs/formats.md defines it."""
    return decode(weights.entry, weights.components)


def linear_twin(
    weights: StoredWeights,
    x: np.ndarray,
    y_old: np.ndarray,
    n_tokens: int,
    row_offset: int = 0,
    bias: np.ndarray | None = None,
    accumulate: bool = False,
) -> np.ndarray:
    """y[t, row_offset + n] = sum_k W[n, k] x[t, k] (+ bias) (+ y_old) for t < n_tokens; other
    entries of y keep y_old. x [T, K], y_old [T, OUT_STRIDE]; sums in float64 as the truth."""
    w = dequantize(weights).astype(np.float64)
    n = w.shape[0]
    y = y_old.astype(np.float64).copy()
    rows = slice(row_offset, row_offset + n)
    product = x[:n_tokens].astype(np.float64) @ w.T
    if bias is not None:
        product += bias[rows]
    if accumulate:
        product += y[:n_tokens, rows]
    y[:n_tokens, rows] = product
    return y.astype(np.float32)


def embed_twin(
    weights: StoredWeights,
    tokens: np.ndarray,
    x_old: np.ndarray,
    n_tokens: int,
    row_offset: int = 0,
    embed_scale: float = 1.0,
) -> np.ndarray:
    """x[t] = W[tokens[t] - row_offset] * embed_scale for t < n_tokens whose token lies in this
    part's rows [row_offset, row_offset + N); every other row keeps x_old."""
    w = dequantize(weights)
    x = x_old.copy()
    for t in range(n_tokens):
        row = int(tokens[t]) - row_offset
        if 0 <= row < w.shape[0]:
            x[t] = w[row] * np.float32(embed_scale)
    return x
