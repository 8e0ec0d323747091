"""The one IO registry: every kind registered, formats found by content then name, one domain error."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from glassfail_core import io
from glassfail_core.errors import InputError
from glassfail_core.generation import honeycomb

DATA = Path(__file__).resolve().parents[2] / "sample_data"


def test_every_kind_is_registered():
    kinds = {f.kind for f in io.formats()}
    assert kinds == {"structure", "micrograph", "run", "rings", "dataset", "model"}
    assert {f.name for f in io.formats("structure")} == {"extxyz", "xyz", "lammps-data", "lammps-dump"}


def test_content_beats_the_extension(tmp_path):
    """An extxyz file named .data is read as extxyz; a TIFF named .png as a TIFF."""
    g = honeycomb(4, 6)
    io.write(g, tmp_path / "g.extxyz")
    shutil.copy(tmp_path / "g.extxyz", tmp_path / "g.data")
    assert io.find_format(tmp_path / "g.data").name == "extxyz"
    back = io.read(tmp_path / "g.data", "structure")
    np.testing.assert_allclose(back.positions, g.positions, atol=1e-9)
    shutil.copy(DATA / "micrograph_spots.tif", tmp_path / "m.png")
    assert io.find_format(tmp_path / "m.png", "micrograph").name == "tiff"


def test_structures_and_micrographs_round_trip(tmp_path):
    g = honeycomb(4, 6)
    for name in ("g.extxyz", "g.data"):
        io.write(g, tmp_path / name)
        assert len(io.read(tmp_path / name)) == len(g)
    m = io.read(DATA / "micrograph_spots.tif")
    io.write(m, tmp_path / "m.tif")
    m2 = io.read(tmp_path / "m.tif", "micrograph")
    assert m2.pixel_size == pytest.approx(m.pixel_size) and m2.image.shape == m.image.shape


def test_run_folder_and_rings_csv(tmp_path):
    from glassfail_core.physics import AQSParams, deform
    from glassfail_core.rings import find_rings

    g = honeycomb(6, 6)
    res = deform(g, AQSParams(step=0.05, refine_step=0.0, max_strain=0.05, platform="NumPy"))
    io.write(res, tmp_path / "run", "run")
    assert io.find_format(tmp_path / "run").name == "run"
    back = io.read(tmp_path / "run")
    np.testing.assert_array_equal(back.strains, res.strains)
    io.write(find_rings(g), tmp_path / "rings.csv", "rings")
    assert (tmp_path / "rings.csv").read_text().count("\n") == 1 + 36


def test_one_error_for_what_cannot_be_told(tmp_path):
    junk = tmp_path / "x.bin"
    junk.write_bytes(b"\x00\x01junk")
    with pytest.raises(io.UnknownFormatError, match="x.bin"):
        io.read(junk)
    with pytest.raises(InputError, match="not a folder glassfail reads"):
        io.read(tmp_path)
    with pytest.raises(InputError, match="cannot write Digital Micrograph"):
        io.find_format(tmp_path / "a.dm3", for_writing=True, format="dm").function("write")
