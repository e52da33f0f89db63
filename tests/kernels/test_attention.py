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
