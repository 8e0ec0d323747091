"""``glassfail render`` and ``glassfail detect``: real subprocesses, exit codes, JSON summaries."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile

from glassfail_core import read_structure, write_structure
from glassfail_core.micrograph import read_micrograph
from glassfail_core.micrograph.accuracy import match_atoms


def glassfail(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "glassfail_core", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, displaced):
    d = tmp_path_factory.mktemp("cli")
    write_structure(displaced, d / "truth.extxyz")
    out = glassfail("render", d / "truth.extxyz", "-o", d / "img.tif", "--pixel-size", "0.3", "--seed", "4", "--json")
    assert out.returncode == 0, out.stderr
    return d, json.loads(out.stdout)


def test_render_writes_a_calibrated_tif(rendered, displaced):
    d, js = rendered
    m = read_micrograph(d / "img.tif")
    assert m.pixel_size == 0.3 and list(m.shape) == js["shape"] and js["n_si"] == displaced.n_si
    assert m.info["style"] == "spots" and m.info["seed"] == 4


def test_detect_json_and_output(rendered, displaced):
    d, _ = rendered
    out = glassfail("detect", d / "img.tif", "-o", d / "found.extxyz", "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    found = read_structure(d / "found.extxyz")
    assert js["counts"]["Si"] == found.n_si and js["counts"]["O"] == found.n_o
    assert js["species_mode"] == "si-o" and 0.9 < js["mean_confidence"] <= 1.0
    assert "confidence" in found.arrays and found.info["pixel_size"] == 0.3
    assert match_atoms(displaced, found)["recall"] == 1.0
    assert js["rings"] is not None  # the ring analysis ships with the core: never silently absent
    assert js["rings"]["p"]["6"] == pytest.approx(1.0)
    table = glassfail("detect", d / "img.tif", "-o", d / "found2.extxyz", "--species", "si-only")
    assert table.returncode == 0 and "placed at Si–Si midpoints" in table.stdout


def test_detect_wrong_pixel_size_is_a_user_error(rendered):
    d, _ = rendered
    out = glassfail("detect", d / "img.tif", "-o", d / "x.extxyz", "--pixel-size", "0.1")
    assert out.returncode == 2 and "suggests about 0.3" in out.stderr and "Traceback" not in out.stderr
    ok = glassfail("detect", d / "img.tif", "-o", d / "x.extxyz", "--pixel-size", "0.1", "--no-scale-check")
    assert ok.returncode == 0, ok.stderr


def test_detect_errors(tmp_path):
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "a.png", np.zeros((32, 32), np.uint8))
    out = glassfail("detect", tmp_path / "a.png", "-o", tmp_path / "x.extxyz")
    assert out.returncode == 2 and "calibration" in out.stderr
    bad = glassfail("detect", tmp_path / "a.png", "-o", tmp_path / "x.extxyz", "--pixel-size", "-1")
    assert bad.returncode == 2 and "--pixel-size" in bad.stderr
    missing = glassfail("detect", tmp_path / "nope.tif", "-o", tmp_path / "x.extxyz")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    uniform = glassfail("detect", tmp_path / "a.png", "-o", tmp_path / "u.extxyz", "--pixel-size", "0.3", "--json")
    assert uniform.returncode == 0 and json.loads(uniform.stdout)["counts"]["Si"] == 0 and "uniform" in uniform.stderr


def test_detect_stack_writes_one_file_per_frame(rendered, tmp_path):
    d, _ = rendered
    img = read_micrograph(d / "img.tif").image
    tifffile.imwrite(tmp_path / "s.tif", np.stack([img, img[:, ::-1]]), imagej=True,
                     resolution=(1 / 0.03, 1 / 0.03), metadata={"unit": "nm", "axes": "TYX"})
    out = glassfail("detect", tmp_path / "s.tif", "-o", tmp_path / "f.extxyz", "--json")
    assert out.returncode == 0, out.stderr
    js = json.loads(out.stdout)
    assert len(js) == 2 and (tmp_path / "f_f000.extxyz").exists() and (tmp_path / "f_f001.extxyz").exists()
    assert js[0]["counts"]["Si"] == js[1]["counts"]["Si"]
    one = glassfail("detect", tmp_path / "s.tif", "-o", tmp_path / "g.extxyz", "--frame", "1", "--json")
    assert one.returncode == 0 and json.loads(one.stdout)["frame"] == 1
