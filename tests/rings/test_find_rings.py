"""Ring finding: exact counts on networks whose rings are known, crops, cracks, bad input."""

import warnings

import numpy as np
import pytest

from glassfail_core.errors import GlassfailWarning, InputError, StructureError
from glassfail_core.generation import honeycomb
from glassfail_core.glass import Glass
from glassfail_core.rings import RingSet, find_rings, ring_statistics

from .networks import D, square_octagon, stone_wales

HEX_AREA = 1.5 * np.sqrt(3.0) * D ** 2


def si_sets(glass, rs):
    return sorted(tuple(sorted(int(a) for a in r if glass.si_mask[a])) for r in rs.rings)


# ---------------------------------------------------------------- periodic networks
def test_honeycomb_all_six_euler_zero(crystal):
    rs = find_rings(crystal)
    assert isinstance(rs, RingSet)
    assert rs.n_rings == 16 and rs.sizes.tolist() == [6] * 16
    assert rs.n_open == 0 and rs.open_rings == []
    assert (rs.n_vertices, rs.n_edges, rs.n_faces, rs.euler) == (80, 96, 16, 0)
    # geometry: regular hexagons of side d (O at the midpoints do not change the area)
    np.testing.assert_allclose(rs.areas, HEX_AREA, rtol=1e-12)
    assert rs.areas.sum() == pytest.approx(crystal.area)
    assert ((rs.centroids >= 0) & (rs.centroids < crystal.cell)).all()
    # distinct centres, one per ring
    assert len(np.unique(np.round(rs.centroids, 6), axis=0)) == 16
    for r in rs.rings:  # alternating Si, O, bonded consecutively, starting at the lowest index
        assert len(r) == 12 and r[0] == r.min()
        sp = crystal.species[r]
        assert (sp[::2] == sp[0]).all() and (sp[1::2] != sp[0]).all()
        d = np.hypot(*crystal.bond_vectors(np.stack([r, np.roll(r, -1)], axis=1)).T)
        np.testing.assert_allclose(d, D / 2)


def test_honeycomb_per_atom_maps(crystal):
    rs = find_rings(crystal)
    m = rs.per_atom()
    assert (m["n_rings"][crystal.si_mask] == 3).all() and (m["n_rings"][crystal.o_mask] == 2).all()
    for k in ("mean", "min", "max"):
        assert m[k].shape == (80,) and (m[k] == 6).all()
    assert [len(x) for x in rs.atom_rings] == m["n_rings"].tolist()
    # every ring is listed in the per-atom lists of its own atoms
    for r, atoms in enumerate(rs.rings):
        assert all(r in rs.atom_rings[a] for a in atoms)
    nb = rs.ring_neighbors()
    assert all(len(x) == 6 for x in nb)


@pytest.mark.parametrize("n_defects", [1, 3])
def test_stone_wales_two_fives_two_sevens(n_defects):
    g, expected = stone_wales(12, 12, n_defects, seed=n_defects)
    rs = find_rings(g)
    st = ring_statistics(rs)
    assert st.counts == expected
    assert st.counts[5] == 2 * n_defects and st.counts[7] == 2 * n_defects
    assert st.mean == 6.0 and rs.euler == 0 and rs.n_open == 0
    assert st.mu2 == pytest.approx(4 * n_defects / 144)
    assert rs.areas.sum() == pytest.approx(g.area)
    # 5-rings are smaller than 6-rings, 7-rings larger
    a = {n: rs.areas[rs.sizes == n].mean() for n in (5, 6, 7)}
    assert a[5] < a[6] < a[7]


def test_stone_wales_unrelaxed_too():
    g, expected = stone_wales(10, 10, 2, seed=4, relax=False)
    assert ring_statistics(find_rings(g)).counts == expected


def test_si_only_and_si_o_give_the_same_rings():
    g_o, expected = stone_wales(12, 12, 2, seed=7)
    g_si, _ = stone_wales(12, 12, 2, seed=7, oxygen=False)
    assert np.allclose(g_o.positions[g_o.si_mask], g_si.positions)
    r_o, r_si = find_rings(g_o), find_rings(g_si)
    assert si_sets(g_o, r_o) == si_sets(g_si, r_si)
    assert sorted(r_o.sizes.tolist()) == sorted(r_si.sizes.tolist())
    # same order of Si around each ring, same ring order (rings start at their lowest Si index)
    for a, b in zip(r_o.rings, r_si.rings):
        assert a[g_o.si_mask[a]].tolist() == b.tolist()
    # the Si polygon of a ring and the Si+O polygon differ only by the kinks at O: close areas
    np.testing.assert_allclose(r_o.areas, r_si.areas, rtol=0.05)
    np.testing.assert_allclose(r_o.centroids, r_si.centroids, atol=0.2)
    assert ring_statistics(r_o) == ring_statistics(r_si).__class__(**{
        **ring_statistics(r_si).__dict__, "euler": r_o.euler})


def test_hand_made_four_and_eight_rings():
    for oxygen in (True, False):
        g, si_bonds = square_octagon(3, 4, oxygen=oxygen)
        rs = find_rings(g)
        st = ring_statistics(rs)
        assert st.counts == {4: 12, 8: 12}
        assert rs.euler == 0
        assert st.mean == 6.0 and st.mu2 == pytest.approx(4.0)
        # every 4-ring has four 8-ring neighbours; every 8-ring four 4s and four 8s: m(4) = 8, m(8) = 6,
        # so n·m(n) = 32, 48 -> slope 4 -> alpha = 2, intercept 6·alpha + mu2 = 16 (Aboav–Weaire exact)
        assert st.m == pytest.approx({4: 8.0, 8: 6.0})
        assert st.alpha == pytest.approx(2.0)
        assert st.aw_intercept == pytest.approx(6 * st.alpha + st.mu2)
        sq = rs.areas[rs.sizes == 4]
        np.testing.assert_allclose(sq, D ** 2, rtol=1e-9)
        assert rs.areas[rs.sizes == 8] == pytest.approx(2 * (1 + np.sqrt(2)) * D ** 2)


def test_explicit_bonds_equal_default(crystal):
    a = find_rings(crystal)
    b = find_rings(crystal, bonds=crystal.bonds[::-1][:, ::-1].tolist() + crystal.bonds[:5].tolist())
    assert [r.tolist() for r in a.rings] == [r.tolist() for r in b.rings]


def test_explicit_bonds_on_si_only_network():
    g, si_bonds = square_octagon(2, 2, oxygen=False)
    # keep only the bonds inside each small square (atoms 4k..4k+3): four separate squares
    inner = si_bonds[si_bonds[:, 0] // 4 == si_bonds[:, 1] // 4]
    rs = find_rings(g, bonds=inner)
    assert rs.n_rings == 4 and rs.sizes.tolist() == [4] * 4
    np.testing.assert_allclose(rs.areas, D ** 2)
    # each square's outside is walked clockwise and cut at its four under-coordinated corners
    assert rs.n_open == 16 and rs.n_boundary_faces == 4
    assert rs.euler == 2 * 4  # four separate pieces


# ---------------------------------------------------------------- crops, holes, cracks
def _ring_sets_full(g):
    rs = find_rings(g)
    return [set(r.tolist()) for r in rs.rings], rs


@pytest.mark.parametrize("box", [(3.0, 25.0, 3.0, 22.0), (7.3, 41.0, 5.1, 33.3), (0.0, 60.0, 11.0, 30.0)])
def test_crop_closed_rings_are_complete_and_open_rings_are_cut(box):
    g, _ = stone_wales(12, 12, 2, seed=11)
    full, rs_full = _ring_sets_full(g)
    x0, x1, y0, y1 = box
    p = g.positions
    inside = (p[:, 0] > x0) & (p[:, 0] < x1) & (p[:, 1] > y0) & (p[:, 1] < y1)
    idx = np.flatnonzero(inside)
    crop = g.subset(idx).replace(pbc=(False, False))
    rs = find_rings(crop)
    st = ring_statistics(rs)
    to_full = lambda r: {int(idx[a]) for a in r}  # noqa: E731
    complete = [s for s in full if s <= set(idx.tolist())]
    assert sorted(map(sorted, (to_full(r) for r in rs.rings))) == sorted(map(sorted, complete))
    assert st.n_rings == len(complete) and st.open_rings == rs.n_open > 0
    # every open ring lies on one ring of the full network, and every cut ring with a bond inside the crop is
    # seen by at least one open ring
    hit = set()
    for r in rs.open_rings:
        owners = [k for k, s in enumerate(full) if to_full(r) <= s]
        assert owners, r
        hit.update(owners)
    cb = set(map(tuple, idx[crop.bonds].tolist()))
    for k, s in enumerate(full):
        if s <= set(idx.tolist()):
            continue
        ring = rs_full.rings[k].tolist()
        has_bond = any(tuple(sorted((a, b))) in cb or (a, b) in cb for a, b in zip(ring, ring[1:] + ring[:1]))
        if has_bond:
            assert k in hit
    # one connected piece in the plane: V − E + F = 2 (F includes the outer face)
    assert rs.euler == 2
    # closed rings keep the geometry of the full network
    assert rs.areas.sum() < (x1 - x0) * (y1 - y0)


def test_missing_oxygen_opens_two_rings(crystal):
    rs0 = find_rings(crystal)
    o = int(np.flatnonzero(crystal.o_mask)[5])
    keep = np.ones(len(crystal), bool)
    keep[o] = False
    g = crystal.subset(keep)
    rs = find_rings(g)
    assert rs.n_rings == 14 and set(rs.sizes.tolist()) == {6}
    assert rs.n_open == 2  # the merged face is cut at the two Si that lost a bond
    assert sorted(rs.open_sizes.tolist()) == [6, 6]
    assert rs.euler == rs0.euler == 0  # V, E and F each dropped by one


def test_crack_across_a_periodic_cell():
    g = honeycomb(6, 6)
    b = g.bonds
    y = g.positions[:, 1]
    v = g.bond_vectors()
    y0 = 0.5 * g.cell[1] + 0.3
    y1 = y[b[:, 0]] + v[:, 1]
    a_ = y[b[:, 0]]
    cut = (np.minimum(a_, y1) < y0) & (np.maximum(a_, y1) > y0)
    assert cut.sum() == 6  # six bonds cross the line
    rs = find_rings(g, bonds=b[~cut])
    assert rs.n_rings == 36 - 6  # one row of rings along the crack is opened
    assert rs.n_open > 0
    assert rs.n_boundary_faces >= 1
    # measured: two boundary faces (the crack's two sides), cut at the Si that lost a bond into 12 pieces of 3 Si
    assert (rs.n_open, rs.n_boundary_faces, rs.open_sizes.tolist()) == (12, 2, [3] * 12)


def test_slab_periodic_along_x_only():
    g = honeycomb(6, 6)
    p = g.positions
    keep = (p[:, 1] > 4.0) & (p[:, 1] < 20.0)
    slab = g.subset(keep).replace(pbc=(True, False))
    rs = find_rings(slab)
    assert rs.n_rings > 0 and set(rs.sizes.tolist()) == {6}
    assert rs.n_open > 0
    assert (rs.n_rings, rs.n_open, rs.n_boundary_faces) == (12, 12, 2)  # two full rows; top and bottom edges
    assert ((rs.centroids[:, 0] >= 0) & (rs.centroids[:, 0] < g.cell[0])).all()


# ---------------------------------------------------------------- bad input
def test_no_bonds_is_an_error():
    g = Glass([[0, 0], [5, 5]], ["Si", "O"], cell=(20, 20), pbc=False)
    with pytest.raises(InputError, match="no bonds"):
        find_rings(g)
    with pytest.raises(InputError, match="no bonds"):
        find_rings(honeycomb(4, 4), bonds=np.zeros((0, 2), int))


def test_bad_explicit_bonds(crystal):
    with pytest.raises(InputError, match=r"\(M, 2\)"):
        find_rings(crystal, bonds=[1, 2, 3])
    with pytest.raises(InputError, match="outside"):
        find_rings(crystal, bonds=[[0, 999]])
    with pytest.raises(InputError, match="bonded to itself"):
        find_rings(crystal, bonds=[[3, 3]])
    with pytest.raises(InputError, match="Glass"):
        find_rings(crystal.positions)


def _hexagon_of(g_si):
    rs = find_rings(g_si)
    return rs.rings[0]


def test_crossing_bonds_are_named():
    g = honeycomb(6, 6, oxygen=False)
    h = _hexagon_of(g)
    extra = [[h[0], h[3]], [h[1], h[4]]]  # two diagonals of one hexagon cross at its centre
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlassfailWarning)
        with pytest.raises(StructureError, match=r"not planar: 1 pair.*crossing") as exc:
            find_rings(g, bonds=np.concatenate([g.bonds, extra]))
    msg = str(exc.value)
    assert f"{min(h[0], h[3])}–{max(h[0], h[3])}" in msg and f"{min(h[1], h[4])}–{max(h[1], h[4])}" in msg


def test_over_coordinated_atoms_warn_and_split_the_ring():
    g = honeycomb(6, 6, oxygen=False)
    h = _hexagon_of(g)
    with pytest.warns(GlassfailWarning, match=r"2 over-coordinated atom\(s\): " + str(min(h[0], h[3]))):
        rs = find_rings(g, bonds=np.concatenate([g.bonds, [[h[0], h[3]]]]))
    assert ring_statistics(rs).counts == {4: 2, 6: 35}
    assert rs.euler == 0


def test_overlapping_bonds_are_an_error():
    pos = [[0, 0], [2, 0], [4, 0], [0, 3]]
    g = Glass(pos, ["Si"] * 4, cell=(20, 20), pbc=False)
    with pytest.raises(StructureError, match="same direction"):
        find_rings(g, bonds=[[0, 1], [0, 2], [0, 3]], check=False)


def test_tree_network_has_no_rings():
    # a chain: one face (the outside), open everywhere, nothing counted, no infinite loop
    pos = np.stack([np.arange(10) * 3.0, np.zeros(10)], axis=1) + [1, 10]
    g = Glass(pos, ["Si"] * 10, cell=(40, 20), pbc=False)
    rs = find_rings(g)
    assert rs.n_rings == 0 and rs.n_faces == 1 and rs.euler == 2
    st = ring_statistics(rs)
    assert st.n_rings == 0 and st.counts == {} and np.isnan(st.mean)
    assert st.to_dict()["mean"] is None
