"""Synthetic micrographs: spot heights and integrals, pixel convention, periodic images, noise, the TEM model."""

import numpy as np
import pytest

from glassfail_core import Glass
from glassfail_core.errors import InputError
from glassfail_core.micrograph import SpotParams, TEMParams, render_glass
from glassfail_core.micrograph.render import electron_wavelength


def one_atom(x, y, species="Si", cell=(10.0, 8.0), pbc=False):
    return Glass([[x, y]], [species], cell=cell, pbc=pbc)


def test_spot_height_integral_and_centre():
    ps = 0.05
    g = one_atom(4.23, 3.37)
    m = render_glass(g, pixel_size=ps, noise=False)
    sig = m.image - 20.0  # uniform background of the recipe
    # Peak ≈ 800 counts (pixel-averaged Gaussian, σ = 10 px), integral = 800·2πσ² in Å² (·1/ps² in pixels).
    assert sig.max() == pytest.approx(800.0, rel=2e-3)
    assert sig.sum() * ps**2 == pytest.approx(800 * 2 * np.pi * 0.5**2, rel=1e-4)
    rows, cols = np.indices(sig.shape)
    rc = np.array([(rows * sig).sum(), (cols * sig).sum()]) / sig.sum()
    assert m.px_to_xy(rc) == pytest.approx([4.23, 3.37], abs=1e-4)  # the spot is centred on the atom


def test_oxygen_spot_and_coarse_pixels_keep_counts():
    g = one_atom(5.0, 4.0, "O")
    for ps in (0.05, 0.4):
        sig = render_glass(g, pixel_size=ps, noise=False).image - 20.0
        assert sig.sum() * ps**2 == pytest.approx(100 * 2 * np.pi * 0.3**2, rel=1e-3)
    fine = render_glass(g, pixel_size=0.05, noise=False).image.max() - 20
    assert fine == pytest.approx(100.0, rel=1.5e-2)  # the atom sits on a pixel corner here


def test_periodic_images_wrap_and_free_edges_do_not():
    ps = 0.1
    per = render_glass(one_atom(0.05, 4.0, pbc=True), pixel_size=ps, noise=False).image - 20
    free = render_glass(one_atom(0.05, 4.0, pbc=False), pixel_size=ps, noise=False).image - 20
    row = int(4.0 / ps)
    assert per[row, -1] == pytest.approx(per[row, 0], rel=0.1)  # the spot continues across the periodic edge
    assert free[row, -1] < 1e-6
    # 10 Å = 100 px exactly: the periodic image holds the whole spot, the free one loses the part beyond x = 0.
    assert per.sum() * ps**2 == pytest.approx(800 * 2 * np.pi * 0.25, rel=1e-4)
    assert free.sum() * ps**2 < 0.6 * 800 * 2 * np.pi * 0.25


def test_poisson_noise_statistics_and_seed(crystal):
    m1 = render_glass(crystal, pixel_size=0.3, seed=5)
    m2 = render_glass(crystal, pixel_size=0.3, seed=5)
    assert np.array_equal(m1.image, m2.image)
    assert not np.array_equal(m1.image, render_glass(crystal, pixel_size=0.3, seed=6).image)
    empty = Glass(np.zeros((0, 2)), [], cell=(60.0, 60.0), pbc=False)
    bg = render_glass(empty, pixel_size=0.3, seed=1, dose=2.0).image
    assert bg.mean() == pytest.approx(40.0, rel=0.01) and bg.var() == pytest.approx(40.0, rel=0.05)
    assert np.all(bg == np.round(bg))  # counts


def test_image_covers_the_cell_and_records_parameters(crystal):
    m = render_glass(crystal, pixel_size=0.25, noise=False, spots=SpotParams(background=5.0))
    # periodic cell: at most one period (floor), so no atom appears twice; the sliver left out is recorded
    assert m.shape == (int(np.floor(crystal.cell[1] / 0.25)), int(np.floor(crystal.cell[0] / 0.25)))
    assert m.extent[0] <= crystal.cell[0] and m.extent[1] <= crystal.cell[1]
    assert m.info["uncovered"] == pytest.approx([crystal.cell[0] - m.extent[0], crystal.cell[1] - m.extent[1]])
    free = render_glass(crystal.replace(pbc=(False, False)), pixel_size=0.25, noise=False)
    assert free.shape == (int(np.ceil(crystal.cell[1] / 0.25)), int(np.ceil(crystal.cell[0] / 0.25)))
    assert m.info["style"] == "spots" and m.info["params"]["background"] == 5.0 and m.info["noise"] is False
    assert m.image.min() == pytest.approx(5.0, abs=1.0)


def test_tem_intensity_conservation_and_polarity(crystal):
    ps = 0.2
    bright = render_glass(crystal, pixel_size=ps, style="tem", noise=False)
    dark = render_glass(crystal, pixel_size=ps, style="tem", noise=False, tem=TEMParams(cs=5e4, defocus=52.0))
    per_px = TEMParams().dose * ps**2
    # A phase object scatters little outside the aperture: the mean intensity stays ≈ 1 (× dose).
    assert bright.image.mean() / per_px == pytest.approx(1.0, abs=0.03)
    si = np.round(bright.xy_to_px(crystal.positions[crystal.si_mask])).astype(int)
    si = si[(si[:, 0] < bright.shape[0]) & (si[:, 1] < bright.shape[1])]
    at_si_bright = bright.image[si[:, 0], si[:, 1]].mean() / bright.image.mean()
    at_si_dark = dark.image[si[:, 0], si[:, 1]].mean() / dark.image.mean()
    assert at_si_bright > 1.3 and at_si_dark < 0.8


def test_electron_wavelength_200kv():
    assert electron_wavelength(200.0) == pytest.approx(0.02508, abs=1e-5)


@pytest.mark.parametrize("kwargs, match", [({"style": "stem"}, "style"), ({"pixel_size": -1}, "pixel_size"),
                                           ({"dose": 0}, "dose"), ({"shape": (0, 4)}, "shape")])
def test_render_bad_arguments(crystal, kwargs, match):
    with pytest.raises(InputError, match=match):
        render_glass(crystal, **kwargs)
