"""The kernel tests' comparison: |gpu - ref| <= atol + rtol * |ref|, worst element named on failure."""

import numpy as np


def assert_close(
    gpu: np.ndarray, ref: np.ndarray, atol: float = 1e-5, rtol: float = 1e-4, what: str = ""
) -> None:
    gpu = np.asarray(gpu, np.float64)
    ref = np.asarray(ref, np.float64)
    assert gpu.shape == ref.shape, f"{what}: shape {gpu.shape} != {ref.shape}"
    excess = np.abs(gpu - ref) - (atol + rtol * np.abs(ref))
    worst = np.unravel_index(np.argmax(excess), excess.shape) if excess.size else ()
    assert excess.size == 0 or excess[worst] <= 0, (
        f"{what}: worst at {worst}: gpu {gpu[worst]!r} ref {ref[worst]!r} "
        f"|diff| {abs(gpu[worst] - ref[worst]):.3g} > atol {atol} + rtol {rtol} * |ref|"
    )
