// embed_quant: x[t, :] = W[tokens[t] - ROW_OFFSET, :] * EMBED_SCALE for t < step.n_tokens whose
// token lies in this part's rows [ROW_OFFSET, ROW_OFFSET + N); W a q4/q8 table [N, K]
// (docs/formats.md). A table split into parts is one dispatch per part; each fills its tokens.
// Shapes: tokens [T] u32, x [T, K] f32. Rows t >= n_tokens and tokens of other parts are left.
// Constants: N, K, ROW_OFFSET, EMBED_SCALE (Gemma: sqrt(hidden)), WORKGROUP, and quant_weights
// (BITS, GROUP_SIZE, ZERO_POINT, SCALE_F16, MIN_KIND, *_ROW_BASE).
// Threads: one invocation per 4 consecutive values of a row (x: k / 4, y: token).
// Dispatch (ceil(K / 4 / WORKGROUP), T, 1).
// Bindings: 0 data, 1 scales, 2 mins, 3 tokens (u32), 4 x (f32, read_write), 5 step (uniform).
// Every binding is always bound (wgpu's "auto" layout keeps mins even when MIN_KIND is 0).
//!include step
//!include quant_weights

override N: u32;
override K: u32;
override ROW_OFFSET: u32 = 0u;
override EMBED_SCALE: f32 = 1.0;
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> mins: array<u32>;
@group(0) @binding(3) var<storage, read> tokens: array<u32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

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
    let w = quant_weights4(token - ROW_OFFSET, k) * EMBED_SCALE;
    let at = t * K + k;
    x[at] = w.x;
    x[at + 1u] = w.y;
    x[at + 2u] = w.z;
    x[at + 3u] = w.w;
}
