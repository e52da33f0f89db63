// matvec_quant: y[ROW_OFFSET + n] = sum_k W[n, k] * x[x_row, k] (+ bias[ROW_OFFSET + n]) (+ old y)
// for n < N, with W a q4/q8 matrix [N, K] (docs/formats.md); the decode step's GEMV.
// Shapes: x [T, K] f32 (x_row = 0, or step.n_tokens - 1 with X_ROW_FROM_STEP); y [1, OUT_STRIDE] f32.
// Constants: matvec_core (N, K, OUT_STRIDE, ROW_OFFSET, HAS_BIAS, ACCUMULATE, X_ROW_FROM_STEP,
// THREADS_PER_ROW, ROWS_PER_WORKGROUP) and quant_weights (BITS, GROUP_SIZE, ZERO_POINT,
// SCALE_F16, MIN_KIND, *_ROW_BASE). Dispatch ceil(N / ROWS_PER_WORKGROUP) workgroups (x, or x * y).
// Threads: see matvec_core. One invocation per row walks it group by group; several lanes per row
// interleave word by word (coalesced loads).
// Bindings: 0 data, 1 scales, 2 mins, 3 bias (f32), 4 x (f32), 5 y (f32, read_write), 6 step (uniform).
// Every binding is always bound: wgpu's "auto" layout keeps a binding that is only used under a
// false override (mins without MIN_KIND, bias without HAS_BIAS), so bind any small buffer there.
//!include matvec_core
//!include quant_weights

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> mins: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> step: Step;

fn row_partial(row: u32, lane: u32, x_base: u32) -> f32 {
    if (THREADS_PER_ROW == 1u) {
        return row_sum_by_groups(row, x_base);
    }
    return lane_sum_by_words(row, lane, x_base);
}

// One invocation per row (CPU adapters): walk the row group by group, one scale/min read each.
fn row_sum_by_groups(row: u32, x_base: u32) -> f32 {
    var sum = 0.0;
    for (var g = 0u; g < GROUPS_PER_ROW; g++) {
        let scale = quant_scale(row, g);
        let minimum = quant_min(row, g);
        var k = x_base + g * GROUP_SIZE;
        for (var j = 0u; j < WORDS_PER_GROUP; j++) {
            let word = quant_word(row, g * WORDS_PER_GROUP + j);
            for (var quarter = 0u; quarter < CODES_PER_WORD / 4u; quarter++) {
                sum += dot(dequant4(quant_codes4(word, quarter), scale, minimum), x4(k));
                k += 4u;
            }
        }
    }
    return sum;
}

// Lanes of a row (GPUs): lane l reads words l, l + THREADS_PER_ROW, ..., so a warp's loads of
// weights and of x are contiguous; lanes sharing a group read its scale and min as one broadcast.
fn lane_sum_by_words(row: u32, lane: u32, x_base: u32) -> f32 {
    var sum = 0.0;
    for (var j = lane; j < WORDS_PER_ROW; j += THREADS_PER_ROW) {
        let k = j * CODES_PER_WORD;
        let g = k / GROUP_SIZE;
        let word = quant_word(row, j);
        let scale = quant_scale(row, g);
        let minimum = quant_min(row, g);
        sum += dot(dequant4(quant_codes4(word, 0u), scale, minimum), x4(x_base + k));
        if (BITS == 4u) {
            sum += dot(dequant4(quant_codes4(word, 1u), scale, minimum), x4(x_base + k + 4u));
        }
    }
    return sum;
}
