"""The plugin's layer conventions: (x, y) ↔ napari's (y, x), units in Å, and the ``metadata["glassfail"]`` of every
layer it makes (see :mod:`napari_glassfail._layers`)."""

from __future__ import annotations

import uuid
from typing import Optional

import numpy as np

from glassfail_core.glass import Glass

__all__ = ["KEY", "UNITS", "POINT_SIZE", "to_napari", "from_napari", "new_group", "layer_metadata"]

KEY = "glassfail"
UNITS = ("angstrom", "angstrom")
#: Point diameters (Å) per species: Si drawn larger than O.
POINT_SIZE = {"Si": 1.5, "O": 0.9}


def to_napari(xy) -> np.ndarray:
    """(x, y) → napari's (row, col) = (y, x).

    >>> to_napari([[1.0, 2.0]]).tolist()
    [[2.0, 1.0]]
    """
    a = np.asarray(xy, dtype=float)
    return a[..., ::-1].copy()


def from_napari(yx) -> np.ndarray:
    """napari's (y, x) → (x, y) (the last two columns; leading axes such as time are dropped)."""
    a = np.asarray(yx, dtype=float)
    return a[..., -2:][..., ::-1].copy()


def new_group() -> str:
    """A fresh id tying together the layers of one structure."""
    return uuid.uuid4().hex[:12]


def layer_metadata(role: str, group: str, glass: Optional[Glass] = None, **extra) -> dict:
    """``{"glassfail": {"role": role, "group": group, "glass": glass, **extra}}``, a plugin layer's metadata."""
    d = {"role": role, "group": group, "glass": glass}
    d.update(extra)
    return {KEY: d}
