"""Encode tensors into Hearth's stored formats and decode them back (docs/formats.md).

decode() is the numpy twin of every dequantising kernel: w = scale * (code - zero_point) + min,
in float32, in that order.
"""

from dataclasses import dataclass

import numpy as np

PLAIN_FORMATS = ("f32", "f16", "bf16")
CODE_BITS = {"q4": 4, "q8": 8}


@dataclass
class QuantizedTensor:
    """codes [N, K] uint8; scales/mins [N, K // group_size] (float16 or float32 values)."""

    format: str  # q4 | q8
    codes: np.ndarray
    scales: np.ndarray
    mins: np.ndarray | None
    group_size: int
    zero_point: int
    scale_type: str  # f16 | f32
    min_type: str | None
    source_type: str


@dataclass
class PlainTensor:
    format: str  # f32 | f16 | bf16
    values: np.ndarray  # float32, float16, or uint16 bf16 bit patterns
    source_type: str


def _pack_codes(codes: np.ndarray, bits: int) -> bytes:
    per_word = 32 // bits
    n, k = codes.shape
    assert k % per_word == 0, f"K={k} is not a multiple of {per_word}"
    lanes = codes.reshape(n, k // per_word, per_word).astype(np.uint32)
    shifts = (np.arange(per_word, dtype=np.uint32) * bits)[None, None, :]
    return np.bitwise_or.reduce(lanes << shifts, axis=2).astype("<u4").tobytes()


def _unpack_codes(raw: bytes, n: int, k: int, bits: int) -> np.ndarray:
    per_word = 32 // bits
    words = np.frombuffer(raw, dtype="<u4").reshape(n, k // per_word)
    shifts = (np.arange(per_word, dtype=np.uint32) * bits)[None, None, :]
    return ((words[:, :, None] >> shifts) & ((1 << bits) - 1)).reshape(n, k).astype(np.uint8)


def _pack_group_values(values: np.ndarray, kind: str) -> bytes:
    """[N, G] scales or mins → bytes; f16 rows are padded to whole u32 words."""
    if kind == "f32":
        return np.ascontiguousarray(values, dtype="<f4").tobytes()
    halfs = np.ascontiguousarray(values, dtype="<f2")
    if halfs.shape[1] % 2:
        halfs = np.concatenate([halfs, np.zeros((halfs.shape[0], 1), "<f2")], axis=1)
    return halfs.tobytes()


def _unpack_group_values(raw: bytes, n: int, groups: int, kind: str) -> np.ndarray:
    if kind == "f32":
        return np.frombuffer(raw, dtype="<f4").reshape(n, groups)
    padded = groups + groups % 2
    return np.frombuffer(raw, dtype="<f2").reshape(n, padded)[:, :groups].astype(np.float32)


def row_bytes(entry: dict, component: str) -> int:
    """Bytes one row of a component takes; parts always hold whole rows."""
    k = entry["shape"][-1]
    fmt = entry["format"]
    if component == "data":
        if fmt in CODE_BITS:
            return k * CODE_BITS[fmt] // 8
        return k * (4 if fmt == "f32" else 2)
    groups = k // entry["group_size"]
    kind = entry["scale_type"] if component == "scales" else entry["min_type"]
    return groups * 4 if kind == "f32" else (groups + groups % 2) * 2


def encode(tensor: QuantizedTensor | PlainTensor, shape: list[int]) -> tuple[dict, dict[str, bytes]]:
    """Returns the manifest entry (without parts) and the bytes of each component."""
    if isinstance(tensor, PlainTensor):
        assert tensor.format in PLAIN_FORMATS
        dtype = {"f32": "<f4", "f16": "<f2", "bf16": "<u2"}[tensor.format]
        values = np.ascontiguousarray(tensor.values, dtype=dtype)
        if values.size % 2 and tensor.format != "f32":
            values = np.concatenate([values.reshape(-1), np.zeros(1, dtype)])
        entry = {"shape": list(shape), "format": tensor.format, "source_type": tensor.source_type}
        return entry, {"data": values.tobytes()}
    entry = {
        "shape": list(shape),
        "format": tensor.format,
        "source_type": tensor.source_type,
        "group_size": tensor.group_size,
        "zero_point": tensor.zero_point,
        "scale_type": tensor.scale_type,
        "min_type": tensor.min_type,
    }
    parts = {
        "data": _pack_codes(tensor.codes, CODE_BITS[tensor.format]),
        "scales": _pack_group_values(tensor.scales, tensor.scale_type),
    }
    if tensor.min_type is not None:
        parts["mins"] = _pack_group_values(tensor.mins, tensor.min_type)
    return entry, parts


def decode(entry: dict, components: dict[str, bytes]) -> np.ndarray:
    """Dequantises a stored tensor to float32 with the tensor's shape."""
    shape = entry["shape"]
    fmt = entry["format"]
    count = int(np.prod(shape))
    raw = components["data"]
    if fmt == "f32":
        return np.frombuffer(raw, "<f4")[:count].reshape(shape).copy()
    if fmt == "f16":
        return np.frombuffer(raw, "<f2")[:count].astype(np.float32).reshape(shape)
    if fmt == "bf16":
        bits = np.frombuffer(raw, "<u2")[:count].astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    n, k = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0])
    group = entry["group_size"]
    codes = _unpack_codes(raw, n, k, CODE_BITS[fmt])
    scales = _unpack_group_values(components["scales"], n, k // group, entry["scale_type"])
    centred = (codes.astype(np.int32) - entry["zero_point"]).astype(np.float32)
    w = np.repeat(scales.astype(np.float32), group, axis=1) * centred
    if entry["min_type"] is not None:
        mins = _unpack_group_values(components["mins"], n, k // group, entry["min_type"])
        w = w + np.repeat(mins.astype(np.float32), group, axis=1)
    return w.astype(np.float32).reshape(shape)
