"""The Glass object: construction, validation, derived bonds and coordination."""

import numpy as np
import pytest

from glassfail_core import Glass, StructureError
from glassfail_core.generation import honeycomb


def test_honeycomb_counts_and_coordination():
    g = honeycomb(16, 18, si_si=3.3)
    assert (g.n_si, g.n_o) == (576, 864)
    # The reference study's initial box for 16 × 18 rings at Si–Si 3.3 Å.
    assert g.cell == pytest.approx([91.45, 89.10], abs=0.01)
    assert np.all(g.coordination[g.si_mask] == 3)
    assert np.all(g.coordination[g.o_mask] == 2)
    lengths = np.hypot(*g.bond_vectors().T)
    assert lengths == pytest.approx(1.65, abs=1e-9)


def test_bonds_use_minimum_image(crystal):
    # Shift everything so bonds cross the cell edges: the bond list must not change.
    shifted = crystal.with_positions(crystal.positions + [0.4 * crystal.cell[0], 0.7 * crystal.cell[1]])
    assert np.array_equal(shifted.bonds, crystal.bonds)
    assert len(crystal.bonds) == 3 * crystal.n_si


def test_si_only_network_has_si_si_bonds():
    g = honeycomb(4, 4, oxygen=False)
    assert g.n_o == 0
    assert len(g.bonds) == 3 * g.n_si // 2
    assert np.all(g.coordination == 3)


def test_arrays_are_read_only(crystal):
    with pytest.raises(ValueError):
        crystal.positions[0, 0] = 1.0
    with pytest.raises(ValueError):
        crystal.bonds[0, 0] = 1


def test_replace_keeps_metadata_and_drops_stale_arrays(crystal):
    g = crystal.replace(arrays={"e": np.arange(len(crystal), dtype=float)}, info={"seed": 3})
    assert g.info == {"seed": 3}
    sub = g.subset(g.si_mask)
    assert len(sub) == g.n_si and np.array_equal(sub.arrays["e"], g.arrays["e"][g.si_mask])
    moved = g.with_positions(g.positions + 0.01)
    assert "e" in moved.arrays and moved.info == {"seed": 3}


def test_todict_roundtrip(crystal):
    g = crystal.replace(info={"a": [1, 2], "s": "x"}, arrays={"q": np.ones(len(crystal))})
    h = Glass.fromdict(g.todict())
    assert np.array_equal(h.positions, g.positions)
    assert h.info == g.info and h.pbc == g.pbc
    assert np.array_equal(h.arrays["q"], g.arrays["q"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(positions=[[0, 0], [np.nan, 1]], species=["Si", "O"], cell=(10, 10)), "non-finite"),
        (dict(positions=[[0, 0], [np.inf, 1]], species=["Si", "O"], cell=(10, 10)), "non-finite"),
        (dict(positions=[[0, 0], [2, 1]], species=["Si", "C"], cell=(10, 10)), r"unknown species \['C'\]"),
        (dict(positions=[[0, 0], [2, 1]], species=[14, 6], cell=(10, 10)), r"unknown atomic number"),
        (dict(positions=[[1, 1], [1.3, 1]], species=["Si", "O"], cell=(10, 10)), r"0.3 Å apart, closer than 0.5 Å"),
        # across the periodic boundary
        (dict(positions=[[0.1, 1], [9.8, 1]], species=["Si", "O"], cell=(10, 10)), r"atoms 0 \(Si\) and 1 \(O\)"),
        (dict(positions=[[0, 0], [2, 1]], species=["Si", "O"], cell=[[10, 1], [0, 10]]), "not orthorhombic"),
        (dict(positions=[[0, 0], [2, 1]], species=["Si", "O"], cell=(10, -1)), "finite and positive"),
        (dict(positions=[[0, 0, 0]], species=["Si"], cell=(10, 10)), "3 columns"),
        (dict(positions=[[0, 0]], species=["Si", "O"], cell=(10, 10)), "got 2 species for 1 atoms"),
    ],
)
def test_validation_errors(kwargs, match):
    with pytest.raises(StructureError, match=match):
        Glass(**kwargs)


def test_close_atoms_across_free_boundary_are_fine():
    # Non-periodic: 0.1 and 9.8 are 9.7 Å apart.
    g = Glass([[0.1, 1], [9.8, 1]], ["Si", "O"], cell=(10, 10), pbc=False)
    assert len(g.bonds) == 0
