// attention_bidirectional: an encoder's (BERT's) multi-head attention, every token of a sequence
// seeing every token of the same sequence. Several sequences are packed one after another into
// the step's T rows; each row's sequence index is its padding mask: keys outside the row's
// sequence are never read, so no padding rows exist and none need masking.
// For row t of sequence s = token_meta[4t + 3], span (first, count) = (spans[2s], spans[2s + 1]),
// and head h (kv head g = h / (NH / NKV)):
//   o[t, h] = sum_j softmax_j(SCALE * q[t, h] . k[j, g]) v[j, g]   over j in [first, first + count).
// Shapes: qkv [T, (NH + 2 NKV) * HD] f32 (q heads, then k heads, then v heads, per row, as the
//   fused projection writes them); token_meta [T, 4] u32 (embed_bert); spans [S, 2] u32;
//   o [T, NH * HD] f32.
// Threads: one workgroup of WORKGROUP (a power of two, <= 256) per (row t, head h), dispatch
//   (T, NH, 1). Keys go by in tiles of WORKGROUP with an online softmax (as attention_prefill):
//   each thread scores one key, the tile's max and sum are reduced in shared memory, and each
//   thread accumulates output dims d = tid + c * WORKGROUP (HD <= 8 * WORKGROUP).
//   Rows t >= step.n_tokens: nothing.
// Bindings: 0 qkv, 1 token_meta (u32), 2 spans (u32) (read); 3 o (read_write); 4 step (uniform).
//!include step
//!include attention_tiles

override HEAD_DIM: u32;
override N_HEADS: u32;
override N_KV_HEADS: u32;
override SCALE: f32;            // 1 / sqrt(HD)
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> token_meta: array<u32>;
@group(0) @binding(2) var<storage, read> spans: array<u32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

fn key_element(i: u32) -> f32 {
    return qkv[i];
}

fn value_element(i: u32) -> f32 {
    return qkv[i];
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let t = wid.x;
    let h = wid.y;
    if (t >= step.n_tokens) {
        return;
    }
    let s = token_meta[4u * t + 3u];
    let first = spans[2u * s];
    let end = first + spans[2u * s + 1u];
    let stride = (N_HEADS + 2u * N_KV_HEADS) * HEAD_DIM;
    let g = h / (N_HEADS / N_KV_HEADS);
    let k_offset = (N_HEADS + g) * HEAD_DIM;
    let v_offset = (N_HEADS + N_KV_HEADS + g) * HEAD_DIM;
    let q_base = t * stride + h * HEAD_DIM;
    for (var d = tid; d < HEAD_DIM; d += WORKGROUP) {
        q_scaled[d] = qkv[q_base + d] * SCALE;
    }
    workgroupBarrier();

    let attended = attend(first, end, stride, k_offset, v_offset, tid);
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < HEAD_DIM) {
            o[t * N_HEADS * HEAD_DIM + h * HEAD_DIM + d] = attended.acc[c] / attended.running_sum;
        }
    }
}
