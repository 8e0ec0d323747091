"""``explain`` on a shipped structure and a shipped micrograph: every promised file, one CSV row per atom."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from glassfail_core.errors import InputError
from glassfail_core.explain import Explanation, explain, explain_steps
from glassfail_core.explain.figures import FILES, write_explanation
from glassfail_core.io import read_micrograph, read_structure
from glassfail_core.progress import Progress

DATA = Path(__file__).resolve().parents[2] / "sample_data"


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _check_files(expl, files, n_rings):
    for name in FILES:
        assert Path(files[name]).is_file(), name
    atoms = _rows(files["atoms.csv"])
    assert len(atoms) == len(expl.glass)
    assert {"atom", "species", "x", "y", "attribution", "density", "signed"} <= set(atoms[0])
    assert len(_rows(files["rings.csv"])) == n_rings
    with tifffile.TiffFile(files["heatmap.tif"]) as tif:
        heat = tif.asarray()
        meta = json.loads(tif.pages[0].description)
    assert heat.dtype == np.float32 and heat.shape == expl.heatmap.shape
    assert meta["pixel_size"] == pytest.approx(list(expl.pixel_size)) and meta["origin"] == list(expl.origin)
    d = json.loads(Path(files["explanation.json"]).read_text())
    assert d["layer"] == expl.layer and d["prediction"]["failure_strain"]["value"] > -1
    g = read_structure(files["atoms.extxyz"])
    assert np.allclose(g.arrays["attribution_attribution"], expl.atoms["attribution"])


def test_explain_a_structure(tiny_model, tmp_path):
    g = read_structure(DATA / "glass_s2_0.6.extxyz")
    events = []
    job = explain_steps(g, tiny_model, copies=4, variant="abs")
    try:
        while True:
            events.append(next(job))
    except StopIteration as stop:
        expl = stop.value
    assert all(isinstance(e, Progress) for e in events) and events[-1].done == events[-1].total
    assert isinstance(expl, Explanation)
    assert expl.heatmap.shape == (128, 128) and expl.layer == "stage2" and expl.copies == 4
    assert set(expl.maps) == {"relu", "abs", "neg", "signed"}
    assert np.allclose(expl.heatmap, expl.maps["abs"]) and (expl.heatmap >= 0).all()
    # the periodic map is all owned: atoms and rings share it out
    assert expl.atoms["attribution"].sum() == pytest.approx(expl.heatmap.sum())
    assert expl.rings["attribution"].sum() == pytest.approx(expl.heatmap.sum(), rel=0.03)
    truth = {"failure_site": [10.0, 20.0], "first_break_site": [30.0, 40.0]}
    files = write_explanation(expl, tmp_path, truth)
    _check_files(expl, files, len(expl.rings["ring"]))
    assert json.loads(Path(files["explanation.json"]).read_text())["truth"]["failure_site"] == [10.0, 20.0]
    d = expl.to_dict(arrays=True)
    assert len(d["atoms"]["attribution"]) == len(g) and np.array(d["heatmap"]).shape == (128, 128)


def test_explain_a_micrograph(tiny_model, tmp_path):
    m = read_micrograph(DATA / "micrograph_spots.tif")
    expl = explain(m, tiny_model, copies=8, target="max_stress")
    assert expl.copies == 4   # non-periodic: the four flips
    assert expl.prediction.input["kind"] == "micrograph"
    assert expl.image["heatmap"].shape == m.shape and expl.image["pixel_size"] == m.pixel_size
    files = write_explanation(expl, tmp_path)
    _check_files(expl, files, len(expl.rings["ring"]))
    assert Path(files["heatmap_micrograph.tif"]).is_file()


def test_axis_y_transposes_back(tiny_model):
    g = read_structure(DATA / "glass_s2_0.6.extxyz")
    ey = explain(g, tiny_model, copies=1, axis="y")
    assert ey.heatmap.shape == (128, 128) and ey.prediction.input["axis"] == "y"
    assert ey.atoms["attribution"].sum() == pytest.approx(ey.heatmap.sum())


def test_refusals(tiny_model):
    with pytest.raises(InputError, match="variant"):
        explain(DATA / "glass_s2_0.6.extxyz", tiny_model, variant="max")
    with pytest.raises(InputError, match="no target"):
        explain(DATA / "glass_s2_0.6.extxyz", tiny_model, target="toughness", copies=1)
    with pytest.raises(InputError, match="explain takes"):
        explain(42, tiny_model)
