"""The native host's hot path, straight through wgpu-native's C API (wgpu-py's cffi handles):
recording a program's dispatches into a compute pass, and reading a step's 4-byte sampled token
back without waiting for the steps submitted after it.

Why not wgpu-py's methods: they check and convert every argument (per dispatch ~8 µs instead of
~6 µs on the H100 host, docs/benchmarks.md), and their buffer mapping is resolved by a polling
thread that waits for ALL submitted work, so reading step n's token would also wait for step n+1
and a pipelined decode would be as slow as a synced one. Here the wait names step n's submission.
Calls that can report an error go through `libf`, which raises wgpu's GPUError subclasses."""

from collections import deque

import wgpu
from wgpu.backends.wgpu_native._api import ffi, lib, libf

STAGING = wgpu.BufferUsage.MAP_READ | wgpu.BufferUsage.COPY_DST
TOKEN_BYTES = 4


def raw_program(recorded: list) -> list[tuple]:
    """(pipeline handle, or None when the previous dispatch's pipeline is the same; bind group
    handle; x; y; z) per dispatch of `recorded` = [(pipeline, bind group, workgroups)]."""
    out, current = [], None
    for pipeline, group, (x, y, z) in recorded:
        out.append((None if pipeline is current else pipeline._internal, group._internal, x, y, z))
        current = pipeline
    return out


def record(compute_pass, program: list[tuple]) -> None:
    """Appends `program` (from raw_program) to an open compute pass. Encoding errors surface when
    the pass ends (wgpu-native validates there), which goes through wgpu-py."""
    handle, no_offsets = compute_pass._internal, ffi.NULL
    set_pipeline = lib.wgpuComputePassEncoderSetPipeline
    set_group = lib.wgpuComputePassEncoderSetBindGroup
    dispatch = lib.wgpuComputePassEncoderDispatchWorkgroups
    for pipeline, group, x, y, z in program:
        if pipeline is not None:
            set_pipeline(handle, pipeline)
        set_group(handle, 0, group, 0, no_offsets)
        dispatch(handle, x, y, z)


def submit(queue, command_buffer) -> int:
    """Submits one command buffer; returns its submission index (what `TokenReadback` waits on)."""
    buffers = ffi.new("WGPUCommandBuffer[]", [command_buffer._internal])
    return int(libf.wgpuQueueSubmitForIndex(queue._internal, 1, buffers))


# One C callback for every mapping (cffi callbacks are costly to create); it records the status
# under the key passed as userdata1.
_map_status: dict[int, tuple[int, str]] = {}


@ffi.callback("void(WGPUMapAsyncStatus, WGPUStringView, void *, void *)")
def _on_mapped(status, message, key, _unused):
    text = ffi.string(message.data, message.length).decode(errors="replace") if message.data else ""
    _map_status[int(ffi.cast("intptr_t", key))] = (int(status), text)


class TokenReadback:
    """Staging buffers for sampled tokens of steps in flight, oldest first. A buffer is mapped only
    while its token is read, so dropping a pending token needs no GPU work: the buffer goes back to
    the free list and a later copy (ordered after the dropped one on the queue) overwrites it."""

    def __init__(self, device):
        self.device = device
        self.free: list = []
        self.pending: deque = deque()  # (staging buffer, submission index)
        self._key = id(self)

    def copy(self, encoder, sampled) -> object:
        """Records the copy of `sampled`'s first token into a free staging buffer; returns it."""
        staging = self.free.pop() if self.free else self.device.create_buffer(size=16, usage=STAGING)
        encoder.copy_buffer_to_buffer(sampled, 0, staging, 0, TOKEN_BYTES)
        return staging

    def submitted(self, staging, index: int) -> None:
        self.pending.append((staging, index))

    def read(self) -> int:
        """The oldest pending token; waits for its step only."""
        staging, index = self.pending.popleft()
        self.free.append(staging)
        handle = staging._internal
        info = ffi.new(
            "WGPUBufferMapCallbackInfo *",
            {
                "mode": lib.WGPUCallbackMode_AllowProcessEvents,
                "callback": _on_mapped,
                "userdata1": ffi.cast("void *", self._key),
            },
        )
        _map_status.pop(self._key, None)
        libf.wgpuBufferMapAsync(handle, lib.WGPUMapMode_Read, 0, TOKEN_BYTES, info[0])
        libf.wgpuDevicePoll(self.device._internal, True, ffi.new("WGPUSubmissionIndex *", index))
        status, message = _map_status.pop(self._key, (None, "the GPU never finished the step"))
        if status != lib.WGPUMapAsyncStatus_Success:
            raise wgpu.GPUError(f"Could not read the sampled token back.\n{message or status}")
        token = int(ffi.cast("uint32_t *", libf.wgpuBufferGetConstMappedRange(handle, 0, TOKEN_BYTES))[0])
        libf.wgpuBufferUnmap(handle)
        return token

    def drop(self) -> None:
        """Forgets every pending token."""
        while self.pending:
            self.free.append(self.pending.popleft()[0])
