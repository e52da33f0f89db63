"""Runs one kernel on numpy arrays: the harness that tests each kernel against its numpy twin."""

from dataclasses import dataclass

import numpy as np
import wgpu

from engine.kernels import source
from engine.native.gpu import device


@dataclass
class Uniform:
    """Wrap an array to bind it as a uniform buffer (e.g. the Step struct) instead of storage."""

    array: np.ndarray


def step_uniform(**fields) -> Uniform:
    """A Step uniform (engine/kernels/step.wgsl) with defaults: greedy, no penalties."""
    order = [
        ("pos", "u", 0), ("n_tokens", "u", 1), ("kv_len", "u", 1), ("seed", "u", 0),
        ("temperature", "f", 0.0), ("top_p", "f", 1.0), ("top_k", "u", 0), ("min_p", "f", 0.0),
        ("repetition_penalty", "f", 1.0), ("frequency_penalty", "f", 0.0), ("presence_penalty", "f", 0.0),
        ("sample_index", "u", 0), ("history_len", "u", 0), ("vocab_size", "u", 0),
        ("reserved0", "u", 0), ("reserved1", "u", 0),
    ]
    unknown = set(fields) - {name for name, _, _ in order}
    assert not unknown, f"unknown Step fields {unknown}"
    raw = np.zeros(16, np.uint32)
    for i, (name, kind, default) in enumerate(order):
        value = fields.get(name, default)
        raw[i] = np.array([value], np.float32).view(np.uint32)[0] if kind == "f" else value
    return Uniform(raw)


def run_kernel(
    name: str,
    bindings: list,
    workgroups: tuple[int, int, int],
    constants: dict[str, float | int] | None = None,
    read_back: tuple[int, ...] = (),
) -> list[np.ndarray]:
    """Binds each array at @group(0) @binding(i) (storage, or uniform when wrapped in Uniform),
    dispatches `workgroups`, and returns the arrays at the `read_back` indices, same dtypes."""
    dev = device()
    module = dev.create_shader_module(code=source(name))
    pipeline = dev.create_compute_pipeline(
        layout="auto", compute={"module": module, "entry_point": "main", "constants": constants or {}}
    )
    buffers = []
    for item in bindings:
        is_uniform = isinstance(item, Uniform)
        array = item.array if is_uniform else item
        usage = wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
        usage |= wgpu.BufferUsage.UNIFORM if is_uniform else wgpu.BufferUsage.STORAGE
        data = np.ascontiguousarray(array).tobytes()
        padded = data + b"\0" * (-len(data) % 16)
        buffers.append(dev.create_buffer_with_data(data=padded or b"\0" * 16, usage=usage))
    group = dev.create_bind_group(
        layout=pipeline.get_bind_group_layout(0),
        entries=[{"binding": i, "resource": {"buffer": b}} for i, b in enumerate(buffers)],
    )
    encoder = dev.create_command_encoder()
    compute = encoder.begin_compute_pass()
    compute.set_pipeline(pipeline)
    compute.set_bind_group(0, group)
    compute.dispatch_workgroups(*workgroups)
    compute.end()
    dev.queue.submit([encoder.finish()])
    out = []
    for index in read_back:
        raw = dev.queue.read_buffer(buffers[index])
        like = bindings[index]
        out.append(np.frombuffer(raw, dtype=like.dtype)[: like.size].reshape(like.shape).copy())
    return out
