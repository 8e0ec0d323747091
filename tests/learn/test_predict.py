"""``predict`` on a shipped structure and a shipped micrograph: the promised fields, in the input's frame."""

import json
from pathlib import Path

import numpy as np
import pytest

from glassfail_core.cli.main import main
from glassfail_core.errors import InputError
from glassfail_core.io import read_structure
from glassfail_core.learn.checkpoint import load_model
from glassfail_core.learn.predict import Prediction, predict

DATA = Path(__file__).resolve().parents[2] / "sample_data"
KEYS = {"failure_strain", "first_break_strain", "max_stress", "failure_site", "first_break_site", "failure_sites",
        "first_break_sites", "warnings", "model"}


def _check(p: Prediction, extent):
    for k in ("failure_strain", "first_break_strain", "max_stress"):
        v = getattr(p, k)
        assert set(v) >= {"value", "low", "high"} and v["low"] <= v["value"] <= v["high"]
    assert "N_per_m" in p.max_stress
    for site, tops in ((p.failure_site, p.failure_sites), (p.first_break_site, p.first_break_sites)):
        assert len(site) == 2 and tops[0]["xy"] == site and len(tops) == 3
        assert all(0 <= t["probability"] <= 1 for t in tops)
        assert -1 <= site[0] <= extent[0] + 1 and -1 <= site[1] <= extent[1] + 1
    assert {"crack", "first_break"} == set(p.maps) and all(abs(m.sum() - 1) < 1e-4 for m in p.maps.values())
    assert p.model["sha256"] and p.model["name"]


def test_predict_on_a_structure(tiny_model):
    g = read_structure(DATA / "glass_s2_0.6.extxyz")
    p = predict(g, tiny_model[0])
    _check(p, g.cell)
    assert p.region is not None  # larger than the 6 × 6-ring training cells: the weakest region
    q = predict(g, tiny_model[0], axis="y")  # a transpose: sites come back in the input's frame
    _check(q, g.cell)


def test_predict_on_a_micrograph(tiny_model):
    from glassfail_core.io import read_micrograph

    m = read_micrograph(DATA / "micrograph_spots.tif")
    p = predict(m, tiny_model[0])
    _check(p, m.extent)
    assert p.input["kind"] == "micrograph" and any("non-periodic" in w for w in p.warnings)


def test_cli_json_has_the_promised_keys(tiny_model, tmp_path, capsys):
    out = tmp_path / "maps.tif"
    with pytest.raises(SystemExit) as ex:
        main(["predict", str(DATA / "glass_s2_0.6.extxyz"), "--model", str(tiny_model[0]), "--json", "--map",
              str(out)])
    assert ex.value.code == 0
    d = json.loads(capsys.readouterr().out)
    assert KEYS <= set(d) and set(d["failure_strain"]) >= {"value", "low", "high"}
    import tifffile

    maps = tifffile.imread(out)
    assert maps.shape[0] == 2 and np.isclose(maps[0].sum(), 1, atol=1e-3)


def test_bad_inputs(tiny_model, tmp_path, capsys):
    with pytest.raises(InputError, match="Glass, a Micrograph"):
        predict(42, tiny_model[0])
    with pytest.raises(InputError, match="90°"):
        predict(read_structure(DATA / "glass_s2_0.6.extxyz"), tiny_model[0], angle=30)
    with pytest.raises(SystemExit) as ex:
        main(["predict", str(DATA / "glass_s2_0.6.extxyz"), "--model", str(tmp_path)])
    assert ex.value.code == 2 and "not a glassfail model" in capsys.readouterr().err


def test_direct_input_keeps_the_micrograph_frame():
    from glassfail_core.learn.predict import direct_input
    from glassfail_core.micrograph import Micrograph

    img = np.zeros((100, 150))
    img[40, 90] = 1.0  # a bright pixel centred at x = 90.5·0.32, y = 40.5·0.32 Å (+ origin)
    m = Micrograph(img, pixel_size=0.32, origin=(5.0, -3.0))
    out, fr = direct_input(m, {"pixel_size": 0.64, "stride": 16})
    assert out.shape[0] % 16 == 0 and out.shape[1] % 16 == 0 and out.shape == (64, 80)
    assert fr.valid == pytest.approx((5.0, -3.0, 5.0 + 150 * 0.32, -3.0 + 100 * 0.32))
    r, c = np.unravel_index(np.argmax(out), out.shape)
    xy = fr.px_to_xy(np.array([r, c]))
    assert np.allclose(xy, (5.0 + 90.5 * 0.32, -3.0 + 40.5 * 0.32), atol=0.65)


def test_predict_direct_on_a_micrograph(tiny_model):
    from glassfail_core.io import read_micrograph

    m = read_micrograph(DATA / "micrograph_spots.tif")
    p = predict(m, tiny_model[0], direct=True)
    _check(p, m.extent)
    assert p.input["mode"] == "direct" and any("direct" in w for w in p.warnings)
    with pytest.raises(InputError, match="micrographs only"):
        predict(read_structure(DATA / "crystal_8x8.extxyz"), tiny_model[0], direct=True)


def test_linear_response_first_break_site(tiny_model):
    # On the shipped glass the indicator is the bond that breaks first under AQS along x (ε = 0.0155, the demo's
    # simulation: site (35.7, 29.1) Å); the same bond, at −44°, is also the most stretched along y.
    g = read_structure(DATA / "glass_s2_0.6.extxyz")
    p = predict(g, tiny_model[0], linear_response=True)
    assert p.linear_response_site == pytest.approx([35.717, 29.084], abs=2e-3)
    assert p.to_dict()["linear_response_site"] == p.linear_response_site
    # and the strain: the model's line (fitted on its training split) at the first bond's linear-response strain
    fit = load_model(tiny_model[0]).config["linear_response"]
    assert fit["n_fit"] >= 3 and fit["n_calibration"] >= 1 and fit["slope"] > 0
    est = p.linear_response_strain
    assert est["value"] == pytest.approx(fit["slope"] * 0.20788 + fit["intercept"], abs=1e-4)
    assert est["low"] <= est["value"] <= est["high"] and p.to_dict()["linear_response_strain"] == est
    plain = predict(g, tiny_model[0])
    assert plain.linear_response_site is None and plain.linear_response_strain is None
    from glassfail_core.io import read_micrograph

    with pytest.raises(InputError, match="periodic along the load"):
        predict(read_micrograph(DATA / "micrograph_spots.tif"), tiny_model[0], linear_response=True)
