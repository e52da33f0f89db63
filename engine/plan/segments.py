"""Row ranges where every component of a split matrix sits in one part (quant_weights.wgsl):
each component is split at its own row boundaries, so a dispatch covers one intersection."""

from dataclasses import dataclass

from engine.plan.weights import Matrix


@dataclass
class Segment:
    first_row: int  # within the matrix
    rows: int
    refs: dict[str, dict]  # component → weight binding
    row_base: dict[str, int]  # component → first row of the segment inside its bound part


def segments(mat: Matrix) -> list[Segment]:
    bounds = {0, mat.n}
    for parts in mat.components.values():
        for part in parts:
            bounds.update((part.first_row, part.first_row + part.rows))
    edges = sorted(bounds)
    out = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        refs, bases = {}, {}
        for component, parts in mat.components.items():
            for part in parts:
                if part.first_row <= lo < part.first_row + part.rows:
                    refs[component], bases[component] = part.ref, lo - part.first_row
        out.append(Segment(lo, hi - lo, refs, bases))
    return out
