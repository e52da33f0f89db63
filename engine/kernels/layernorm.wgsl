// layernorm (BERT): Y[r, :] = (X[r, :] - mean) / sqrt(var + EPS) * w + b, var the biased variance.
// Shapes: X, Y [T, WIDTH] f32; w, b [WIDTH] f32. Valid rows: step.n_tokens; later rows untouched.
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per row, row = x + y * 65535;
//   two shared-memory reductions (the mean, then the squared deviations: two passes are
//   stabler than E[x^2] - E[x]^2 when the mean is large).
// Bindings: 0 X (read), 1 w (read), 2 b (read), 3 Y (read_write), 4 step (uniform).
//!include step

override WIDTH: u32;
override EPS: f32 = 1e-12;
override WORKGROUP: u32 = 64u;
const MAX_WORKGROUP: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

var<workgroup> partial: array<f32, MAX_WORKGROUP>;

// Sum of every thread's `value` over the workgroup; all threads get the result.
fn workgroup_sum(value: f32, tid: u32) -> f32 {
    workgroupBarrier();  // earlier readers of partial[0] are done
    partial[tid] = value;
    for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (tid < half) {
            partial[tid] += partial[tid + half];
        }
    }
    workgroupBarrier();
    return partial[0];
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let row = wid.x + wid.y * 65535u;
    if (row >= step.n_tokens) {
        return;
    }
    let base = row * WIDTH;
    var sum = 0.0;
    for (var i = tid; i < WIDTH; i += WORKGROUP) {
        sum += x[base + i];
    }
    let mean = workgroup_sum(sum, tid) / f32(WIDTH);
    var sum_sq = 0.0;
    for (var i = tid; i < WIDTH; i += WORKGROUP) {
        let d = x[base + i] - mean;
        sum_sq += d * d;
    }
    let inv_std = inverseSqrt(workgroup_sum(sum_sq, tid) / f32(WIDTH) + EPS);
    for (var i = tid; i < WIDTH; i += WORKGROUP) {
        y[base + i] = (x[base + i] - mean) * inv_std * w[i] + b[i];
    }
}
