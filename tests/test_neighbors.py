"""Periodic folding and neighbour search against brute force over the lattice images, with x- and y-tilted cells
and periodicity along one or both axes."""

import itertools

import numpy as np
import pytest

from glassfail_core.neighbors import cell_vectors, lattice_tilt, minimum_image, neighbor_pairs, wrap

CELL = np.array([13.0, 17.0])
#: (pbc, tilt, tilt_axis): untilted cells periodic along one or both axes, and tilted cells of both conventions
CASES = [((True, True), 0.0, "x"), ((True, False), 0.0, "x"), ((False, True), 0.0, "x"),
         ((True, True), 4.3, "x"), ((True, True), -6.1, "x"), ((True, True), 5.2, "y"), ((True, True), -8.4, "y")]


def _images(pbc, tilt, tilt_axis, reach=6):
    """Lattice translations ``m·a + n·b`` (m, n in ±reach along the periodic axes)."""
    a, b = cell_vectors(CELL, tilt, tilt_axis=tilt_axis)
    ms = range(-reach, reach + 1) if pbc[0] else [0]
    ns = range(-reach, reach + 1) if pbc[1] else [0]
    return np.array([m * a + n * b for m, n in itertools.product(ms, ns)])


def _lattice_coords(d, tilt, tilt_axis):
    """Coordinates of translations ``d`` in the lattice basis (integers when ``d`` is a lattice vector)."""
    return np.asarray(d) @ np.linalg.inv(cell_vectors(CELL, tilt, tilt_axis=tilt_axis))


def _is_translation(d, pbc, tilt, tilt_axis):
    c = _lattice_coords(d, tilt, tilt_axis)
    integral = np.abs(c - np.round(c)) < 1e-9
    free_zero = np.ones_like(integral)
    for ax in range(2):
        if not pbc[ax]:
            free_zero[:, ax] = np.abs(c[:, ax]) < 1e-12  # nothing moves along a free axis
    return (integral & free_zero).all(axis=1)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("pbc, tilt, tilt_axis", CASES)
def test_minimum_image_is_the_nearest_image(rng, pbc, tilt, tilt_axis):
    d = rng.uniform(-40.0, 40.0, (400, 2))
    folded = minimum_image(d, CELL, pbc, tilt, tilt_axis=tilt_axis)
    assert _is_translation(folded - d, pbc, tilt, tilt_axis).all()
    cands = d[:, None, :] + _images(pbc, tilt, tilt_axis)[None]
    best = cands[np.arange(len(d)), np.argmin(np.hypot(cands[..., 0], cands[..., 1]), axis=1)]
    short = np.hypot(*best.T) < 0.5 * CELL.min()  # the range where the fold is guaranteed to be the nearest image
    assert short.sum() > 20
    np.testing.assert_allclose(folded[short], best[short], atol=1e-9)
    assert (np.hypot(*folded.T) >= np.hypot(*best.T) - 1e-9).all()


@pytest.mark.parametrize("pbc, tilt, tilt_axis", CASES)
def test_wrap_box_is_an_image_inside_the_rectangle(rng, pbc, tilt, tilt_axis):
    p = rng.uniform(-50.0, 50.0, (400, 2))
    p[:5] = [[0.0, 0.0], [-1e-17, -1e-17], [CELL[0], CELL[1]], [2 * CELL[0], -CELL[1]], [-0.0, 3.0]]
    w = wrap(p, CELL, pbc, tilt, tilt_axis=tilt_axis)
    assert _is_translation(w - p, pbc, tilt, tilt_axis).all()
    for ax in range(2):
        if pbc[ax]:
            assert ((w[:, ax] >= 0.0) & (w[:, ax] < CELL[ax])).all()
        else:
            np.testing.assert_array_equal(w[:, ax], p[:, ax])
    np.testing.assert_array_equal(wrap(w, CELL, pbc, tilt, tilt_axis=tilt_axis), w)  # already inside: unchanged


@pytest.mark.parametrize("tilt, tilt_axis", [(0.0, "x"), (4.3, "x"), (-6.1, "x"), (5.2, "y"), (-8.4, "y")])
def test_wrap_parallelogram_has_fractional_coordinates_in_unit_square(rng, tilt, tilt_axis):
    p = rng.uniform(-50.0, 50.0, (400, 2))
    w = wrap(p, CELL, (True, True), tilt, tilt_axis=tilt_axis, into="parallelogram")
    assert _is_translation(w - p, (True, True), tilt, tilt_axis).all()
    frac = _lattice_coords(w, tilt, tilt_axis)
    assert ((frac > -1e-12) & (frac < 1.0 + 1e-12)).all()
    if tilt == 0.0:
        np.testing.assert_array_equal(w, wrap(p, CELL, (True, True)))


def test_wrap_and_minimum_image_keep_shapes_and_inputs():
    v = np.array([12.0, 1.0])
    assert minimum_image(v, CELL, (True, True)).tolist() == [-1.0, 1.0]
    assert wrap(v, CELL, (True, True)).tolist() == [12.0, 1.0]
    w = wrap(np.array([14.0, -1.0]), CELL, (True, True), 2.0)
    assert w.tolist() == pytest.approx([14.0 + 2.0 - 13.0, 16.0])  # + b, then - a
    assert v.tolist() == [12.0, 1.0]
    assert wrap(np.zeros((3, 4, 2)) - 1.0, CELL, (True, True)).shape == (3, 4, 2)


def test_tilt_conventions_and_errors():
    np.testing.assert_array_equal(cell_vectors(CELL, 3.0), [[13.0, 0.0], [3.0, 17.0]])
    np.testing.assert_array_equal(cell_vectors(CELL, 3.0, tilt_axis="y"), [[13.0, 3.0], [0.0, 17.0]])
    for tilt, axis in [(3.0, "x"), (-2.5, "y"), (0.0, "x")]:
        assert lattice_tilt(cell_vectors(CELL, tilt, tilt_axis=axis)) == (tilt, axis)
    with pytest.raises(ValueError, match="one tilt"):
        lattice_tilt([[13.0, 1.0], [2.0, 17.0]])
    with pytest.raises(ValueError, match="periodicity along x and y"):
        wrap(np.zeros(2), CELL, (False, True), 1.0, tilt_axis="y")
    with pytest.raises(ValueError, match="tilt_axis"):
        minimum_image(np.zeros(2), CELL, (True, True), 1.0, tilt_axis="z")
    with pytest.raises(ValueError, match="into"):
        wrap(np.zeros(2), CELL, (True, True), into="circle")


def _brute_pairs(p, pbc, tilt, tilt_axis, cutoff, mask_i=None, mask_j=None):
    images = _images(pbc, tilt, tilt_axis, reach=2)
    mi = np.ones(len(p), bool) if mask_i is None else mask_i
    mj = np.ones(len(p), bool) if mask_j is None else mask_j
    out = {}
    for i, j in itertools.combinations(range(len(p)), 2):
        if mi[i] and mj[j]:
            a, b = i, j
        elif mi[j] and mj[i]:
            a, b = j, i
        else:
            continue
        d = p[b] - p[a] + images
        r = np.hypot(d[:, 0], d[:, 1])
        k = int(np.argmin(r))
        if r[k] < cutoff:
            out[(a, b)] = d[k]
    return out


@pytest.mark.parametrize("pbc, tilt, tilt_axis", CASES)
def test_neighbor_pairs_match_brute_force(rng, pbc, tilt, tilt_axis):
    p = rng.uniform(0.0, 1.0, (90, 2)) * CELL * 1.4 - 0.2 * CELL  # partly outside the cell: need not be wrapped
    cutoff = 4.5
    i, j, vec, dist = neighbor_pairs(p, CELL, pbc, cutoff, tilt=tilt, tilt_axis=tilt_axis)
    brute = _brute_pairs(p, pbc, tilt, tilt_axis, cutoff)
    assert len(brute) > 30
    assert sorted(zip(i.tolist(), j.tolist())) == sorted(brute)
    assert (i < j).all() and list(zip(i, j)) == sorted(zip(i, j))
    np.testing.assert_allclose(vec, [brute[(a, b)] for a, b in zip(i.tolist(), j.tolist())], atol=1e-9)
    np.testing.assert_allclose(dist, np.hypot(*vec.T))
    # masks: each pair ordered with i in mask_i and j in mask_j
    mask_i = rng.random(len(p)) < 0.4
    mask_j = ~mask_i
    i, j, vec, _ = neighbor_pairs(p, CELL, pbc, cutoff, mask_i=mask_i, mask_j=mask_j, tilt=tilt, tilt_axis=tilt_axis)
    brute = _brute_pairs(p, pbc, tilt, tilt_axis, cutoff, mask_i, mask_j)
    assert sorted(zip(i.tolist(), j.tolist())) == sorted(brute)
    assert mask_i[i].all() and mask_j[j].all()
    np.testing.assert_allclose(vec, [brute[(a, b)] for a, b in zip(i.tolist(), j.tolist())], atol=1e-9)


def test_neighbor_pairs_refuses_a_cutoff_over_half_the_cell():
    with pytest.raises(ValueError, match="half the periodic cell edge"):
        neighbor_pairs(np.zeros((2, 2)), CELL, (True, False), 7.0)
    assert len(neighbor_pairs(np.zeros((1, 2)), CELL, (True, True), 3.0)[0]) == 0


def test_absurd_coordinates_are_a_structure_error():
    from glassfail_core.errors import StructureError
    from glassfail_core.neighbors import neighbor_pairs

    with pytest.raises(StructureError, match="span 1e\\+308"):
        neighbor_pairs(np.array([[0.0, 0.0], [1e308, 0.0]]), (10, 10), (False, True), 2.0)
    with pytest.raises(StructureError, match="finite"):
        neighbor_pairs(np.array([[0.0, 0.0], [np.nan, 0.0]]), (10, 10), (False, False), 2.0)
    # a large but sane sample still works (pairs found, none missed)
    i, j, _, d = neighbor_pairs(np.array([[0.0, 0.0], [1.5, 0.0], [9e6, 0.0]]), (10, 10), (False, False), 2.0)
    assert i.tolist() == [0] and j.tolist() == [1] and d.tolist() == [1.5]
