import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels import twins_block as twin
from tests.kernels.tolerance import assert_close

UNTOUCHED = 7.0


def random_cache(rng, context, nkv, hd):
    return [rng.standard_normal((context, nkv, hd)).astype(np.float32) for _ in range(2)]


@pytest.mark.parametrize(
    "hd, nh, nkv, pos, n_tokens, capacity, window",
    [
        (64, 3, 1, 5, 4, 6, 0),      # GQA 3, rows past n_tokens
        (80, 2, 2, 290, 3, 3, 0),    # ~300 keys: several tiles
        (64, 4, 2, 40, 5, 5, 16),    # sliding window smaller than the context
        (80, 1, 1, 0, 2, 2, 1),      # window 1: each query sees only itself
    ],
)
def test_attention_prefill_matches_twin(hd, nh, nkv, pos, n_tokens, capacity, window):
    rng = np.random.default_rng(hd + pos)
    context = pos + capacity + 3  # rows beyond pos + n_tokens hold keys no query may see
    k_cache, v_cache = random_cache(rng, context, nkv, hd)
    q = (rng.standard_normal((capacity, nh * hd)) * 2).astype(np.float32)
    o = np.full((capacity, nh * hd), UNTOUCHED, np.float32)
    scale = hd ** -0.5
    constants = {"HEAD_DIM": hd, "N_HEADS": nh, "N_KV_HEADS": nkv, "SCALE": scale, "WINDOW": window}
    step = step_uniform(pos=pos, n_tokens=n_tokens, kv_len=pos + n_tokens)
    (out,) = run_kernel(
        "attention_prefill", [q, k_cache, v_cache, o, step], (capacity, nh, 1), constants, read_back=(3,)
    )
    expected = twin.attention(q[:n_tokens], k_cache, v_cache, pos, nh, nkv, hd, scale, window)
    assert_close(out[:n_tokens], expected, what=f"attention_prefill hd={hd} pos={pos} window={window}")
    assert np.all(out[n_tokens:] == UNTOUCHED), "attention wrote rows past n_tokens"


def run_decode(q, k_cache, v_cache, pos, nh, nkv, hd, scale, window, splits):
    constants = {"HEAD_DIM": hd, "N_HEADS": nh, "N_KV_HEADS": nkv, "SCALE": scale, "WINDOW": window,
                 "SPLITS": splits}
    partials = np.full((nh, splits, hd + 2), UNTOUCHED, np.float32)
    step = step_uniform(pos=pos, n_tokens=1, kv_len=pos + 1)
    (partials,) = run_kernel(
        "attention_decode", [q, k_cache, v_cache, partials, step], (splits, nh, 1), constants, read_back=(3,)
    )
    (o,) = run_kernel(
        "attention_combine", [partials, np.zeros((1, nh * hd), np.float32)], (nh, 1, 1),
        {"HEAD_DIM": hd, "SPLITS": splits}, read_back=(1,),
    )
    return partials, o


@pytest.mark.parametrize(
    "hd, nh, nkv, pos, window, splits",
    [
        (64, 3, 1, 0, 0, 1),         # the first token: one key
        (80, 2, 2, 299, 0, 1),       # 300 keys in one split
        (64, 6, 2, 299, 0, 4),       # 300 keys in 4 splits of 75
        (80, 3, 1, 120, 50, 3),      # sliding window inside a longer cache
        (64, 2, 1, 4, 0, 8),         # more splits than keys: empty splits must add nothing
    ],
)
def test_attention_decode_and_combine_match_twins(hd, nh, nkv, pos, window, splits):
    rng = np.random.default_rng(hd + pos + splits)
    k_cache, v_cache = random_cache(rng, pos + 4, nkv, hd)
    q = (rng.standard_normal((1, nh * hd)) * 2).astype(np.float32)
    scale = hd ** -0.5
    partials, o = run_decode(q, k_cache, v_cache, pos, nh, nkv, hd, scale, window, splits)
    what = f"attention_decode hd={hd} pos={pos} window={window} splits={splits}"
    expected = twin.attention_decode_partials(q, k_cache, v_cache, pos, nh, nkv, hd, scale, window, splits)
    assert_close(partials, expected, what=what + " partials")
    assert_close(o, twin.attention(q, k_cache, v_cache, pos, nh, nkv, hd, scale, window), what=what)


def test_attention_combine_matches_twin_on_uneven_partials():
    rng = np.random.default_rng(3)
    nh, splits, hd = 3, 5, 80
    partials = rng.standard_normal((nh, splits, hd + 2)).astype(np.float32)
    partials[:, :, hd] *= 20  # maxima far apart: most splits are scaled down hard
    partials[:, :, hd + 1] = rng.uniform(0.5, 30, (nh, splits))
    partials[1, 2] = 0.0
    partials[1, 2, hd] = twin.NEG_BIG  # an empty split
    (o,) = run_kernel(
        "attention_combine", [partials, np.zeros((1, nh * hd), np.float32)], (nh, 1, 1),
        {"HEAD_DIM": hd, "SPLITS": splits}, read_back=(1,),
    )
    assert_close(o, twin.attention_combine(partials), what="attention_combine")
