import numpy as np
import pytest

from engine.native.kernel_runner import run_kernel, step_uniform
from tests.kernels import twins_block as twin
from tests.kernels.tolerance import assert_close

UNTOUCHED = 7.0


def gate_up(rng, rows, inter):
    gu = (rng.standard_normal((rows, 2 * inter)) * 3).astype(np.float32)
    extremes = np.array([-100.0, 100.0, -30.0, 0.0], np.float32)[:inter]
    gu[0, : len(extremes)] = extremes  # saturated gates must give 0 or up, never NaN
    return gu


@pytest.mark.parametrize("act", [0, 1])
@pytest.mark.parametrize("inter, n_tokens, capacity", [(150, 3, 4), (1, 1, 1), (1000, 2, 2)])
def test_gated_act_matches_twin(act, inter, n_tokens, capacity):
    rng = np.random.default_rng(inter + act)
    gu = gate_up(rng, capacity, inter)
    y = np.full((capacity, inter), UNTOUCHED, np.float32)
    (out,) = run_kernel(
        "gated_act", [gu, y, step_uniform(n_tokens=n_tokens)], (-(-inter // 64), capacity, 1),
        {"INTERMEDIATE": inter, "ACT": act}, read_back=(1,),
    )
    assert_close(out[:n_tokens], twin.gated_act(gu[:n_tokens], act), what=f"gated_act act={act} I={inter}")
    assert np.all(out[n_tokens:] == UNTOUCHED), "gated_act wrote rows past n_tokens"


def test_gelu_twin_matches_torch_tanh_gelu():
    torch = pytest.importorskip("torch")
    x = np.linspace(-8, 8, 101, dtype=np.float32)
    gu = np.concatenate([x, np.ones_like(x)])[None]
    expected = torch.nn.functional.gelu(torch.tensor(x), approximate="tanh").numpy()
    assert_close(twin.gated_act(gu, act=1)[0], expected, what="GELU twin vs torch")


@pytest.mark.parametrize("n, cap", [(1, 30.0), (1000, 30.0), (333, 2.5)])
def test_softcap_matches_twin(n, cap):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 40).astype(np.float32)
    x[0] = 1e30  # a huge logit caps at CAP, not NaN
    (out,) = run_kernel("softcap", [x], (-(-n // 64), 1, 1), {"N": n, "CAP": cap}, read_back=(0,))
    assert_close(out, twin.softcap(x, cap), what=f"softcap n={n} cap={cap}")
