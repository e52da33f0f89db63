"""Quantisation on import of Hugging Face weights (docs/formats.md): q4 g32 matrices, q8 embeddings.

Every group's scale and minimum are rounded to f16 *before* the codes are chosen, and rounded
outwards (minimum down, scale up), so the f16 grid still covers the whole group and the error
of every weight stays within half a step: |w - deq| <= scale / 2 (plus f32 rounding).
"""

import numpy as np

from desktop.store.tensor_codec import QuantizedTensor

GROUP_SIZE = 32
MANIFEST_QUANTIZATION = "q4g32"
Q8_MATRICES = ("token_embd.weight", "output.weight")


def _f16_down(values: np.ndarray) -> np.ndarray:
    """Largest f16 <= each value."""
    halfs = values.astype(np.float16)
    too_big = halfs.astype(np.float32) > values
    halfs[too_big] = np.nextafter(halfs[too_big], np.float16(-np.inf))
    return halfs


def _f16_up(values: np.ndarray) -> np.ndarray:
    """Smallest f16 >= each value."""
    halfs = values.astype(np.float16)
    too_small = halfs.astype(np.float32) < values
    halfs[too_small] = np.nextafter(halfs[too_small], np.float16(np.inf))
    return halfs


def _groups(w: np.ndarray, group_size: int) -> np.ndarray:
    n, k = w.shape
    if k % group_size:
        raise ValueError(f"K={k} is not a multiple of the group size {group_size}")
    return np.asarray(w, dtype=np.float32).reshape(n, k // group_size, group_size)


def quantize_q4(w: np.ndarray, group_size: int = GROUP_SIZE) -> QuantizedTensor:
    """Asymmetric 4-bit: w ≈ scale * code + min, codes 0..15, f16 scale and min per group.  w: [N, K]."""
    groups = _groups(w, group_size)
    mins = _f16_down(groups.min(axis=2))
    spans = groups.max(axis=2) - mins.astype(np.float32)
    scales = _f16_up(spans / 15.0)
    safe = np.where(scales > 0, scales.astype(np.float32), 1.0)
    codes = np.rint((groups - mins.astype(np.float32)[..., None]) / safe[..., None])
    codes = np.clip(codes, 0, 15).astype(np.uint8)
    n, k = w.shape
    return QuantizedTensor(
        format="q4", codes=codes.reshape(n, k), scales=scales, mins=mins, group_size=group_size,
        zero_point=0, scale_type="f16", min_type="f16", source_type="",
    )


def quantize_q8(w: np.ndarray, group_size: int = GROUP_SIZE) -> QuantizedTensor:
    """Symmetric 8-bit: w ≈ scale * (code - 128), codes 1..255, f16 scale per group.  w: [N, K]."""
    groups = _groups(w, group_size)
    scales = _f16_up(np.abs(groups).max(axis=2) / 127.0)
    safe = np.where(scales > 0, scales.astype(np.float32), 1.0)
    codes = np.clip(np.rint(groups / safe[..., None]) + 128, 0, 255).astype(np.uint8)
    n, k = w.shape
    return QuantizedTensor(
        format="q8", codes=codes.reshape(n, k), scales=scales, mins=None, group_size=group_size,
        zero_point=128, scale_type="f16", min_type=None, source_type="",
    )


def choose_storage(name: str, shape: list[int] | tuple[int, ...]) -> str:
    """How a Hugging Face tensor is stored: "f32" | "f16" | "q4" | "q8"."""
    if len(shape) != 2:
        return "f32"
    if shape[1] % GROUP_SIZE:
        return "f16"
    return "q8" if name in Q8_MATRICES else "q4"
