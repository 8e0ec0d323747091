import numpy as np
import pytest


@pytest.fixture(scope="session")
def small_relaxed():
    """A 6 × 6-ring crystal (72 Si, 108 O) relaxed to zero stress, then randomly perturbed by 0.05 Å and
    minimised: a sample that breaks at a definite strain (a perfect crystal stays symmetric much longer)."""
    from glassfail_core.generation import honeycomb
    from glassfail_core.physics import relax

    g = relax(honeycomb(6, 6), cell=True)
    rng = np.random.default_rng(7)
    g = g.with_positions(g.positions + rng.normal(0.0, 0.05, g.positions.shape))
    return relax(g, fmax=1e-6)


@pytest.fixture
def disordered(rng):
    """A 4 × 6-ring crystal with 0.15 Å random displacements (not minimised): large, varied forces."""
    from glassfail_core.generation import honeycomb

    g = honeycomb(4, 6)
    return g.with_positions(g.positions + rng.normal(0.0, 0.15, g.positions.shape))
