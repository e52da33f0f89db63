// matmul_quant: y[t, ROW_OFFSET + n] = sum_k W[n, k] * x[t, k] (+ bias[ROW_OFFSET + n]) (+ old y)
// for t < step.n_tokens and n < N, with W a q4/q8 matrix [N, K] (docs/formats.md): the prefill
// chunk's GEMM. Shapes: x [T, K] f32, y [T, OUT_STRIDE] f32; rows t >= n_tokens are left as they are.
// Constants: matmul_core (N, K, T, OUT_STRIDE, ROW_OFFSET, HAS_BIAS, ACCUMULATE) and quant_weights
// (BITS, GROUP_SIZE, ZERO_POINT, SCALE_F16, MIN_KIND, *_ROW_BASE).
// Threads and dispatch: see matmul_core (each weight is dequantised once per 32 tokens).
// Bindings: 0 data, 1 scales, 2 mins, 3 bias (f32), 4 x (f32), 5 y (f32, read_write), 6 step (uniform).
// Every binding is always bound: wgpu's "auto" layout keeps a binding that is only used under a
// false override (mins without MIN_KIND, bias without HAS_BIAS), so bind any small buffer there.
//!include matmul_core
//!include quant_weights

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> mins: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> step: Step;

fn tile_weights4(row: u32, k: u32) -> vec4<f32> {
    return quant_weights4(row, k);
}
