"""Mapping a heatmap to atoms (Voronoi cells, periodic wrap) and rings (polygons), and onto another grid."""

import numpy as np
import pytest

from glassfail_core.explain.mapping import (atom_attribution, pixel_owners, resample_to, ring_attribution,
                                            ring_pixels)
from glassfail_core.generation import honeycomb
from glassfail_core.learn.images import render_input
from glassfail_core.rings import find_rings, ring_polygons


@pytest.fixture(scope="module")
def glass():
    g = honeycomb(6, 6)
    rng = np.random.default_rng(3)
    return g.with_positions(g.positions + rng.normal(0, 0.1, g.positions.shape))


def _hot(frame, xy):
    """A map that is 1 on the pixel holding ``xy`` (wrapped into the frame), 0 elsewhere."""
    heat = np.zeros(frame.shape)
    c = int(np.floor(((xy[0] - frame.origin[0]) / frame.pixel_size[0]) % frame.shape[1]))
    r = int(np.floor(((xy[1] - frame.origin[1]) / frame.pixel_size[1]) % frame.shape[0]))
    heat[r, c] = 1.0
    return heat


def test_a_hot_spot_lands_on_its_atom(glass):
    _, frame = render_input(glass, noise=False)
    owners = pixel_owners(frame, glass)
    for i in (0, 17, 101):
        att = atom_attribution(_hot(frame, glass.positions[i]), frame, glass, owners)
        assert int(np.argmax(att)) == i and att.sum() == pytest.approx(1.0)


def test_the_hot_spot_wraps_across_the_cell(glass):
    """An atom moved just left of x = 0 owns the pixels at the right edge of the frame."""
    _, frame = render_input(glass, noise=False)
    i = int(np.argmin(glass.positions[:, 0]))
    pos = glass.positions.copy()
    pos[i, 0] = -0.2
    g = glass.with_positions(pos)
    spot = (glass.cell[0] - 0.25, pos[i, 1])   # the last column, 0.05 Å from the atom's periodic image
    att = atom_attribution(_hot(frame, spot), frame, g)
    assert int(np.argmax(att)) == i


def test_every_pixel_belongs_to_one_atom_and_the_sum_is_kept(glass):
    _, frame = render_input(glass, noise=False)
    heat = np.random.default_rng(0).random(frame.shape)
    att = atom_attribution(heat, frame, glass)
    assert att.sum() == pytest.approx(heat.sum()) and (att > 0).all()


def test_non_periodic_cells_stop_at_the_edge():
    g = honeycomb(4, 4).replace(pbc=(False, False))
    _, frame = render_input(g, noise=False)
    owners = pixel_owners(frame, g, max_distance=3.0)
    assert (owners == -1).any() and (owners >= 0).sum() > 0
    heat = np.ones(frame.shape)
    assert atom_attribution(heat, frame, g, owners).sum() == (owners >= 0).sum()


def test_a_hot_spot_lands_in_its_ring(glass):
    _, frame = render_input(glass, noise=False)
    rs = find_rings(glass)
    pix = ring_pixels(frame, ring_polygons(glass, rs))
    covered = np.concatenate(pix)
    assert len(np.unique(covered)) / np.prod(frame.shape) > 0.97   # the rings tile the periodic plane
    for r in (0, 5, rs.n_rings - 1):
        sums, areas = ring_attribution(_hot(frame, rs.centroids[r]), frame, pix)
        assert int(np.argmax(sums)) == r and sums.sum() == pytest.approx(1.0)
    assert areas.sum() == pytest.approx(glass.cell[0] * glass.cell[1], rel=0.03)


def test_resample_onto_a_micrograph_grid_keeps_the_integral(glass):
    g = glass.replace(pbc=(False, False))
    heat, frame = render_input(g, noise=False)
    fine = resample_to(heat, frame, (300, 300), 0.3, origin=(-20.0, -20.0))
    assert fine.sum() == pytest.approx(heat.sum(), rel=0.01)
