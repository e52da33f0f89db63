// attention_tiles: the online-softmax core shared by attention_prefill, attention_decode and
// attention_bidirectional (included with `//!include attention_tiles`).
// One workgroup attends one query, already scaled into q_scaled[0..HEAD_DIM), over keys j in
// [start, end): keys go by in tiles of WORKGROUP, each thread scores one key, the tile's max and
// sum are reduced in shared memory, the tile's softmax weights are shared, and each thread
// accumulates the output dims d = tid + c * WORKGROUP (so HD <= 8 * WORKGROUP).
// Key j's element d is key_element(j * stride + k_offset + d), its value's is
// value_element(j * stride + v_offset + d): the including kernel defines both functions (its
// buffers differ: the KV cache, or an encoder's fused qkv rows) and the overrides HEAD_DIM and
// WORKGROUP (a power of two, <= 256).
const MAX_WORKGROUP: u32 = 256u;
const MAX_HEAD_DIM: u32 = 512u;
const MAX_DIMS_PER_THREAD: u32 = 8u;
const NEG_BIG: f32 = -3.0e38;   // stands for -inf (WGSL has no infinity literal); exp(NEG_BIG - m) = 0

var<workgroup> q_scaled: array<f32, MAX_HEAD_DIM>;
var<workgroup> weights: array<f32, MAX_WORKGROUP>;
var<workgroup> partial: array<f32, MAX_WORKGROUP>;

// Unnormalised output dims of this thread, and the softmax's running max and sum.
struct Attended {
    acc: array<f32, MAX_DIMS_PER_THREAD>,
    running_max: f32,
    running_sum: f32,
}

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

fn attend(start: u32, end: u32, stride: u32, k_offset: u32, v_offset: u32, tid: u32) -> Attended {
    var state: Attended;
    state.running_max = NEG_BIG;
    state.running_sum = 0.0;
    for (var j0 = start; j0 < end; j0 += WORKGROUP) {
        let j = j0 + tid;
        var score = NEG_BIG;
        if (j < end) {
            let k_base = j * stride + k_offset;
            var dot = 0.0;
            for (var d = 0u; d < HEAD_DIM; d++) {
                dot += q_scaled[d] * key_element(k_base + d);
            }
            score = dot;
        }
        let new_max = max(state.running_max, workgroup_reduce(score, tid, true));
        let weight = select(0.0, exp(score - new_max), j < end);
        weights[tid] = weight;  // visible after the reduction's barriers
        let correction = exp(state.running_max - new_max);
        state.running_sum = state.running_sum * correction + workgroup_reduce(weight, tid, false);
        state.running_max = new_max;
        let n_keys = min(WORKGROUP, end - j0);
        for (var c = 0u; c < MAX_DIMS_PER_THREAD; c++) {
            let d = tid + c * WORKGROUP;
            if (d < HEAD_DIM) {
                var sum = state.acc[c] * correction;
                for (var jj = 0u; jj < n_keys; jj++) {
                    sum += weights[jj] * value_element((j0 + jj) * stride + v_offset + d);
                }
                state.acc[c] = sum;
            }
        }
    }
    return state;
}
