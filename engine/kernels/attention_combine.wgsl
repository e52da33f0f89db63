// attention_combine: merges attention_decode's SPLITS partial softmaxes into the output row.
// With M = max_s m_s and c_s = exp(m_s - M):  o[h, d] = sum_s c_s acc_s[d] / sum_s c_s l_s,
// where partials[h, s] = (acc_s[0..HD], m_s, l_s); an empty split (0, NEG_BIG, 0) adds nothing.
// Shapes: partials [NH, SPLITS, HD + 2] f32; o [1, NH * HD] f32.
// Threads: one workgroup of WORKGROUP per head, dispatch (NH, 1, 1); each thread recomputes M and
//   the denominator (SPLITS is small) and writes dims d = tid, tid + WORKGROUP, ...
// Bindings: 0 partials (read); 1 o (read_write).

override HEAD_DIM: u32;
override SPLITS: u32 = 1u;
override WORKGROUP: u32 = 64u;
const NEG_BIG: f32 = -3.0e38;

@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let h = wid.x;
    let stride = HEAD_DIM + 2u;
    let base = h * SPLITS * stride;
    var global_max = NEG_BIG;
    for (var s = 0u; s < SPLITS; s++) {
        global_max = max(global_max, partials[base + s * stride + HEAD_DIM]);
    }
    var denominator = 0.0;
    for (var s = 0u; s < SPLITS; s++) {
        let row = base + s * stride;
        denominator += exp(partials[row + HEAD_DIM] - global_max) * partials[row + HEAD_DIM + 1u];
    }
    for (var d = tid; d < HEAD_DIM; d += WORKGROUP) {
        var sum = 0.0;
        for (var s = 0u; s < SPLITS; s++) {
            let row = base + s * stride;
            sum += exp(partials[row + HEAD_DIM] - global_max) * partials[row + d];
        }
        o[h * HEAD_DIM + d] = sum / denominator;
    }
}
