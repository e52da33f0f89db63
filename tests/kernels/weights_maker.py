"""Random stored weights for the kernel tests, packed by desktop.store.tensor_codec.encode exactly
as the store writes them, plus the override constants and bindings a kernel reads them with."""

from dataclasses import dataclass

import numpy as np

from desktop.store.tensor_codec import CODE_BITS, PlainTensor, QuantizedTensor, encode, row_bytes

FLOAT_FORMAT_IDS = {"f32": 0, "f16": 1, "bf16": 2}
MIN_KIND_IDS = {None: 0, "f16": 1, "f32": 2}
DUMMY = np.zeros(4, np.uint32)  # bound where a kernel's optional component is absent


@dataclass
class StoredWeights:
    entry: dict  # the manifest entry (without parts)
    components: dict[str, bytes]  # data / scales / mins as stored

    @property
    def quantized(self) -> bool:
        return self.entry["format"] in CODE_BITS

    def words(self, component: str) -> np.ndarray:
        """A component as the u32 array a kernel binds; DUMMY when the tensor has none."""
        raw = self.components.get(component)
        return DUMMY if raw is None else np.frombuffer(raw, "<u4").copy()

    def words_from_row(self, component: str, first_row: int) -> np.ndarray:
        """A component from row first_row on: what a later part of a split component holds."""
        start = first_row * row_bytes(self.entry, component)
        return np.frombuffer(self.components[component][start:], "<u4").copy()

    def weight_bindings(self) -> list[np.ndarray]:
        """The leading bindings of a *_quant kernel (data, scales, mins) or *_float kernel (data)."""
        if self.quantized:
            return [self.words("data"), self.words("scales"), self.words("mins")]
        return [self.words("data")]

    def constants(self) -> dict[str, int | bool]:
        """The format's override constants (quant_weights.wgsl / float_weights.wgsl)."""
        e = self.entry
        if not self.quantized:
            return {"FORMAT": FLOAT_FORMAT_IDS[e["format"]]}
        return {
            "BITS": CODE_BITS[e["format"]],
            "GROUP_SIZE": e["group_size"],
            "ZERO_POINT": e["zero_point"],
            "SCALE_F16": e["scale_type"] == "f16",
            "MIN_KIND": MIN_KIND_IDS[e["min_type"]],
        }


def random_quantized(
    rng: np.random.Generator,
    fmt: str,
    n: int,
    k: int,
    group_size: int = 32,
    scale_type: str = "f16",
    min_type: str | None = None,
    zero_point: int | None = None,
) -> StoredWeights:
    """Codes uniform over the format's range; scales keep |w| around 1 so sums stay well scaled."""
    bits = CODE_BITS[fmt]
    top = (1 << bits) - 1
    zero_point = (top + 1) // 2 if zero_point is None else zero_point
    groups = k // group_size
    scale_dtype = np.float16 if scale_type == "f16" else np.float32
    scales = (rng.uniform(0.5, 1.5, (n, groups)) / max(zero_point, top - zero_point, 1)).astype(scale_dtype)
    mins = None
    if min_type is not None:
        mins = rng.uniform(-1, 1, (n, groups)).astype(np.float16 if min_type == "f16" else np.float32)
    codes = rng.integers(0, top + 1, (n, k), dtype=np.uint8)
    tensor = QuantizedTensor(fmt, codes, scales, mins, group_size, zero_point, scale_type, min_type, "test")
    return StoredWeights(*encode(tensor, [n, k]))


def random_plain(rng: np.random.Generator, fmt: str, n: int, k: int) -> StoredWeights:
    values = (rng.standard_normal((n, k)) * (4 / np.sqrt(k))).astype(np.float32)
    if fmt == "f16":
        values = values.astype(np.float16)
    elif fmt == "bf16":
        values = (values.view(np.uint32) >> 16).astype(np.uint16)
    return StoredWeights(*encode(PlainTensor(fmt, values, "test"), [n, k]))
