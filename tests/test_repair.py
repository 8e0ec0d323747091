"""Network repair on small hand-made networks: bridging O at Si–Si midpoints (also across a periodic edge), dangling
atoms removed, the largest piece kept."""

import numpy as np
import pytest

from glassfail_core.errors import InputError
from glassfail_core.generation import honeycomb
from glassfail_core.generation.shapes import remove_dangling
from glassfail_core.glass import Glass
from glassfail_core.repair import (RepairLog, add_bridging_oxygen, bridge_midpoints, largest_piece, overlap_pairs,
                                   repair_network)

D = 3.05  # Si–Si


def _ring(n, centre=(0.0, 0.0), oxygen=True):
    """A regular n-ring of Si (side D) around ``centre``, with an O at the middle of every side."""
    r = D / (2 * np.sin(np.pi / n))
    a = 2 * np.pi * np.arange(n) / n
    si = np.asarray(centre) + r * np.stack([np.cos(a), np.sin(a)], axis=1)
    if not oxygen:
        return si, []
    o = 0.5 * (si + np.roll(si, -1, axis=0))
    return np.vstack([si, o]), ["Si"] * n + ["O"] * n


def test_si_only_piece_gets_bridging_oxygen_at_the_midpoints():
    si, _ = _ring(6, centre=(10.0, 10.0), oxygen=False)
    si = np.vstack([si, si[0] + [D, 0.0]])  # a branch: 7 Si, 7 Si–Si bonds
    g = Glass(si, ["Si"] * 7, cell=(25.0, 25.0), pbc=(False, False), arrays={"confidence": np.linspace(0.5, 1, 7)})
    out, n = add_bridging_oxygen(g)
    assert n == len(g.bonds) == 7 and out.n_o == 7 and out.positions[:7].tolist() == si.tolist()
    b = g.bonds
    np.testing.assert_array_equal(out.positions[7:], 0.5 * (si[b[:, 0]] + si[b[:, 1]]))
    assert out.arrays["inferred"].tolist() == [False] * 7 + [True] * 7
    conf = g.arrays["confidence"]
    np.testing.assert_array_equal(out.arrays["confidence"][7:], np.minimum(conf[b[:, 0]], conf[b[:, 1]]))
    assert set(out.coordination[out.o_mask]) == {2}
    with pytest.raises(InputError, match="no Si–Si bonds"):
        add_bridging_oxygen(Glass([[1.0, 1.0], [8.0, 8.0]], ["Si", "Si"], cell=(10, 10), pbc=(False, False)))


def test_bridging_oxygen_across_a_periodic_edge():
    # two Si 3 Å apart through the x edge: the O sits on the edge (wrapped), not in the middle of the cell
    g = Glass([[1.5, 5.0], [8.5, 5.0]], ["Si", "Si"], cell=(10.0, 10.0), pbc=(True, False))
    out, n = add_bridging_oxygen(g)
    assert n == 1 and out.positions[2].tolist() == [0.0, 5.0]
    assert bridge_midpoints(g.positions, [[0, 1]], g.cell, (False, False)).tolist() == [[5.0, 5.0]]
    assert bridge_midpoints(np.array([[9.5, 9.0], [1.5, 1.0]]), [[0, 1]], (10.0, 10.0), (True, True)).tolist() \
        == [[0.5, 0.0]]
    # a periodic Si-only crystal gets exactly the crystal's O (as a set), many of them across the cell edges
    si_only, crystal = honeycomb(2, 2, oxygen=False), honeycomb(2, 2)
    out, n = add_bridging_oxygen(si_only)
    assert n == crystal.n_o == 12
    o_new, o_ref = out.positions[out.o_mask], crystal.positions[crystal.o_mask]
    d = np.hypot(*(o_new[:, None, :] - o_ref[None, :, :]).transpose(2, 0, 1))
    assert d.min(axis=1).max() < 1e-12 and len(set(d.argmin(axis=1).tolist())) == 12
    assert ((o_new >= 0) & (o_new < crystal.cell)).all()


def test_midpoints_on_free_axes_are_the_plain_average():
    """Bit for bit ``½·(a + b)`` without periodicity (what detection places at bonds without an O spot)."""
    rng = np.random.default_rng(0)
    p = rng.uniform(-50.0, 120.0, (40, 2))
    pairs = rng.integers(0, 40, (30, 2))
    np.testing.assert_array_equal(bridge_midpoints(p, pairs, (70.0, 70.0), (False, False)),
                                  0.5 * (p[pairs[:, 0]] + p[pairs[:, 1]]))
    assert bridge_midpoints(p, np.zeros((0, 2), int), (70.0, 70.0), (True, True)).shape == (0, 2)


def test_dangling_oxygen_is_removed():
    pos, sp = _ring(6, centre=(12.0, 12.0))
    out_dir = (pos[0] - [12.0, 12.0]) / np.hypot(*(pos[0] - [12.0, 12.0]))
    g = Glass(np.vstack([pos, pos[0] + 1.6 * out_dir]), sp + ["O"], cell=(30.0, 30.0), pbc=(False, False))
    out, log = repair_network(g)
    assert len(out) == 12 and log.removed == {"dangling": 1} and log.filled == 0
    assert log.atoms == [{"index": 12, "species": "O", "x": round(float(g.positions[12, 0]), 3),
                          "y": round(float(g.positions[12, 1]), 3), "reason": "dangling"}]
    assert out.arrays["source_index"].tolist() == list(range(12))
    assert log.removed_text() == "1 dangling"


def test_of_two_pieces_the_larger_is_kept():
    hexa, sp6 = _ring(6, centre=(10.0, 10.0))
    square, sp4 = _ring(4, centre=(30.0, 30.0))
    g = Glass(np.vstack([square, hexa]), sp4 + sp6, cell=(45.0, 45.0), pbc=(False, False))
    out, log = repair_network(g)
    assert log.removed == {"fragment": 8} and out.arrays["source_index"].tolist() == list(range(8, 20))
    assert {a["reason"] for a in log.atoms} == {"fragment"}
    # the same helper trims cut shapes
    kept = remove_dangling(g)
    assert len(kept) == 12 and np.array_equal(kept.positions, hexa)
    # the helper itself: the largest piece, the first one on a tie, everything without bonds
    assert largest_piece(6, [[0, 1], [2, 3], [3, 4]]).tolist() == [False, False, True, True, True, False]
    assert largest_piece(4, [[0, 1], [2, 3]]).tolist() == [True, True, False, False]
    assert largest_piece(3, np.zeros((0, 2), int)).all() and largest_piece(0, []).shape == (0,)


def test_overlapping_spot_removed():
    pos, sp = _ring(6, centre=(12.0, 12.0))
    log = RepairLog()
    out_dir = (pos[6] - [12.0, 12.0]) / np.hypot(*(pos[6] - [12.0, 12.0]))  # the same O seen twice, 0.8 Å apart
    g = Glass(np.vstack([pos, pos[6] + 0.8 * out_dir]), sp + ["O"], cell=(30.0, 30.0), pbc=(False, False),
              arrays={"confidence": np.r_[np.ones(12), 0.2]})
    assert overlap_pairs(g)[0].tolist() == [6] and overlap_pairs(g)[1].tolist() == [12]
    out, same_log = repair_network(g, log=log)
    assert same_log is log and log.removed == {"overlap": 1} and log.atoms[0]["index"] == 12 and len(out) == 12
    with pytest.raises(InputError, match="Glass"):
        repair_network(pos)
