"""Encoder (BERT) kernels vs their numpy twins over sizes that are not multiples of the workgroup."""

import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels import twins_encoder as twin
from tests.kernels.tolerance import assert_close

UNTOUCHED = 7.0  # rows past step.n_tokens must keep this value


@pytest.mark.parametrize("width, n_tokens, capacity", [(150, 3, 5), (1, 1, 1), (1000, 2, 2)])
def test_gelu_matches_twin(width, n_tokens, capacity):
    rng = np.random.default_rng(width)
    y = (rng.standard_normal((capacity, width)) * 4).astype(np.float32)
    y[0, : min(width, 4)] = np.array([-40.0, 40.0, -6.0, 0.0], np.float32)[: min(width, 4)]
    (out,) = run_kernel(
        "gelu",
        [y, step_uniform(n_tokens=n_tokens)],
        (-(-width // 64), capacity, 1),
        {"WIDTH": width},
        read_back=(0,),
    )
    assert_close(out[:n_tokens], twin.gelu(y[:n_tokens]), atol=1e-6, rtol=1e-5, what=f"gelu width={width}")
    assert np.array_equal(out[n_tokens:], y[n_tokens:]), "gelu wrote rows past n_tokens"


def test_gelu_twin_matches_torch():
    # torch computes 1 + erf in f32, so its left tail is off by a few 1e-7 absolute
    torch = pytest.importorskip("torch")
    x = np.linspace(-10, 10, 201, dtype=np.float32)
    assert_close(twin.gelu(x), torch.nn.functional.gelu(torch.tensor(x)).numpy(), atol=1e-6, what="twin vs torch")


@pytest.mark.parametrize("fmt", [0, 1])
def test_embed_bert_matches_twin(fmt):
    rng = np.random.default_rng(fmt)
    vocab, k, positions = 37, 70, 11
    word = rng.standard_normal((vocab, k)).astype(np.float32)
    if fmt == 1:
        word = word.astype(np.float16).astype(np.float32)
        data = word.astype(np.float16).view(np.uint32)
    else:
        data = word.view(np.uint32)
    position = rng.standard_normal((positions, k)).astype(np.float32)
    token_type = rng.standard_normal((2, k)).astype(np.float32)
    meta, _ = twin.pack([5, 3, 1], 12, 4, vocab, rng)
    n = 9
    x = np.full((12, k), UNTOUCHED, np.float32)
    (out,) = run_kernel(
        "embed_bert",
        [data, position, token_type, meta, x, step_uniform(n_tokens=n)],
        (-(-k // 64), 12, 1),
        {"N": vocab, "K": k, "FORMAT": fmt},
        read_back=(4,),
    )
    assert_close(out[:n], twin.embed_bert(word, position, token_type, meta[:n]), atol=0, rtol=0, what="embed_bert")
    assert np.all(out[n:] == UNTOUCHED), "embed_bert wrote rows past n_tokens"


@pytest.mark.parametrize(
    "lengths, n_heads, n_kv_heads, head_dim, workgroup",
    [([5, 1, 70], 3, 3, 32, 64), ([130], 2, 1, 24, 64), ([2, 3], 4, 2, 17, 16)],
)
def test_attention_bidirectional_matches_twin(lengths, n_heads, n_kv_heads, head_dim, workgroup):
    rng = np.random.default_rng(sum(lengths))
    n = sum(lengths)
    capacity = n + 3
    width = (n_heads + 2 * n_kv_heads) * head_dim
    qkv = (rng.standard_normal((capacity, width)) * 2).astype(np.float32)
    qkv[n:] = np.nan  # rows past n_tokens may hold garbage: never read as keys
    meta, spans = twin.pack(lengths, capacity, len(lengths) + 1, 50, rng)
    o = np.full((capacity, n_heads * head_dim), UNTOUCHED, np.float32)
    scale = 1.0 / np.sqrt(head_dim)
    constants = {
        "HEAD_DIM": head_dim,
        "N_HEADS": n_heads,
        "N_KV_HEADS": n_kv_heads,
        "SCALE": scale,
        "WORKGROUP": workgroup,
    }
    (out,) = run_kernel(
        "attention_bidirectional",
        [qkv, meta, spans, o, step_uniform(n_tokens=n)],
        (capacity, n_heads, 1),
        constants,
        read_back=(3,),
    )
    ref = twin.attention_bidirectional(qkv[:n], meta[:n], spans, n_heads, n_kv_heads, head_dim, scale)
    assert_close(out[:n], ref, atol=1e-5, rtol=1e-4, what=f"attention lengths={lengths}")
    assert np.all(out[n:] == UNTOUCHED), "attention wrote rows past n_tokens"


@pytest.mark.parametrize("width, lengths, normalize, workgroup", [(384, [3, 1, 9], True, 64), (70, [4], False, 16)])
def test_mean_pool_matches_twin(width, lengths, normalize, workgroup):
    rng = np.random.default_rng(width)
    n = sum(lengths)
    x = (rng.standard_normal((n + 2, width)) + 0.3).astype(np.float32)
    _, spans = twin.pack(lengths, n + 2, len(lengths) + 2, 10, rng)  # two empty slots at the end
    out = np.full((spans.shape[0], width), UNTOUCHED, np.float32)
    (got,) = run_kernel(
        "mean_pool",
        [x, spans, out],
        (spans.shape[0], 1, 1),
        {"WIDTH": width, "NORMALIZE": normalize, "WORKGROUP": workgroup},
        read_back=(2,),
    )
    assert_close(got, twin.mean_pool(x, spans, normalize), atol=1e-6, rtol=1e-5, what=f"mean_pool width={width}")
    if normalize:
        assert np.allclose(np.linalg.norm(got[: len(lengths)], axis=1), 1.0, atol=1e-5)
