"""The native host's GPU: one wgpu device per process, with the adapter's full limits."""

from functools import cache

import wgpu

from desktop.errors import EngineError

WANTED_FEATURES = ("shader-f16", "subgroup", "timestamp-query")
WANTED_LIMITS = (
    "max-storage-buffer-binding-size",
    "max-buffer-size",
    "max-storage-buffers-per-shader-stage",
    "max-compute-workgroup-storage-size",
    "max-compute-invocations-per-workgroup",
    "max-compute-workgroup-size-x",
    "max-compute-workgroups-per-dimension",
)


@cache
def adapter() -> wgpu.GPUAdapter:
    try:
        found = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    except Exception as e:  # wgpu raises several types when no backend loads
        found = None
        reason = str(e)
    else:
        reason = "no adapter"
    if found is None:
        raise EngineError(
            "No GPU adapter was found (" + reason + "); install a Vulkan driver (Linux: mesa-vulkan-drivers "
            "or your GPU vendor's driver), or use macOS (Metal) or Windows (D3D12)."
        )
    return found


@cache
def device() -> wgpu.GPUDevice:
    chosen = adapter()
    features = [f for f in WANTED_FEATURES if f in chosen.features]
    limits = {name: chosen.limits[name] for name in WANTED_LIMITS if name in chosen.limits}
    return chosen.request_device_sync(required_features=features, required_limits=limits)


def describe() -> str:
    info = adapter().info
    return f"{info.get('device', '?')} ({info.get('backend_type', '?')})"
