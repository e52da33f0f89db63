"""Writes tensors into weight shards (docs/formats.md): 256-byte aligned parts of ≤128 MiB."""

import struct
from pathlib import Path
from typing import BinaryIO

from desktop.store.tensor_codec import PlainTensor, QuantizedTensor, encode, row_bytes

MAGIC = b"HRTHWGT\0"
FORMAT_VERSION = 1
HEADER_BYTES = 256
ALIGN = 256
PART_LIMIT = 128 << 20
SHARD_LIMIT = 1 << 30


def shard_name(index: int) -> str:
    return f"weights-{index:05d}.bin"


class WeightWriter:
    def __init__(self, folder: Path, part_limit: int = PART_LIMIT, shard_limit: int = SHARD_LIMIT):
        self.folder = folder
        self.part_limit = part_limit
        self.shard_limit = shard_limit
        self.tensors: dict[str, dict] = {}
        self.shards: list[str] = []
        self._file: BinaryIO | None = None
        self._offset = 0

    def _open_shard(self) -> None:
        if self._file:
            self._file.close()
        index = len(self.shards)
        self.shards.append(shard_name(index))
        self._file = open(self.folder / self.shards[-1], "wb")
        header = MAGIC + struct.pack("<II", FORMAT_VERSION, index)
        self._file.write(header.ljust(HEADER_BYTES, b"\0"))
        self._offset = HEADER_BYTES

    def _write_part(self, blob: bytes) -> dict:
        start = -(-self._offset // ALIGN) * ALIGN
        if self._file is None or (start + len(blob) > self.shard_limit and self._offset > HEADER_BYTES):
            self._open_shard()
            start = HEADER_BYTES
        self._file.write(b"\0" * (start - self._offset))
        self._file.write(blob)
        self._offset = start + len(blob)
        return {"file": self.shards[-1], "offset": start, "nbytes": len(blob)}

    def add(self, name: str, tensor: QuantizedTensor | PlainTensor, shape: list[int]) -> dict:
        entry, components = encode(tensor, shape)
        rows = shape[0] if len(shape) == 2 else 1
        entry["parts"] = {}
        for component, blob in components.items():
            per_row = row_bytes(entry, component) if len(shape) == 2 else len(blob)
            rows_per_part = max(1, self.part_limit // max(per_row, 1))
            rows_per_part -= rows_per_part % 2 if rows_per_part > 1 else 0
            parts = []
            for first in range(0, rows, rows_per_part):
                count = min(rows_per_part, rows - first)
                chunk = blob[first * per_row : (first + count) * per_row] if rows > 1 else blob
                part = self._write_part(chunk)
                part["rows"] = count
                parts.append(part)
            entry["parts"][component] = parts
        self.tensors[name] = entry
        return entry

    def close(self) -> list[str]:
        if self._file:
            self._file.close()
            self._file = None
        return self.shards
