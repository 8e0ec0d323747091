"""Micrographs: read microscope images, render synthetic ones, and find the atoms in them.

* :class:`Micrograph` — a calibrated image (Å/px, origin; pixel ↔ Å convention in :mod:`.image`).
* :func:`read_micrograph` / :func:`write_micrograph` — TIFF, PNG/JPEG, dm3/dm4, emd, ser.
* :func:`render_glass` — Gaussian spots (the reference recipe) or a contrast-transfer TEM model.
* :func:`detect` (old name :func:`detect_atoms`; generator form :func:`detect_steps`) — background flattening, blob
  detection, sub-pixel refinement, Si/O classification (:mod:`.detection`).
"""

from .image import Micrograph
from .render import SpotParams, TEMParams, render_glass

__all__ = ["Micrograph", "read_micrograph", "write_micrograph", "iter_micrographs", "count_frames",
           "render_glass", "SpotParams", "TEMParams", "detect", "detect_steps", "detect_atoms", "estimate_pixel_size",
           "match_atoms"]


def __getattr__(name):  # the detection package and the file readers (glassfail_core.io) load on first use
    if name in ("read_micrograph", "write_micrograph", "iter_micrographs", "count_frames"):
        from ..io import micrographs

        return getattr(micrographs, name)
    if name in ("detect", "detect_steps", "detect_atoms", "estimate_pixel_size", "DetectParams"):
        from . import detection

        return getattr(detection, name)
    if name == "match_atoms":
        from .accuracy import match_atoms

        return match_atoms
    raise AttributeError(name)
