import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels import twins_block as twin
from tests.kernels.tolerance import assert_close

UNTOUCHED = 7.0


def run_rope_qkv(qkv, inv_freq, pos, n_tokens, context, nh, nkv, hd, pairing, norms=None, offset=0.0):
    """Runs rope_qkv on a cache whose rows all hold UNTOUCHED; returns (q_out, k_cache, v_cache)."""
    capacity = qkv.shape[0]
    q_norm_w, k_norm_w = norms if norms else (np.zeros(1, np.float32), np.zeros(1, np.float32))
    q_out = np.full((capacity, nh * hd), UNTOUCHED, np.float32)
    k_cache = np.full((context, nkv, hd), UNTOUCHED, np.float32)
    v_cache = np.full((context, nkv, hd), UNTOUCHED, np.float32)
    constants = {
        "HEAD_DIM": hd, "N_HEADS": nh, "N_KV_HEADS": nkv, "PAIRING": pairing,
        "QK_NORM": norms is not None, "EPS": 1e-6, "NORM_OFFSET": offset,
    }
    step = step_uniform(pos=pos, n_tokens=n_tokens, kv_len=pos + n_tokens)
    return run_kernel(
        "rope_qkv", [qkv, inv_freq, q_norm_w, k_norm_w, q_out, k_cache, v_cache, step],
        (capacity, nh + 2 * nkv, 1), constants, read_back=(4, 5, 6),
    )


@pytest.mark.parametrize(
    "hd, nh, nkv, pairing, pos, n_tokens, capacity, qk_norm",
    [
        (64, 3, 1, 0, 0, 4, 4, False),
        (80, 2, 2, 1, 5, 2, 3, False),
        (64, 6, 2, 0, 8000, 3, 3, True),   # large angles: the kernel's range reduction
        (80, 3, 1, 1, 17, 1, 2, True),
    ],
)
def test_rope_qkv_matches_twin(hd, nh, nkv, pairing, pos, n_tokens, capacity, qk_norm):
    rng = np.random.default_rng(hd + pos)
    qkv = rng.standard_normal((capacity, (nh + 2 * nkv) * hd)).astype(np.float32)
    inv_freq = twin.rope_inv_freq(hd, 10000.0)
    norms = tuple(rng.standard_normal(hd).astype(np.float32) for _ in range(2)) if qk_norm else None
    offset = 1.0 if qk_norm else 0.0
    context = pos + capacity + 2
    q_out, k_cache, v_cache = run_rope_qkv(qkv, inv_freq, pos, n_tokens, context, nh, nkv, hd, pairing,
                                           norms, offset)
    q, k, v = twin.rope_qkv(qkv, inv_freq, pos, n_tokens, nh, nkv, hd, pairing,
                            *(norms or (None, None)), eps=1e-6, norm_offset=offset)
    written = slice(pos, pos + n_tokens)
    what = f"rope_qkv hd={hd} pairing={pairing} pos={pos}"
    assert_close(q_out[:n_tokens], q, what=what + " q")
    assert_close(k_cache[written], k, what=what + " k")
    assert np.array_equal(v_cache[written], v), what + " v must be copied exactly"
    assert np.all(q_out[n_tokens:] == UNTOUCHED), "q rows past n_tokens were written"
    for cache in (k_cache, v_cache):
        assert np.all(cache[:pos] == UNTOUCHED) and np.all(cache[pos + n_tokens:] == UNTOUCHED), (
            "cache rows other than pos .. pos + n_tokens were written"
        )


def test_twin_half_pairing_matches_transformers():
    torch = pytest.importorskip("torch")
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    rng = np.random.default_rng(0)
    hd, positions = 64, np.array([0, 3, 700])
    x = rng.standard_normal((len(positions), hd)).astype(np.float32)
    inv_freq = twin.rope_inv_freq(hd, 10000.0)
    freqs = torch.tensor(positions, dtype=torch.float32)[:, None] * torch.tensor(inv_freq)[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    xt = torch.tensor(x)[None, None]  # [batch, heads, seq, hd]
    expected, _ = apply_rotary_pos_emb(xt, xt, emb.cos()[None], emb.sin()[None])
    assert_close(twin.rope(x, positions, inv_freq, pairing=0), expected[0, 0].numpy(), what="twin vs HF")


def test_twin_adjacent_pairing_is_half_pairing_on_llama_cpp_permuted_rows():
    # llama.cpp permutes q/k rows so that GGML's adjacent pairs see what HF's half pairs see.
    rng = np.random.default_rng(1)
    hd, positions = 80, np.array([1, 2, 50])
    x = rng.standard_normal((len(positions), hd)).astype(np.float32)
    inv_freq = twin.rope_inv_freq(hd, 500000.0)

    def permute(rows):  # [R, HD]: (2, HD/2) -> (HD/2, 2)
        return rows.reshape(len(rows), 2, hd // 2).swapaxes(1, 2).reshape(len(rows), hd)

    assert_close(
        twin.rope(permute(x), positions, inv_freq, pairing=1),
        permute(twin.rope(x, positions, inv_freq, pairing=0)),
        what="adjacent vs permuted half",
    )
