// gelu: the exact (erf) GELU of BERT's non-gated MLP, in place: Y[t, i] = Y[t, i] * Phi(Y[t, i]),
// Phi(x) = (1 + erf(x / sqrt 2)) / 2 (torch's nn.GELU(), approximate="none").
// WGSL has no erf: erfc(z) for z >= 0 is Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), and
// negative inputs use x/2 * erfc(|z|) directly, so the tiny left tail keeps its relative accuracy.
// Shapes: Y [T, WIDTH] f32. Rows t >= step.n_tokens: nothing.
// Threads: one invocation per element, dispatch (ceil(WIDTH / WORKGROUP), T, 1).
// Bindings: 0 Y (read_write), 1 step (uniform).
//!include step

override WIDTH: u32;
override WORKGROUP: u32 = 64u;
const INV_SQRT2: f32 = 0.7071067811865476;

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> step: Step;

// erfc(z) for z >= 0.
fn erfc_nonnegative(z: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.3275911 * z);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return poly * exp(-z * z);
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let t = gid.y;
    if (i >= WIDTH || t >= step.n_tokens) {
        return;
    }
    let x = y[t * WIDTH + i];
    let tail = 0.5 * x * erfc_nonnegative(abs(x) * INV_SQRT2);
    y[t * WIDTH + i] = select(x - tail, tail, x < 0.0);
}
