// softcap: x[i] = CAP * tanh(x[i] / CAP) in place, for i < N (Gemma's final logit softcap).
// Shapes: x [N] f32 (e.g. the logits, [T, vocab] flattened).
// Threads: one invocation per value; workgroup w = x + y * 65535, dispatch
//   (min(G, 65535), ceil(G / 65535), 1) with G = ceil(N / WORKGROUP).
// Bindings: 0 x (read_write).

override N: u32;
override CAP: f32;
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
    let i = (wid.x + wid.y * 65535u) * WORKGROUP + tid;
    if (i < N) {
        // tanh clamped: some GPUs' tanh overflows to NaN for large |x|; past 10 it is +-1 in f32.
        x[i] = CAP * tanh(clamp(x[i] / CAP, -10.0, 10.0));
    }
}
