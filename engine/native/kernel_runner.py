"""Runs one kernel on numpy arrays: the harness that tests each kernel against its numpy twin."""

import numpy as np
import wgpu

from engine.kernels import source
from engine.native.gpu import device


def run_kernel(
    name: str,
    bindings: list[np.ndarray],
    workgroups: tuple[int, int, int],
    constants: dict[str, float | int] | None = None,
    read_back: tuple[int, ...] = (),
) -> list[np.ndarray]:
    """Binds each array at @group(0) @binding(i) as a storage buffer (uniforms are not used),
    dispatches `workgroups`, and returns the arrays at the `read_back` indices, same dtypes."""
    dev = device()
    module = dev.create_shader_module(code=source(name))
    pipeline = dev.create_compute_pipeline(
        layout="auto", compute={"module": module, "entry_point": "main", "constants": constants or {}}
    )
    usage = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
    buffers = []
    for array in bindings:
        data = np.ascontiguousarray(array).tobytes()
        padded = data + b"\0" * (-len(data) % 4 or 0)
        buffers.append(dev.create_buffer_with_data(data=padded or b"\0" * 4, usage=usage))
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
