"""embed_quant / embed_float (token embedding lookup) against embed_twin, for every stored format."""

import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels.tolerance import assert_close
from tests.kernels.twins_linear import dequantize, embed_twin
from tests.kernels.weights_maker import StoredWeights, random_plain, random_quantized

WORKGROUP = 64
# Dequantisation and the scale multiply are the same f32 operations as the twin's, up to a fused
# multiply-add: a couple of ulps.
ATOL, RTOL = 1e-6, 1e-6


def run_embed(
    weights: StoredWeights,
    tokens: np.ndarray,
    x_old: np.ndarray,
    n_tokens: int,
    *,
    row_offset: int = 0,
    embed_scale: float = 1.0,
) -> np.ndarray:
    n, k = weights.entry["shape"]
    constants = {"N": n, "K": k, "ROW_OFFSET": row_offset, "EMBED_SCALE": embed_scale}
    constants |= {"WORKGROUP": WORKGROUP, **weights.constants()}
    kernel = "embed_quant" if weights.quantized else "embed_float"
    bindings = [*weights.weight_bindings(), tokens, x_old, step_uniform(n_tokens=n_tokens)]
    workgroups = (-(-k // (4 * WORKGROUP)), len(tokens), 1)
    (x,) = run_kernel(kernel, bindings, workgroups, constants, read_back=(len(bindings) - 2,))
    return x


def quant_cases():
    for fmt in ("q4", "q8"):
        for scale_type in ("f16", "f32"):
            for min_type in (None, "f16", "f32"):
                for group in (16, 32):
                    case_id = f"{fmt}-g{group}-scale_{scale_type}-min_{min_type or 'none'}"
                    yield pytest.param(fmt, scale_type, min_type, group, id=case_id)


def check_embed(weights: StoredWeights, seed: int, **options) -> None:
    rng = np.random.default_rng(seed)
    n, k = weights.entry["shape"]
    capacity, n_tokens = 7, 5
    tokens = rng.integers(0, n, capacity, dtype=np.uint32)
    tokens[1] = tokens[3]  # a repeated token
    x_old = rng.standard_normal((capacity, k)).astype(np.float32)
    x = run_embed(weights, tokens, x_old, n_tokens, **options)
    assert_close(x, embed_twin(weights, tokens, x_old, n_tokens, **options), ATOL, RTOL, "embed")
    assert np.array_equal(x[n_tokens:], x_old[n_tokens:])


@pytest.mark.parametrize(("fmt", "scale_type", "min_type", "group"), list(quant_cases()))
def test_embed_quant_formats(fmt, scale_type, min_type, group):
    rng = np.random.default_rng([ord(c) for c in fmt + scale_type + str(min_type)] + [group])
    # K = 288: more values than one workgroup covers (4 * 64), and not a multiple of it
    zero_point = 0 if min_type else {"q4": 8, "q8": 128}[fmt]
    weights = random_quantized(rng, fmt, 37, 288, group, scale_type, min_type, zero_point)
    check_embed(weights, seed=group, embed_scale=1.0)


@pytest.mark.parametrize("fmt", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("k", [288, 99], ids=["k288", "k99-odd"])
def test_embed_float_formats(fmt, k):
    weights = random_plain(np.random.default_rng([len(fmt), k]), fmt, 37, k)
    check_embed(weights, seed=k)


@pytest.mark.parametrize("fmt", ["q8", "bf16"])
def test_embed_scale(fmt):
    """Gemma multiplies embeddings by sqrt(hidden)."""
    rng = np.random.default_rng(9)
    if fmt == "q8":
        weights = random_quantized(rng, fmt, 19, 64, 32, "f16", None, 128)
    else:
        weights = random_plain(rng, fmt, 19, 64)
    check_embed(weights, seed=9, embed_scale=8.0)


@pytest.mark.parametrize("fmt", ["q8", "f16"])
def test_embed_split_table_fills_each_token_from_its_part(fmt):
    """Two parts of one table, one dispatch each: every token comes from the part holding it."""
    rng = np.random.default_rng(13)
    n, k, split, capacity = 40, 64, 24, 6
    if fmt == "q8":
        parts = [random_quantized(rng, fmt, m, k, 32, "f16", None, 128) for m in (split, n - split)]
    else:
        parts = [random_plain(rng, fmt, m, k) for m in (split, n - split)]
    tokens = np.array([3, 30, 23, 24, 39, 0], np.uint32)
    x = np.full((capacity, k), np.nan, np.float32)
    for part, offset in zip(parts, (0, split), strict=True):
        x = run_embed(part, tokens, x, capacity, row_offset=offset)
    table = np.concatenate([dequantize(part) for part in parts])
    assert_close(x, table[tokens], ATOL, RTOL, f"embed split {fmt}")
