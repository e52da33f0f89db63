// mean_pool: sentence embeddings from token states. For each sequence s with span
// (first, count) = (spans[2s], spans[2s + 1]):
//   m = mean over rows r in [first, first + count) of X[r, :];  out[s, :] = m / max(|m|, EPS)
// (NORMALIZE; else out = m), as sentence-transformers' mean pooling + Normalize. A sequence with
// count 0 (an unused slot) gets zeros, so stale results never leak into a later batch.
// Shapes: X [T, WIDTH] f32; spans [S, 2] u32; out [S, WIDTH] f32.
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per sequence, dispatch (S, 1, 1);
//   thread tid owns dims tid + c * WORKGROUP (WIDTH <= 8 * WORKGROUP); the squared norm is
//   reduced in shared memory.
// Bindings: 0 X (read), 1 spans (u32), 2 out (read_write).

override WIDTH: u32;
override NORMALIZE: bool = true;
override EPS: f32 = 1e-12;
override WORKGROUP: u32 = 64u;
const MAX_WORKGROUP: u32 = 256u;
const MAX_DIMS_PER_THREAD: u32 = 8u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> spans: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, MAX_WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let s = wid.x;
    let first = spans[2u * s];
    let count = spans[2u * s + 1u];
    var mean: array<f32, MAX_DIMS_PER_THREAD>;
    var sum_sq = 0.0;
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < WIDTH && count > 0u) {
            var sum = 0.0;
            for (var r = first; r < first + count; r++) {
                sum += x[r * WIDTH + d];
            }
            mean[c] = sum / f32(count);
            sum_sq += mean[c] * mean[c];
        }
    }
    partial[tid] = sum_sq;
    for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (tid < half) {
            partial[tid] += partial[tid + half];
        }
    }
    workgroupBarrier();
    let scale = select(1.0, 1.0 / max(sqrt(partial[0]), EPS), NORMALIZE);
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < WIDTH) {
            out[s * WIDTH + d] = mean[c] * scale;
        }
    }
}
