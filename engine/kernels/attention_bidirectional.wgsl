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

override HEAD_DIM: u32;
override N_HEADS: u32;
override N_KV_HEADS: u32;
override SCALE: f32;            // 1 / sqrt(HD)
override WORKGROUP: u32 = 64u;
const MAX_WORKGROUP: u32 = 256u;
const MAX_HEAD_DIM: u32 = 512u;
const MAX_DIMS_PER_THREAD: u32 = 8u;
const NEG_BIG: f32 = -3.0e38;   // stands for -inf; exp(NEG_BIG - m) = 0

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> token_meta: array<u32>;
@group(0) @binding(2) var<storage, read> spans: array<u32>;
@group(0) @binding(3) var<storage, read_write> o: array<f32>;
@group(0) @binding(4) var<uniform> step: Step;

var<workgroup> q_scaled: array<f32, MAX_HEAD_DIM>;
var<workgroup> weights: array<f32, MAX_WORKGROUP>;
var<workgroup> partial: array<f32, MAX_WORKGROUP>;

// Max (is_max) or sum of every thread's value over the workgroup; all threads get the result.
fn workgroup_reduce(value: f32, tid: u32, is_max: bool) -> f32 {
    workgroupBarrier();  // earlier readers of partial[0] and weights are done
    partial[tid] = value;
    for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (tid < half) {
            let other = partial[tid + half];
            partial[tid] = select(partial[tid] + other, max(partial[tid], other), is_max);
        }
    }
    workgroupBarrier();
    return partial[0];
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

    var running_max = NEG_BIG;
    var running_sum = 0.0;
    var acc: array<f32, MAX_DIMS_PER_THREAD>;
    for (var j0 = first; j0 < end; j0 += WORKGROUP) {
        let j = j0 + tid;
        var score = NEG_BIG;
        if (j < end) {
            let k_base = j * stride + k_offset;
            var dot = 0.0;
            for (var d = 0u; d < HEAD_DIM; d++) {
                dot += q_scaled[d] * qkv[k_base + d];
            }
            score = dot;
        }
        let new_max = max(running_max, workgroup_reduce(score, tid, true));
        let weight = select(0.0, exp(score - new_max), j < end);
        weights[tid] = weight;  // visible after the reduction's barriers
        let correction = exp(running_max - new_max);
        running_sum = running_sum * correction + workgroup_reduce(weight, tid, false);
        running_max = new_max;
        let n_keys = min(WORKGROUP, end - j0);
        for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
            let d = tid + c * WORKGROUP;
            if (d < HEAD_DIM) {
                var sum = acc[c] * correction;
                for (var jj = 0u; jj < n_keys; jj++) {
                    sum += weights[jj] * qkv[(j0 + jj) * stride + v_offset + d];
                }
                acc[c] = sum;
            }
        }
    }
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < HEAD_DIM) {
            o[t * N_HEADS * HEAD_DIM + h * HEAD_DIM + d] = acc[c] / running_sum;
        }
    }
}
