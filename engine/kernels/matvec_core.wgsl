// matvec_core (include): the thread mapping, reduction and store shared by matvec_quant and
// matvec_float. The including kernel declares the bindings `bias`, `x`, `y`, `step` and defines
//     fn row_partial(row: u32, lane: u32, x_base: u32) -> f32
// = lane's share of sum_k W[row, k] * x[x_base + k] (lanes split K; THREADS_PER_ROW of them).
//
// Thread mapping (override constants, chosen per adapter by the plan compiler):
// - THREADS_PER_ROW = 1: one invocation per output row, ROWS_PER_WORKGROUP (8) rows per group.
//   Fastest on CPU adapters (lavapipe), where each invocation streams its row with wide loads.
// - THREADS_PER_ROW = 8 to 64 (a power of two): the lanes of a row read adjacent words and
//   their partial sums meet in shared memory, so a GPU's warps read memory coalesced.
//   Measured on an H100 (14336 x 4096, 2026-11-22): q4 best at 8 lanes x 8 rows (740 GB/s;
//   32 lanes: 470), q8 at 32-64 lanes x 1-4 rows (1.2 TB/s), f16 at 64 x 1 (410 GB/s);
//   one invocation per row reads only 150 GB/s there.
// Rows are spread over workgroups x + y * num_workgroups.x, so more than 65535 groups fit.
//!include step

override N: u32;                 // rows in this part (this dispatch)
override K: u32;                 // inputs per row (reduction length)
override OUT_STRIDE: u32;        // row stride of y: all rows of the tensor
override ROW_OFFSET: u32 = 0u;   // the part's first row: output row = ROW_OFFSET + row
override HAS_BIAS: bool = false; // add bias[ROW_OFFSET + row]
override ACCUMULATE: bool = false; // add the old y value (fuses the residual add)
override X_ROW_FROM_STEP: bool = false; // read x row step.n_tokens - 1 of a [T, K] x (LM head after a chunk)
override THREADS_PER_ROW: u32 = 1u;
override ROWS_PER_WORKGROUP: u32 = 8u;
override WORKGROUP: u32 = THREADS_PER_ROW * ROWS_PER_WORKGROUP; // at most 256

var<workgroup> partials: array<f32, WORKGROUP>;

fn x4(i: u32) -> vec4<f32> {
    return vec4<f32>(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
}

@compute @workgroup_size(WORKGROUP)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
) {
    let row = (group.x + group.y * groups.x) * ROWS_PER_WORKGROUP + local / THREADS_PER_ROW;
    let lane = local % THREADS_PER_ROW;
    var x_base = 0u;
    if (X_ROW_FROM_STEP) {
        x_base = (step.n_tokens - 1u) * K;
    }
    var sum = 0.0;
    if (row < N) {
        sum = row_partial(row, lane, x_base);
    }
    if (THREADS_PER_ROW > 1u) {
        partials[local] = sum;
        workgroupBarrier();
        for (var stride = THREADS_PER_ROW / 2u; stride > 0u; stride = stride / 2u) {
            if (lane < stride) {
                partials[local] = partials[local] + partials[local + stride];
            }
            workgroupBarrier();
        }
        sum = partials[local];
    }
    if (row < N && lane == 0u) {
        let out = ROW_OFFSET + row;
        if (HAS_BIAS) {
            sum = sum + bias[out];
        }
        if (ACCUMULATE) {
            sum = sum + y[out];
        }
        y[out] = sum;
    }
}
