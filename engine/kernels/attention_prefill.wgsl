// attention_prefill: causal (optionally sliding-window) multi-head attention of a step's queries
// over the KV cache, with grouped-query heads and an online (streaming) softmax.
// For query row t at absolute position p = step.pos + t and head h (kv head g = h / (NH / NKV)):
//   o[t, h] = sum_j softmax_j(SCALE * q[t, h] . k[j, g]) v[j, g]  over keys j in [lo, p],
//   lo = 0, or with WINDOW > 0 the window of transformers' sliding masks: p - j < WINDOW.
// Shapes: q, o [T, NH * HD] f32; k_cache, v_cache [context, NKV, HD] f32 (rows 0..p filled).
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per (query row t, head h),
//   dispatch (T, NH, 1). Keys go by in tiles of WORKGROUP: each thread scores one key, the tile's
//   max and sum are reduced in shared memory, the tile's softmax weights are shared, and each
//   thread accumulates the output dims d = tid + c * WORKGROUP (so HD <= 8 * WORKGROUP).
//   Rows t >= step.n_tokens: nothing.
// Bindings: 0 q, 1 k_cache, 2 v_cache (read); 3 o (read_write); 4 step (uniform).
//!include step
//!include attention_tiles

override HEAD_DIM: u32;
override N_HEADS: u32;
override N_KV_HEADS: u32;
override SCALE: f32;            // 1 / sqrt(HD), or the model's attn_scale
override WINDOW: u32 = 0u;      // 0 = full causal attention
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k_cache: array<f32>;
@group(0) @binding(2) var<storage, read> v_cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

fn key_element(i: u32) -> f32 {
    return k_cache[i];
}

fn value_element(i: u32) -> f32 {
    return v_cache[i];
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let t = wid.x;
    let h = wid.y;
    if (t >= step.n_tokens) {
        return;
    }
    let p = step.pos + t;
    let lo = select(0u, p + 1u - WINDOW, WINDOW > 0u && p + 1u > WINDOW);
    let kv_offset = (h / (N_HEADS / N_KV_HEADS)) * HEAD_DIM;
    let kv_stride = N_KV_HEADS * HEAD_DIM;
    let q_base = (t * N_HEADS + h) * HEAD_DIM;
    for (var d = tid; d < HEAD_DIM; d += WORKGROUP) {
        q_scaled[d] = q[q_base + d] * SCALE;
    }
    workgroupBarrier();

    let attended = attend(lo, p + 1u, kv_stride, kv_offset, kv_offset, tid);
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < HEAD_DIM) {
            o[q_base + d] = attended.acc[c] / attended.running_sum;
        }
    }
}
