"""Numpy twin of engine/kernels/sample_token.wgsl: the same penalties, thresholds, RNG and inverse-CDF
walk, written independently (sorting instead of radix select), in f32 like the kernel."""

from dataclasses import dataclass

import numpy as np

MASS_ONE = np.float32(2.0**31)
WORKGROUP = 256
U32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Sampling:
    """The Step uniform's sampling fields (engine/kernels/step.wgsl)."""

    seed: int = 0
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    sample_index: int = 0

    def step_fields(self) -> dict:
        return dict(self.__dict__)


def pcg_hash(v: int) -> int:
    state = (v * 747796405 + 2891336453) & U32
    word = (((state >> ((state >> 28) + 4)) ^ state) * 277803737) & U32
    return (word >> 22) ^ word


def uniform_draw(seed: int, index: int) -> float:
    """u in [0, 1): exactly the kernel's f32 value (a multiple of 2^-24)."""
    return (pcg_hash((pcg_hash(seed) + index) & U32) >> 8) / 16777216.0


def order_key(values: np.ndarray) -> np.ndarray:
    bits = np.asarray(values, np.float32).view(np.uint32)
    return np.where(bits & 0x80000000, ~bits, bits | 0x80000000).astype(np.uint32)


def penalized_logits(logits: np.ndarray, history: np.ndarray, s: Sampling) -> np.ndarray:
    vocab = logits.size
    v = np.asarray(logits, np.float32).copy()
    if s.repetition_penalty == 1.0 and s.frequency_penalty == 0.0 and s.presence_penalty == 0.0:
        return v
    ids = np.asarray(history, np.int64)
    counts = np.bincount(ids[ids < vocab], minlength=vocab)
    seen = counts > 0
    r = np.float32(s.repetition_penalty)
    x = v[seen]
    x = np.where(x > 0, x / r, x * r).astype(np.float32)
    x = x - np.float32(s.frequency_penalty) * counts[seen].astype(np.float32) - np.float32(s.presence_penalty)
    v[seen] = x
    return v


def kth_largest_key(keys: np.ndarray, k: int) -> int:
    return int(np.sort(keys)[::-1][k - 1])


def top_p_threshold(keys: np.ndarray, weights: np.ndarray, floor_key: int, top_p: float) -> int:
    """Largest key t with sum(floor(p * 2^31) for key >= t) >= need, over ids with key >= floor_key."""
    inside = keys >= floor_key
    probability_scale = MASS_ONE / np.float32(weights[inside].sum(dtype=np.float64))
    mass = (weights * probability_scale).astype(np.float32).astype(np.uint64) * inside
    need = int(np.float32(max(top_p, 0.0)) * MASS_ONE)
    need = min(max(need, 1), int(mass.sum()))
    descending = np.argsort(keys, kind="stable")[::-1]
    descending = descending[inside[descending]]
    reached = np.cumsum(mass[descending]) >= need
    return int(keys[descending[np.argmax(reached)]])


def kept_weights(logits: np.ndarray, history: np.ndarray, s: Sampling) -> np.ndarray:
    """The unnormalised weights the draw uses (0 = filtered out); the distribution is these / their sum."""
    v = penalized_logits(logits, history, s)
    keys = order_key(v)
    inv_t = np.float32(1.0) / np.float32(s.temperature)
    e = np.exp((v - v.max()) * inv_t).astype(np.float32)
    threshold = 0
    if 0 < s.top_k < v.size:
        threshold = kth_largest_key(keys, s.top_k)
    if s.top_p < 1.0:
        threshold = max(threshold, top_p_threshold(keys, e, threshold, s.top_p))
    keep = (keys >= threshold) & (e >= np.float32(s.min_p))
    return np.where(keep, e, np.float32(0)).astype(np.float32)


def sequential_sum(values: np.ndarray) -> np.float32:
    return np.cumsum(values, dtype=np.float32)[-1] if values.size else np.float32(0)


def draw(weights: np.ndarray, u: float) -> int:
    """The kernel's inverse CDF: 256 contiguous chunks, sequential f32 sums (cumsum is sequential)."""
    vocab = weights.size
    chunk = -(-vocab // WORKGROUP)
    starts = [min(j * chunk, vocab) for j in range(WORKGROUP)]
    sums = [sequential_sum(weights[a : min(a + chunk, vocab)]) for a in starts]
    total = sequential_sum(np.array(sums, np.float32))
    target = np.float32(np.float32(u) * total)
    running = np.float32(0)
    picked, picked_start, last, last_start = None, np.float32(0), 0, np.float32(0)
    for j, chunk_sum in enumerate(sums):
        following = np.float32(running + chunk_sum)
        if chunk_sum > 0:
            last, last_start = j, running
            if picked is None and target < following:
                picked, picked_start = j, running
        running = following
    if picked is None:
        picked, picked_start = last, last_start
    local_target = np.float32(target - picked_start)
    start = starts[picked]
    running = np.float32(0)
    last_kept = start
    for i in range(start, min(start + chunk, vocab)):
        if weights[i] > 0:
            last_kept = i
            running = np.float32(running + weights[i])
            if local_target < running:
                return i
    return last_kept


def sample_twin(logits: np.ndarray, history: np.ndarray, s: Sampling, row: int = 0) -> int:
    """The kernel's token for one logits row [vocab_size]; row shifts sample_index as batching does."""
    if s.temperature <= 0:
        return int(np.argmax(penalized_logits(logits, history, s)))
    weights = kept_weights(logits, history, s)
    return draw(weights, uniform_draw(s.seed, (s.sample_index + row) & U32))
