// sample_token: picks the next token from one row of logits on the GPU, so a decode step reads back a
// single u32 instead of the whole vocabulary. One dispatch of ONE workgroup of 256 invocations.
//
// Order of operations (as llama.cpp and Hugging Face apply them):
//   1. penalties over history[0 .. step.history_len) (prompt + generated ids; ids >= vocab_size are
//      ignored): counts[id] = occurrences (atomic counting pass, duplicates counted exactly); for every id
//      with count > 0: repetition (logit > 0 ? logit / r : logit * r), then minus frequency * count,
//      then minus presence. The counts are cleared again before the kernel ends (the buffer stays zero).
//   2. temperature <= 0: greedy argmax over ids < vocab_size, ties -> the lowest id.
//   3. otherwise, with l = penalized logit, l_max its maximum, weight e = exp((l - l_max) / temperature):
//      top-k    keep ids whose l is >= the k-th largest l (0 or >= vocab = off)
//      top-p    over the top-k set: probabilities p = e / sum(e); each gets a fixed-point mass
//               q = floor(p * 2^31) (integers make the threshold search exact and order-independent);
//               keep ids whose l is >= the largest threshold t with sum(q of l >= t) >= need, where
//               need = clamp(floor(top_p * 2^31), 1, sum(q)) (top_p >= 1 = off)
//      min-p    keep ids with e >= min_p (= prob >= min_p * max prob; 0 = off)
//      draw     u = hash(seed, sample_index) in [0, 1); inverse CDF in token-id order over the kept
//               weights e (renormalising is implicit: the target is u * their sum).
//   Ties: every threshold is a value threshold, so all ids equal to the k-th / top-p boundary value are
//   kept (Hugging Face keeps top-k ties the same way). Values are compared through order_key (the f32
//   bits mapped to an order-preserving u32), so -0.0 sorts just below +0.0.
//   Thresholds are found by radix select on order_key: 4 passes of an 8-bit histogram (counts for
//   top-k, fixed-point masses for top-p), i.e. a bisection 8 bits at a time, no sort.
// Draw details (the numpy twin repeats them): the vocabulary is cut into 256 contiguous chunks of
//   ceil(vocab/256) ids; invocation j sums its chunk's weights in id order (f32, sequentially); thread 0
//   sums the 256 chunk sums in order to W, sets target = u * W and picks the first chunk whose running
//   end exceeds target (none: the last non-empty chunk); that chunk's invocation walks its ids with a
//   running sum from 0 and picks the first id whose running sum exceeds target - chunk start (none: the
//   chunk's last id with weight > 0).
// RNG: pcg_hash(pcg_hash(seed) + sample_index) (PCG-RXS-M-XS on u32); u = (h >> 8) / 2^24.
//
// Shapes: logits f32 [rows, VOCAB_PADDED]; counts u32 [rows, VOCAB_PADDED] (zeroed once at creation);
//   history u32 [>= history_len + rows]; out_tokens, readback u32 [rows]. rows = 1 in a decode step.
//   Test-only batching: dispatching B workgroups samples B rows; workgroup b reads logits row b, uses
//   counts row b and sample_index + b, and writes out_tokens[b], readback[b], history[history_len + b].
// Threads: 256 invocations; reductions stride over ids (id = lid + 256 * j); the draw uses chunks.
// Bindings: 0 step (uniform), 1 logits (read), 2 history (read_write: appends the chosen id),
//   3 counts (read_write, scratch), 4 out_tokens (read_write: the next step's input token),
//   5 readback (read_write: the host copies it back).
//!include step

override VOCAB_PADDED: u32 = 256u;
const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;
const MASS_ONE: f32 = 2147483648.0; // 2^31: the fixed-point unit of probability mass for top-p

@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> history: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> out_tokens: array<u32>;
@group(0) @binding(5) var<storage, read_write> readback: array<u32>;

var<workgroup> red_value: array<f32, WG>;
var<workgroup> red_index: array<u32, WG>;
// HIST_COPIES histograms, invocation lid adding to copy lid % HIST_COPIES: most ids share a few top-byte
// bins, and one shared copy serialises their atomics (measured 8x slower on an H100 at level 0).
const HIST_COPIES: u32 = 8u;
var<workgroup> hist: array<atomic<u32>, 2048>; // [HIST_COPIES, 256]
var<workgroup> shared_a: u32;
var<workgroup> shared_b: u32;
var<workgroup> shared_f: f32;
var<workgroup> chosen: u32;

var<private> base: u32;
var<private> penalties_on: bool;

fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn uniform_draw(seed: u32, index: u32) -> f32 {
    return f32(pcg_hash(pcg_hash(seed) + index) >> 8u) * (1.0 / 16777216.0);
}

fn order_key(v: f32) -> u32 {
    let bits = bitcast<u32>(v);
    return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

fn penalized(i: u32) -> f32 {
    var v = logits[base + i];
    if (penalties_on) {
        let c = atomicLoad(&counts[base + i]);
        if (c > 0u) {
            let r = step.repetition_penalty;
            v = select(v * r, v / r, v > 0.0);
            v = v - step.frequency_penalty * f32(c) - step.presence_penalty;
        }
    }
    return v;
}

fn reduce_sum(lid: u32, value: f32) -> f32 {
    red_value[lid] = value;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red_value[lid] += red_value[lid + s];
        }
        workgroupBarrier();
    }
    let total = red_value[0];
    workgroupBarrier();
    return total;
}

// Largest order key t with sum(weight of ids with key >= t and key >= floor_key) >= need (need clamped
// to [1, total]). weight = 1 when mass_scale == 0 (top-k), else floor(e * mass_scale) (top-p).
fn radix_threshold(lid: u32, vocab: u32, floor_key: u32, need: u32, mass_scale: f32, l_max: f32,
                   inv_t: f32) -> u32 {
    var prefix = 0u;
    var mask = 0u;
    var remaining = need;
    for (var level = 0u; level < 4u; level++) {
        let shift = 24u - 8u * level;
        for (var c = 0u; c < HIST_COPIES; c++) {
            atomicStore(&hist[c * 256u + lid], 0u);
        }
        workgroupBarrier();
        for (var i = lid; i < vocab; i += WG) {
            let v = penalized(i);
            let key = order_key(v);
            if (key >= floor_key && (key & mask) == prefix) {
                var w = 1u;
                if (mass_scale > 0.0) {
                    w = u32(exp((v - l_max) * inv_t) * mass_scale);
                }
                atomicAdd(&hist[(lid % HIST_COPIES) * 256u + ((key >> shift) & 255u)], w);
            }
        }
        workgroupBarrier();
        var bin_total = 0u;
        for (var c = 0u; c < HIST_COPIES; c++) {
            bin_total += atomicLoad(&hist[c * 256u + lid]);
        }
        red_index[lid] = bin_total;
        workgroupBarrier();
        if (lid == 0u) {
            var total = 0u;
            for (var b = 0u; b < 256u; b++) {
                total += red_index[b];
            }
            let want = clamp(remaining, 1u, max(total, 1u));
            var above = 0u;
            var bin = 255u;
            loop {
                let h = red_index[bin];
                if (above + h >= want || bin == 0u) {
                    break;
                }
                above += h;
                bin -= 1u;
            }
            shared_a = prefix | (bin << shift);
            shared_b = want - above;
        }
        prefix = workgroupUniformLoad(&shared_a);
        remaining = workgroupUniformLoad(&shared_b);
        mask |= 255u << shift;
    }
    return prefix;
}

fn weight(i: u32, threshold: u32, l_max: f32, inv_t: f32) -> f32 {
    let v = penalized(i);
    let e = exp((v - l_max) * inv_t);
    return select(0.0, e, order_key(v) >= threshold && e >= step.min_p);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let row = wid.x;
    base = row * VOCAB_PADDED;
    let vocab = min(step.vocab_size, VOCAB_PADDED);
    let n_history = step.history_len;
    penalties_on = step.repetition_penalty != 1.0 || step.frequency_penalty != 0.0
        || step.presence_penalty != 0.0;
    if (penalties_on) {
        for (var h = lid; h < n_history; h += WG) {
            let id = history[h];
            if (id < vocab) {
                atomicAdd(&counts[base + id], 1u);
            }
        }
    }
    storageBarrier();

    // Maximum and argmax (ties -> lowest id); each invocation walks its ids in increasing order.
    var best_v = 0.0;
    var best_i = NONE;
    for (var i = lid; i < vocab; i += WG) {
        let v = penalized(i);
        if (best_i == NONE || v > best_v) {
            best_v = v;
            best_i = i;
        }
    }
    red_value[lid] = best_v;
    red_index[lid] = best_i;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            let v = red_value[lid + s];
            let i = red_index[lid + s];
            let mine = red_index[lid];
            if (i != NONE && (mine == NONE || v > red_value[lid] || (v == red_value[lid] && i < mine))) {
                red_value[lid] = v;
                red_index[lid] = i;
            }
        }
        workgroupBarrier();
    }
    let l_max = red_value[0];
    var token = red_index[0];
    workgroupBarrier();

    if (step.temperature > 0.0) {
        let inv_t = 1.0 / step.temperature;
        var threshold = 0u;
        if (step.top_k > 0u && step.top_k < vocab) {
            threshold = radix_threshold(lid, vocab, 0u, step.top_k, 0.0, l_max, inv_t);
        }
        if (step.top_p < 1.0) {
            var z = 0.0;
            for (var i = lid; i < vocab; i += WG) {
                let v = penalized(i);
                if (order_key(v) >= threshold) {
                    z += exp((v - l_max) * inv_t);
                }
            }
            let mass_scale = MASS_ONE / reduce_sum(lid, z);
            let need = u32(max(step.top_p, 0.0) * MASS_ONE);
            threshold = max(threshold, radix_threshold(lid, vocab, threshold, need, mass_scale, l_max, inv_t));
        }

        // Inverse CDF in id order over contiguous chunks (see the header for the exact rule).
        let chunk = (vocab + WG - 1u) / WG;
        let start = min(lid * chunk, vocab);
        let end = min(start + chunk, vocab);
        var sum = 0.0;
        for (var i = start; i < end; i++) {
            sum += weight(i, threshold, l_max, inv_t);
        }
        red_value[lid] = sum;
        workgroupBarrier();
        if (lid == 0u) {
            var total = 0.0;
            for (var j = 0u; j < WG; j++) {
                total += red_value[j];
            }
            let goal = uniform_draw(step.seed, step.sample_index + row) * total;
            var running = 0.0;
            var picked = NONE;
            var picked_start = 0.0;
            var last = 0u;
            var last_start = 0.0;
            for (var j = 0u; j < WG; j++) {
                let next = running + red_value[j];
                if (red_value[j] > 0.0) {
                    last = j;
                    last_start = running;
                    if (picked == NONE && goal < next) {
                        picked = j;
                        picked_start = running;
                    }
                }
                running = next;
            }
            if (picked == NONE) {
                picked = last;
                picked_start = last_start;
            }
            shared_a = picked;
            shared_f = goal - picked_start;
        }
        workgroupBarrier();
        if (lid == shared_a) {
            let local_target = shared_f;
            var running = 0.0;
            var pick = NONE;
            var last_kept = start;
            for (var i = start; i < end; i++) {
                let w = weight(i, threshold, l_max, inv_t);
                if (w > 0.0) {
                    last_kept = i;
                    running += w;
                    if (local_target < running) {
                        pick = i;
                        break;
                    }
                }
            }
            chosen = select(pick, last_kept, pick == NONE);
        }
        workgroupBarrier();
        token = chosen;
        workgroupBarrier();
    }

    if (lid == 0u) {
        out_tokens[row] = token;
        readback[row] = token;
        history[n_history + row] = token;
    }
    if (penalties_on) {
        for (var h = lid; h < n_history; h += WG) {
            let id = history[h];
            if (id < vocab) {
                atomicStore(&counts[base + id], 0u);
            }
        }
    }
}
