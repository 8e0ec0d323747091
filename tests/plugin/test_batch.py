"""The Batch folder widget: three good files and a broken one, stopped mid-way and resumed without redoing finished
files; the table, the summary plot, and a row opening its file's layers."""

import shutil
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
DATA = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("crystal_8x8.extxyz", "stone_wales_8x8.extxyz", "micrograph_spots.tif"):
        shutil.copy(DATA / name, d / name)
    (d / "broken.extxyz").write_text("3\nLattice=\"1 0 0 0 1 0 0 0 1\"\nSi 0 0\n")
    return d


def _widget(viewer, folder, model, out):
    from napari_glassfail._widgets.batch import BatchWidget

    w = BatchWidget(viewer)
    viewer.window.add_dock_widget(w)
    assert not w.run_button.enabled and "choose a folder" in w.status.value
    w.folder.value = str(folder)
    w.out_dir.value = str(out)
    w.model.set_folder(model)
    assert w.run_button.enabled
    return w


def test_batch_stops_and_resumes(make_napari_viewer, folder, plugin_model, tmp_path, wait_for_worker, monkeypatch):
    import importlib

    batch_mod = importlib.import_module("glassfail_core.workflows.batch")  # the package re-exports batch()

    viewer = make_napari_viewer()
    out = tmp_path / "out"
    w = _widget(viewer, folder, plugin_model, out)
    calls = []
    original = batch_mod.process_file

    def recorded(path, rel, *args, **kwargs):
        calls.append(rel)
        row = original(path, rel, *args, **kwargs)
        if len(calls) == 2 and stop_early:
            w.runner.cancel()  # "Cancel" pressed while the second file is in hand
        return row

    monkeypatch.setattr(batch_mod, "process_file", recorded)
    stop_early = True
    assert w.start() is not None
    wait_for_worker(w)
    assert w.result is None and w.status.value.startswith("stopped with")
    first = list(calls)
    assert len(first) == 2 and len(w.rows) == 2  # stopped after the file in hand; the table keeps both rows
    assert (out / "batch.csv").is_file()
    stop_early = False
    calls.clear()
    w.start()
    wait_for_worker(w)
    s = w.result
    assert s is not None, w.status.value
    done_before = [f for f in first if f != "broken.extxyz"]
    assert not set(calls) & set(done_before)  # finished files are not redone
    assert (s.total, s.kept, s.done + s.kept, s.failed) == (4, len(done_before), 3, 1)
    rows = {r["file"]: r for r in w.rows}
    assert len(rows) == 4 and rows["broken.extxyz"]["status"] == "failed" and rows["broken.extxyz"]["error"]
    assert "\n" not in rows["broken.extxyz"]["error"]
    assert all(rows[f]["status"] == "ok" and rows[f]["failure_strain"] for f in rows if f != "broken.extxyz")
    assert rows["micrograph_spots.tif"]["kind"] == "micrograph"
    # the dock: the table and the summary plot (one point per predicted file with its μ2)
    assert len(w.table.value["data"]) == 4
    assert w.plot.xy.shape == (3, 2)
    np.testing.assert_allclose(sorted(w.plot.xy[:, 0]), sorted(float(rows[f]["mu2"]) for f in rows
                                                                if f != "broken.extxyz"))
    # a click on a row opens that file's layers: the micrograph (calibrated), its atoms and its site map
    index = [r["file"] for r in w.rows].index("micrograph_spots.tif")
    w.table.native.cellClicked.emit(index, 0)
    names = [lay.name for lay in viewer.layers]
    img = viewer.layers["micrograph_spots"]
    assert img.scale[-1] == pytest.approx(0.25)
    assert any(n.endswith(" Si") for n in names)
    maps = [lay for lay in viewer.layers if lay.name.endswith("failure site probability")]
    assert len(maps) == 1 and np.ptp(maps[0].data) > 0 and str(maps[0].units[0]) == "angstrom"


def test_batch_error_is_a_notification(make_napari_viewer, folder, tmp_path, monkeypatch, wait_for_worker):
    """A pattern that matches nothing: the core's one-line message, no table."""
    from napari_glassfail._widgets import _base
    from napari_glassfail._widgets.batch import BatchWidget

    shown = []
    monkeypatch.setattr(_base, "notify_error", lambda exc: shown.append(exc))
    viewer = make_napari_viewer()
    w = BatchWidget(viewer)
    w.folder.value = str(folder)
    w.pattern.value = "*.dm4"
    w.predict.value = False
    w.start()
    wait_for_worker(w)
    assert len(shown) == 1 and "matches" in str(shown[0]) and w.status.value.startswith("failed:")


def test_a_row_naming_a_file_outside_its_folders_is_refused(make_napari_viewer, folder, tmp_path):
    # batch.csv is a file users edit: its names must not open files elsewhere (nothing is opened, one message)
    from glassfail_core.errors import InputError
    from napari_glassfail._widgets.batch import open_row

    viewer = make_napari_viewer()
    out = tmp_path / "out"
    out.mkdir()
    for row, what in (({"file": "../../etc/passwd"}, "file of batch.csv"),
                      ({"file": "crystal_8x8.extxyz", "atoms_file": "/etc/hosts"}, "atoms_file of batch.csv"),
                      ({"file": "crystal_8x8.extxyz", "maps_file": "../x.npz"}, "maps_file of batch.csv")):
        with pytest.raises(InputError, match=what):
            open_row(viewer, folder, out, row)
        if what.startswith("file "):
            assert len(viewer.layers) == 0  # nothing opened
