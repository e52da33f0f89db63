// embed_bert: BERT's input embeddings, x[t, :] = (word[token] + token_type[type]) + position[pos]
// (the order transformers adds them in) for t < step.n_tokens; the layernorm that follows is a
// separate dispatch. The word table is f32/f16/bf16 [N, K] (docs/formats.md) in one part; the
// position [P, K] and token-type [Y, K] tables are f32.
// Shapes: token_meta [T, 4] u32 = (token id, position in its sequence, token type, sequence index);
//   x [T, K] f32. A token id >= N (never produced by the tokenizer) embeds as zeros.
// Threads: one invocation per value, dispatch (ceil(K / WORKGROUP), T, 1).
// Bindings: 0 data (word table), 1 position (f32), 2 token_type (f32), 3 token_meta (u32),
//   4 x (read_write), 5 step (uniform).
//!include step
//!include float_weights

override N: u32;
override K: u32;
override WORKGROUP: u32 = 64u;

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> position: array<f32>;
@group(0) @binding(2) var<storage, read> token_type: array<f32>;
@group(0) @binding(3) var<storage, read> token_meta: array<u32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let k = gid.x;
    let t = gid.y;
    if (k >= K || t >= step.n_tokens) {
        return;
    }
    let token = token_meta[4u * t];
    var word = 0.0;
    if (token < N) {
        word = float_weight(token * K + k);
    }
    let pos = token_meta[4u * t + 1u];
    let kind = token_meta[4u * t + 2u];
    x[t * K + k] = (word + token_type[kind * K + k]) + position[pos * K + k];
}
