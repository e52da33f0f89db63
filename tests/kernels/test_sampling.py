"""sample_token.wgsl: greedy, penalties, the seeded draw, GPU == twin, and the drawn distribution."""

import math

import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels.twins_sampling import Sampling, sample_twin

PADDING_LOGIT = 1e4  # lies beyond vocab_size in the padded logits: picking it would be a bug


def run_sampler(rows: np.ndarray, history, s: Sampling, padded: int | None = None) -> dict:
    """Samples every row of `rows` [B, vocab] in one dispatch of B workgroups (the kernel's batching)."""
    batch, vocab = rows.shape
    padded = padded or vocab + 13
    logits = np.full((batch, padded), PADDING_LOGIT, np.float32)
    logits[:, :vocab] = rows
    history = np.asarray(history, np.uint32)
    history_buffer = np.full(history.size + batch, 7777777, np.uint32)
    history_buffer[: history.size] = history
    counts = np.zeros((batch, padded), np.uint32)
    tokens = np.full(batch, 999999, np.uint32)
    readback = np.full(batch, 999999, np.uint32)
    step = step_uniform(vocab_size=vocab, history_len=history.size, **s.step_fields())
    history_out, counts_out, tokens_out, readback_out = run_kernel(
        "sample_token", [step, logits, history_buffer, counts, tokens, readback], (batch, 1, 1),
        constants={"VOCAB_PADDED": padded}, read_back=(2, 3, 4, 5),
    )
    assert (readback_out == tokens_out).all(), "the readback buffer must hold the same ids as out_tokens"
    assert (history_out[: history.size] == history).all(), "the history before history_len must not change"
    assert (history_out[history.size :] == tokens_out).all(), "the chosen id must be appended to the history"
    assert not counts_out.any(), "the penalty counts must be cleared for the next step"
    return {"tokens": tokens_out.astype(np.int64)}


def sample_one(logits: np.ndarray, history=(), **settings) -> int:
    return int(run_sampler(logits[None, :], history, Sampling(**settings))["tokens"][0])


def test_greedy_is_argmax_with_ties_to_the_lowest_id():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 1000)).astype(np.float32)
    logits[1, [17, 400, 999]] = 9.0
    logits[2, [998, 999]] = 9.0
    logits[3, :] = 0.5
    got = run_sampler(logits, [], Sampling())["tokens"]
    assert got.tolist() == np.argmax(logits, axis=1).tolist()
    assert got[1] == 17 and got[2] == 998 and got[3] == 0


def test_greedy_applies_penalties_and_counts_duplicates():
    logits = np.zeros(300, np.float32)
    logits[[10, 20, 30]] = [10.0, 8.0, -1.0]
    repeated = [10, 10, 10, 299, 305, 5000]  # ids >= vocab_size (300) are ignored, not counted
    assert sample_one(logits, repeated) == 10
    # Three occurrences cost 3 * 0.8 = 2.4 (10 -> 7.6 < 8); counting the token once would keep it ahead.
    assert sample_one(logits, repeated, frequency_penalty=0.8) == 20
    assert sample_one(logits, repeated, frequency_penalty=0.6) == 10
    assert sample_one(logits, repeated, presence_penalty=2.5) == 20  # once, whatever the count: 10 - 2.5
    assert sample_one(logits, repeated, presence_penalty=1.5) == 10
    assert sample_one(logits, repeated, repetition_penalty=1.3) == 20  # 10 / 1.3 = 7.7
    assert sample_one(logits, repeated, repetition_penalty=1.2) == 10  # 10 / 1.2 = 8.3
    # A negative logit is multiplied: -1 * 2 = -2 falls below id 4 (-1.5); * 1.4 = -1.4 stays above it.
    negative = np.full(50, -5.0, np.float32)
    negative[[3, 4]] = [-1.0, -1.5]
    assert sample_one(negative, [3], repetition_penalty=2.0) == 4
    assert sample_one(negative, [3], repetition_penalty=1.4) == 3


def test_same_seed_repeats_and_sample_index_changes_the_draw():
    flat = np.zeros(1000, np.float32)
    settings = dict(seed=1234, temperature=1.0, sample_index=77)
    first = sample_one(flat, **settings)
    assert all(sample_one(flat, **settings) == first for _ in range(3))
    draws = run_sampler(np.zeros((32, 1000), np.float32), [], Sampling(**settings))["tokens"]
    assert draws[0] == first
    assert len(set(draws.tolist())) >= 28, "32 draws from 1000 equally likely ids should rarely collide"
    other_seed = run_sampler(np.zeros((32, 1000), np.float32), [], Sampling(seed=1235, temperature=1.0,
                                                                            sample_index=77))["tokens"]
    assert (other_seed != draws).sum() >= 28


COMBOS = [
    Sampling(),
    Sampling(repetition_penalty=1.3, frequency_penalty=0.4, presence_penalty=0.6),
    Sampling(seed=1, temperature=1.0),
    Sampling(seed=2, temperature=0.7, top_k=40),
    Sampling(seed=3, temperature=1.0, top_p=0.9),
    Sampling(seed=4, temperature=1.3, min_p=0.05),
    Sampling(seed=5, temperature=0.8, top_k=50, top_p=0.95, min_p=0.02, repetition_penalty=1.1),
    Sampling(seed=6, temperature=2.0, top_k=1, sample_index=123456),
    Sampling(seed=7, temperature=0.3, top_p=0.5, frequency_penalty=0.5, presence_penalty=0.3),
    Sampling(seed=4294967295, temperature=1.0, top_k=5000, top_p=0.999, sample_index=4294967290),
]


@pytest.mark.parametrize("vocab, batch", [(1000, 24), (4099, 12), (49152, 3), (49157, 2)])
def test_gpu_matches_twin_token_for_token(vocab, batch):
    rng = np.random.default_rng(vocab)
    logits = (rng.standard_normal((batch, vocab)) * rng.uniform(0.5, 4.0, (batch, 1))).astype(np.float32)
    logits[0, :64] = np.round(logits[0, :64])  # many exact ties
    history = rng.integers(0, vocab, 200)
    history[::7] = history[0]  # duplicates
    for s in COMBOS:
        got = run_sampler(logits, history, s)["tokens"]
        want = [sample_twin(row, history, s, row=b) for b, row in enumerate(logits)]
        assert got.tolist() == want, f"vocab {vocab}, {s}"
        assert (got < vocab).all()


def test_threshold_ties_keep_every_equal_logit():
    logits = np.full(40, -3.0, np.float32)
    logits[[2, 9, 17, 30]] = [4.0, 3.0, 3.0, 3.0]
    batch = np.repeat(logits[None, :], 400, axis=0)
    # top-k 2 cuts inside the tie at 3.0, top-p 0.6 needs the top id (p 0.47) plus one of the tie (0.17 each):
    # the rule keeps every id equal to the boundary value.
    for s in [Sampling(seed=8, temperature=1.0, top_k=2), Sampling(seed=9, temperature=1.0, top_p=0.6)]:
        seen = set(run_sampler(batch, [], s)["tokens"].tolist())
        assert seen == {2, 9, 17, 30}, s


def chi_square_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X ~ chi-square(dof): 1 - the regularised lower gamma P(dof/2, statistic/2)."""
    a, x = dof / 2.0, statistic / 2.0
    term = total = 1.0 / a
    n = 0
    while term > 1e-17 * total:
        n += 1
        term *= x / (a + n)
        total += term
    return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a))) if x > 0 else 1.0


def expected_distribution(logits: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """softmax(logits / T) restricted by top-k then top-p (smallest top set with mass >= top_p), in f64."""
    probs = np.exp((logits - logits.max()) / temperature)
    order = np.argsort(-logits, kind="stable")
    keep = np.zeros(logits.size, bool)
    keep[order[: top_k or logits.size]] = True
    probs = np.where(keep, probs, 0.0) / probs[keep].sum()
    mass = np.cumsum(probs[order])
    keep[order[np.searchsorted(mass, top_p) + 1 :]] = False
    probs = np.where(keep, probs, 0.0)
    return probs / probs.sum()


@pytest.mark.parametrize("top_k, top_p", [(8, 1.0), (0, 0.9), (8, 0.9)])
def test_draws_follow_the_restricted_softmax(top_k, top_p):
    draws, vocab, temperature = 2000, 20, 0.7
    logits = np.random.default_rng(20).standard_normal(vocab).astype(np.float32)
    expected = expected_distribution(logits.astype(np.float64), temperature, top_k, top_p)
    s = Sampling(seed=99 + top_k, temperature=temperature, top_k=top_k, top_p=top_p, sample_index=5000)
    tokens = run_sampler(np.repeat(logits[None, :], draws, axis=0), [], s, padded=vocab)["tokens"]
    observed = np.bincount(tokens, minlength=vocab)
    assert not observed[expected == 0].any(), "a token outside top-k / top-p was drawn"
    kept = np.flatnonzero(expected)
    assert kept.size >= 4, "the test needs a few kept tokens to mean anything"
    statistic = float((((observed[kept] - draws * expected[kept]) ** 2) / (draws * expected[kept])).sum())
    p_value = chi_square_sf(statistic, kept.size - 1)
    assert p_value > 1e-3, f"chi-square {statistic:.1f} over {kept.size - 1} dof, p = {p_value:.2g}"
