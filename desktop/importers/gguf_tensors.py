"""GGUF tensors → Hearth's stored forms without losing a bit (docs/formats.md, the GGUF table).

Each converter takes the raw blocks of a tensor, [n_blocks, type_size] uint8, and returns codes,
scales and mins laid out so that `scale * f32(code - zero_point) + min` repeats the arithmetic of
`gguf.quants.dequantize` exactly. GGUF lists dimensions innermost first (ne0 = K), so a matrix
with ne = [K, N] is stored as [N, K].
"""

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

from desktop.errors import BadModelFile, UnsupportedModel
from desktop.store.tensor_codec import PlainTensor, QuantizedTensor

Q = GGMLQuantizationType
QK_K = 256


def _f16(raw: np.ndarray) -> np.ndarray:
    """[..., 2] uint8 → [...] float16 (little-endian half floats)."""
    return np.ascontiguousarray(raw).view("<f2")[..., 0]


def _nibbles(qs: np.ndarray, runs: int, width: int) -> np.ndarray:
    """Low nibbles of each run of `width` bytes, then its high nibbles (ggml's q4 order)."""
    n = qs.shape[0]
    split = qs.reshape(n, runs, 1, width) >> np.array([0, 4], np.uint8).reshape(1, 1, 2, 1)
    return (split & np.uint8(0x0F)).reshape(n, runs * 2 * width)


def _q4_0(blocks):
    return _nibbles(blocks[:, 2:], 1, 16), _f16(blocks[:, 0:2]), None


def _q4_1(blocks):
    return _nibbles(blocks[:, 4:], 1, 16), _f16(blocks[:, 0:2]), _f16(blocks[:, 2:4])


def _q5_0(blocks):
    n = blocks.shape[0]
    high_bits = np.ascontiguousarray(blocks[:, 2:6]).view("<u4").reshape(n, 1)
    high = ((high_bits >> np.arange(32, dtype=np.uint32)) & np.uint32(1)).astype(np.uint8)
    return _nibbles(blocks[:, 6:], 1, 16) | (high << np.uint8(4)), _f16(blocks[:, 0:2]), None


def _q8_0(blocks):
    # int8 q stored as the byte q + 128 (flipping the sign bit of two's complement does exactly that)
    return blocks[:, 2:] ^ np.uint8(0x80), _f16(blocks[:, 0:2]), None


def _k_scales_mins(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_K/Q5_K: per 32-value sub-block scale d·sc and min −dmin·m, products rounded once in f32."""
    n = blocks.shape[0]
    d = _f16(blocks[:, 0:2]).astype(np.float32).reshape(n, 1)
    dmin = _f16(blocks[:, 2:4]).astype(np.float32).reshape(n, 1)
    packed = blocks[:, 4:16].reshape(n, 3, 4)
    lo, mid, hi = packed[:, 0], packed[:, 1], packed[:, 2]
    sc = np.concatenate([lo & 0x3F, (hi & 0x0F) | ((lo >> 2) & 0x30)], axis=1)
    m = np.concatenate([mid & 0x3F, (hi >> 4) | ((mid >> 2) & 0x30)], axis=1)
    return d * sc.astype(np.float32), -(dmin * m.astype(np.float32))


def _q4_k(blocks):
    scales, mins = _k_scales_mins(blocks)
    return _nibbles(blocks[:, 16:], 4, 32), scales, mins


def _q5_k(blocks):
    n = blocks.shape[0]
    scales, mins = _k_scales_mins(blocks)
    qh = blocks[:, 16:48].reshape(n, 1, 1, 32) >> np.arange(8, dtype=np.uint8).reshape(1, 1, 8, 1)
    high = (qh & np.uint8(1)).reshape(n, QK_K)
    return _nibbles(blocks[:, 48:], 4, 32) | (high << np.uint8(4)), scales, mins


def _q6_k(blocks):
    n = blocks.shape[0]
    low = _nibbles(blocks[:, 0:128], 2, 64)
    qh = blocks[:, 128:192].reshape(n, 2, 1, 32) >> np.array([0, 2, 4, 6], np.uint8).reshape(1, 1, 4, 1)
    high = (qh & np.uint8(3)).reshape(n, QK_K)
    sub_scales = blocks[:, 192:208].view(np.int8).astype(np.float32)
    d = _f16(blocks[:, 208:210]).astype(np.float32).reshape(n, 1)
    return low | (high << np.uint8(4)), d * sub_scales, None


# GGUF type → (converter, format, group_size, zero_point, scale_type, min_type); see docs/formats.md.
QUANTIZED = {
    Q.Q4_0: (_q4_0, "q4", 32, 8, "f16", None),
    Q.Q4_1: (_q4_1, "q4", 32, 0, "f16", "f16"),
    Q.Q5_0: (_q5_0, "q8", 32, 16, "f16", None),
    Q.Q8_0: (_q8_0, "q8", 32, 128, "f16", None),
    Q.Q4_K: (_q4_k, "q4", 32, 0, "f32", "f32"),
    Q.Q5_K: (_q5_k, "q8", 32, 0, "f32", "f32"),
    Q.Q6_K: (_q6_k, "q8", 16, 32, "f32", None),
}
PLAIN = {Q.F32: ("f32", "<f4"), Q.F16: ("f16", "<f2"), Q.BF16: ("bf16", "<u2")}
SUPPORTED_TYPES = tuple(t.name for t in (*PLAIN, *QUANTIZED))


def check_supported(name: str, ggml_type: GGMLQuantizationType) -> None:
    if ggml_type not in QUANTIZED and ggml_type not in PLAIN:
        raise UnsupportedModel(
            f"This GGUF uses {ggml_type.name} (tensor {name}), which Hearth cannot read yet; "
            "try a Q4_K_M or Q8_0 file."
        )


def stored_shape(ne: list[int]) -> list[int]:
    """GGUF's ne (innermost first) → [N, K] for matrices, [K] for vectors."""
    k = int(ne[0])
    rows = int(np.prod([int(d) for d in ne[1:]], dtype=np.int64)) if len(ne) > 1 else 0
    return [rows, k] if len(ne) > 1 else [k]


def convert(name: str, ggml_type: GGMLQuantizationType, ne: list[int], raw: np.ndarray):
    """One GGUF tensor (its raw bytes) → (QuantizedTensor | PlainTensor, stored shape)."""
    check_supported(name, ggml_type)
    shape = stored_shape(ne)
    k = shape[-1]
    rows = shape[0] if len(shape) == 2 else 1
    block_size, type_size = GGML_QUANT_SIZES[ggml_type]
    expected = rows * k // block_size * type_size
    raw = np.asarray(raw).reshape(-1).view(np.uint8)
    if k % block_size or raw.size != expected:
        raise BadModelFile(
            f"Tensor {name} in this GGUF has {raw.size} bytes for shape {shape} of {ggml_type.name}; "
            "the file is damaged, download it again."
        )
    if ggml_type in PLAIN:
        fmt, dtype = PLAIN[ggml_type]
        return PlainTensor(fmt, raw.view(dtype).reshape(shape), ggml_type.name), shape
    converter, fmt, group, zero_point, scale_type, min_type = QUANTIZED[ggml_type]
    per_word = 8 if fmt == "q4" else 4
    if k % per_word:
        raise UnsupportedModel(
            f"Tensor {name} has rows of {k} values, not a multiple of {per_word} as {fmt} packing needs; "
            "Hearth cannot store this file."
        )
    codes, scales, mins = converter(raw.reshape(-1, type_size))
    groups = k // group
    value_type = np.float16 if scale_type == "f16" else np.float32
    return (
        QuantizedTensor(
            format=fmt,
            codes=codes.reshape(rows, k),
            scales=scales.reshape(rows, groups).astype(value_type),
            mins=None if mins is None else mins.reshape(rows, groups).astype(value_type),
            group_size=group,
            zero_point=zero_point,
            scale_type=scale_type,
            min_type=min_type,
            source_type=ggml_type.name,
        ),
        shape,
    )
