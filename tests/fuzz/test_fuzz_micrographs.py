"""Fuzzed micrograph files (TIFF, PNG, JPEG, dm3, dm4, emd) through the IO registry's reader."""

import numpy as np
import pytest
from hypothesis import strategies as st

from glassfail_core.io import read
from glassfail_core.micrograph import Micrograph

from .harness import check_reader, fuzz, mutated

#: Extension of each seed; PNG and JPEG carry no calibration, so they are read with a pixel size.
EXT = {"tif": ".tif", "png": ".png", "jpg": ".jpg", "dm3": ".dm3", "dm4": ".dm4", "emd": ".emd"}
PIXEL = {"png": 0.1, "jpg": 0.1}


def _valid(m):
    assert isinstance(m, Micrograph)
    assert m.image.ndim == 2 and m.image.size > 0 and np.isfinite(m.image).all()
    assert np.isfinite(m.pixel_size) and m.pixel_size > 0


def _reader(fmt):
    return lambda p: read(p, "micrograph", pixel_size=PIXEL.get(fmt))


@pytest.mark.parametrize("fmt", sorted(EXT))
@fuzz(share=0.5)
def test_mutated_micrograph_files(fmt, micrograph_seeds, all_seeds, work_dir, data):
    others = tuple(v for k, v in all_seeds.items() if k not in (fmt, "dm3", "dm4"))
    blob = data.draw(mutated(micrograph_seeds[fmt], others), label="file")
    path = work_dir / f"case{EXT[fmt]}"
    path.write_bytes(blob)
    check_reader(fmt, _reader(fmt), path, _valid)


@pytest.mark.parametrize("fmt", sorted(EXT))
@fuzz(share=0.5)
def test_random_bytes_as_micrograph_files(fmt, work_dir, data):
    blob = data.draw(st.binary(max_size=1024), label="file")
    path = work_dir / f"junk{EXT[fmt]}"
    path.write_bytes(blob)
    check_reader(fmt, _reader(fmt), path, _valid)
