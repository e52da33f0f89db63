"""Reads tensors out of a folder's *.safetensors files one at a time, memory-mapped.

The format is an 8-byte little-endian header length, a JSON header {name: {dtype, shape,
data_offsets}} and the raw data. It is read directly rather than through the `safetensors`
package because numpy has no bfloat16, which most checkpoints on the hub use: bf16 is the
top half of an f32, so widening it is a shift.
"""

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop.errors import BadModelFile, UnsupportedModel

_DTYPES = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}


@dataclass
class TensorRecord:
    name: str
    dtype: str  # F32 | F16 | BF16
    shape: list[int]
    path: Path
    offset: int  # absolute, in bytes
    nbytes: int

    def read_f32(self, first_row: int = 0, end_row: int | None = None) -> np.ndarray:
        """Rows [first_row, end_row) of the tensor (all of a 1-D one) as float32."""
        raw = np.memmap(self.path, dtype=_DTYPES[self.dtype], mode="r", offset=self.offset,
                        shape=tuple(self.shape))
        if len(self.shape) > 1:
            raw = raw[first_row:end_row]
        if self.dtype == "BF16":
            return (raw.astype(np.uint32) << 16).view(np.float32)
        return raw.astype(np.float32)


def safetensors_paths(folder: Path) -> list[Path]:
    """The checkpoint's files: those the shard index names, else every *.safetensors file."""
    index = folder / "model.safetensors.index.json"
    if index.exists():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        paths = [folder / name for name in sorted(set(weight_map.values()))]
        missing = [p.name for p in paths if not p.exists()]
        if missing:
            raise BadModelFile(f"{folder} lacks the shard {missing[0]} its index names; download it again.")
        return paths
    return sorted(folder.glob("*.safetensors"))


def _header(path: Path) -> tuple[dict, int]:
    size = path.stat().st_size
    with open(path, "rb") as f:
        prefix = f.read(8)
        if len(prefix) < 8:
            raise BadModelFile(f"{path.name} is too short to be a safetensors file; download it again.")
        (length,) = struct.unpack("<Q", prefix)
        if length > min(size - 8, 100 << 20):
            raise BadModelFile(f"{path.name} is not a valid safetensors file; download it again.")
        try:
            header = json.loads(f.read(length))
        except ValueError as e:
            raise BadModelFile(f"{path.name} has a damaged header; download it again.") from e
    return header, 8 + length


def tensor_records(paths: list[Path]) -> Iterator[TensorRecord]:
    """Every tensor in the files, in file order; checks dtypes and that data lies inside the file."""
    for path in paths:
        header, data_start = _header(path)
        size = path.stat().st_size
        for name, info in header.items():
            if name == "__metadata__":
                continue
            dtype = info["dtype"]
            if dtype not in _DTYPES:
                raise UnsupportedModel(
                    f"{path.name} stores {name} as {dtype}, which Hearth cannot import; "
                    "use a float32, float16 or bfloat16 checkpoint."
                )
            begin, end = info["data_offsets"]
            count = int(np.prod(info["shape"], dtype=np.int64))
            if end - begin != count * np.dtype(_DTYPES[dtype]).itemsize or data_start + end > size:
                raise BadModelFile(f"{path.name} is truncated or damaged ({name}); download it again.")
            yield TensorRecord(name, dtype, list(info["shape"]), path, data_start + begin, end - begin)
