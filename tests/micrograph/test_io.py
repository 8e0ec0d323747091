"""Micrograph object and files: pixel ↔ Å convention, TIFF/PNG/dm3 reading with calibration, bad files."""

import warnings

import numpy as np
import pytest
import tifffile

from glassfail_core.errors import InputError, StructureFileError
from glassfail_core.micrograph import Micrograph, count_frames, iter_micrographs, read_micrograph, write_micrograph

from .dm3_writer import write_dm3


def test_pixel_convention_round_trip(rng):
    m = Micrograph(np.zeros((10, 20)), pixel_size=0.4, origin=(5.0, -3.0))
    assert m.px_to_xy([0, 0]).tolist() == [5.2, -2.8]  # centre of the top-left pixel
    assert m.px_to_xy([9, 19]).tolist() == pytest.approx([5.0 + 19.5 * 0.4, -3.0 + 9.5 * 0.4])
    xy = rng.uniform(0, 8, (50, 2))
    assert np.allclose(m.px_to_xy(m.xy_to_px(xy)), xy)
    assert m.extent == (8.0, 4.0)
    c = m.crop(slice(2, 5), slice(4, 9))
    assert c.shape == (3, 5) and np.allclose(c.px_to_xy([0, 0]), m.px_to_xy([2, 4]))


@pytest.mark.parametrize("kwargs, match", [
    ({"image": np.zeros((2, 2, 2)), "pixel_size": 1}, "must be 2D"),
    ({"image": np.zeros((0, 3)), "pixel_size": 1}, "empty"),
    ({"image": np.array([[np.nan, 1.0]]), "pixel_size": 1}, "non-finite"),
    ({"image": np.zeros((2, 2)), "pixel_size": 0}, "pixel_size must be positive"),
    ({"image": np.zeros((2, 2)), "pixel_size": "a"}, "pixel_size must be a number"),
])
def test_micrograph_validation(kwargs, match):
    with pytest.raises(InputError, match=match):
        Micrograph(**kwargs)


def test_micrograph_is_read_only():
    m = Micrograph(np.ones((3, 3)), pixel_size=1.0)
    assert m.image.dtype == np.float32
    with pytest.raises(ValueError):
        m.image[0, 0] = 2


def test_tif_round_trip_keeps_calibration_origin_and_info(tmp_path, rng):
    img = rng.normal(100, 10, (17, 23)).astype(np.float32)
    m = Micrograph(img, pixel_size=0.1234567, origin=(1.5, 2.5), info={"style": "spots", "seed": 3})
    write_micrograph(m, tmp_path / "m.tif")
    r = read_micrograph(tmp_path / "m.tif")
    assert np.array_equal(r.image, img)
    assert r.pixel_size == 0.1234567 and r.origin == (1.5, 2.5)
    assert r.info["style"] == "spots" and r.info["calibration"] == "file"
    # The ImageJ calibration alone (as Fiji would read it) gives the same pixel size.
    with tifffile.TiffFile(tmp_path / "m.tif") as t:
        assert t.imagej_metadata["unit"] == "nm"
        assert 10.0 / t.pages[0].resolution[0] == pytest.approx(0.1234567, rel=1e-6)


def test_write_needs_tif_name(tmp_path):
    with pytest.raises(StructureFileError, match="tif"):
        write_micrograph(Micrograph(np.zeros((3, 3)), 1.0), tmp_path / "m.png")


@pytest.mark.parametrize("unit, per_unit, expected", [("nm", 3.125, 3.2), ("micron", 312.5, 32.0),
                                                      ("\\u00C5", 2.0, 0.5), ("pm", 0.04, 0.25)])
def test_imagej_calibration_units(tmp_path, unit, per_unit, expected):
    p = tmp_path / "ij.tif"
    tifffile.imwrite(p, np.zeros((4, 4), np.uint16), imagej=True, resolution=(per_unit, per_unit),
                     metadata={"unit": unit})
    assert read_micrograph(p).pixel_size == pytest.approx(expected, rel=1e-6)


def test_tiff_centimetre_resolution_and_dpi(tmp_path):
    p = tmp_path / "cm.tif"
    tifffile.imwrite(p, np.zeros((4, 4), np.uint8), resolution=(1 / 0.25e-8, 1 / 0.25e-8), resolutionunit="CENTIMETER")
    assert read_micrograph(p).pixel_size == pytest.approx(0.25)
    q = tmp_path / "dpi.tif"
    tifffile.imwrite(q, np.zeros((4, 4), np.uint8), resolution=(72, 72), resolutionunit="INCH")
    with pytest.raises(InputError, match="no pixel-size calibration"):
        read_micrograph(q)
    m = read_micrograph(q, pixel_size=0.3)
    assert m.pixel_size == 0.3 and any("display resolution" in n for n in m.info["notes"])


def test_uncalibrated_needs_pixel_size_and_override_is_noted(tmp_path):
    p = tmp_path / "plain.tif"
    tifffile.imwrite(p, np.arange(20, dtype=np.uint16).reshape(4, 5))
    with pytest.raises(InputError, match="--pixel-size"):
        read_micrograph(p)
    m = read_micrograph(p, pixel_size=0.5)
    assert m.pixel_size == 0.5 and m.image[3, 4] == 19 and m.info["calibration"] == "given"
    write_micrograph(Micrograph(np.zeros((3, 3)), 0.2), tmp_path / "cal.tif")
    over = read_micrograph(tmp_path / "cal.tif", pixel_size=0.3)
    assert over.pixel_size == 0.3 and "overridden" in over.info["notes"][0]


def test_png_grey_and_rgb(tmp_path):
    import imageio.v3 as iio

    grey = (np.arange(30).reshape(5, 6) * 8).astype(np.uint8)
    iio.imwrite(tmp_path / "g.png", grey)
    m = read_micrograph(tmp_path / "g.png", pixel_size=0.32)
    assert np.array_equal(m.image, grey.astype(np.float32)) and m.info["format"] == "png"
    rgb = np.zeros((5, 6, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 100, 200, 50
    iio.imwrite(tmp_path / "c.png", rgb)
    c = read_micrograph(tmp_path / "c.png", pixel_size=0.32)
    assert c.shape == (5, 6)
    assert np.allclose(c.image, 0.2126 * 100 + 0.7152 * 200 + 0.0722 * 50, atol=1e-3)
    assert any("grey" in n for n in c.info["notes"])
    with pytest.raises(InputError, match="calibration"):
        read_micrograph(tmp_path / "c.png")


def test_stack_frames(tmp_path):
    stack = np.stack([np.full((6, 7), k, np.float32) for k in range(3)])
    p = tmp_path / "stack.tif"
    tifffile.imwrite(p, stack, imagej=True, resolution=(5.0, 5.0), metadata={"unit": "nm", "axes": "TYX"})
    assert count_frames(p) == 3
    with pytest.raises(InputError, match="3 frames"):
        read_micrograph(p)
    assert read_micrograph(p, frame=1).image[0, 0] == 1 and read_micrograph(p, frame=-1).image[0, 0] == 2
    assert read_micrograph(p, frame=2).info["frame"] == 2
    with pytest.raises(InputError, match="out of range"):
        read_micrograph(p, frame=3)
    frames = list(iter_micrographs(p))
    assert [f.image[0, 0] for f in frames] == [0, 1, 2] and frames[0].pixel_size == pytest.approx(2.0)


def test_dm3_with_calibration(tmp_path, rng):
    img = rng.normal(0, 1, (12, 9)).astype(np.float32)
    write_dm3(tmp_path / "a.dm3", img, scale=0.032, units="nm")
    m = read_micrograph(tmp_path / "a.dm3")
    assert np.array_equal(m.image, img)
    assert m.pixel_size == pytest.approx(0.32, rel=1e-6) and m.info["format"] == "dm"
    assert m.info["calibration"] == "file" and m.origin == (0.0, 0.0)
    write_dm3(tmp_path / "px.dm3", img, scale=1.0, units="")
    with pytest.raises(InputError, match="calibration"):
        read_micrograph(tmp_path / "px.dm3")


def test_bad_files(tmp_path):
    with pytest.raises(StructureFileError, match="no such file"):
        read_micrograph(tmp_path / "missing.tif")
    (tmp_path / "empty.tif").write_bytes(b"")
    with pytest.raises(StructureFileError, match="empty"):
        read_micrograph(tmp_path / "empty.tif")
    (tmp_path / "junk.tif").write_bytes(b"this is not a tiff at all" * 10)
    with pytest.raises(StructureFileError, match="junk.tif: not a readable TIFF"):
        read_micrograph(tmp_path / "junk.tif")
    (tmp_path / "a.xyz").write_text("1\n\nSi 0 0 0\n")
    with pytest.raises(StructureFileError, match="unknown micrograph format"):
        read_micrograph(tmp_path / "a.xyz")


def test_truncated_files(tmp_path, rng, caplog):
    write_micrograph(Micrograph(rng.normal(size=(64, 64)), 0.3), tmp_path / "full.tif")
    data = (tmp_path / "full.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(StructureFileError, match="cut.tif"):
            read_micrograph(tmp_path / "cut.tif")
    # cut inside the first strip: tifffile would log its own error before raising; the user sees only ours
    (tmp_path / "head.tif").write_bytes(data[:1000])
    with caplog.at_level("DEBUG"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(StructureFileError, match="head.tif: not a readable TIFF"):
            read_micrograph(tmp_path / "head.tif")
    assert not [r for r in caplog.records if r.name.startswith("tifffile")]
    write_dm3(tmp_path / "full.dm3", rng.normal(size=(32, 32)), scale=0.03)
    raw = (tmp_path / "full.dm3").read_bytes()
    (tmp_path / "cut.dm3").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(StructureFileError, match="cut.dm3"):
        read_micrograph(tmp_path / "cut.dm3")
    import imageio.v3 as iio

    iio.imwrite(tmp_path / "full.png", (rng.random((64, 64)) * 255).astype(np.uint8))
    png = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(png[: len(png) // 2])
    with pytest.raises(StructureFileError, match="cut.png"):
        read_micrograph(tmp_path / "cut.png", pixel_size=0.3)
