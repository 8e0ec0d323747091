import numpy as np
import pytest

from glassfail_core.errors import InputError
from glassfail_core.generation.targets import achievable_variances, check_targets, max_variance, target_distribution


@pytest.mark.parametrize("variance", [0.05, 0.2, 0.6, 1.0, 1.2, 3.0, 7.5])
def test_target_has_mean_6_and_requested_variance(variance):
    n, p = target_distribution(variance, 10)
    assert n.tolist() == list(range(4, 11))
    assert p.sum() == pytest.approx(1.0)
    assert (p >= 0).all()
    assert (n * p).sum() == pytest.approx(6.0, abs=1e-9)
    assert ((n - 6.0) ** 2 * p).sum() == pytest.approx(variance, abs=1e-8)


def test_crystal_target():
    n, p = target_distribution(0.0, 10)
    assert p[n == 6] == 1.0 and p.sum() == 1.0


def test_bounds():
    assert max_variance(10) == 8.0
    assert max_variance(7) == 2.0
    with pytest.raises(InputError, match="unreachable"):
        check_targets(2.0, 0.3, 7)
    with pytest.raises(InputError, match="variance must be"):
        check_targets(-0.1, 0.3, 10)
    with pytest.raises(InputError, match="alpha"):
        check_targets(1.0, float("nan"), 10)
    with pytest.raises(InputError, match="max_ring"):
        check_targets(1.0, 0.3, 6)
    with pytest.raises(InputError, match="cannot be matched"):
        check_targets(0.1, 0.3, 10, n_rings=16)  # smallest non-zero variance of 16 rings is 0.25
    check_targets(0.25, 0.3, 10, n_rings=16)


def test_achievable_variances():
    v = achievable_variances(288, 0.05)
    assert v[0] == 0 and v[1] == pytest.approx(4 / 288) and np.allclose(np.diff(v[1:]), 2 / 288)


@pytest.mark.parametrize("max_ring", [8, 10, 19])
def test_every_variance_on_a_fine_grid_is_reachable(max_ring):
    """0.2 … 1.5 in steps of 0.005 (0.75, 0.762, 0.85 used to fail): exact mean 6 and variance."""
    for variance in np.round(np.arange(0.2, 1.5 + 1e-9, 0.005), 3):
        n, p = target_distribution(float(variance), max_ring)
        assert abs(p.sum() - 1) < 1e-12 and (p >= 0).all() and p[n == 6] > 0.25
        assert abs((n * p).sum() - 6) < 1e-9
        assert abs(((n - 6) ** 2 * p).sum() - variance) < 1e-9


def test_variance_075_gives_the_tilted_gamma():
    """Pinned: p(n) at s² = 0.75 on 4..10 (a regression in the tilt would move these digits)."""
    n, p = target_distribution(0.75, 10)
    assert n.tolist() == [4, 5, 6, 7, 8, 9, 10]
    np.testing.assert_allclose(p[:5], [0.025079, 0.254105, 0.459304, 0.221580, 0.037205], atol=2e-6)
