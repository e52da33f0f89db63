"""PlanBuilder: collects buffers, weights, pipelines and dispatches into a plan dict (docs/plan.md)."""

import json

import numpy as np

STEP_FIELDS = [
    ("pos", "u32"),
    ("n_tokens", "u32"),
    ("kv_len", "u32"),
    ("seed", "u32"),
    ("temperature", "f32"),
    ("top_p", "f32"),
    ("top_k", "u32"),
    ("min_p", "f32"),
    ("repetition_penalty", "f32"),
    ("frequency_penalty", "f32"),
    ("presence_penalty", "f32"),
    ("sample_index", "u32"),
    ("history_len", "u32"),
    ("vocab_size", "u32"),
    ("reserved0", "u32"),
    ("reserved1", "u32"),
]


def round16(n: int) -> int:
    return max(16, -(-int(n) // 16) * 16)


def weight_ref(name: str) -> dict:
    return {"weight": name}


def window(buffer: str, offset: int, size: int) -> dict:
    assert offset % 256 == 0, f"binding offset {offset} into {buffer} is not 256-aligned"
    return {"buffer": buffer, "offset": int(offset), "size": int(size)}


class PlanBuilder:
    def __init__(self):
        self.buffers: dict[str, dict] = {}
        self.weights: dict[str, dict] = {}
        self.pipelines: dict[str, dict] = {}
        self._pipeline_ids: dict[str, str] = {}
        self.programs: dict[str, list] = {}
        self._current: list | None = None

    def buffer(self, name: str, nbytes: int, usage: str = "storage", init: np.ndarray | None = None) -> str:
        size = round16(nbytes)
        if name in self.buffers:
            assert self.buffers[name]["size"] >= size or init is None, name
            self.buffers[name]["size"] = max(self.buffers[name]["size"], size)
            return name
        entry = {"size": size, "usage": usage, "init": None}
        if init is not None:
            values = np.asarray(init)
            integer = np.issubdtype(values.dtype, np.integer)
            entry["init"] = {
                "dtype": "u32" if integer else "f32",
                "values": [int(v) if integer else float(v) for v in values.ravel()],
            }
        self.buffers[name] = entry
        return name

    def weight(self, name: str, ranges: list[dict]) -> dict:
        if name not in self.weights:
            clean = [
                {"file": r["file"], "offset": int(r["offset"]), "nbytes": int(r["nbytes"])} for r in ranges
            ]
            self.weights[name] = {"size": round16(sum(r["nbytes"] for r in clean)), "ranges": clean}
        return weight_ref(name)

    def pipeline(self, kernel: str, constants: dict) -> str:
        constants = {k: (float(v) if isinstance(v, float) else int(v)) for k, v in sorted(constants.items())}
        key = json.dumps([kernel, constants])
        if key not in self._pipeline_ids:
            pid = f"p{len(self._pipeline_ids)}"
            self._pipeline_ids[key] = pid
            self.pipelines[pid] = {"kernel": kernel, "constants": constants}
        return self._pipeline_ids[key]

    def begin(self, program: str) -> None:
        self._current = self.programs.setdefault(program, [])

    def dispatch(self, label: str, kernel: str, constants: dict, bindings: list, workgroups) -> None:
        x, y, z = (list(workgroups) + [1, 1])[:3]
        assert min(x, y, z) >= 1 and max(x, y, z) <= 65535, f"{label}: workgroups {workgroups}"
        self._current.append(
            {
                "label": label,
                "pipeline": self.pipeline(kernel, constants),
                "bindings": bindings,
                "workgroups": [int(x), int(y), int(z)],
            }
        )
