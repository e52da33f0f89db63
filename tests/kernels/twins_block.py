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
