"""Weight bindings by tensor part, and fusion of matrices that share an input (q/k/v, gate/up).

A Matrix is what a matrix kernel needs: the format's constants and, per part of whole rows,
the weight buffers to bind. Fusing stacks the rows of several tensors into one weight buffer
(the host fills it from each tensor's byte ranges), so one dispatch computes all of them.
"""

from dataclasses import dataclass, field

from desktop.store.tensor_codec import row_bytes
from engine.plan.builder import PlanBuilder

QUANT_KEYS = ("format", "group_size", "zero_point", "scale_type", "min_type")


@dataclass
class PartRef:
    first_row: int
    rows: int
    ref: dict  # {"weight": name}


@dataclass
class Matrix:
    name: str
    entry: dict  # the manifest entry of the first tensor (format constants)
    n: int
    k: int
    components: dict[str, list[PartRef]] = field(default_factory=dict)  # data/scales/mins → parts

    @property
    def quantized(self) -> bool:
        return self.entry["format"] in ("q4", "q8")

    @property
    def bytes(self) -> int:
        return sum(row_bytes(self.entry, c) * self.n for c in self.entry["parts"])


def _whole_rows(entry: dict, component: str, part: dict) -> bool:
    return part["nbytes"] == row_bytes(entry, component) * part["rows"]


def matrix(builder: PlanBuilder, tensors: dict, name: str) -> Matrix:
    """One stored matrix, one MatrixPart per stored part (a split tensor has several)."""
    entry = tensors[name]
    n, k = entry["shape"] if len(entry["shape"]) == 2 else (1, entry["shape"][0])
    components = {}
    for component, plist in entry["parts"].items():
        refs, row = [], 0
        for index, part in enumerate(plist):
            suffix = f".{index}" if len(plist) > 1 else ""
            refs.append(PartRef(row, part["rows"], builder.weight(f"{name}.{component}{suffix}", [part])))
            row += part["rows"]
        components[component] = refs
    return Matrix(name, entry, n, k, components)


def fusable(tensors: dict, names: list[str], max_binding: int) -> bool:
    entries = [tensors[n] for n in names]
    first = entries[0]
    if any(len(e["shape"]) != 2 or e["shape"][1] != first["shape"][1] for e in entries):
        return False
    if any(e.get(key) != first.get(key) for e in entries for key in QUANT_KEYS):
        return False
    for component in first["parts"]:
        plists = [e["parts"][component] for e in entries]
        if any(
            len(p) != 1 or not _whole_rows(e, component, p[0]) for e, p in zip(entries, plists, strict=True)
        ):
            return False
        if sum(p[0]["nbytes"] for p in plists) > max_binding:
            return False
    return True


def fused_matrix(builder: PlanBuilder, tensors: dict, names: list[str], fused_name: str) -> Matrix:
    """Rows of `names` stacked in order into one matrix; the caller checked fusable()."""
    first = tensors[names[0]]
    n = sum(tensors[name]["shape"][0] for name in names)
    components = {}
    for component in first["parts"]:
        ranges = [tensors[name]["parts"][component][0] for name in names]
        components[component] = [PartRef(0, n, builder.weight(f"{fused_name}.{component}", ranges))]
    return Matrix(fused_name, first, n, first["shape"][1], components)


def vector(builder: PlanBuilder, tensors: dict, name: str) -> dict:
    """A 1-D f32 tensor (norm weight, bias) as a weight binding."""
    entry = tensors[name]
    assert entry["format"] == "f32", f"{name} is {entry['format']}; 1-D tensors are stored f32"
    return builder.weight(name, entry["parts"]["data"])
