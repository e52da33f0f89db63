"""The native host: interprets a plan (docs/plan.md) with wgpu-native. It creates buffers,
pipelines and bind groups once, fills weight buffers straight from the shard files, and runs a
step as one Step-uniform write (+ token ids) and one compute pass replaying a program.

Steps can be pipelined: `run(program, read_back=True)` copies the step's sampled token into a
small staging buffer of its own and returns without waiting; `read_sampled()` then returns the
tokens of such steps in submission order, waiting only for the step it reads (not for steps
submitted after it), and `drop_pending()` forgets tokens nobody will read."""

import mmap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import wgpu

from desktop.errors import EngineError
from engine.kernels import source
from engine.native.gpu import device as default_device
from engine.native.replay import TokenReadback, raw_program, record, submit

STORAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_DST | wgpu.BufferUsage.COPY_SRC
UNIFORM = wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST
# on_progress(weight bytes uploaded so far, all weight bytes of the plan): a load progress bar
LoadProgress = Callable[[int, int], None]


def weight_bytes(plan: dict) -> int:
    """The bytes of every weight range the plan reads from the shard files."""
    return sum(r["nbytes"] for spec in plan["weights"].values() for r in spec["ranges"])


class Host:
    def __init__(self, plan: dict, model_folder: Path, device=None, on_progress: LoadProgress | None = None):
        self.plan = plan
        self.device = device or default_device()
        self.on_progress = on_progress
        start = time.perf_counter()
        self.buffers = {name: self._create_buffer(spec) for name, spec in plan["buffers"].items()}
        self.weight_bytes = self._load_weights(Path(model_folder))
        self.load_seconds_weights = time.perf_counter() - start
        self.pipelines = self._compile_pipelines()
        self.programs = {name: self._bind(dispatches) for name, dispatches in plan["programs"].items()}
        self._raw_programs = {name: raw_program(recorded) for name, recorded in self.programs.items()}
        self._readback = TokenReadback(self.device)
        self._sampled = self.buffers.get(plan["io"].get("sampled"))  # the encoder plan samples nothing
        self.load_seconds = time.perf_counter() - start
        self._step = np.zeros(len(plan["step"]["fields"]), np.uint32)
        self._field_index = {name: (i, kind) for i, (name, kind) in enumerate(plan["step"]["fields"])}

    # ---- loading ----
    def _create_buffer(self, spec: dict):
        usage = UNIFORM if spec["usage"] == "uniform" else STORAGE
        buffer = self.device.create_buffer(size=spec["size"], usage=usage)
        if spec.get("init"):
            values = np.asarray(
                spec["init"]["values"],
                np.dtype(spec["init"].get("dtype", "f32").replace("f32", "<f4").replace("u32", "<u4")),
            )
            self.device.queue.write_buffer(buffer, 0, values.tobytes())
        return buffer

    def _load_weights(self, folder: Path) -> int:
        maps, total = {}, 0
        expected = weight_bytes(self.plan)
        if self.on_progress:
            self.on_progress(0, expected)
        try:
            for name, spec in self.plan["weights"].items():
                buffer = self.device.create_buffer(size=spec["size"], usage=STORAGE, mapped_at_creation=True)
                offset = 0
                for r in spec["ranges"]:
                    if r["file"] not in maps:
                        with open(folder / r["file"], "rb") as f:
                            maps[r["file"]] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                    view = memoryview(maps[r["file"]])[r["offset"] : r["offset"] + r["nbytes"]]
                    padded = view if r["nbytes"] % 4 == 0 else bytes(view) + b"\0" * (-r["nbytes"] % 4)
                    buffer.write_mapped(padded, offset)
                    offset += len(padded)
                    view.release()
                    total += r["nbytes"]
                    if self.on_progress:
                        self.on_progress(total, expected)
                buffer.unmap()
                self.buffers["weight:" + name] = buffer
        finally:
            for m in maps.values():
                m.close()
        return total

    def _compile_pipelines(self) -> dict:
        modules, pipelines = {}, {}
        for pid, spec in self.plan["pipelines"].items():
            kernel = spec["kernel"]
            if kernel not in modules:
                modules[kernel] = self.device.create_shader_module(label=kernel, code=source(kernel))
            pipelines[pid] = self.device.create_compute_pipeline(
                label=kernel,
                layout="auto",
                compute={"module": modules[kernel], "entry_point": "main", "constants": spec["constants"]},
            )
        return pipelines

    def _resource(self, binding) -> dict:
        if isinstance(binding, str):
            buffer = self.buffers[binding]
            return {"buffer": buffer, "offset": 0, "size": buffer.size}
        if "weight" in binding:
            buffer = self.buffers["weight:" + binding["weight"]]
            return {"buffer": buffer, "offset": 0, "size": buffer.size}
        return {
            "buffer": self.buffers[binding["buffer"]],
            "offset": binding["offset"],
            "size": binding["size"],
        }

    def _bind(self, dispatches: list) -> list:
        recorded = []
        for d in dispatches:
            pipeline = self.pipelines[d["pipeline"]]
            group = self.device.create_bind_group(
                layout=pipeline.get_bind_group_layout(0),
                entries=[{"binding": i, "resource": self._resource(b)} for i, b in enumerate(d["bindings"])],
            )
            recorded.append((pipeline, group, tuple(d["workgroups"])))
        return recorded

    # ---- running ----
    def write_step(self, **fields) -> None:
        for name, value in fields.items():
            index, kind = self._field_index[name]
            self._step[index] = np.float32(value).view(np.uint32) if kind == "f32" else np.uint32(value)
        self.device.queue.write_buffer(self.buffers[self.plan["io"]["step"]], 0, self._step.tobytes())

    def write_tokens(self, tokens, buffer: str = "tokens", first: int = 0) -> None:
        ids = np.asarray(tokens, np.uint32)
        self.device.queue.write_buffer(self.buffers[self.plan["io"][buffer]], 4 * first, ids.tobytes())

    def run(self, program: str, read_back: bool = False) -> None:
        """Records and submits one step of `program`. read_back: the step's sampled token is also
        copied aside, for a later read_sampled(); the call does not wait for the GPU."""
        encoder = self.device.create_command_encoder()
        compute = encoder.begin_compute_pass()
        record(compute, self._raw_programs[program])
        compute.end()
        staging = self._readback.copy(encoder, self._sampled) if read_back else None
        index = submit(self.device.queue, encoder.finish())
        if staging is not None:
            self._readback.submitted(staging, index)

    @property
    def pending_reads(self) -> int:
        """Steps run with read_back whose tokens were not read yet."""
        return len(self._readback.pending)

    def read_sampled(self) -> int:
        """The token of the oldest step run with read_back that was not read yet (waiting for that
        step only); with none pending, the token the last finished step sampled."""
        if self._readback.pending:
            return self._readback.read()
        raw = self.device.queue.read_buffer(self._sampled, 0, 4)
        return int(np.frombuffer(raw, np.uint32)[0])

    def drop_pending(self) -> None:
        """Forgets the tokens of steps run with read_back that nobody will read."""
        self._readback.drop()

    def read_logits(self) -> np.ndarray:
        raw = self.device.queue.read_buffer(self.buffers[self.plan["io"]["logits"]])
        return np.frombuffer(raw, np.float32)[: self.plan["vocab_size"]].copy()

    def read_buffer(self, name: str, dtype=np.float32) -> np.ndarray:
        return np.frombuffer(self.device.queue.read_buffer(self.buffers[name]), dtype).copy()


def check_fits(plan: dict, device_limits: dict) -> None:
    """EngineError when a buffer of the plan exceeds what the adapter can hold."""
    largest = max(
        [s["size"] for s in plan["buffers"].values()] + [w["size"] for w in plan["weights"].values()]
    )
    limit = device_limits.get("max-storage-buffer-binding-size", 1 << 27)
    if largest > limit:
        raise EngineError(
            f"This model needs a {largest >> 20} MiB buffer but the GPU allows {limit >> 20} MiB; "
            "choose a smaller context (--context) or a smaller model."
        )
