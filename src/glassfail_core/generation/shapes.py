"""Non-periodic samples cut out of periodic ones: rectangles with free edges, discs, and strips with a side notch.

The cut keeps the atoms inside the shape (positions unwrapped around the shape's centre by the minimum image), then
removes dangling atoms until every Si keeps at least 2 bonds and every O exactly 2, and keeps the largest connected
piece. The result is non-periodic; its cell is the shape's bounding box plus a margin, with the shape centred in it.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..glass import Glass
from ..neighbors import minimum_image
from ..repair import largest_piece

__all__ = ["cut_shape", "SHAPES", "remove_dangling"]

SHAPES = ("rect", "disc", "notch")


def _positive(name, value):
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a positive length in Å, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name} must be a positive length in Å, got {value!r}")
    return v


def cut_shape(glass: Glass, shape: str = "rect", *, center=None, width=None, height=None, radius=None,
              notch_depth=None, notch_width=None, margin: float = 2.0) -> Glass:
    """Cut a non-periodic shape out of a (periodic) network, with dangling atoms removed.

    Parameters
    ----------
    glass : Glass
        The source network (periodic axes are unwrapped around ``center``).
    shape : {"rect", "disc", "notch"}
        ``rect``: a ``width × height`` rectangle with free edges. ``disc``: a disc of ``radius``. ``notch``: a
        ``width × height`` strip (long along x) with a V notch cut into its lower edge at mid-length, ``notch_depth``
        deep and ``notch_width`` wide at the edge.
    center : (2,) float, optional
        Centre of the shape in the source's coordinates (default: the cell centre).
    width, height : float, optional
        Rectangle/strip size in Å (defaults: 90 % of the cell edges; strip height 50 %).
    radius : float, optional
        Disc radius in Å (default: 45 % of the shorter cell edge).
    notch_depth, notch_width : float, optional
        Notch size in Å (defaults: 30 % of the strip height, and the same width).
    margin : float
        Empty space (Å) around the shape in the new cell.

    Returns
    -------
    Glass
        Non-periodic; ``info["shape"]`` records the cut, ``info["cut_from"]`` the source's metadata.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> d = cut_shape(honeycomb(8, 8), "disc", radius=10.0)
    >>> d.pbc, bool((d.coordination[d.si_mask] >= 2).all()), bool((d.coordination[d.o_mask] == 2).all())
    ((False, False), True, True)
    """
    if shape not in SHAPES:
        raise InputError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    if not glass.has_oxygen:
        raise InputError("cut_shape needs a Si–O network (this one has no O)")
    L = np.asarray(glass.cell, float)
    width, height, radius = _positive("width", width), _positive("height", height), _positive("radius", radius)
    notch_depth, notch_width = _positive("notch_depth", notch_depth), _positive("notch_width", notch_width)
    margin = float(margin)
    if not (math.isfinite(margin) and margin >= 0):
        raise InputError(f"margin must be a length ≥ 0 in Å, got {margin!r}")
    c = 0.5 * L if center is None else np.asarray(center, float)
    if c.shape != (2,) or not np.isfinite(c).all():
        raise InputError(f"center must be two coordinates in Å, got {center!r}")
    rel = minimum_image(glass.positions - c, L, glass.pbc)
    x, y = rel[:, 0], rel[:, 1]
    if shape == "disc":
        radius = radius or float(0.45 * L.min())
        _fits("disc diameter", 2 * radius, 2 * radius, L, glass.pbc)
        keep = x * x + y * y <= radius * radius
        half = np.array([radius, radius])
        params = {"radius": radius}
    else:
        width = width or float(0.9 * L[0])
        height = height or float((0.9 if shape == "rect" else 0.5) * L[1])
        _fits(shape, width, height, L, glass.pbc)
        keep = (np.abs(x) <= 0.5 * width) & (np.abs(y) <= 0.5 * height)
        half = np.array([0.5 * width, 0.5 * height])
        params = {"width": width, "height": height}
        if shape == "notch":
            notch_depth = notch_depth or float(0.3 * height)
            notch_width = notch_width or notch_depth
            if notch_depth >= height:
                raise InputError(f"notch_depth ({notch_depth:g} Å) must be smaller than the strip height ({height:g} Å)")
            if notch_width >= width:
                raise InputError(f"notch_width ({notch_width:g} Å) must be smaller than the strip width ({width:g} Å)")
            # V notch from the lower edge: inside the notch when above the edge by less than the V's depth there
            depth_here = notch_depth * (1.0 - np.abs(x) / (0.5 * notch_width))
            keep &= ~(y + 0.5 * height < depth_here)
            params.update(notch_depth=notch_depth, notch_width=notch_width)
    sub = glass.replace(positions=rel, pbc=(False, False), arrays={k: v for k, v in glass.arrays.items()})
    sub = sub.subset(keep)
    sub = remove_dangling(sub)
    if len(sub) == 0:
        raise InputError(f"nothing is left of the {shape} after removing dangling atoms; make it larger")
    cell = 2 * half + 2 * margin
    pos = np.asarray(sub.positions) + half + margin
    info = {k: v for k, v in glass.info.items()}
    info = {"shape": {"kind": shape, "center": c.tolist(), **params, "margin": margin,
                      "n_removed": int(len(glass) - len(sub))},
            "cut_from": info}
    return Glass(pos, sub.species, cell, pbc=(False, False), info=info, arrays=dict(sub.arrays))


def _fits(what, w, h, L, pbc):
    for ax, size in enumerate((w, h)):
        if pbc[ax] and size > L[ax]:
            raise InputError(f"the {what} ({size:g} Å along {'xy'[ax]}) is larger than the sample's cell "
                             f"({L[ax]:g} Å)")


def remove_dangling(glass: Glass) -> Glass:
    """Remove atoms until every Si has ≥ 2 bonds and every O exactly 2, and keep the largest connected piece
    (:func:`glassfail_core.repair.largest_piece`)."""
    g = glass
    while len(g):
        c = g.coordination
        bad = (g.si_mask & (c < 2)) | (g.o_mask & (c != 2))
        if not bad.any():
            break
        g = g.subset(~bad)
    if len(g) == 0:
        return g
    piece = largest_piece(len(g), g.bonds)
    if not piece.all():
        g = remove_dangling(g.subset(piece))
    return g
