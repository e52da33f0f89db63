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

override HEAD_DIM: u32;
override N_HEADS: u32;
override N_KV_HEADS: u32;
override SCALE: f32;
override WINDOW: u32 = 0u;      // 0 = full causal attention
override SPLITS: u32 = 1u;
override WORKGROUP: u32 = 64u;
const MAX_WORKGROUP: u32 = 256u;
const MAX_HEAD_DIM: u32 = 512u;
const MAX_DIMS_PER_THREAD: u32 = 8u;
const NEG_BIG: f32 = -3.0e38;   // stands for -inf (WGSL has no infinity literal); exp(NEG_BIG - m) = 0

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k_cache: array<f32>;
@group(0) @binding(2) var<storage, read> v_cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
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

    var running_max = NEG_BIG;
    var running_sum = 0.0;
    var acc: array<f32, MAX_DIMS_PER_THREAD>;
    for (var j0 = start; j0 < end; j0 += WORKGROUP) {
        let j = j0 + tid;
        var score = NEG_BIG;
        if (j < end) {
            let k_base = j * kv_stride + kv_offset;
            var dot = 0.0;
            for (var d = 0u; d < HEAD_DIM; d++) {
                dot += q_scaled[d] * k_cache[k_base + d];
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
                    sum += weights[jj] * v_cache[(j0 + jj) * kv_stride + kv_offset + d];
                }
                acc[c] = sum;
            }
        }
    }
    let out = (h * SPLITS + split) * (HEAD_DIM + 2u);
    for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
        let d = tid + c * WORKGROUP;
        if (d < HEAD_DIM) {
            partials[out + d] = acc[c];
        }
    }
    if (tid == 0u) {
        partials[out + HEAD_DIM] = running_max;
        partials[out + HEAD_DIM + 1u] = running_sum;
    }
}
