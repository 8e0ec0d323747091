"""Atom detection on rendered images of known structures: accuracy, species modes, polarity, tiles, bad input."""

import warnings

import numpy as np
import pytest

from glassfail_core import Glass
from glassfail_core.errors import GlassfailWarning, InputError
from glassfail_core.micrograph import Micrograph, SpotParams, detect, detect_steps, estimate_pixel_size, render_glass
from glassfail_core.micrograph.accuracy import match_atoms
from glassfail_core.progress import Progress


@pytest.fixture(scope="module")
def spots_image(displaced):
    return render_glass(displaced, pixel_size=0.25, seed=11)


@pytest.mark.parametrize("ps", [0.1, 0.25, 0.4])
def test_si_and_o_recovered_from_spots(displaced, ps):
    m = render_glass(displaced, pixel_size=ps, seed=2)
    found = detect(m)
    si = match_atoms(displaced, found, species="Si")
    o = match_atoms(displaced, found, species="O")
    assert si["recall"] == 1.0 and si["precision"] == 1.0, si
    assert si["rmse"] < 0.05, si
    assert o["recall"] >= 0.98 and o["precision"] >= 0.98 and o["rmse"] < 0.15, o
    assert found.info["species_mode"] == "si-o" and found.info["polarity"] == "bright atoms"
    assert found.pbc == (False, False) and found.cell.tolist() == pytest.approx(list(m.extent))


def test_metadata_and_per_atom_arrays(spots_image):
    found = detect(spots_image)
    conf = found.arrays["confidence"]
    assert conf.shape == (len(found),) and conf.min() >= 0 and conf.max() <= 1 and conf.mean() > 0.9
    assert found.arrays["inferred"].dtype == bool and found.arrays["intensity"].shape == (len(found),)
    info = found.info
    assert info["pixel_size"] == 0.25 and info["origin"] == [0.0, 0.0]
    assert info["detection"]["species"] == "auto" and info["detection"]["sensitivity"] == 1.0
    assert info["n_si"] == found.n_si and info["scale_check"]["pixel_size"] == pytest.approx(0.25, rel=0.1)


def test_si_only_image_places_o_at_bond_midpoints(displaced):
    m = render_glass(displaced, pixel_size=0.3, seed=4, spots=SpotParams(o_counts=0.0))
    found = detect(m)
    assert found.info["species_mode"] == "si-only"
    assert "geometry" in found.info["species_by"]
    assert found.arrays["inferred"][found.o_mask].all()
    o = match_atoms(displaced, found, species="O")
    assert o["recall"] >= 0.98 and o["rmse"] < 0.15  # the crystal's O are at the Si–Si midpoints (±0.07 Å)
    # forcing si-only on an image that shows O gives the same Si and geometric O
    both = detect(render_glass(displaced, pixel_size=0.3, seed=4), species="si-only")
    assert both.info["species_mode"] == "si-only" and both.n_si == found.n_si


def test_dark_atoms_detected_automatically_or_when_told(spots_image, displaced):
    flipped = spots_image.replace(image=spots_image.image.max() - spots_image.image)
    auto = detect(flipped)
    assert auto.info["polarity"] == "dark atoms" and auto.info["polarity_auto"] is True
    assert match_atoms(displaced, auto)["recall"] == 1.0
    told = detect(flipped, invert=True)
    assert np.allclose(np.sort(told.positions[told.si_mask], axis=0), np.sort(auto.positions[auto.si_mask], axis=0))
    wrong = detect(flipped, invert=False, check_scale=False)
    assert match_atoms(displaced, wrong)["precision"] < 0.5  # ring centres found instead of atoms


def test_tem_style(displaced):
    m = render_glass(displaced, pixel_size=0.32, style="tem", seed=5)
    found = detect(m)
    si = match_atoms(displaced, found)
    assert si["recall"] >= 0.99 and si["precision"] >= 0.99 and si["rmse"] <= 0.1, si


def test_tiles_give_the_same_atoms(spots_image):
    whole = detect(spots_image)
    tiled = detect(spots_image, tile=64)
    assert tiled.n_si == whole.n_si
    from scipy.spatial import cKDTree

    d, _ = cKDTree(tiled.positions[tiled.si_mask]).query(whole.positions[whole.si_mask])
    assert d.max() < 0.02  # tiles see the same pixels; only the flattened background differs
    # faint O spots right at the image edge may fall either side of the threshold with a tile's own background
    d_o, _ = cKDTree(tiled.positions[tiled.o_mask]).query(whole.positions[whole.o_mask])
    assert abs(tiled.n_o - whole.n_o) <= 2 and (d_o > 0.05).sum() <= 2


def test_progress_events(spots_image):
    job = detect_steps(spots_image, tile=96)
    events = []
    while True:
        try:
            events.append(next(job))
        except StopIteration as stop:
            glass = stop.value
            break
    assert all(isinstance(e, Progress) for e in events) and events[-1].done == events[-1].total
    assert glass.n_si > 0
    assert (glass.n_si, glass.info["species_mode"]) == (128, "si-o")  # every Si of the 8 × 8 crystal


def test_rings_of_detected_network_match_truth(displaced):
    from glassfail_core.micrograph.accuracy import compare_rings

    found = detect(render_glass(displaced, pixel_size=0.3, seed=8))
    r = compare_rings(displaced, found)
    assert r["n_rings"] >= 20 and r["agreement"] == 1.0, r


def test_uniform_image_warns_and_returns_empty_glass():
    m = Micrograph(np.full((64, 64), 7.0), pixel_size=0.3)
    with pytest.warns(GlassfailWarning, match="uniform"):
        g = detect(m)
    assert isinstance(g, Glass) and len(g) == 0 and g.info["species_mode"] == "none"


def test_pure_noise_warns_and_returns_empty_glass():
    m = Micrograph(np.random.default_rng(3).poisson(50.0, (128, 128)), pixel_size=0.3)
    with pytest.warns(GlassfailWarning, match="no atoms found"):
        g = detect(m)
    assert len(g) == 0


def test_too_small_image():
    with pytest.raises(InputError, match="too small"):
        detect(Micrograph(np.random.default_rng(0).random((5, 5)), pixel_size=0.3))
    with pytest.raises(InputError, match="too small"):
        detect(Micrograph(np.random.default_rng(0).random((16, 16)), pixel_size=0.2))  # 3.2 Å


@pytest.mark.parametrize("claimed", [0.1, 1.0])
def test_wrong_pixel_size_suggests_the_scale(spots_image, claimed):
    wrong = spots_image.replace(pixel_size=claimed)
    with pytest.raises(InputError, match=r"suggests about 0\.2[4-7]"):
        detect(wrong)
    assert estimate_pixel_size(spots_image)["pixel_size"] == pytest.approx(0.25, rel=0.08)


@pytest.mark.parametrize("kwargs, match", [({"species": "o-only"}, "species"), ({"sensitivity": 0}, "sensitivity"),
                                           ({"min_separation": -1}, "min_separation"), ({"colour": 1}, "unknown"),
                                           ({"tile": 10}, "tile"), ({"invert": "yes"}, "invert")])
def test_bad_parameters(spots_image, kwargs, match):
    with pytest.raises(InputError, match=match):
        detect(spots_image, **kwargs)


def test_not_a_micrograph():
    with pytest.raises(InputError, match="Micrograph"):
        detect(np.zeros((10, 10)))


# ---------------------------------------------------------------------------------------------------- amorphous glass
@pytest.fixture(scope="module")
def amorphous():
    """The shipped 16 × 18-ring glass at s² = 0.6 (576 Si, 864 O; bonds 1.45–1.94 Å, Si–Si from 2.6 Å)."""
    from pathlib import Path

    from glassfail_core.io import read_structure

    path = Path(__file__).resolve().parents[2] / "sample_data" / "glass_s2_0.6.extxyz"
    return read_structure(path)


@pytest.mark.parametrize("style, ps, dose", [("spots", 0.32, 1.0), ("spots", 0.2, 0.05), ("tem", 0.4, 1.0),
                                             ("tem", 0.2, 0.2)])
def test_amorphous_glass_atoms_and_rings(amorphous, style, ps, dose):
    from glassfail_core.micrograph.accuracy import compare_rings

    m = render_glass(amorphous, pixel_size=ps, style=style, dose=dose, seed=1)
    assert m.extent[0] <= amorphous.cell[0] and m.extent[1] <= amorphous.cell[1]  # one period, no atom twice
    found = detect(m)
    si = match_atoms(amorphous, found)
    assert si["recall"] >= 0.99 and si["precision"] >= 0.99 and si["rmse"] <= 0.1, si
    if dose >= 1.0 or style == "spots":
        assert found.info["species_mode"] == "si-o"
        o = match_atoms(amorphous, found, species="O")
        assert o["recall"] >= 0.95 and o["precision"] >= 0.95, o  # seen O sit off the Si–Si midpoints here
    else:  # TEM at the lowest dose: O not resolved, placed by geometry; noise peaks inside rings rejected
        assert found.info["species_mode"] == "si-only" and found.info["n_si_weak_rejected"] >= 1
    r = compare_rings(amorphous, found)
    assert r["n_rings"] >= 230 and r["agreement"] >= 0.98, r
    assert set(r["p_found"]) <= {4, 5, 6, 7, 8}  # no 3-rings from doubled edge atoms


def test_no_atoms_from_spots_cut_by_the_image_edge(amorphous):
    # every detected Si is the image of a true Si whose centre lies inside the image
    m = render_glass(amorphous, pixel_size=0.1, seed=2)
    found = detect(m, species="si-only")
    from scipy.spatial import cKDTree

    w = amorphous.wrapped_positions()[amorphous.si_mask]
    images = np.concatenate([w + [a * amorphous.cell[0], b * amorphous.cell[1]]
                             for a in (-1, 0, 1) for b in (-1, 0, 1)])
    d, i = cKDTree(images).query(found.positions[found.si_mask])
    centre = images[i]
    assert d.max() < 0.35
    assert ((centre >= 0) & (centre < m.extent)).all()


def test_o_must_bridge_two_si_not_sit_at_the_midpoint():
    from glassfail_core.micrograph.detection.network import _bridges, _complete_bonds

    si = np.array([[0.0, 0.0], [3.0, 0.0], [6.0, 0.0]])
    # a bent bridge (O 0.9 Å off the midpoint), a stray spot 0.5 Å from a Si, and one between nothing
    o = np.array([[1.5, 0.9], [3.4, 0.3], [4.5, 4.0]])
    keep, pairs = _bridges(si, o, np.array([3.0, 9.0, 5.0]), cand_border=np.zeros(3, bool), cutoff=3.9)
    assert keep.tolist() == [True, False, False] and pairs.tolist() == [[0, 1]]
    bonds = _complete_bonds(si, pairs, 3.9, 2.7)
    assert sorted(map(tuple, bonds.tolist())) == [(0, 1), (1, 2)]
    # a 4-ring: the sides bond, the diagonals (at 45° to them) never do; Si closer than min_length never bond
    sq = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 3.0], [0.0, 3.0]])
    b = _complete_bonds(sq, np.zeros((0, 2), int), 4.5)
    assert sorted(map(tuple, b.tolist())) == [(0, 1), (0, 3), (1, 2), (2, 3)]
    assert len(_complete_bonds(np.array([[0.0, 0.0], [2.5, 0.0]]), np.zeros((0, 2), int), 3.9, 2.7)) == 0


def test_weak_spot_kept_only_where_the_network_has_a_gap():
    """The rule against noise peaks (``_weak_spots_fit``) on coordinates: strong spots on a honeycomb; weak spots
    at ring centres (every Si around them fully bonded, or the gaps filled first by a real faint Si next to them)
    are rejected, a weak spot that is a real Si (its three neighbours one bond short without it) is kept, and so is
    a weak spot near the image edge."""
    from glassfail_core.generation import honeycomb
    from glassfail_core.micrograph.detection import DetectParams
    from glassfail_core.micrograph.detection.spots import _weak_spots_fit

    g = honeycomb(6, 6)
    si = g.wrapped_positions()[g.si_mask]
    d_sisi = float(np.sort(np.linalg.norm(si - si[0], axis=1))[1])
    p = DetectParams(expected_si_si=d_sisi)
    faint_si = int(np.argmin(np.linalg.norm(si - si.mean(axis=0), axis=1)))  # a Si well inside
    # ring centres: points d_sisi from six Si
    dirs = np.array([[np.cos(a), np.sin(a)] for a in np.radians(np.arange(0, 360, 30))])
    cands = (si[:, None, :] + d_sisi * dirs[None]).reshape(-1, 2)
    six = np.array([np.sum(np.abs(np.linalg.norm(si - c, axis=1) - d_sisi) < 0.05) == 6 for c in cands])
    centres = cands[six]
    dist = np.linalg.norm(centres - si[faint_si], axis=1)
    adjacent = centres[np.argmin(np.abs(dist - d_sisi))]  # a ring containing the faint Si
    far = centres[np.argmin(np.abs(dist - 3 * d_sisi))]
    assert np.linalg.norm(adjacent - si[faint_si]) == pytest.approx(d_sisi, abs=0.05)
    xy = np.vstack([si, adjacent, far, [0.5, 0.5]])
    z = np.full(len(xy), 20.0)
    z[faint_si] = 5.5
    z[-3:] = 6.0  # the noise peaks a little brighter than the faint Si: the order is by gaps, not height
    edge = np.zeros(len(xy), bool)
    edge[-1] = True
    keep = _weak_spots_fit(xy, z, p, edge)
    assert keep[faint_si] and keep[-1] and not keep[-2] and not keep[-3]
    assert keep.sum() == len(xy) - 2
    # strong spots are never judged, wherever they are
    z[-3:-1] = 20.0
    assert _weak_spots_fit(xy, z, p, edge).all()


def test_edge_si_bonded_along_the_edge_not_across_a_cut_ring():
    """Two Si both near the image edge: bonded when at a bond length (a lattice row parallel to the edge), not when
    as far apart as a chord across a ring cut by the edge (their partners lie outside the image)."""
    from glassfail_core.micrograph.detection.network import TIGHT_BOND, _complete_bonds

    d = 3.05
    xy = np.array([[0.3, 0.0], [0.3, 1.02 * d], [0.3, 3.0 * d], [0.3, 3.0 * d + 1.25 * d]])
    edge = np.ones(4, bool)
    bonds = _complete_bonds(xy, np.zeros((0, 2), int), 1.3 * d, 0.85 * d, edge=edge, edge_max=TIGHT_BOND * d)
    assert {tuple(sorted(b)) for b in bonds.tolist()} == {(0, 1)}
    # away from the edge the longer pair is a bond too
    bonds = _complete_bonds(xy, np.zeros((0, 2), int), 1.3 * d, 0.85 * d, edge=np.zeros(4, bool),
                            edge_max=TIGHT_BOND * d)
    assert {tuple(sorted(b)) for b in bonds.tolist()} == {(0, 1), (2, 3)}


def test_old_names_stay():
    import glassfail_core.micrograph as mg
    from glassfail_core.micrograph import detection

    assert mg.detect_atoms is mg.detect is detection.detect and mg.detect_steps is detection.detect_steps
