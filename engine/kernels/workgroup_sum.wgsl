// workgroup_sum: the sum of every thread's value over the workgroup, halving through shared memory;
// every thread gets the result. Shared by the kernels that normalise a row (`//!include workgroup_sum`);
// the including kernel defines the override WORKGROUP (a power of two, <= 256).
var<workgroup> partial: array<f32, 256>;

fn workgroup_sum(value: f32, tid: u32) -> f32 {
    partial[tid] = value;
    for (var half = WORKGROUP / 2u; half > 0u; half /= 2u) {
        workgroupBarrier();
        if (tid < half) {
            partial[tid] += partial[tid + half];
        }
    }
    workgroupBarrier();
    return partial[0];
}
