"""Structure files: exact round-trips, LAMMPS bilayers projected to their top layer, clear errors."""

import warnings

import numpy as np
import pytest

from glassfail_core import GlassfailWarning, StructureFileError, read_structure, write_structure
from glassfail_core.generation import honeycomb

H_SI = 1.62  # height of a layer's Si above the mid-plane (Å)
H_O = 2.15  # height of a layer's in-plane O


def _meta(g):
    return {k: v for k, v in g.info.items() if k != "source"}


@pytest.fixture
def decorated(crystal, rng):
    pos = crystal.positions + rng.normal(0, 0.05, crystal.positions.shape)
    return crystal.replace(
        positions=pos,
        info={"seed": 7, "target_variance": 0.6, "nested": {"p": [0.1, 0.8]}, "note": 'quote " and = sign'},
        arrays={"energy": rng.normal(-5, 1, len(crystal)), "ring_id": np.arange(len(crystal)),
                "edge": rng.random(len(crystal)) > 0.5},
    )


def test_extxyz_roundtrip_is_exact(decorated, tmp_path):
    p = write_structure(decorated, tmp_path / "g.extxyz")
    g = read_structure(p)
    assert np.abs(g.positions - decorated.positions).max() < 1e-9
    assert np.array_equal(g.species, decorated.species)
    assert np.array_equal(g.cell, decorated.cell) and g.pbc == decorated.pbc
    assert _meta(g) == decorated.info
    assert g.info["source"] == {"file": str(p), "format": "extxyz"}
    assert np.abs(g.arrays["energy"] - decorated.arrays["energy"]).max() < 1e-9
    assert np.array_equal(g.arrays["ring_id"], decorated.arrays["ring_id"])
    assert np.array_equal(g.arrays["edge"], decorated.arrays["edge"])
    # Written again, read again: unchanged.
    g2 = read_structure(write_structure(g, tmp_path / "g2.extxyz"))
    assert np.array_equal(g2.positions, g.positions)


def test_extxyz_is_readable_by_ase(decorated, tmp_path):
    import ase.io

    atoms = ase.io.read(write_structure(decorated, tmp_path / "g.extxyz"))
    assert atoms.get_chemical_symbols() == list(decorated.species)
    assert np.allclose(atoms.cell.lengths()[:2], decorated.cell)
    assert list(atoms.pbc) == [True, True, False]


def test_nonperiodic_roundtrip(decorated, tmp_path):
    g0 = decorated.replace(pbc=(False, True))
    g = read_structure(write_structure(g0, tmp_path / "g.extxyz"))
    assert g.pbc == (False, True)


def test_plain_xyz_roundtrip_with_given_cell(decorated, tmp_path):
    p = write_structure(decorated, tmp_path / "g.xyz", format="xyz")
    assert "Lattice" not in p.read_text().splitlines()[1]
    g = read_structure(p, cell=tuple(decorated.cell), pbc=True)
    assert np.abs(g.positions - decorated.positions).max() < 1e-9
    assert np.array_equal(g.species, decorated.species)


def test_plain_xyz_without_cell_warns_and_infers(decorated, tmp_path):
    p = write_structure(decorated, tmp_path / "g.xyz", format="xyz")
    with pytest.warns(GlassfailWarning, match="no cell in the file; inferred a non-periodic"):
        g = read_structure(p)
    assert g.pbc == (False, False) and g.info["cell_inferred"]
    # Relative geometry is kept exactly.
    d = (g.positions - g.positions[0]) - (decorated.positions - decorated.positions[0])
    assert np.abs(d).max() < 1e-9


def test_lammps_data_roundtrip(decorated, tmp_path):
    p = write_structure(decorated, tmp_path / "g.data")
    g = read_structure(p)
    assert np.abs(g.positions - decorated.positions).max() < 1e-9
    assert np.array_equal(g.species, decorated.species)
    assert np.allclose(g.cell, decorated.cell, atol=1e-9) and g.pbc == (True, True)
    assert g.info["lammps_type_map"] == {"1": "Si", "2": "O"}


def _bilayer(glass):
    """A 3D SiO2 bilayer from a 2D glass: top and bottom layers mirrored about z = 0, the bridging O at z = 0
    under every Si (1 per Si), as in the reference study's samples."""
    si, o = glass.positions[glass.si_mask], glass.positions[glass.o_mask]

    def at(xy, z):
        return np.column_stack([xy, np.full(len(xy), z)])

    top = np.concatenate([at(si, H_SI), at(o, H_O)])
    bottom = np.concatenate([at(si, -H_SI), at(o, -H_O)])
    mid = at(si, 0.0)
    pos = np.concatenate([bottom, mid, top])
    types = np.concatenate([[1] * len(si) + [2] * len(o), [2] * len(si), [1] * len(si) + [2] * len(o)])
    return pos, types


def _write_lammps_data(path, pos, types, cell, lo=(-3.0, 5.0, -10.0), masses=True):
    lines = ["LAMMPS data file: SiO2 bilayer (test)", "", f"{len(pos)} atoms", "2 atom types", ""]
    lines += [f"{lo[0]} {lo[0] + cell[0]} xlo xhi", f"{lo[1]} {lo[1] + cell[1]} ylo yhi", f"{lo[2]} {lo[2] + 20} zlo zhi", ""]
    if masses:
        lines += ["Masses", "", "1 28.0855", "2 15.9994", ""]
    lines += ["Atoms # atomic", ""]
    for k, (p, t) in enumerate(zip(pos, types)):
        lines.append(f"{k + 1} {t} {p[0] + lo[0]:.10f} {p[1] + lo[1]:.10f} {p[2]:.10f}")
    path.write_text("\n".join(lines) + "\n")


def _write_lammps_dump(path, pos, types, cell, lo=(-3.0, 5.0, -10.0)):
    lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(pos)), "ITEM: BOX BOUNDS pp pp ff"]
    lines += [f"{lo[0]} {lo[0] + cell[0]}", f"{lo[1]} {lo[1] + cell[1]}", f"{lo[2]} {lo[2] + 20}"]
    lines += ["ITEM: ATOMS id type x y z"]
    order = np.random.default_rng(0).permutation(len(pos))  # dumps are often unsorted
    for k in order:
        p, t = pos[k], types[k]
        lines.append(f"{k + 1} {t} {p[0] + lo[0]:.10f} {p[1] + lo[1]:.10f} {p[2]:.10f}")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("kind", ["data", "data-nomass", "dump"])
def test_lammps_bilayer_projects_to_top_layer(crystal, tmp_path, kind):
    pos, types = _bilayer(crystal)
    assert len(pos) == 2 * len(crystal) + crystal.n_si  # 2 layers + bridging O
    path = tmp_path / ("bilayer.dump" if kind == "dump" else "bilayer.data")
    if kind == "dump":
        _write_lammps_dump(path, pos, types, crystal.cell)
    else:
        _write_lammps_data(path, pos, types, crystal.cell, masses=(kind == "data"))
    g = read_structure(path)
    assert (g.n_si, g.n_o) == (crystal.n_si, crystal.n_o)
    assert np.allclose(g.cell, crystal.cell)
    # Same atoms as the 2D crystal, up to order.
    ref = {(s, round(x, 6), round(y, 6)) for s, (x, y) in zip(crystal.species, crystal.positions)}
    got = {(s, round(x, 6), round(y, 6)) for s, (x, y) in zip(g.species, g.positions)}
    assert got == ref
    proj = g.info["projection"]
    assert proj["layer"] == "top" and proj["n_total"] == len(pos) and proj["n_kept"] == len(crystal)
    assert np.all(g.coordination[g.si_mask] == 3)
    bottom = read_structure(path, layer="bottom")
    assert len(bottom) == len(crystal)
    # Projecting both layers stacks the bridging O onto the Si: a clear error, not a silent overlap.
    with pytest.raises(StructureFileError, match="closer than 0.5 Å"):
        read_structure(path, layer="all")


def test_lammps_type_map_override(crystal, tmp_path):
    pos, types = _bilayer(crystal)
    swapped = np.where(types == 1, 2, 1)  # type 1 = O, type 2 = Si in this file
    path = tmp_path / "swapped.dump"
    _write_lammps_dump(path, pos, swapped, crystal.cell)
    g = read_structure(path, type_map={1: "O", 2: "Si"})
    assert (g.n_si, g.n_o) == (crystal.n_si, crystal.n_o)
    with pytest.raises(StructureFileError, match=r"atom type\(s\) \[1\] not in the type map"):
        read_structure(path, type_map={3: "Si", 2: "O"})


@pytest.mark.parametrize(
    "content, match",
    [
        ("", "the file is empty"),
        ("this is not a structure\n", "unknown structure format"),
        ("3\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3\nSi 0 0 0\n", "not a valid extxyz file"),
        ("2\ncomment\nSi 0 0 0\nXx 1 1 0\n", "not a valid xyz file|unknown species"),
        ("2\ncomment\nSi 0 0 0\nC 5 5 0\n", r"unknown species \['C'\]"),
        ("2\ncomment\nSi 0 0 0\nO 0.1 0 0\n", "closer than 0.5 Å"),
    ],
)
def test_broken_files_give_one_clear_error(tmp_path, content, match):
    p = tmp_path / ("bad.txt" if "unknown structure" in match else "bad.xyz")
    p.write_text(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlassfailWarning)
        with pytest.raises(StructureFileError, match=match) as err:
            read_structure(p)
    assert str(p) in str(err.value) and "\n" not in str(err.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(StructureFileError, match="no such file"):
        read_structure(tmp_path / "nope.extxyz")
    with pytest.raises(StructureFileError, match="is a folder"):
        read_structure(tmp_path)


def test_unwritable_format(crystal, tmp_path):
    with pytest.raises(StructureFileError, match="cannot tell the format"):
        write_structure(crystal, tmp_path / "g.pdf")
    with pytest.raises(StructureFileError, match="cannot write lammps-dump"):
        write_structure(crystal, tmp_path / "g.dump")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_empty_glass_writes_and_reads_back_as_a_clear_error(tmp_path):
    import os

    from glassfail_core import Glass

    g = Glass(np.zeros((0, 2)), [], cell=(10, 10), pbc=False)
    p = write_structure(g, tmp_path / "empty.extxyz")
    assert oct(os.stat(p).st_mode & 0o777) != "0o600"  # usual permissions, not mkstemp's
    with pytest.raises(StructureFileError, match="contains no atoms"):
        read_structure(p)
