"""Adapter traits the compiler specialises for: CPU adapters (lavapipe, SwiftShader) vs GPUs."""

CPU_NAMES = ("llvmpipe", "lavapipe", "swiftshader", "software")
DEFAULT_BINDING = 128 << 20


def traits_for(kind: str, max_binding: int = DEFAULT_BINDING) -> dict:
    """kind: "cpu" or "gpu". The key names the plan file, so plans for different adapters coexist."""
    max_binding = int(min(max_binding, 1 << 31))
    return {"key": f"{kind}-{max_binding >> 20}m", "kind": kind, "max_binding": max_binding}


def traits_of(adapter) -> dict:
    """Traits of a wgpu adapter (native host)."""
    info = adapter.info
    text = " ".join(str(info.get(k, "")) for k in ("adapter_type", "device", "description")).lower()
    kind = "cpu" if "cpu" in text or any(name in text for name in CPU_NAMES) else "gpu"
    return traits_for(kind, adapter.limits.get("max-storage-buffer-binding-size", DEFAULT_BINDING))


def matvec_mapping(traits: dict) -> dict:
    # CPU adapters stream one row per invocation; GPUs coalesce loads across a row's lanes.
    # H100, whole decode step (docs/benchmarks.md): 16 lanes x 4 rows beat 32 x 4 by 21 % on the
    # Llama-3.1-8B shape (72.7 vs 60.1 tok/s) and 8 x 8 (65.5); q4 rows are short in words, so
    # fewer lanes per row keep more rows in flight.
    if traits["kind"] == "cpu":
        return {"THREADS_PER_ROW": 1, "ROWS_PER_WORKGROUP": 8}
    return {"THREADS_PER_ROW": 16, "ROWS_PER_WORKGROUP": 4}


def chunk_size(traits: dict) -> int:
    """Prefill rows per step. GPUs: large, because every chunk re-reads all weights and a 64-row
    chunk leaves most of the GPU idle (H100, 512-token prompt: chunk 64 → 512 made SmolLM2's
    prefill 4.4x and Llama-3.2-1B's 2x faster). 256 where bindings are small (browsers' 128 MiB):
    the gate/up activations [chunk, 2 x intermediate] f32 must fit one binding."""
    if traits["kind"] == "cpu":
        return 32
    return 512 if traits["max_binding"] >= 1 << 30 else 256


def attention_splits(traits: dict, context: int) -> int:
    if traits["kind"] == "cpu":
        return 2
    return max(1, min(32, context // 256))


def norm_workgroup(traits: dict) -> int:
    return 64 if traits["kind"] == "cpu" else 128
