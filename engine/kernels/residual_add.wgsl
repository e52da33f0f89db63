// residual_add: x[i] += y[i] for i < n.
// Shapes: x, y [n] f32. Threads: one invocation per element, WORKGROUP per group.
// Bindings: 0 x (read_write), 1 y (read), 2 params {n}.
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> params: array<u32>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i < params[0]) {
        x[i] = x[i] + y[i];
    }
}
