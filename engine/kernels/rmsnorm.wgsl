// rmsnorm: Y[r, :] = X[r, :] * inverseSqrt(mean(X[r, :]^2) + EPS) * (w + NORM_OFFSET)
// Shapes: X, Y [T * ROWS_PER_TOKEN, WIDTH] f32; w [WIDTH] f32 (shared by all rows, so with
//   WIDTH = head_dim and ROWS_PER_TOKEN = heads it is a per-head qk-norm).
// Valid rows: step.n_tokens * ROWS_PER_TOKEN; later rows are left untouched.
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per row, workgroup r = x + y * 65535
//   (dispatch (min(rows, 65535), ceil(rows / 65535), 1)); each thread strides over the row and
//   the sum of squares is reduced in shared memory.
// In place: IN_PLACE = true writes the result back into X and never touches Y; bind any other
//   small buffer there (not X: WebGPU refuses one buffer bound twice where either is writable).
// Bindings: 0 X (read_write), 1 w (read), 2 Y (read_write), 3 step (uniform).
//!include step
//!include workgroup_sum

override WIDTH: u32;
override ROWS_PER_TOKEN: u32 = 1u;
override EPS: f32 = 1e-6;
override NORM_OFFSET: f32 = 0.0;  // Gemma stores w - 1: it multiplies by (1 + w)
override IN_PLACE: bool = false;
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> step: Step;


@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let row = wid.x + wid.y * 65535u;
    if (row >= step.n_tokens * ROWS_PER_TOKEN) {
        return;
    }
    let base = row * WIDTH;
    var sum_sq = 0.0;
    for (var i = tid; i < WIDTH; i += WORKGROUP) {
        let v = x[base + i];
        sum_sq += v * v;
    }
    let scale = inverseSqrt(workgroup_sum(sum_sq, tid) / f32(WIDTH) + EPS);
    for (var i = tid; i < WIDTH; i += WORKGROUP) {
        let v = x[base + i] * scale * (w[i] + NORM_OFFSET);
        if (IN_PLACE) {
            x[base + i] = v;
        } else {
            y[base + i] = v;
        }
    }
}
