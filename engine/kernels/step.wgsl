// Step: the per-step uniform every host writes once before a step (prefill chunk or decode).
// Included by kernels that need dynamic values with the line `//!include step`.
// Layout is a contract with engine/plan (STEP_FIELDS) and the hosts: 16 x 4 bytes.
struct Step {
    pos: u32,                // absolute position of this step's first token
    n_tokens: u32,           // valid tokens in this step (1 for decode, <= chunk for prefill)
    kv_len: u32,             // tokens in the KV cache after this step (pos + n_tokens)
    seed: u32,               // sampling seed
    temperature: f32,        // 0 = greedy
    top_p: f32,              // 1 = off
    top_k: u32,              // 0 = off
    min_p: f32,              // 0 = off
    repetition_penalty: f32, // 1 = off (divides positive logits, multiplies negative ones)
    frequency_penalty: f32,  // 0 = off (subtracts count * penalty)
    presence_penalty: f32,   // 0 = off (subtracts penalty once a token appeared)
    sample_index: u32,       // how many tokens were sampled before; with seed, picks the random stream
    history_len: u32,        // tokens in the penalty history buffer
    vocab_size: u32,         // real vocabulary (logits beyond it are ignored)
    reserved0: u32,
    reserved1: u32,
}
