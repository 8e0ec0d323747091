"""A heatmap mapped back to the structure: per atom (its Voronoi cell), per ring (its polygon), onto an image.

NumPy (and SciPy's k-d tree for the nearest atom of each pixel). A heatmap is an ``(H, W)`` array on a
:class:`~glassfail_core.learn.images.Frame` (pixel ``(row, col)`` centred at ``origin + (col + ½, row + ½)·px``).

* **Per atom** (:func:`atom_attribution`): every pixel belongs to the atom nearest to its centre (minimum image
  along periodic axes), which is the atom's Voronoi cell drawn on the pixels; the attribution is the sum of the
  map over the cell (the map is per pixel, so this is its integral). On non-periodic samples the cells of edge
  atoms are cut at ``max_distance`` Å from the atom (3 Å by default: past the outer O, no longer the sample).
* **Per ring** (:func:`ring_attribution`): the sum of the map over the pixels whose centre lies inside the ring's
  polygon (through its Si and O, :func:`~glassfail_core.rings.ring_polygons`), repeated across periodic edges;
  with the polygon's area, the mean per Å² (larger rings hold more pixels: compare densities).
* :func:`resample_to` puts a map on another pixel grid (a micrograph's).
* :func:`atom_table` and :func:`write_atoms` write per-atom arrays as CSV and extxyz.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from .._atomic import atomic_path
from ..learn.images import Frame
from ..neighbors import wrap

__all__ = ["pixel_owners", "atom_attribution", "ring_pixels", "ring_attribution", "resample_to", "atom_table",
           "write_atoms", "write_table"]


def _pixel_xy(frame: Frame) -> np.ndarray:
    x, y = frame.centres()
    xx, yy = np.meshgrid(x, y)
    return np.stack([xx.ravel(), yy.ravel()], axis=1)


def pixel_owners(frame: Frame, glass, max_distance: float = 3.0) -> np.ndarray:
    """``(H·W,)`` int: the atom nearest to each pixel centre (−1 beyond ``max_distance`` Å on a non-periodic
    frame; a periodic frame is one period of the glass and every pixel has an atom).

    Examples
    --------
    >>> from glassfail_core.glass import Glass
    >>> g = Glass([[1.0, 1.0], [9.0, 1.0]], ["Si", "Si"], [10.0, 4.0], validate=False)
    >>> pixel_owners(Frame((1, 5), (2.0, 4.0)), g).tolist()    # x = 1, 3, 5, 7, 9: 9 is 2 Å from 1 (periodic)
    [0, 0, 0, 1, 1]
    """
    pts = _pixel_xy(frame)
    pos = np.asarray(glass.positions, float)
    if frame.periodic:
        cell = np.asarray(glass.cell, float)
        pos = np.asarray(wrap(pos, cell, (True, True)), float)
        pts = np.mod(pts - np.asarray(frame.origin), cell)
        pos, pts = np.where(pos >= cell, 0.0, pos), np.where(pts >= cell, 0.0, pts)
        _, owner = cKDTree(pos, boxsize=cell).query(pts)
        return owner.astype(np.int64)
    dist, owner = cKDTree(pos).query(pts, distance_upper_bound=float(max_distance))
    owner = owner.astype(np.int64)
    owner[~np.isfinite(dist)] = -1
    return owner


def atom_attribution(heat, frame: Frame, glass, owners=None, max_distance: float = 3.0) -> np.ndarray:
    """``(N,)``: the sum of ``heat`` over each atom's Voronoi cell (see the module docstring).

    ``owners`` (from :func:`pixel_owners`) may be given to map many maps of one glass.
    """
    owners = pixel_owners(frame, glass, max_distance) if owners is None else owners
    vals = np.asarray(heat, float).ravel()
    ok = owners >= 0
    return np.bincount(owners[ok], weights=vals[ok], minlength=len(glass))


def _inside(px, py, poly) -> np.ndarray:
    """Even-odd rule: which points ``(px, py)`` lie inside the polygon ``poly`` (k, 2)."""
    inside = np.zeros(px.shape, bool)
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for a, b, c, d in zip(x0, y0, x1, y1):
        crosses = (b > py) != (d > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = a + (py - b) * (c - a) / (d - b)
        inside ^= crosses & (px < xc)
    return inside


def ring_pixels(frame: Frame, polygons) -> list:
    """For each ring polygon (unwrapped vertices in Å), the flat indices of the frame's pixels whose centre lies
    inside it (folded back into the frame along periodic axes; cut at its edges otherwise).

    Examples
    --------
    >>> sq = np.array([[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]])
    >>> ring_pixels(Frame((4, 4), (1.0, 1.0)), [sq, sq + [2.0, 0.0]])   # the second wraps around x
    [array([ 5,  6,  9, 10]), array([ 4,  7,  8, 11])]
    """
    h, w = frame.shape
    px, py = frame.pixel_size
    ox, oy = frame.origin
    out = []
    for poly in polygons:
        poly = np.asarray(poly, float)
        c0 = int(np.ceil((poly[:, 0].min() - ox) / px - 0.5))
        c1 = int(np.floor((poly[:, 0].max() - ox) / px - 0.5))
        r0 = int(np.ceil((poly[:, 1].min() - oy) / py - 0.5))
        r1 = int(np.floor((poly[:, 1].max() - oy) / py - 0.5))
        cols, rows = np.arange(c0, c1 + 1), np.arange(r0, r1 + 1)
        cc, rr = np.meshgrid(cols, rows)
        ins = _inside(ox + (cc + 0.5) * px, oy + (rr + 0.5) * py, poly)
        rr, cc = rr[ins], cc[ins]
        if frame.periodic:
            rr, cc = np.mod(rr, h), np.mod(cc, w)
        else:
            keep = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
            rr, cc = rr[keep], cc[keep]
        out.append(np.unique(rr * w + cc))
    return out


def ring_attribution(heat, frame: Frame, pixels) -> tuple:
    """``(sums, areas)``: the sum of ``heat`` over each ring's pixels (:func:`ring_pixels`) and the Å² they
    cover; ``sums / areas`` is the ring's mean attribution per Å²."""
    vals = np.asarray(heat, float).ravel()
    sums = np.array([vals[p].sum() for p in pixels], float)
    areas = np.array([len(p) for p in pixels], float) * frame.pixel_size[0] * frame.pixel_size[1]
    return sums, areas


def resample_to(heat, frame: Frame, shape, pixel_size, origin=(0.0, 0.0)) -> np.ndarray:
    """``heat`` (on ``frame``) sampled bilinearly at the pixel centres of another grid (``shape`` (H, W),
    square ``pixel_size`` Å, ``origin`` of its corner), rescaled to per-pixel of that grid; 0 off the frame on a
    non-periodic frame.

    Examples
    --------
    >>> f = Frame((2, 2), (2.0, 2.0), periodic=False)
    >>> resample_to(np.full((2, 2), 4.0), f, (5, 5), 1.0)[3:, 3:].tolist()   # 4 per 4 Å² = 1 per Å²; x = 4.5 is off
    [[1.0, 0.0], [0.0, 0.0]]
    """
    from .resample import sample

    h, w = (int(v) for v in shape)
    x = origin[0] + (np.arange(w) + 0.5) * pixel_size
    y = origin[1] + (np.arange(h) + 0.5) * pixel_size
    cols = (x - frame.origin[0]) / frame.pixel_size[0] - 0.5
    rows = (y - frame.origin[1]) / frame.pixel_size[1] - 0.5
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    out = sample(heat, rr, cc, frame.periodic)
    if not frame.periodic:
        H, W = frame.shape
        out[(rr < -0.5) | (rr > H - 0.5) | (cc < -0.5) | (cc > W - 0.5)] = 0.0
    return out * (pixel_size ** 2 / (frame.pixel_size[0] * frame.pixel_size[1]))


def atom_table(glass, columns: dict) -> dict:
    """Columns of a per-atom table: index, species, x, y, then ``columns`` (each ``(N,)``)."""
    pos = np.asarray(glass.positions, float)
    out = {"atom": np.arange(len(glass)), "species": np.asarray(glass.species), "x": pos[:, 0], "y": pos[:, 1]}
    for k, v in columns.items():
        out[k] = np.asarray(v)
    return out


def write_table(path, table: dict) -> Path:
    """Write equal-length columns ``table`` as a CSV (floats with 8 significant digits; NaN as empty)."""
    path = Path(path)
    names = list(table)
    cols = [np.asarray(table[k]) for k in names]

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "" if not np.isfinite(v) else f"{float(v):.8g}"
        return str(v.item() if hasattr(v, "item") else v)

    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(names)
            for i in range(len(cols[0]) if cols else 0):
                wr.writerow([cell(c[i]) for c in cols])
    return path


def write_atoms(path, glass, columns: dict) -> Path:
    """The glass with ``columns`` as per-atom arrays, as an extxyz file."""
    from ..io import write_structure

    arrays = dict(glass.arrays)
    arrays.update({k: np.asarray(v, float) for k, v in columns.items()})
    write_structure(glass.replace(arrays=arrays), path, format="extxyz")
    return Path(path)
