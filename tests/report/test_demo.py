"""``glassfail demo --quick``: every stage timed, the JSON's numbers finite, the page's files present, and the page
loaded by a headless Chromium (from Debian's packages; ``make sysdeps`` installs it) without errors and not blank."""

import json
import math
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from glassfail_core.report import STAGES
from glassfail_core.report.html import render
from glassfail_core.report.job import _clear_simulation
from glassfail_core.report.numbers import finite


def _report(out: Path) -> dict:
    def refuse(name):
        raise AssertionError(f"non-finite constant {name} in report.json")

    return json.loads((out / "report.json").read_text(encoding="utf-8"), parse_constant=refuse)


def _numbers(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


def _get(d, dotted):
    for k in dotted.split("."):
        d = d[k]
    return d


EXPECTED = [
    "glass.n_atoms", "glass.rings.n_rings", "glass.rings.mu2",
    "prediction.failure_strain.value", "prediction.failure_strain.low", "prediction.failure_strain.high",
    "prediction.first_break_strain.value", "prediction.first_break_strain.low", "prediction.max_stress.value",
    "simulation.failure_strain", "simulation.first_break_strain", "simulation.max_stress", "simulation.n_points",
    "comparison.chance_distance_A", "micrograph.n_atoms", "micrograph.rings.n_rings",
    "micrograph.accuracy.Si.recall", "micrograph.prediction.failure_strain.value", "model.test_metrics.n",
    "timings.total_s",
]


def test_every_stage_is_one_line_with_its_time(quick_demo):
    out, stdout, seconds = quick_demo
    lines = stdout.splitlines()
    for stage in STAGES:
        assert sum(1 for ln in lines if ln.split()[:1] == [stage] and " s " in ln) == 1, (stage, stdout)
    assert f"report: {out / 'index.html'}" in stdout
    assert "predicted vs simulated" in stdout and "quick mode" in stdout
    assert seconds < 120, f"the quick demo took {seconds:.0f} s"


def test_json_has_the_expected_keys_with_finite_values(quick_demo):
    r = _report(quick_demo[0])
    for key in EXPECTED:
        v = _get(r, key)
        assert isinstance(v, (int, float)) and math.isfinite(v), key
    assert all(math.isfinite(v) for _, v in _numbers(r))
    assert r["mode"] == "quick" and r["inputs"]["quick"] is True
    assert set(r["timings"]["stages"]) == set(STAGES)
    for key in ("failure_strain", "first_break_strain"):
        p = r["prediction"][key]
        assert p["low"] <= p["value"] <= p["high"]


def test_prediction_and_simulation_are_of_the_same_glass(quick_demo):
    out = quick_demo[0]
    r = _report(out)
    assert r["comparison"]["glass"] == r["glass"]["file"] == Path(r["inputs"]["glass"]).name
    assert r["comparison"]["same_glass"] is True
    result = json.loads((out / "simulation" / "result.json").read_text())
    assert result["info"]["n_atoms"] == r["glass"]["n_atoms"] == r["prediction"]["input"]["n_atoms"]
    sim = {row["quantity"]: row["simulated"] for row in r["comparison"]["strains"]}
    assert sim["failure_strain"] == r["simulation"]["failure_strain"]
    # the first break by linear response (the shipped model's calibrated line at the fastest bond's strain)
    lr = next(row for row in r["comparison"]["strains"] if row["quantity"] == "first_break_strain_linear_response")
    assert lr["simulated"] == r["simulation"]["first_break_strain"]
    assert lr["low"] <= lr["predicted"] <= lr["high"] and lr["predicted"] == pytest.approx(0.0362, abs=5e-4)
    for s in r["comparison"]["sites"]:
        assert 0 <= s["distance_A"] <= math.hypot(*r["glass"]["cell"]) / 2 + 1e-9


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def test_html_references_only_files_that_exist(quick_demo):
    out = quick_demo[0]
    page = (out / "index.html").read_text(encoding="utf-8")
    p = _Refs()
    p.feed(page)
    assert "script" not in p.tags and "http://" not in page and "https://" not in page
    assert len(p.refs) == len(_report(out)["figures"]) == 5
    for ref in p.refs:
        assert not Path(ref).is_absolute() and (out / ref).is_file(), ref
    for fig in _report(out)["figures"].values():
        assert fig["file"] in p.refs


def test_every_number_shown_is_in_the_json(quick_demo):
    r = _report(quick_demo[0])
    page = render(r)
    assert f"{r['simulation']['failure_strain']:.4f}" in page
    assert f"{r['prediction']['failure_strain']['value']:.4f}" in page
    assert f"{r['glass']['n_atoms']} atoms" in page and "Quick mode" in page


def test_finite_replaces_non_finite_values():
    assert finite({"a": [math.nan, 1.0], "b": np.float32(2.0), "c": math.inf}) == {"a": [None, 1.0], "b": 2.0,
                                                                                   "c": None}


def test_an_earlier_simulation_is_removed_not_reused(tmp_path):
    sim = tmp_path / "simulation"
    sim.mkdir()
    (sim / "result.json").write_text("{}")
    _clear_simulation(sim)
    assert not sim.exists()


CHECK = """<!DOCTYPE html><html><body><iframe id="f" style="width:1200px;height:900px"></iframe><script>
var f = document.getElementById('f');
f.onload = function () {
  var d = f.contentDocument, imgs = d ? d.images : [], bad = [];
  for (var i = 0; i < imgs.length; i++) if (!imgs[i].complete || imgs[i].naturalWidth === 0) bad.push(imgs[i].src);
  var out = document.createElement('pre'); out.id = 'result';
  out.textContent = JSON.stringify({loaded: !!d, title: d ? d.title : null, images: imgs.length, bad: bad});
  document.body.appendChild(out);
};
f.src = location.hash.slice(1);
</script></body></html>"""


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is missing: `make sysdeps` installs it (Debian package chromium)"
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files",
            "--virtual-time-budget=10000"]


def _load(out: Path, tmp_path: Path) -> dict:
    checker = tmp_path / "check.html"
    checker.write_text(CHECK)
    proc = subprocess.run(_chromium() + ["--enable-logging=stderr", "--v=0", "--dump-dom",
                                         f"{checker.as_uri()}#{(out / 'index.html').as_uri()}"],
                          capture_output=True, text=True, timeout=120)
    start = proc.stdout.find('<pre id="result">')
    assert start >= 0, proc.stderr[-2000:]
    text = proc.stdout[start + len('<pre id="result">'):proc.stdout.find("</pre>", start)]
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln and "index.html" in ln]
    return {**json.loads(text.replace("&quot;", '"')), "console": console}


def test_a_headless_browser_loads_the_page_and_it_is_not_blank(quick_demo, tmp_path):
    out = quick_demo[0]
    got = _load(out, tmp_path)
    assert got["loaded"] and got["title"] == "glassfail demo" and got["images"] == 5
    assert got["bad"] == [] and got["console"] == []
    shot = tmp_path / "page.png"
    subprocess.run(_chromium() + ["--window-size=1200,2400", f"--screenshot={shot}", (out / "index.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("L"), float)
    assert pixels.shape == (2400, 1200)
    assert pixels.std() > 20 and len(np.unique(pixels)) > 64  # text, tables and figures, not a blank page
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "maps.png").unlink()
    assert [Path(b).name for b in _load(broken, tmp_path)["bad"]] == ["maps.png"]  # the check sees a missing file
