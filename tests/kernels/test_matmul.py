"""matmul_quant / matmul_float (the prefill-chunk GEMM) against linear_twin, for every stored format."""

import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels.tolerance import assert_close
from tests.kernels.twins_linear import linear_twin
from tests.kernels.weights_maker import DUMMY, StoredWeights, random_plain, random_quantized

ATOL, RTOL = 1e-4, 1e-4
TILE = 32  # matmul_core's rows and tokens per workgroup


def run_matmul(
    weights: StoredWeights,
    x: np.ndarray,
    y_old: np.ndarray,
    n_tokens: int,
    *,
    row_offset: int = 0,
    bias: np.ndarray | None = None,
    accumulate: bool = False,
) -> np.ndarray:
    n, k = weights.entry["shape"]
    capacity = x.shape[0]
    constants = {
        "N": n,
        "K": k,
        "T": capacity,
        "OUT_STRIDE": y_old.shape[-1],
        "ROW_OFFSET": row_offset,
        "HAS_BIAS": bias is not None,
        "ACCUMULATE": accumulate,
        **weights.constants(),
    }
    kernel = "matmul_quant" if weights.quantized else "matmul_float"
    bindings = [
        *weights.weight_bindings(),
        DUMMY.view(np.float32) if bias is None else bias,
        x,
        y_old,
        step_uniform(n_tokens=n_tokens),
    ]
    workgroups = (-(-n // TILE), -(-capacity // TILE), 1)
    (y,) = run_kernel(kernel, bindings, workgroups, constants, read_back=(len(bindings) - 2,))
    return y


def activations(rng, capacity: int, k: int, n_tokens: int) -> np.ndarray:
    x = rng.standard_normal((capacity, k)).astype(np.float32)
    x[n_tokens:] = np.nan  # rows past n_tokens are garbage and must never reach valid rows
    return x


def quant_cases():
    for fmt in ("q4", "q8"):
        for scale_type in ("f16", "f32"):
            for min_type in (None, "f16", "f32"):
                for group in (16, 32):
                    case_id = f"{fmt}-g{group}-scale_{scale_type}-min_{min_type or 'none'}"
                    yield pytest.param(fmt, scale_type, min_type, group, id=case_id)


@pytest.mark.parametrize(("fmt", "scale_type", "min_type", "group"), list(quant_cases()))
def test_matmul_quant_formats(fmt, scale_type, min_type, group):
    rng = np.random.default_rng([ord(c) for c in fmt + scale_type + str(min_type)] + [group])
    # 37 rows: two row tiles, the second ragged; K = 80 is not a multiple of the 32-wide K chunk
    n, k, capacity, n_tokens = 37, 160 if group == 32 else 80, 40, 35
    zero_point = 0 if min_type else {"q4": 8, "q8": 128}[fmt]
    weights = random_quantized(rng, fmt, n, k, group, scale_type, min_type, zero_point)
    x = activations(rng, capacity, k, n_tokens)
    y_old = rng.standard_normal((capacity, n)).astype(np.float32)
    y = run_matmul(weights, x, y_old, n_tokens)
    assert_close(y, linear_twin(weights, x, y_old, n_tokens), ATOL, RTOL, f"matmul {fmt} g{group}")


@pytest.mark.parametrize("fmt", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("k", [96, 99], ids=["k96", "k99-odd"])
def test_matmul_float_formats(fmt, k):
    rng = np.random.default_rng([len(fmt), k])
    n, capacity, n_tokens = 37, 40, 33
    weights = random_plain(rng, fmt, n, k)
    x = activations(rng, capacity, k, n_tokens)
    y_old = rng.standard_normal((capacity, n)).astype(np.float32)
    y = run_matmul(weights, x, y_old, n_tokens)
    assert_close(y, linear_twin(weights, x, y_old, n_tokens), ATOL, RTOL, f"matmul {fmt} k={k}")


@pytest.mark.parametrize("fmt", ["q4", "q8", "f16"])
def test_matmul_part_with_bias_and_accumulate(fmt):
    """A part of a split tensor: columns ROW_OFFSET.. of a wider y; bias and the residual fused."""
    rng = np.random.default_rng(5)
    n, k, out_stride, row_offset, capacity, n_tokens = 45, 64, 120, 70, 8, 6
    if fmt == "f16":
        weights = random_plain(rng, fmt, n, k)
    else:
        weights = random_quantized(rng, fmt, n, k, 32, "f32", "f32", 0)
    x = activations(rng, capacity, k, n_tokens)
    y_old = rng.standard_normal((capacity, out_stride)).astype(np.float32)
    bias = rng.standard_normal(out_stride).astype(np.float32)
    y = run_matmul(weights, x, y_old, n_tokens, row_offset=row_offset, bias=bias, accumulate=True)
    ref = linear_twin(weights, x, y_old, n_tokens, row_offset, bias, accumulate=True)
    assert_close(y, ref, ATOL, RTOL, f"matmul part {fmt}")
    assert np.array_equal(y[:, :row_offset], y_old[:, :row_offset])


@pytest.mark.parametrize("n_tokens", [1, 20, 64], ids=["one-token", "second-tile-idle", "full"])
def test_matmul_only_writes_valid_token_rows(n_tokens):
    rng = np.random.default_rng(n_tokens)
    n, k, capacity = 33, 32, 64
    weights = random_quantized(rng, "q4", n, k, 32, "f16", "f16", 0)
    x = activations(rng, capacity, k, n_tokens)
    y_old = rng.standard_normal((capacity, n)).astype(np.float32)
    y = run_matmul(weights, x, y_old, n_tokens)
    assert_close(y, linear_twin(weights, x, y_old, n_tokens), ATOL, RTOL, f"matmul n_tokens={n_tokens}")
    assert np.array_equal(y[n_tokens:], y_old[n_tokens:])
