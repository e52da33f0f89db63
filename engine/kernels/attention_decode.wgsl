// attention_decode: one query token (decode, position p = step.pos) against the KV cache, split
// over the key range for long contexts (flash-decoding); attention_combine merges the splits.
// Keys j in [lo, p] (lo = 0, or with WINDOW > 0: p - j < WINDOW, as attention_prefill) are cut
// into SPLITS consecutive chunks of ceil(n_keys / SPLITS); split s of head h (kv head
// g = h / (NH / NKV)) writes, for its chunk, with scores s_j = SCALE * q[h] . k[j, g]:
//   partials[h, s, 0..HD] = sum_j exp(s_j - m) v[j, g],  partials[h, s, HD] = m = max_j s_j,
//   partials[h, s, HD + 1] = sum_j exp(s_j - m).  An empty chunk writes (0, NEG_BIG, 0).
// Shapes: q [1, NH * HD] f32; k_cache, v_cache [context, NKV, HD] f32; partials [NH, SPLITS, HD + 2].
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per (split, head), dispatch
//   (SPLITS, NH, 1); within a chunk, keys go by in tiles of WORKGROUP as in attention_prefill
//   (one key per thread, shared-memory max/sum, output dims d = tid + c * WORKGROUP, HD <= 8 * WORKGROUP).
// Bindings: 0 q, 1 k_cache, 2 v_cache (read); 3 partials (read_write); 4 step (uniform).
//!include step
//!include attention_tiles

override HEAD_DIM: u32;
override N_HEADS: u32;
override N_KV_HEADS: u32;
override SCALE: f32;
override WINDOW: u32 = 0u;      // 0 = full causal attention
override SPLITS: u32 = 1u;
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k_cache: array<f32>;
@group(0) @binding(2) var<storage, read> v_cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

fn key_element(i: u32) -> f32 {
    return k_cache[i];
}

fn value_element(i: u32) -> f32 {
    return v_cache[i];
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let split = wid.x;
    let h = wid.y;
    let p = step.pos;
    let lo = select(0u, p + 1u - WINDOW, WINDOW > 0u && p + 1u > WINDOW);
    let chunk = (p + 1u - lo + SPLITS - 1u) / SPLITS;
    let start = lo + split * chunk;
    let end = min(p + 1u, start + chunk);  // exclusive; start >= end: an empty split
    let kv_offset = (h / (N_HEADS / N_KV_HEADS)) * HEAD_DIM;
    let kv_stride = N_KV_HEADS * HEAD_DIM;
    for (var d = tid; d < HEAD_DIM; d += WORKGROUP) {
        q_scaled[d] = q[h * HEAD_DIM + d] * SCALE;
    }
    workgroupBarrier();

    let attended = attend(start, end, kv_stride, kv_offset, kv_offset, tid);
    let out = (h * SPLITS + split) * (HEAD_DIM + 2u);
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < HEAD_DIM) {
            partials[out + d] = attended.acc[c];
        }
    }
    if (tid == 0u) {
        partials[out + HEAD_DIM] = attended.running_max;
        partials[out + HEAD_DIM + 1u] = attended.running_sum;
    }
}
