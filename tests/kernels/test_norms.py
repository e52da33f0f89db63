import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels import twins_block as twin
from tests.kernels.tolerance import assert_close

UNTOUCHED = 7.0  # rows past step.n_tokens must keep this value


@pytest.mark.parametrize(
    "width, rows_per_token, n_tokens, capacity, offset",
    [(150, 1, 3, 5, 0.0), (64, 3, 2, 2, 1.0), (80, 2, 1, 3, 0.0), (1, 1, 1, 1, 0.0)],
)
def test_rmsnorm_matches_twin(width, rows_per_token, n_tokens, capacity, offset):
    rng = np.random.default_rng(width)
    rows = capacity * rows_per_token
    x = (rng.standard_normal((rows, width)) * 3 + 0.5).astype(np.float32)
    w = rng.standard_normal(width).astype(np.float32)
    y = np.full((rows, width), UNTOUCHED, np.float32)
    constants = {"WIDTH": width, "ROWS_PER_TOKEN": rows_per_token, "EPS": 1e-5, "NORM_OFFSET": offset}
    (out,) = run_kernel(
        "rmsnorm", [x, w, y, step_uniform(n_tokens=n_tokens)], (rows, 1, 1), constants, read_back=(2,)
    )
    valid = n_tokens * rows_per_token
    assert_close(out[:valid], twin.rmsnorm(x[:valid], w, 1e-5, offset), what=f"rmsnorm width={width}")
    assert np.all(out[valid:] == UNTOUCHED), "rmsnorm wrote rows past n_tokens"


def test_rmsnorm_in_place_overwrites_x_only():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 80)).astype(np.float32)
    w = rng.standard_normal(80).astype(np.float32)
    ignored = np.full(1, UNTOUCHED, np.float32)
    constants = {"WIDTH": 80, "ROWS_PER_TOKEN": 2, "EPS": 1e-6, "IN_PLACE": True}
    out, y = run_kernel(
        "rmsnorm", [x, w, ignored, step_uniform(n_tokens=1)], (4, 1, 1), constants, read_back=(0, 2)
    )
    assert_close(out[:2], twin.rmsnorm(x[:2], w, 1e-6), what="rmsnorm in place")
    assert np.array_equal(out[2:], x[2:]) and y[0] == UNTOUCHED


@pytest.mark.parametrize("width, n_tokens, capacity", [(150, 3, 4), (384, 2, 2), (7, 1, 1)])
def test_layernorm_matches_twin(width, n_tokens, capacity):
    rng = np.random.default_rng(width)
    x = (rng.standard_normal((capacity, width)) + 20.0).astype(np.float32)  # a large mean
    w = rng.standard_normal(width).astype(np.float32)
    b = rng.standard_normal(width).astype(np.float32)
    y = np.full((capacity, width), UNTOUCHED, np.float32)
    (out,) = run_kernel(
        "layernorm", [x, w, b, y, step_uniform(n_tokens=n_tokens)], (capacity, 1, 1),
        {"WIDTH": width, "EPS": 1e-12}, read_back=(3,),
    )
    assert_close(out[:n_tokens], twin.layernorm(x[:n_tokens], w, b, 1e-12), what=f"layernorm width={width}")
    assert np.all(out[n_tokens:] == UNTOUCHED), "layernorm wrote rows past n_tokens"
