"""Readers, writer and layer conversions through a real napari viewer."""

import numpy as np
import pytest

from glassfail_core.colors import SPECIES_COLORS
from glassfail_core.errors import InputError
from glassfail_core.io import read_structure, write_structure

PLUGIN = "napari-glassfail"

pytestmark = pytest.mark.gui


def _open(viewer, path):
    return viewer.open(str(path), plugin=PLUGIN)


@pytest.mark.parametrize("fmt,suffix", [("extxyz", ".extxyz"), ("lammps-data", ".data"), ("xyz", ".xyz")])
def test_reader_layers(make_napari_viewer, small_glass, tmp_path, by_role, monkeypatch, fmt, suffix):
    import napari.utils.notifications as notifications

    path = tmp_path / f"glass{suffix}"
    write_structure(small_glass, path, format=fmt)
    viewer = make_napari_viewer()
    shown = []
    monkeypatch.setattr(notifications, "show_warning", shown.append)
    layers = _open(viewer, path)
    # the reader's warnings (a plain XYZ has no cell: it is inferred) reach the user as notifications (issue 17)
    assert bool(shown) == (fmt == "xyz") and all("\n" not in m for m in shown)
    if fmt == "xyz":
        assert any("cell" in m for m in shown)
    roles = by_role(layers)
    assert {"Si", "O", "cell"} <= set(roles)
    si, o = roles["Si"], roles["O"]
    assert len(si.data) == 32 and len(o.data) == 48
    # Si drawn larger than O, species colours from the product's fixed map.
    assert float(np.mean(si.size)) > float(np.mean(o.size))
    np.testing.assert_allclose(si.face_color[0], SPECIES_COLORS["Si"])
    np.testing.assert_allclose(o.face_color[0], SPECIES_COLORS["O"])
    # (y, x) in napari; in Å (units), positions equal the file's (wrapped) positions.
    glass = read_structure(path)
    np.testing.assert_allclose(si.data[:, ::-1], glass.wrapped_positions()[glass.si_mask], atol=1e-8)
    assert str(si.units[0]) == "angstrom"
    # The cell outline spans the cell.
    rect = roles["cell"].data[0]
    np.testing.assert_allclose(rect.max(axis=0) - rect.min(axis=0), glass.cell[::-1], atol=1e-9)
    if fmt == "extxyz":
        np.testing.assert_allclose(si.features["energy"], small_glass.arrays["energy"][small_glass.si_mask])


def test_round_trip_through_writer(make_napari_viewer, small_glass, tmp_path, by_role):
    """Open → save the Si/O layers with the plugin's writer → read back: identical structure."""
    path = tmp_path / "in.extxyz"
    write_structure(small_glass, path)
    viewer = make_napari_viewer()
    roles = by_role(_open(viewer, path))
    out = tmp_path / "out.extxyz"
    viewer.layers.selection = {roles["Si"], roles["O"]}
    written = viewer.layers.save(str(out), selected=True, plugin=PLUGIN)
    assert written == [str(out)]
    back = read_structure(out)
    np.testing.assert_allclose(back.positions, small_glass.positions, atol=1e-9)
    assert back.species.tolist() == small_glass.species.tolist()
    np.testing.assert_allclose(back.cell, small_glass.cell)
    assert back.pbc == small_glass.pbc and back.info["seed"] == 7
    np.testing.assert_allclose(back.arrays["energy"], small_glass.arrays["energy"])


def test_edits_are_saved(make_napari_viewer, small_glass, tmp_path, by_role):
    """Moved, deleted and added points are what gets written."""
    from napari_glassfail._layers import glass_from_layers

    path = tmp_path / "in.extxyz"
    write_structure(small_glass, path)
    viewer = make_napari_viewer()
    roles = by_role(_open(viewer, path))
    si, o = roles["Si"], roles["O"]
    assert glass_from_layers(si, viewer.layers) is si.metadata["glassfail"]["glass"]  # untouched: same object
    # Move Si atom 0 by +0.5 Å in x, delete the last O, add one Si.
    data = np.array(si.data)
    data[0, 1] += 0.5
    si.data = data
    o.selected_data = {len(o.data) - 1}
    o.remove_selected()
    si.add(np.array([[1.0, 2.0]]))
    with pytest.warns(UserWarning, match="tag"):
        g = glass_from_layers(si, viewer.layers)
    assert (g.n_si, g.n_o) == (33, 47)
    atom0 = int(si.features["atom"][0])
    np.testing.assert_allclose(g.positions[atom0, 0] - small_glass.wrapped_positions()[atom0, 0], 0.5, atol=1e-9)
    np.testing.assert_allclose(g.positions[-1], [2.0, 1.0])  # the added Si, (x, y)
    assert g.species[-1] == "Si"
    assert np.isnan(g.arrays["energy"][-1]) and "tag" not in g.arrays  # int data cannot be extended
    assert g.info["edited"] is True
    # napari copies the selected point's features to the next added one: the copy must become a new atom.
    o.selected_data = {0}
    o.add(np.array([[3.0, 4.0]]))
    assert o.features["atom"].iloc[-1] == o.features["atom"].iloc[0]
    with pytest.warns(UserWarning, match="tag"):
        g2 = glass_from_layers(si, viewer.layers)
    assert (g2.n_si, g2.n_o) == (33, 48)
    np.testing.assert_allclose(g2.positions[-1], [4.0, 3.0])
    out = tmp_path / "edited.extxyz"
    from napari_glassfail._writer import write_structure_layers

    with pytest.warns(UserWarning, match="tag"):
        write_structure_layers(str(out), [lay.as_layer_data_tuple() for lay in (si, o)])
    back = read_structure(out)
    assert len(back) == 81
    np.testing.assert_allclose(back.positions, g2.positions, atol=1e-9)


def test_writer_refuses_foreign_layers(tmp_path):
    from napari_glassfail._writer import write_structure_layers

    with pytest.raises(InputError, match="Si/O points"):
        write_structure_layers(str(tmp_path / "x.extxyz"), [(np.zeros((2, 2)), {"name": "p"}, "points")])


def test_reader_declines_other_files(tmp_path):
    from napari_glassfail._reader import get_micrograph_reader, get_structure_reader

    junk = tmp_path / "table.data"
    junk.write_text("hello world\n1 2 3\n")
    assert get_structure_reader(str(junk)) is None
    assert get_structure_reader(str(tmp_path / "missing.extxyz")) is None
    assert get_micrograph_reader(str(tmp_path / "image.tif")) is None


def test_reader_error_is_one_line(small_glass, tmp_path):
    from glassfail_core.errors import StructureFileError
    from napari_glassfail._reader import get_structure_reader

    bad = tmp_path / "bad.extxyz"
    bad.write_text("3\nLattice=\"1 0 0 0 1 0 0 0 1\"\nSi 0 0\n")
    reader = get_structure_reader(str(bad))
    with pytest.raises(StructureFileError, match="bad.extxyz"):
        reader(str(bad))


def test_rings_layer_colours(make_napari_viewer, small_glass, tmp_path, by_role):
    """With the ring module: a Shapes layer of 16 hexagons in the 6-ring colour, and ring features on atoms.

    Rings crossing the periodic edges are cut there and drawn inside the cell, each piece once (issue 17): the
    pieces tile the cell exactly, nothing sticks out."""
    from glassfail_core.colors import ring_color
    from napari_glassfail._layers.rings import polygon_area

    path = tmp_path / "g.extxyz"
    write_structure(small_glass, path)
    viewer = make_napari_viewer()
    roles = by_role(_open(viewer, path))
    rings = roles["rings"]
    assert len(set(rings.features["ring"])) == 16
    assert set(rings.features["size"]) == {6}
    np.testing.assert_allclose(rings.face_color[:, :3], np.tile(ring_color(6)[:3], (len(rings.data), 1)))
    whole = [p for p, r in zip(rings.data, rings.features["ring"]) if (rings.features["ring"] == r).sum() == 1]
    # 6 Si + 6 O around each ring; an O on the straight line between its Si is left out of the drawn outline
    assert whole and all(6 <= len(p) <= 12 for p in whole)
    areas = rings.features["area"][[(rings.features["ring"] == r).sum() == 1 for r in rings.features["ring"]]]
    np.testing.assert_allclose([polygon_area(p) for p in whole], areas, rtol=0.02)
    glass = read_structure(path)
    ext = np.concatenate(rings.data)[:, ::-1]
    assert ext.min() >= -1e-5 and (ext <= glass.cell + 1e-4).all()
    assert sum(polygon_area(p) for p in rings.data) == pytest.approx(glass.cell[0] * glass.cell[1], rel=1e-5)
    np.testing.assert_allclose(roles["Si"].features["ring_mean"], 6.0)
    assert (roles["Si"].features["n_rings"] == 3).all()


def test_dm3_micrograph_opens_with_scale_in_angstrom(make_napari_viewer, tmp_path):
    """A Gatan dm3 file (written by the micrograph tests' minimal writer) → an Image layer in Å."""
    from tests.micrograph.dm3_writer import write_dm3

    image = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    path = tmp_path / "scan.dm3"
    write_dm3(path, image, scale=0.025, units="nm")  # 0.25 Å/px
    viewer = make_napari_viewer()
    (layer,) = viewer.open(str(path), plugin=PLUGIN)
    np.testing.assert_allclose(layer.data, image)
    np.testing.assert_allclose(layer.scale, [0.25, 0.25])
    assert str(layer.units[0]) == "angstrom"
    # Pixel centres: pixel (0, 0) covers [0, 0.25) Å, so its centre is at 0.125 Å.
    np.testing.assert_allclose(layer.data_to_world([0, 0]), [0.125, 0.125])


def _drop(viewer, path):
    """Drop one file on the canvas as a file manager would: a real QDropEvent with a file URL."""
    from qtpy.QtCore import QMimeData, QPointF, Qt, QUrl
    from qtpy.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    viewer.window._qt_viewer.dropEvent(event)


@pytest.mark.parametrize("kind", ["extxyz", "lammps-data", "lammps-dump", "dm3", "tif"])
def test_drag_and_drop(make_napari_viewer, small_glass, tmp_path, by_role, monkeypatch, kind):
    """Dropped files open without a reader-choice dialog: structures as Si/O/rings/cell layers from this plugin,
    microscope files as an Image in Å, tif with napari's own reader (this plugin does not claim it)."""
    import napari._qt.qt_viewer as qt_viewer

    def no_dialog(*args, **kwargs):  # napari falls back to this when readers compete or a reader fails
        raise AssertionError(f"reader dialog would open for {args[0]}")

    monkeypatch.setattr(qt_viewer, "handle_gui_reading", no_dialog)
    viewer = make_napari_viewer()
    if kind in ("extxyz", "lammps-data"):
        path = tmp_path / ("g.extxyz" if kind == "extxyz" else "g.data")
        write_structure(small_glass, path, format=kind)
    elif kind == "lammps-dump":
        from tests.test_io import _bilayer, _write_lammps_dump

        path = tmp_path / "bilayer.dump"
        _write_lammps_dump(path, *_bilayer(small_glass), small_glass.cell)
    elif kind == "dm3":
        from tests.micrograph.dm3_writer import write_dm3

        path = tmp_path / "scan.dm3"
        write_dm3(path, np.random.default_rng(0).random((40, 50)).astype(np.float32), scale=0.025, units="nm")
    else:
        import tifffile

        path = tmp_path / "scan.tif"
        tifffile.imwrite(path, np.random.default_rng(0).random((40, 50)).astype(np.float32))
    _drop(viewer, path)
    if kind in ("dm3", "tif"):
        (layer,) = viewer.layers
        assert layer._type_string == "image" and layer.data.shape == (40, 50)
        if kind == "dm3":
            np.testing.assert_allclose(layer.scale, [0.25, 0.25])
        return
    roles = by_role(viewer.layers)
    assert {"Si", "O", "cell"} <= set(roles)
    assert (len(roles["Si"].data), len(roles["O"].data)) == (32, 48)
    assert "rings" in roles
    assert len(set(roles["rings"].features["ring"])) == 16
