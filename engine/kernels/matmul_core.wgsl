// matmul_core (include): the tiling shared by matmul_quant and matmul_float (prefill chunks).
// The including kernel declares the bindings `bias`, `x`, `y`, `step` and defines
//     fn tile_weights4(row: u32, k: u32) -> vec4<f32>    // W[row, k .. k + 3], zero past K
// called only with row < N, k < K and k a multiple of 4.
//
// Tiling: a workgroup of 8 x 8 invocations computes a TILE x TILE block of y (TILE rows of W by
// TILE tokens), each invocation 4 rows x 4 tokens strided by 8. K is walked in chunks of K_CHUNK:
// the chunk's weights are dequantised once into shared memory and reused by all TILE tokens, the
// chunk's x rows are staged beside them. Tiles whose first token is >= step.n_tokens stop at once.
// Dispatch (ceil(N / 32), ceil(T / 32), 1).
//!include step

override N: u32;                   // rows in this part (this dispatch)
override K: u32;                   // inputs per row
override T: u32;                   // row capacity of x and y (the chunk size)
override OUT_STRIDE: u32;          // row stride of y: all rows of the tensor
override ROW_OFFSET: u32 = 0u;     // the part's first row: output column = ROW_OFFSET + row
override HAS_BIAS: bool = false;   // add bias[ROW_OFFSET + row]
override ACCUMULATE: bool = false; // add the old y value (fuses the residual add)

const TILE: u32 = 32u;
const SIDE: u32 = 8u;              // invocations along each tile side; each owns TILE / SIDE = 4
const K_CHUNK: u32 = 32u;
const PITCH: u32 = K_CHUNK + 1u;   // odd row pitch in shared memory: no bank conflicts on columns

var<workgroup> w_tile: array<f32, TILE * PITCH>;  // [row][k] of the chunk
var<workgroup> x_tile: array<f32, TILE * PITCH>;  // [token][k] of the chunk

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let first_row = group.x * TILE;
    let first_token = group.y * TILE;
    let n_tokens = min(step.n_tokens, T);
    if (first_token >= n_tokens) {
        return;
    }
    let tx = local % SIDE;  // tokens tx, tx + 8, tx + 16, tx + 24 of the tile
    let ty = local / SIDE;  // rows ty, ty + 8, ty + 16, ty + 24 of the tile
    var acc: array<vec4<f32>, 4>;  // acc[i][j]: row ty + 8i, token tx + 8j
    for (var k0 = 0u; k0 < K; k0 += K_CHUNK) {
        for (var i = local; i < TILE * K_CHUNK / 4u; i += SIDE * SIDE) {
            let r = i / (K_CHUNK / 4u);
            let kk = 4u * (i % (K_CHUNK / 4u));
            var w = vec4<f32>(0.0);
            if (first_row + r < N && k0 + kk < K) {
                w = tile_weights4(first_row + r, k0 + kk);
            }
            let at = r * PITCH + kk;
            w_tile[at] = w.x;
            w_tile[at + 1u] = w.y;
            w_tile[at + 2u] = w.z;
            w_tile[at + 3u] = w.w;
        }
        for (var i = local; i < TILE * K_CHUNK; i += SIDE * SIDE) {
            let t = i / K_CHUNK;
            let kk = i % K_CHUNK;
            var v = 0.0;  // rows past n_tokens may hold garbage (NaN): never stage them
            if (first_token + t < n_tokens && k0 + kk < K) {
                v = x[(first_token + t) * K + k0 + kk];
            }
            x_tile[t * PITCH + kk] = v;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < K_CHUNK; kk++) {
            let xs = vec4<f32>(
                x_tile[tx * PITCH + kk], x_tile[(tx + 8u) * PITCH + kk],
                x_tile[(tx + 16u) * PITCH + kk], x_tile[(tx + 24u) * PITCH + kk],
            );
            for (var i = 0u; i < 4u; i++) {
                acc[i] += w_tile[(ty + 8u * i) * PITCH + kk] * xs;
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let row = first_row + ty + 8u * i;
        for (var j = 0u; j < 4u; j++) {
            let token = first_token + tx + 8u * j;
            if (row < N && token < n_tokens) {
                let out = token * OUT_STRIDE + ROW_OFFSET + row;
                var value = acc[i][j];
                if (HAS_BIAS) {
                    value = value + bias[ROW_OFFSET + row];
                }
                if (ACCUMULATE) {
                    value = value + y[out];
                }
                y[out] = value;
            }
        }
    }
}
