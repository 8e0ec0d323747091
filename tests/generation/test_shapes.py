import numpy as np
import pytest

from glassfail_core.errors import InputError
from glassfail_core.generation import cut_shape, generate_glass, honeycomb


@pytest.fixture(scope="module")
def amorphous():
    return generate_glass((12, 12), 0.8, seed=3, relax=False)


@pytest.mark.parametrize("shape", ["rect", "disc", "notch"])
def test_shapes_have_no_dangling_atoms(amorphous, shape):
    g = cut_shape(amorphous, shape)
    c = g.coordination
    assert g.pbc == (False, False)
    assert (c[g.si_mask] >= 2).all() and (c[g.o_mask] == 2).all()
    assert (c[g.si_mask] == 2).any()  # free edges exist
    assert 0 < len(g) < len(amorphous)
    assert (g.positions >= 0).all() and (g.positions <= g.cell).all()
    assert g.info["shape"]["kind"] == shape and g.info["cut_from"]["seed"] == 3


def test_disc_radius_and_notch_geometry():
    crystal = honeycomb(12, 12)
    d = cut_shape(crystal, "disc", radius=15.0, margin=1.0)
    centre = np.asarray(d.cell) / 2
    assert np.hypot(*(d.positions - centre).T).max() <= 15.0
    strip = cut_shape(crystal, "notch", width=50.0, height=30.0, notch_depth=12.0, notch_width=12.0, margin=0.0)
    full = cut_shape(crystal, "rect", width=50.0, height=30.0, margin=0.0)
    assert len(strip) < len(full)
    # nothing inside the V notch: at mid-length, no atom lower than ~depth above the lower edge
    mid = np.abs(strip.positions[:, 0] - 25.0) < 1.0
    assert strip.positions[mid, 1].min() >= 12.0 - 1.6


@pytest.mark.parametrize("kwargs, match", [
    (dict(shape="star"), "shape must be"),
    (dict(shape="disc", radius=-1), "radius"),
    (dict(shape="rect", width=1000.0), "larger than"),
    (dict(shape="notch", height=20.0, notch_depth=25.0), "notch_depth"),
])
def test_bad_shapes(kwargs, match):
    with pytest.raises(InputError, match=match):
        cut_shape(honeycomb(8, 8), **kwargs)
