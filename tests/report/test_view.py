"""``glassfail view``: the plugin's layers for a demo report, a structure and a micrograph; the command builds a
viewer with them (``napari.run`` replaced, so nothing waits for a user)."""

from pathlib import Path

import numpy as np
import pytest

from glassfail_core.cli.main import main
from glassfail_core.cli.view import GAP, resolve_target, view_layers
from glassfail_core.report.job import SAMPLE_DIRS

pytest.importorskip("napari")


def _roles(layers):
    return [kw["metadata"]["glassfail"]["role"] for _, kw, _ in layers if "glassfail" in kw.get("metadata", {})]


def test_a_report_opens_as_the_glass_and_the_micrograph_with_their_maps_and_sites(quick_demo):
    out = quick_demo[0]
    layers = view_layers(out)
    roles = _roles(layers)
    for role in ("cell", "rings", "Si", "O", "map_failure", "map_first-break", "heatmap", "predicted_sites",
                 "simulated_sites", "micrograph"):
        assert role in roles, role
    assert roles.count("predicted_sites") == 2 and roles.count("Si") == 2  # the glass and the micrograph's atoms
    assert view_layers(out / "report.json")[0][1]["name"] == layers[0][1]["name"]
    sim = next(d for d, kw, _ in layers if kw["metadata"]["glassfail"]["role"] == "simulated_sites")
    assert len(sim) == 2
    image = next(kw for _, kw, kind in layers if kind == "image" and kw["name"] == "micrograph")
    cell = next(kw for _, kw, _ in layers if kw["metadata"]["glassfail"]["role"] == "cell")
    assert image["translate"][1] > GAP and cell.get("translate") is None  # the micrograph beside the glass


def test_a_structure_and_a_micrograph_open_with_the_plugins_readers():
    glass = next(d / "glass_8x8_s2_0.6.extxyz" for d in SAMPLE_DIRS if (d / "glass_8x8_s2_0.6.extxyz").is_file())
    assert {"cell", "rings", "Si", "O"} <= set(_roles(view_layers(glass)))
    tif = glass.parent / "micrograph_spots.tif"
    (data, kwargs, kind), = view_layers(tif)
    assert kind == "image" and np.isclose(kwargs["scale"][0], 0.25)


def test_without_a_file_it_opens_demo_out_or_the_shipped_glass(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_target(None).name == "glass_s2_0.6.extxyz"
    (tmp_path / "demo_out").mkdir()
    (tmp_path / "demo_out" / "report.json").write_text("{}")
    assert resolve_target(None) == Path("demo_out")


@pytest.mark.gui
def test_the_command_builds_a_viewer_with_the_layers(quick_demo, make_napari_viewer, monkeypatch, capsys):
    import napari

    made, ran = [], []
    monkeypatch.setattr(napari, "Viewer", lambda **kw: made.append(make_napari_viewer(show=False, **kw)) or made[-1])
    monkeypatch.setattr(napari, "run", lambda *a, **k: ran.append(True))
    with pytest.raises(SystemExit) as exc:
        main(["view", str(quick_demo[0])])
    assert exc.value.code == 0, capsys.readouterr().err
    assert ran == [True] and len(made) == 1
    viewer = made[0]
    assert len(viewer.layers) == len(view_layers(quick_demo[0]))
    assert {"glass failure site probability", "micrograph Grad-CAM failure strain"} <= {ly.name for ly in
                                                                                         viewer.layers}


def test_a_folder_without_a_report_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["view", str(tmp_path)])
    assert exc.value.code == 2 and "report.json" in capsys.readouterr().err
