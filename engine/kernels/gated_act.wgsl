// gated_act: the gated MLP's activation, Y[t, i] = act(gu[t, i]) * gu[t, I + i], reading the fused
// gate/up projection (gate half first, then up half).
// ACT 0 = SiLU g / (1 + e^-g); 1 = GELU with the tanh approximation (gelu_pytorch_tanh, Gemma).
// Shapes: gu [T, 2 * I] f32; Y [T, I] f32. Rows t >= step.n_tokens: nothing.
// Threads: one invocation per output element, dispatch (ceil(I / WORKGROUP), T, 1).
// Bindings: 0 gu (read), 1 Y (read_write), 2 step (uniform).
//!include step

override INTERMEDIATE: u32;  // I
override ACT: u32 = 0u;
override WORKGROUP: u32 = 64u;
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;

@group(0) @binding(0) var<storage, read> gu: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> step: Step;

// Some GPUs' tanh overflows to NaN for large |x|; past 10 it is +-1 in f32 anyway.
fn safe_tanh(x: f32) -> f32 {
    return tanh(clamp(x, -10.0, 10.0));
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if (i >= INTERMEDIATE || t >= step.n_tokens) {
        return;
    }
    let g = gu[t * 2u * INTERMEDIATE + i];
    let up = gu[t * 2u * INTERMEDIATE + INTERMEDIATE + i];
    var activated: f32;
    if (ACT == 1u) {
        activated = 0.5 * g * (1.0 + safe_tanh(SQRT_2_OVER_PI * (g + 0.044715 * g * g * g)));
    } else {
        activated = g / (1.0 + exp(-g));
    }
    y[t * INTERMEDIATE + i] = activated * up;
}
