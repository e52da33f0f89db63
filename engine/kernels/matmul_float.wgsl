// matmul_float: y[t, ROW_OFFSET + n] = sum_k W[n, k] * x[t, k] (+ bias[ROW_OFFSET + n]) (+ old y)
// for t < step.n_tokens and n < N, with W an f32/f16/bf16 matrix [N, K] (docs/formats.md): the
// prefill chunk's GEMM. Shapes: x [T, K] f32, y [T, OUT_STRIDE] f32; rows t >= n_tokens are left.
// Constants: matmul_core (N, K, T, OUT_STRIDE, ROW_OFFSET, HAS_BIAS, ACCUMULATE) and float_weights
// (FORMAT). Any K. Threads and dispatch: see matmul_core.
// Bindings: 0 data, 1 bias (f32), 2 x (f32), 3 y (f32, read_write), 4 step (uniform).
// Every binding is always bound (wgpu's "auto" layout keeps bias even without HAS_BIAS).
//!include matmul_core
//!include float_weights

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

fn tile_weights4(row: u32, k: u32) -> vec4<f32> {
    return float_weights4(row * K + k, min(4u, K - k));
}
