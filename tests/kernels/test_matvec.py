"""matvec_quant / matvec_float (the decode GEMV) against linear_twin, for every stored format."""

import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels.tolerance import assert_close
from tests.kernels.twins_linear import linear_twin
from tests.kernels.weights_maker import DUMMY, StoredWeights, random_plain, random_quantized

ATOL, RTOL = 1e-4, 1e-4
CPU_MAPPING = {"THREADS_PER_ROW": 1, "ROWS_PER_WORKGROUP": 8}
GPU_MAPPING = {"THREADS_PER_ROW": 32, "ROWS_PER_WORKGROUP": 2}
NARROW_GPU_MAPPING = {"THREADS_PER_ROW": 8, "ROWS_PER_WORKGROUP": 8}
MAPPINGS = [
    pytest.param(CPU_MAPPING, id="row-per-thread"),
    pytest.param(GPU_MAPPING, id="32-lanes-per-row"),
    pytest.param(NARROW_GPU_MAPPING, id="8-lanes-per-row"),
]


def run_matvec(
    weights: StoredWeights,
    x: np.ndarray,
    y_old: np.ndarray,
    mapping: dict,
    *,
    n_tokens: int = 1,
    row_offset: int = 0,
    bias: np.ndarray | None = None,
    accumulate: bool = False,
    x_row_from_step: bool = False,
) -> np.ndarray:
    n, k = weights.entry["shape"]
    constants = {
        "N": n,
        "K": k,
        "OUT_STRIDE": y_old.shape[-1],
        "ROW_OFFSET": row_offset,
        "HAS_BIAS": bias is not None,
        "ACCUMULATE": accumulate,
        "X_ROW_FROM_STEP": x_row_from_step,
        **weights.constants(),
        **mapping,
    }
    groups = -(-n // mapping["ROWS_PER_WORKGROUP"])
    kernel = "matvec_quant" if weights.quantized else "matvec_float"
    bindings = [
        *weights.weight_bindings(),
        DUMMY.view(np.float32) if bias is None else bias,
        x,
        y_old,
        step_uniform(n_tokens=n_tokens),
    ]
    y_index = len(bindings) - 2
    (y,) = run_kernel(kernel, bindings, (groups, 1, 1), constants, read_back=(y_index,))
    return y


def quant_cases():
    for fmt in ("q4", "q8"):
        for scale_type in ("f16", "f32"):
            for min_type in (None, "f16", "f32"):
                for group in (16, 32):
                    case_id = f"{fmt}-g{group}-scale_{scale_type}-min_{min_type or 'none'}"
                    yield pytest.param(fmt, scale_type, min_type, group, id=case_id)


@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize(("fmt", "scale_type", "min_type", "group"), list(quant_cases()))
def test_matvec_quant_formats(fmt, scale_type, min_type, group, mapping):
    rng = np.random.default_rng([ord(c) for c in fmt + scale_type + str(min_type)] + [group])
    n, k = 37, 160 if group == 32 else 96  # odd rows; K not a multiple of any workgroup width
    zero_point = 0 if min_type else {"q4": 8, "q8": 128}[fmt]
    weights = random_quantized(rng, fmt, n, k, group, scale_type, min_type, zero_point)
    x = rng.standard_normal((1, k)).astype(np.float32)
    y_old = rng.standard_normal((1, n)).astype(np.float32)
    y = run_matvec(weights, x, y_old, mapping)
    assert_close(y, linear_twin(weights, x, y_old, 1), ATOL, RTOL, f"matvec {fmt} g{group}")


@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize("fmt", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("k", [160, 99], ids=["k160", "k99-odd"])
def test_matvec_float_formats(fmt, k, mapping):
    rng = np.random.default_rng([len(fmt), k])
    n = 37
    weights = random_plain(rng, fmt, n, k)
    x = rng.standard_normal((1, k)).astype(np.float32)
    y_old = rng.standard_normal((1, n)).astype(np.float32)
    y = run_matvec(weights, x, y_old, mapping)
    assert_close(y, linear_twin(weights, x, y_old, 1), ATOL, RTOL, f"matvec {fmt} k={k}")


def part_weights(rng, fmt, n, k):
    if fmt in ("q4", "q8"):
        return random_quantized(rng, fmt, n, k, 32, "f16", "f16", 0)
    return random_plain(rng, fmt, n, k)


@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize("fmt", ["q4", "q8", "bf16"])
def test_matvec_part_with_bias_and_accumulate(fmt, mapping):
    """A part of a split tensor: rows land at ROW_OFFSET in a wider y, the rest of y is untouched."""
    rng = np.random.default_rng(7)
    n, k, out_stride, row_offset = 131, 96, 300, 150
    weights = part_weights(rng, fmt, n, k)
    x = rng.standard_normal((1, k)).astype(np.float32)
    y_old = rng.standard_normal((1, out_stride)).astype(np.float32)
    bias = rng.standard_normal(out_stride).astype(np.float32)
    y = run_matvec(weights, x, y_old, mapping, row_offset=row_offset, bias=bias, accumulate=True)
    ref = linear_twin(weights, x, y_old, 1, row_offset, bias, accumulate=True)
    assert_close(y, ref, ATOL, RTOL, f"matvec part {fmt}")
    assert np.array_equal(y[:, :row_offset], y_old[:, :row_offset])


@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize("fmt", ["q4", "f16"])
def test_matvec_reads_last_valid_token_row(fmt, mapping):
    """X_ROW_FROM_STEP: the LM head after a prefill chunk reads x row n_tokens - 1 of [T, K]."""
    rng = np.random.default_rng(11)
    n, k, capacity, n_tokens = 37, 64, 8, 5
    weights = part_weights(rng, fmt, n, k)
    x = rng.standard_normal((capacity, k)).astype(np.float32)
    x[n_tokens:] = np.nan  # rows past n_tokens are garbage and must not be read
    y_old = np.zeros((1, n), np.float32)
    y = run_matvec(weights, x, y_old, mapping, n_tokens=n_tokens, x_row_from_step=True)
    ref = linear_twin(weights, x[n_tokens - 1 : n_tokens], y_old, 1)
    assert_close(y, ref, ATOL, RTOL, f"matvec last row {fmt}")


def test_matvec_spreads_rows_over_two_dimensions():
    """More row groups than fit one dispatch dimension: rows map to x + y * num_workgroups.x."""
    rng = np.random.default_rng(3)
    n, k = 45, 32
    weights = random_quantized(rng, "q8", n, k, 16, "f32", None, 128)
    x = rng.standard_normal((1, k)).astype(np.float32)
    y_old = np.zeros((1, n), np.float32)
    constants = {"N": n, "K": k, "OUT_STRIDE": n, **weights.constants(), **CPU_MAPPING}
    bindings = [*weights.weight_bindings(), DUMMY.view(np.float32), x, y_old, step_uniform()]
    (y,) = run_kernel("matvec_quant", bindings, (3, 2, 1), constants, read_back=(5,))
    assert_close(y, linear_twin(weights, x, y_old, 1), ATOL, RTOL, "matvec 2-D grid")


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_matvec_components_split_at_different_rows(mapping):
    """Rows 20..44 of a tensor whose data part starts at row 10, scales part at 0, mins part at 16:
    the *_ROW_BASE constants say where the dispatch's first row sits inside each bound part."""
    rng = np.random.default_rng(17)
    n_total, k, first, n = 60, 64, 20, 25
    weights = random_quantized(rng, "q4", n_total, k, 16, "f16", "f32", 0)
    x = rng.standard_normal((1, k)).astype(np.float32)
    y_old = rng.standard_normal((1, n_total)).astype(np.float32)
    constants = {"N": n, "K": k, "OUT_STRIDE": n_total, "ROW_OFFSET": first, **weights.constants(), **mapping}
    constants |= {"DATA_ROW_BASE": first - 10, "SCALES_ROW_BASE": first, "MINS_ROW_BASE": first - 16}
    parts = [weights.words_from_row("data", 10), weights.words("scales"), weights.words_from_row("mins", 16)]
    bindings = [*parts, DUMMY.view(np.float32), x, y_old, step_uniform()]
    groups = -(-n // mapping["ROWS_PER_WORKGROUP"])
    (y,) = run_kernel("matvec_quant", bindings, (groups, 1, 1), constants, read_back=(5,))
    ref = linear_twin(weights, x, y_old, 1)
    assert_close(y[:, first : first + n], ref[:, first : first + n], ATOL, RTOL, "matvec row bases")
    assert np.array_equal(y[:, :first], y_old[:, :first])
