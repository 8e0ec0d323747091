"""Ground-truth structures for micrograph tests: honeycomb crystals with small random displacements."""

import numpy as np
import pytest

from glassfail_core.generation import honeycomb


@pytest.fixture(scope="module")
def displaced():
    """An 8 × 8-ring periodic crystal (128 Si, 192 O), every atom moved by N(0, 0.05 Å) per axis (seeded)."""
    g = honeycomb(8, 8)
    rng = np.random.default_rng(7)
    return g.with_positions(g.positions + rng.normal(0.0, 0.05, g.positions.shape))
