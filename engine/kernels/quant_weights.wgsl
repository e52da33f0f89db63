// quant_weights (include): reads q4/q8 weights as stored (docs/formats.md) and dequantises them:
//     w = scale[row, g] * (f32(code[row, k]) - ZERO_POINT) + min[row, g],  g = k / GROUP_SIZE, f32 math.
// The including kernel declares the bindings `data`, `scales`, `mins` (array<u32>) and the override K.
// Rows are local to the bound parts. Each component is split into parts at its own row boundaries,
// so the plan dispatches once per intersection of parts and says where that range starts inside
// each bound part: row r of a dispatch is data row DATA_ROW_BASE + r, scales row SCALES_ROW_BASE + r
// and mins row MINS_ROW_BASE + r (all 0 when nothing is split).
override BITS: u32 = 4u;          // 4 (q4: 8 codes per u32) or 8 (q8: 4 codes per u32)
override GROUP_SIZE: u32 = 32u;   // 16 or 32 consecutive values along K share a scale and min
override ZERO_POINT: u32 = 0u;    // subtracted from every code
override SCALE_F16: bool = true;  // scales packed two f16 per u32 (rows padded to whole words); false: f32
override MIN_KIND: u32 = 0u;      // 0: no mins (symmetric), 1: f16 mins, 2: f32 mins
override DATA_ROW_BASE: u32 = 0u;
override SCALES_ROW_BASE: u32 = 0u;
override MINS_ROW_BASE: u32 = 0u;

override CODES_PER_WORD: u32 = 32u / BITS;
override WORDS_PER_ROW: u32 = K / CODES_PER_WORD;
override WORDS_PER_GROUP: u32 = GROUP_SIZE / CODES_PER_WORD;
override GROUPS_PER_ROW: u32 = K / GROUP_SIZE;
override HALF_WORDS_PER_ROW: u32 = (GROUPS_PER_ROW + 1u) / 2u;  // an f16 row of scales or mins

fn quant_scale(row: u32, g: u32) -> f32 {
    if (SCALE_F16) {
        return unpack2x16float(scales[(SCALES_ROW_BASE + row) * HALF_WORDS_PER_ROW + g / 2u])[g & 1u];
    }
    return bitcast<f32>(scales[(SCALES_ROW_BASE + row) * GROUPS_PER_ROW + g]);
}

fn quant_min(row: u32, g: u32) -> f32 {
    if (MIN_KIND == 1u) {
        return unpack2x16float(mins[(MINS_ROW_BASE + row) * HALF_WORDS_PER_ROW + g / 2u])[g & 1u];
    }
    if (MIN_KIND == 2u) {
        return bitcast<f32>(mins[(MINS_ROW_BASE + row) * GROUPS_PER_ROW + g]);
    }
    return 0.0;
}

// Word j of a row: codes j * CODES_PER_WORD .. (j + 1) * CODES_PER_WORD - 1.
fn quant_word(row: u32, j: u32) -> u32 {
    return data[(DATA_ROW_BASE + row) * WORDS_PER_ROW + j];
}

// Codes 4 * quarter .. 4 * quarter + 3 of a word, as f32 (quarter 0 or 1 for q4, always 0 for q8).
fn quant_codes4(word: u32, quarter: u32) -> vec4<f32> {
    if (BITS == 4u) {
        let shifts = vec4<u32>(0u, 4u, 8u, 12u) + vec4<u32>(16u * quarter);
        return vec4<f32>((vec4<u32>(word) >> shifts) & vec4<u32>(15u));
    }
    return vec4<f32>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(255u));
}

fn dequant4(codes: vec4<f32>, scale: f32, minimum: f32) -> vec4<f32> {
    return scale * (codes - vec4<f32>(f32(ZERO_POINT))) + vec4<f32>(minimum);
}

// W[row, k .. k + 3] for k a multiple of 4 (K is a multiple of the group size, so never past K).
fn quant_weights4(row: u32, k: u32) -> vec4<f32> {
    let g = k / GROUP_SIZE;
    let word = quant_word(row, k / CODES_PER_WORD);
    let quarter = (k / 4u) % (CODES_PER_WORD / 4u);
    return dequant4(quant_codes4(word, quarter), quant_scale(row, g), quant_min(row, g));
}
