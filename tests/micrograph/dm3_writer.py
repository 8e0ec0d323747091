"""A minimal Gatan DigitalMicrograph 3 (.dm3) writer, for tests only.

RosettaSciIO reads dm3 but cannot write it, so this builds the smallest file its reader accepts: the version-3
header, a root tag group holding ``ImageList → TagGroup0 → ImageData`` with ``Data`` (float32 array),
``DataType`` (2 = real4), ``Dimensions`` (width, height) and ``Calibrations`` (per-axis ``Origin``, ``Scale``,
``Units``; brightness) and an ``ImageTags`` group. Header fields are big-endian; tag data little-endian, as DM writes them on PCs.
"""

from __future__ import annotations

import struct

import numpy as np

_SIMPLE = {"l": 3, "f": 6, "d": 7, "H": 4}  # DM encoded types: int32, float32, float64, uint16


def _name(tag_id, name):
    b = name.encode("latin-1")
    return struct.pack(">bh", tag_id, len(b)) + b


def _simple(name, code, value):
    return _name(21, name) + b"%%%%" + struct.pack(">ll", 1, _SIMPLE[code]) + struct.pack("<" + code, value)


def _array(name, code, values):
    values = np.asarray(values)
    head = _name(21, name) + b"%%%%" + struct.pack(">llll", 3, 20, _SIMPLE[code], len(values))
    return head + values.astype("<" + {"l": "i4", "f": "f4", "d": "f8", "H": "u2"}[code]).tobytes()


def _string(name, text):
    return _array(name, "H", [ord(c) for c in text])


def _group(name, children):
    return _name(20, name) + struct.pack(">bbl", 0, 1, len(children)) + b"".join(children)


def write_dm3(path, image, scale, units="nm"):
    """Write a 2D float32 image with square pixels of ``scale`` ``units``."""
    image = np.asarray(image, dtype=np.float32)
    h, w = image.shape
    axis = lambda: _group("", [_simple("Origin", "f", 0.0), _simple("Scale", "f", scale), _string("Units", units)])
    calib = _group("Calibrations", [
        _group("Brightness", [_simple("Origin", "f", 0.0), _simple("Scale", "f", 1.0), _string("Units", "counts")]),
        _group("Dimension", [axis(), axis()]),
        _simple("DisplayCalibratedUnits", "l", 1),
    ])
    imdata = _group("ImageData", [
        calib,
        _array("Data", "f", image.ravel()),
        _simple("DataType", "l", 2),
        _group("Dimensions", [_simple("", "l", w), _simple("", "l", h)]),
        _simple("PixelDepth", "l", 4),
    ])
    image_tags = _group("ImageTags", [_string("Comment", "written by glassfail tests")])
    root_tags = [_group("ImageList", [_group("", [imdata, image_tags, _string("Name", "glassfail test")])])]
    body = struct.pack(">bbl", 0, 1, len(root_tags)) + b"".join(root_tags) + b"\0" * 8
    header = struct.pack(">lll", 3, 12 + len(body), 1)
    with open(path, "wb") as fh:
        fh.write(header + body)
