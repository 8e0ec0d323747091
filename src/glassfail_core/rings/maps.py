"""Drawing rings: outlines (:func:`ring_polygons`) and label images (:func:`ring_label_image`) of a ring set, with
the periodic images a picture needs. Per-atom ring maps are :meth:`RingSet.per_atom`."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..glass import Glass, require_glass
from ..neighbors import minimum_image, wrap
from .ringset import RingSet

__all__ = ["ring_polygons", "ring_label_image"]


def _check_pair(glass, ringset):
    require_glass(glass)
    if not isinstance(ringset, RingSet):
        raise InputError(f"ringset must be a RingSet (from find_rings), got {type(ringset).__name__}")
    if len(glass) != ringset.n_atoms:
        raise InputError(f"the ring set was found on {ringset.n_atoms} atoms but the glass has {len(glass)}")


def _polygons_flat(glass, atoms, offsets):
    """Unwrapped vertex coordinates of each ring (flat), each ring shifted so that its vertex mean lies in
    the cell along periodic axes."""
    k = np.diff(offsets)
    if len(atoms) == 0:
        return np.zeros((0, 2))
    grp = np.repeat(np.arange(len(k)), k)
    first = offsets[:-1]
    pos = glass.positions
    nxt = np.arange(len(atoms)) + 1
    nxt[offsets[1:] - 1] = first  # closing step back to the first vertex (ignored below)
    step = minimum_image(pos[atoms[nxt]] - pos[atoms], glass.cell, glass.pbc)
    step[offsets[1:] - 1] = 0.0
    csum = np.vstack([np.zeros((1, 2)), np.cumsum(step, axis=0)])
    rel = csum[:-1] - csum[first][grp]
    xy = pos[atoms[first]][grp] + rel
    mean = np.stack([np.bincount(grp, weights=xy[:, a], minlength=len(k)) for a in range(2)], axis=1) / k[:, None]
    shift = wrap(mean, glass.cell, glass.pbc) - mean
    return xy + shift[grp]


def ring_polygons(glass: Glass, ringset: RingSet, *, which: str = "closed") -> list:
    """Drawable ring outlines: for each ring a ``(k, 2)`` array of unwrapped vertices (Å), consecutive vertices
    bonded, each ring placed with its centre inside the cell (so rings at a periodic edge stick out of it).

    The positions are taken from ``glass``, which may be a deformed copy of the glass the rings were found on
    (same atoms): the outlines then follow the deformation.

    Parameters
    ----------
    which : {"closed", "open"}
        Closed rings (default) or open rings.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.rings import find_rings
    >>> g = honeycomb(4, 4); polys = ring_polygons(g, find_rings(g))
    >>> len(polys), polys[0].shape
    (16, (12, 2))
    """
    _check_pair(glass, ringset)
    if which == "closed":
        atoms, offsets = ringset.ring_atoms, ringset.ring_offsets
    elif which == "open":
        atoms, offsets = ringset.open_atoms, ringset.open_offsets
    else:
        raise InputError(f"which must be 'closed' or 'open', got {which!r}")
    xy = _polygons_flat(glass, atoms, offsets)
    return np.split(xy, offsets[1:-1]) if len(offsets) > 1 else []


def ring_label_image(glass: Glass, ringset: RingSet, shape, pixel_size, origin=(0.0, 0.0), *,
                     values: str = "size") -> np.ndarray:
    """Rasterise the rings: an ``(H, W)`` int image whose pixels hold the size of the ring they fall in
    (0 outside every closed ring).

    Pixel ``[i, j]`` is centred at ``x = origin[0] + (j + 0.5)·pixel_size``, ``y = origin[1] + (i + 0.5)·pixel_size``
    (rows along y). Along periodic axes the rings are repeated, so an image larger than the cell is tiled.

    Parameters
    ----------
    shape : (int, int)
        ``(H, W)``.
    pixel_size : float
        Å per pixel.
    origin : (float, float)
        Position (Å) of the image's corner.
    values : {"size", "id"}
        Ring size (default), or ring id + 1.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.rings import find_rings
    >>> g = honeycomb(4, 4)
    >>> img = ring_label_image(g, find_rings(g), (64, 64), 0.5)  # periodic: every pixel is in a ring
    >>> sorted(np.unique(img).tolist())
    [6]
    """
    from skimage.draw import polygon as draw_polygon

    _check_pair(glass, ringset)
    try:
        h, w = (int(s) for s in shape)
    except (TypeError, ValueError):
        raise InputError(f"shape must be (H, W), got {shape!r}") from None
    if h <= 0 or w <= 0:
        raise InputError(f"shape must be positive, got {shape!r}")
    if not (np.isfinite(pixel_size) and pixel_size > 0):
        raise InputError(f"pixel_size must be a positive number of Å, got {pixel_size!r}")
    if values not in ("size", "id"):
        raise InputError(f"values must be 'size' or 'id', got {values!r}")
    ox, oy = (float(o) for o in origin)
    out = np.zeros((h, w), np.int32)
    label = ringset.sizes if values == "size" else np.arange(1, ringset.n_rings + 1)
    polys = ring_polygons(glass, ringset)
    ext = (ox, ox + w * pixel_size), (oy, oy + h * pixel_size)
    for r, poly in enumerate(polys):
        for sx, sy in _image_shifts(poly, glass.cell, glass.pbc, ext):
            cols = (poly[:, 0] + sx - ox) / pixel_size - 0.5
            rows = (poly[:, 1] + sy - oy) / pixel_size - 0.5
            rr, cc = draw_polygon(rows, cols, shape=(h, w))
            out[rr, cc] = label[r]
    return out


def _image_shifts(poly, cell, pbc, ext):
    ranges = []
    for ax in range(2):
        lo, hi = poly[:, ax].min(), poly[:, ax].max()
        if pbc[ax]:
            L = cell[ax]
            k0 = int(np.floor((ext[ax][0] - hi) / L))
            k1 = int(np.ceil((ext[ax][1] - lo) / L))
            ranges.append([k * L for k in range(k0, k1 + 1) if lo + k * L < ext[ax][1] and hi + k * L > ext[ax][0]])
        else:
            ranges.append([0.0] if (lo < ext[ax][1] and hi > ext[ax][0]) else [])
    return [(sx, sy) for sx in ranges[0] for sy in ranges[1]]
