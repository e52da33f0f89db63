import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel
from tests.kernels.tolerance import assert_close


def residual_add_twin(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x + y


@pytest.mark.parametrize("n", [1, 63, 65, 1000])
def test_residual_add_matches_twin(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    (out,) = run_kernel("residual_add", [x, y, np.array([n], np.uint32)], (-(-n // 64), 1, 1), read_back=(0,))
    assert_close(out, residual_add_twin(x, y), what=f"residual_add n={n}")
