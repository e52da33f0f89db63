// embed_float: x[t, :] = W[tokens[t] - ROW_OFFSET, :] * EMBED_SCALE for t < step.n_tokens whose
// token lies in this part's rows [ROW_OFFSET, ROW_OFFSET + N); W an f32/f16/bf16 table [N, K]
// (docs/formats.md). A table split into parts is one dispatch per part; each fills its tokens.
// Shapes: tokens [T] u32, x [T, K] f32. Rows t >= n_tokens and tokens of other parts are left.
// Constants: N, K (any), ROW_OFFSET, EMBED_SCALE (Gemma: sqrt(hidden)), WORKGROUP, FORMAT.
// Threads: one invocation per 4 consecutive values of a row (x: k / 4, y: token).
// Dispatch (ceil(K / 4 / WORKGROUP), T, 1).
// Bindings: 0 data, 1 tokens (u32), 2 x (f32, read_write), 3 step (uniform).
//!include step
//!include float_weights

override N: u32;
override K: u32;
override ROW_OFFSET: u32 = 0u;
override EMBED_SCALE: f32 = 1.0;
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let k = 4u * id.x;
    let t = id.y;
    if (t >= step.n_tokens || k >= K) {
        return;
    }
    let token = tokens[t];
    if (token < ROW_OFFSET || token - ROW_OFFSET >= N) {
        return;
    }
    let count = min(4u, K - k);
    let w = float_weights4((token - ROW_OFFSET) * K + k, count) * EMBED_SCALE;
    for (var i = 0u; i < count; i++) {
        x[t * K + k + i] = w[i];
    }
}
