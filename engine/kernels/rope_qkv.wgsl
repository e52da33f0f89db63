// rope_qkv: splits the fused QKV projection, optionally RMS-normalises each q/k head (QK_NORM),
// rotates q and k by RoPE at position step.pos + t, writes q for attention and k, v into the cache.
// Shapes: qkv [T, (NH + 2 * NKV) * HD] f32 (q heads, then k heads, then v heads);
//   inv_freq [HD / 2] f32 (the host folds in llama3 / linear scaling and the layer's base);
//   q_norm_w, k_norm_w [HD] f32 (read only when QK_NORM; bind any buffer otherwise);
//   q_out [T, NH * HD]; k_cache, v_cache [context, NKV, HD] (token t goes to row step.pos + t).
// Pairs rotated together: PAIRING 0 = "half" (i, i + HD/2), Hugging Face rotate_half;
//   1 = "adjacent" (2i, 2i + 1), GGML's normal mode. Pair i turns by (pos + t) * inv_freq[i].
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per (token t, head), dispatch
//   (T, NH + 2 * NKV, 1); threads stride over the head's pairs. Rows t >= step.n_tokens: nothing.
// Bindings: 0 qkv, 1 inv_freq, 2 q_norm_w, 3 k_norm_w (read); 4 q_out, 5 k_cache, 6 v_cache
//   (read_write); 7 step (uniform).
//!include step
//!include workgroup_sum

override HEAD_DIM: u32;
override N_HEADS: u32;
override N_KV_HEADS: u32;
override PAIRING: u32 = 0u;
override QK_NORM: bool = false;
override EPS: f32 = 1e-6;
override NORM_OFFSET: f32 = 0.0;
override WORKGROUP: u32 = 64u;

// 2 pi in three f32 parts (Cody-Waite): k * TWO_PI_HI is exact for k < 2^16, so angles of
// positions up to ~400k reduce to [-pi, pi] with f32-rounding accuracy; GPU sin/cos are only
// accurate there (WGSL promises nothing outside), and RoPE angles reach thousands of radians.
const TWO_PI_HI: f32 = 6.28125;
const TWO_PI_MID: f32 = 0.0019353071693331003;
const TWO_PI_LO: f32 = 1.0253376273028358e-11;
const INV_TWO_PI: f32 = 0.15915494309189535;

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(2) var<storage, read> q_norm_w: array<f32>;
@group(0) @binding(3) var<storage, read> k_norm_w: array<f32>;
@group(0) @binding(4) var<storage, read_write> q_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(6) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(7) var<uniform> step: Step;


// (cos, sin) of an f32 angle, after reducing it to [-pi, pi].
fn cos_sin(angle: f32) -> vec2<f32> {
    let k = round(angle * INV_TWO_PI);
    let r = ((angle - k * TWO_PI_HI) - k * TWO_PI_MID) - k * TWO_PI_LO;
    return vec2<f32>(cos(r), sin(r));
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let t = wid.x;
    let head = wid.y;
    if (t >= step.n_tokens) {
        return;
    }
    let position = step.pos + t;
    let src = (t * (N_HEADS + 2u * N_KV_HEADS) + head) * HEAD_DIM;
    let is_q = head < N_HEADS;
    // Meaningful for k and v heads only (it wraps around for q heads, which never use it).
    let kv_head = head - select(N_HEADS, N_HEADS + N_KV_HEADS, head >= N_HEADS + N_KV_HEADS);
    let cache_row = (position * N_KV_HEADS + kv_head) * HEAD_DIM;

    if (head >= N_HEADS + N_KV_HEADS) {  // a v head: copied as is
        for (var d = tid; d < HEAD_DIM; d += WORKGROUP) {
            v_cache[cache_row + d] = qkv[src + d];
        }
        return;
    }

    var norm_scale = 1.0;
    if (QK_NORM) {
        var sum_sq = 0.0;
        for (var d = tid; d < HEAD_DIM; d += WORKGROUP) {
            let v = qkv[src + d];
            sum_sq += v * v;
        }
        norm_scale = inverseSqrt(workgroup_sum(sum_sq, tid) / f32(HEAD_DIM) + EPS);
    }

    let n_pairs = HEAD_DIM / 2u;
    for (var i = tid; i < n_pairs; i += WORKGROUP) {
        let a = select(i, 2u * i, PAIRING == 1u);
        let b = select(i + n_pairs, 2u * i + 1u, PAIRING == 1u);
        var xa = qkv[src + a] * norm_scale;
        var xb = qkv[src + b] * norm_scale;
        if (QK_NORM) {
            let wa = select(k_norm_w[a], q_norm_w[a], is_q);
            let wb = select(k_norm_w[b], q_norm_w[b], is_q);
            xa *= wa + NORM_OFFSET;
            xb *= wb + NORM_OFFSET;
        }
        let cs = cos_sin(f32(position) * inv_freq[i]);
        let ra = xa * cs.x - xb * cs.y;
        let rb = xb * cs.x + xa * cs.y;
        if (is_q) {
            let dst = (t * N_HEADS + head) * HEAD_DIM;
            q_out[dst + a] = ra;
            q_out[dst + b] = rb;
        } else {
            k_cache[cache_row + a] = ra;
            k_cache[cache_row + b] = rb;
        }
    }
}
