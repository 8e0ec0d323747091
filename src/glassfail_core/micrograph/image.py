"""The :class:`Micrograph`: one calibrated 2D image (grey levels on a square pixel grid of known size in Å).

Pixel ↔ Å convention (used by every function in :mod:`glassfail_core.micrograph`)
-----------------------------------------------------------------------------------
A pixel is a square of side ``pixel_size`` Å; its *centre* is at

    x = (col + 0.5) * pixel_size + x0,      y = (row + 0.5) * pixel_size + y0,

with ``(x0, y0) = origin`` the Å coordinates of the image's top-left corner. So x grows with the column index
(to the right) and y grows with the row index (*downwards* on screen, as in napari and matplotlib's ``imshow``).
The image covers ``[x0, x0 + W·pixel_size) × [y0, y0 + H·pixel_size)``. A Glass rendered with origin (0, 0) and the
atoms detected in that image share one frame, so positions compare directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..errors import InputError

__all__ = ["Micrograph"]


@dataclass(frozen=True, eq=False)
class Micrograph:
    """A calibrated grey-level image.

    Parameters
    ----------
    image : (H, W) array_like
        Grey levels; stored as read-only float32.
    pixel_size : float
        Side of a pixel in Å (Å/px), > 0.
    origin : (2,) sequence of float, default (0, 0)
        Å coordinates ``(x0, y0)`` of the top-left corner of the image.
    info : dict, optional
        Free-form metadata (source file, frame, rendering or acquisition parameters, notes).

    Examples
    --------
    >>> m = Micrograph(np.zeros((4, 6)), pixel_size=0.5)
    >>> m.shape, m.extent
    ((4, 6), (3.0, 2.0))
    >>> m.px_to_xy([[0, 0], [3, 5]]).tolist()  # (row, col) -> (x, y) of pixel centres
    [[0.25, 0.25], [2.75, 1.75]]
    >>> m.xy_to_px([[2.75, 1.75]]).tolist()
    [[3.0, 5.0]]
    """

    image: np.ndarray
    pixel_size: float
    origin: tuple = (0.0, 0.0)
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        img = np.asarray(self.image)
        if img.ndim != 2:
            raise InputError(f"image must be 2D (H, W), got shape {img.shape}")
        if img.size == 0:
            raise InputError("image is empty (0 pixels)")
        if img.dtype.kind not in "biuf":
            raise InputError(f"image must hold real numbers, got dtype {img.dtype}")
        img = np.array(img, dtype=np.float32, copy=True)
        if not np.isfinite(img).all():
            raise InputError(f"image holds {int((~np.isfinite(img)).sum())} non-finite pixel(s) (NaN or inf)")
        img.setflags(write=False)
        try:
            ps = float(self.pixel_size)
        except (TypeError, ValueError):
            raise InputError(f"pixel_size must be a number (Å/px), got {self.pixel_size!r}") from None
        if not np.isfinite(ps) or ps <= 0:
            raise InputError(f"pixel_size must be positive and finite (Å/px), got {self.pixel_size!r}")
        origin = tuple(float(v) for v in np.asarray(self.origin, dtype=float).ravel())
        if len(origin) != 2 or not np.isfinite(origin).all():
            raise InputError(f"origin must be two finite numbers (x0, y0) in Å, got {self.origin!r}")
        object.__setattr__(self, "image", img)
        object.__setattr__(self, "pixel_size", ps)
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "info", dict(self.info))

    # ------------------------------------------------------------------ geometry
    @property
    def shape(self) -> tuple:
        """``(H, W)`` in pixels."""
        return tuple(self.image.shape)

    @property
    def extent(self) -> tuple:
        """``(width, height)`` covered by the image, in Å."""
        h, w = self.image.shape
        return (w * self.pixel_size, h * self.pixel_size)

    @property
    def megapixels(self) -> float:
        return self.image.size / 1e6

    def px_to_xy(self, rc) -> np.ndarray:
        """Pixel coordinates ``(..., 2)`` as ``(row, col)`` (may be fractional) → Å ``(x, y)``."""
        rc = np.asarray(rc, dtype=float)
        x = (rc[..., 1] + 0.5) * self.pixel_size + self.origin[0]
        y = (rc[..., 0] + 0.5) * self.pixel_size + self.origin[1]
        return np.stack([x, y], axis=-1)

    def xy_to_px(self, xy) -> np.ndarray:
        """Å ``(..., 2)`` as ``(x, y)`` → fractional pixel coordinates ``(row, col)`` (inverse of :meth:`px_to_xy`)."""
        xy = np.asarray(xy, dtype=float)
        col = (xy[..., 0] - self.origin[0]) / self.pixel_size - 0.5
        row = (xy[..., 1] - self.origin[1]) / self.pixel_size - 0.5
        return np.stack([row, col], axis=-1)

    # ------------------------------------------------------------------ new micrographs from this one
    def replace(self, **changes) -> "Micrograph":
        kw = dict(image=self.image, pixel_size=self.pixel_size, origin=self.origin, info=dict(self.info))
        kw.update(changes)
        return Micrograph(**kw)

    def crop(self, rows: slice, cols: slice) -> "Micrograph":
        """A sub-image (same pixel size; the origin moves so that Å coordinates are unchanged)."""
        r0, _, _ = rows.indices(self.image.shape[0])
        c0, _, _ = cols.indices(self.image.shape[1])
        sub = self.image[rows, cols]
        return self.replace(image=sub, origin=(self.origin[0] + c0 * self.pixel_size,
                                               self.origin[1] + r0 * self.pixel_size))

    def to_dict(self) -> dict:
        """Metadata as plain Python (the image itself is left out): shape, pixel size, origin, info."""
        return {"shape": list(self.shape), "pixel_size": self.pixel_size, "origin": list(self.origin),
                "info": dict(self.info)}

    def __repr__(self):
        h, w = self.shape
        return (f"Micrograph({h} × {w} px, {self.pixel_size:.4g} Å/px = {self.extent[0]:.1f} × "
                f"{self.extent[1]:.1f} Å)")
