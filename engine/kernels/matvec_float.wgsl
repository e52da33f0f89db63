// matvec_float: y[ROW_OFFSET + n] = sum_k W[n, k] * x[x_row, k] (+ bias[ROW_OFFSET + n]) (+ old y)
// for n < N, with W an f32/f16/bf16 matrix [N, K] (docs/formats.md); the decode step's GEMV.
// Shapes: x [T, K] f32 (x_row = 0, or step.n_tokens - 1 with X_ROW_FROM_STEP); y [1, OUT_STRIDE] f32.
// Constants: matvec_core (N, K, OUT_STRIDE, ROW_OFFSET, HAS_BIAS, ACCUMULATE, X_ROW_FROM_STEP,
// THREADS_PER_ROW, ROWS_PER_WORKGROUP) and float_weights (FORMAT). Any K (odd K reads slower).
// Dispatch ceil(N / ROWS_PER_WORKGROUP) workgroups (x, or x * y).
// Threads: see matvec_core; lanes of a row take interleaved runs of 4 elements.
// Bindings: 0 data, 1 bias (f32), 2 x (f32), 3 y (f32, read_write), 4 step (uniform).
// Every binding is always bound (wgpu's "auto" layout keeps bias even without HAS_BIAS).
//!include matvec_core
//!include float_weights

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

fn row_partial(row: u32, lane: u32, x_base: u32) -> f32 {
    var sum = 0.0;
    for (var k = 4u * lane; k < K; k += 4u * THREADS_PER_ROW) {
        let count = min(4u, K - k);
        var xs = vec4<f32>(0.0);
        if (count == 4u) {
            xs = x4(x_base + k);
        } else {
            for (var i = 0u; i < count; i++) {
                xs[i] = x[x_base + k + i];
            }
        }
        sum += dot(float_weights4(row * K + k, count), xs);
    }
    return sum;
}
