import numpy as np
import pytest


@pytest.fixture
def disordered(rng):
    """A 4 × 6-ring crystal with 0.15 Å random displacements (not minimised): large, varied forces."""
    from glassfail_core.generation import honeycomb

    g = honeycomb(4, 6)
    return g.with_positions(g.positions + rng.normal(0.0, 0.15, g.positions.shape))
