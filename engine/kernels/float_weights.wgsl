// float_weights (include): reads f32 / f16 / bf16 weights as stored (docs/formats.md) without
// `shader-f16`: f16 through unpack2x16float, bf16 as the top half of an f32.
// The including kernel declares the binding `data` (array<u32>). Elements are addressed by their
// index e = row * K + k inside the bound part (parts hold whole rows, an even number of them,
// so a row's parity is the same in the part as in the whole tensor).
override FORMAT: u32 = 0u;  // 0: f32, 1: f16, 2: bf16 (two values per u32, element e in the low half when e is even)

fn float_weight(e: u32) -> f32 {
    if (FORMAT == 0u) {
        return bitcast<f32>(data[e]);
    }
    let word = data[e / 2u];
    if (FORMAT == 1u) {
        return unpack2x16float(word)[e & 1u];
    }
    if ((e & 1u) == 0u) {
        return bitcast<f32>(word << 16u);
    }
    return bitcast<f32>(word & 0xffff0000u);
}

// Elements e .. e + 3, zero past the first `count` (count < 4 only at the end of a row).
fn float_weights4(e: u32, count: u32) -> vec4<f32> {
    if (count >= 4u) {
        if (FORMAT == 0u) {
            return bitcast<vec4<f32>>(vec4<u32>(data[e], data[e + 1u], data[e + 2u], data[e + 3u]));
        }
        if ((e & 1u) == 0u) {
            let lo = data[e / 2u];
            let hi = data[e / 2u + 1u];
            if (FORMAT == 1u) {
                return vec4<f32>(unpack2x16float(lo), unpack2x16float(hi));
            }
            return bitcast<vec4<f32>>(vec4<u32>(lo << 16u, lo & 0xffff0000u, hi << 16u, hi & 0xffff0000u));
        }
    }
    var out = vec4<f32>(0.0);
    for (var i = 0u; i < min(count, 4u); i++) {
        out[i] = float_weight(e + i);
    }
    return out;
}
