"""Neighbour search and periodic folding in a 2D cell with periodicity chosen per axis (minimum-image convention).

Every module that needs pairs within a cutoff (bonds, per-atom energies, ring analysis, detection) calls
:func:`neighbor_pairs`, which uses a k-d tree and is linear in the number of atoms. Every periodic fold
(difference vectors, positions into the cell) goes through :func:`minimum_image` and :func:`wrap`.

Tilted (Lees–Edwards) cells
---------------------------
Periodic simple shear keeps the orthorhombic edges ``(Lx, Ly)`` and adds a ``tilt``: the periodic images across
one boundary are shifted along the other axis by ``tilt`` (it needs both axes periodic). ``tilt_axis`` names the
axis of that shift, the direction of the shear:

* ``tilt_axis="x"`` (the default; shear ``x += γ·y``): images across the y boundary are shifted along x, cell
  vectors ``a = (Lx, 0)``, ``b = (tilt, Ly)``;
* ``tilt_axis="y"`` (shear ``y += γ·x``): images across the x boundary are shifted along y, cell vectors
  ``a = (Lx, tilt)``, ``b = (0, Ly)``.

:func:`cell_vectors` gives these rows and :func:`lattice_tilt` reads ``(tilt, tilt_axis)`` back from them. The
minimum image folds the boundary axis first (shifting the other coordinate by the tilt), then the tilt axis; for any
pair closer than ``min(Lx, Ly) / 2`` this is the nearest image whatever the tilt. Shear runs keep the tilt in
``[−L/2, L/2]`` of the tilt axis (``tilt − L`` is the same lattice), which bounds the cost of the neighbour search.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .errors import StructureError

__all__ = ["neighbor_pairs", "minimum_image", "wrap", "reduce_tilt", "cell_vectors", "lattice_tilt"]

_AXES = {"x": 0, "y": 1}
#: Largest span (Å) of atoms along a free axis: beyond it coordinates are not a sample's (1 mm).
MAX_EXTENT = 1e7


def _check_tilt(tilt, pbc, tilt_axis="x"):
    """``(tilt, s)``: the tilt as a float and the index of the axis it shifts along (0 for x, 1 for y)."""
    tilt = float(tilt)
    if tilt_axis not in _AXES:
        raise ValueError(f"tilt_axis must be 'x' or 'y', got {tilt_axis!r}")
    if tilt != 0.0 and not (pbc[0] and pbc[1]):
        raise ValueError(f"a tilted cell (tilt {tilt:g} Å) needs periodicity along x and y, got pbc={tuple(pbc)}")
    return tilt, _AXES[tilt_axis]


def reduce_tilt(tilt, lx):
    """The equivalent tilt in ``[−Lx/2, Lx/2]`` (subtracting a multiple of ``Lx`` leaves the lattice unchanged).

    ``lx`` is the cell edge along the tilt axis (``Ly`` for ``tilt_axis="y"``).

    Examples
    --------
    >>> reduce_tilt(7.0, 10.0), reduce_tilt(-12.0, 10.0), reduce_tilt(5.0, 10.0)
    (-3.0, -2.0, 5.0)
    """
    tilt = float(tilt)
    return tilt - lx * round(tilt / lx) if abs(tilt) > 0.5 * lx else tilt


def cell_vectors(cell, tilt=0.0, *, tilt_axis="x") -> np.ndarray:
    """Rows ``a``, ``b`` of the periodic lattice of a cell ``(Lx, Ly)`` with a Lees–Edwards ``tilt`` (Å).

    Examples
    --------
    >>> cell_vectors((10.0, 8.0), 2.0).tolist(), cell_vectors((10.0, 8.0), 2.0, tilt_axis="y").tolist()
    ([[10.0, 0.0], [2.0, 8.0]], [[10.0, 2.0], [0.0, 8.0]])
    """
    tilt, s = _check_tilt(tilt, (True, True), tilt_axis)
    v = np.diag(np.asarray(cell, dtype=float)[:2])
    v[1 - s, s] = tilt
    return v


def lattice_tilt(vectors):
    """``(tilt, tilt_axis)`` of a lattice given as rows ``a``, ``b`` (the inverse of :func:`cell_vectors`).

    Raises ``ValueError`` for a lattice that is not an orthorhombic cell with at most one tilt.

    Examples
    --------
    >>> lattice_tilt([[10.0, 0.0], [2.0, 8.0]]), lattice_tilt([[10.0, 2.0], [0.0, 8.0]])
    ((2.0, 'x'), (2.0, 'y'))
    >>> lattice_tilt(np.diag([10.0, 8.0]))
    (0.0, 'x')
    """
    v = np.asarray(vectors, dtype=float)
    if v.shape != (2, 2) or (v[0, 1] and v[1, 0]) or v[0, 0] <= 0 or v[1, 1] <= 0:
        raise ValueError(f"not a cell (Lx, Ly) with one tilt: lattice vectors {v.tolist()}")
    return (float(v[0, 1]), "y") if v[0, 1] else (float(v[1, 0]), "x")


def minimum_image(vectors, cell, pbc, tilt=0.0, *, tilt_axis="x"):
    """Fold difference vectors ``(..., 2)`` into the minimum image along the periodic axes.

    ``tilt`` (Å): images across the boundary normal to the other axis are shifted along ``tilt_axis`` by it (a
    Lees–Edwards cell, see the module docstring).

    Examples
    --------
    >>> minimum_image(np.array([[9.0, 1.0]]), (10.0, 10.0), (True, False))
    array([[-1.,  1.]])
    >>> minimum_image(np.array([[1.0, 9.0]]), (10.0, 10.0), (True, True), tilt=2.0)
    array([[-1., -1.]])
    >>> minimum_image(np.array([[9.0, 1.0]]), (10.0, 10.0), (True, True), tilt=2.0, tilt_axis="y")
    array([[-1., -1.]])
    """
    tilt, s = _check_tilt(tilt, pbc, tilt_axis)
    v = np.array(vectors, dtype=float, copy=True)
    o = 1 - s  # the boundary whose crossing shifts the images along s
    if pbc[o]:
        n = np.round(v[..., o] / cell[o])
        v[..., o] -= n * cell[o]
        if tilt:
            v[..., s] -= n * tilt
    if pbc[s]:
        v[..., s] -= cell[s] * np.round(v[..., s] / cell[s])
    return v


def _fold(p, ax, L, skew=None):
    """Fold column ``ax`` of ``p`` into ``[0, L)`` in place (minus ``skew``, the edge's offset, when given);
    return the number of cell lengths removed from each row."""
    q = p[..., ax] if skew is None else p[..., ax] - skew
    r = np.mod(q, L)
    r = np.where(r >= L, 0.0, r)  # mod rounds a tiny negative up to L exactly
    n = np.round((q - r) / L)
    p[..., ax] = r if skew is None else r + skew
    return n


def wrap(positions, cell, pbc, tilt=0.0, *, tilt_axis="x", into="box"):
    """Positions mapped into the cell along the periodic axes (free axes untouched).

    Parameters
    ----------
    positions : (..., 2) array
    cell, pbc : (2,) sequences
        Orthorhombic edges ``(Lx, Ly)`` (Å) and periodicity per axis.
    tilt : float
        Lees–Edwards tilt (Å): a point moved across the boundary normal to the other axis is shifted along
        ``tilt_axis`` by it (see the module docstring).
    tilt_axis : {"x", "y"}
    into : {"box", "parallelogram"}
        ``"box"``: the rectangle ``[0, Lx) × [0, Ly)``, a unit cell of the tilted lattice too; ``"parallelogram"``:
        the cell spanned by the lattice vectors ``a``, ``b`` of :func:`cell_vectors` (the box when not tilted).

    Examples
    --------
    >>> wrap(np.array([[1.0, 12.0]]), (10.0, 10.0), (True, True), tilt=3.0)
    array([[8., 2.]])
    >>> wrap(np.array([[12.0, 1.0]]), (10.0, 10.0), (True, True), tilt=3.0, tilt_axis="y")
    array([[2., 8.]])
    >>> wrap(np.array([[1.0, 5.0]]), (10.0, 10.0), (True, True), tilt=4.0, into="parallelogram")
    array([[11.,  5.]])
    """
    tilt, s = _check_tilt(tilt, pbc, tilt_axis)
    if into not in ("box", "parallelogram"):
        raise ValueError(f"into must be 'box' or 'parallelogram', got {into!r}")
    p = np.array(positions, dtype=float, copy=True)
    o = 1 - s
    if pbc[o]:
        n = _fold(p, o, cell[o])
        if tilt:
            p[..., s] -= n * tilt
    if pbc[s]:
        skew = tilt / cell[o] * p[..., o] if tilt and into == "parallelogram" else None
        _fold(p, s, cell[s], skew)
    return p


def neighbor_pairs(positions, cell, pbc, cutoff, *, mask_i=None, mask_j=None, tilt=0.0, tilt_axis="x"):
    """All pairs ``i < j`` closer than ``cutoff`` (Å), with their minimum-image vectors.

    Parameters
    ----------
    positions : (N, 2) array
        Coordinates in Å (need not be wrapped).
    cell : (2,) sequence
        Orthorhombic cell edges ``(Lx, Ly)`` in Å.
    pbc : (2,) sequence of bool
        Periodicity per axis.
    cutoff : float
        Distance cutoff in Å. Along a periodic axis it must be below half the cell edge.
    mask_i, mask_j : (N,) bool arrays, optional
        Keep only pairs with one atom in ``mask_i`` and the other in ``mask_j``; the returned pair is then
        ordered so that ``i`` is in ``mask_i`` (and ``j`` in ``mask_j``), not by index.
    tilt : float
        Lees–Edwards tilt in Å (needs both axes periodic; see the module docstring).
    tilt_axis : {"x", "y"}
        The axis along which the tilt shifts the images: ``"x"``, across the y boundary (the default), or ``"y"``.

    Returns
    -------
    i, j : (M,) int arrays
    vec : (M, 2) array
        ``positions[j] - positions[i]`` under the minimum image.
    dist : (M,) array

    Examples
    --------
    >>> i, j, vec, d = neighbor_pairs(np.array([[0.5, 0.5], [9.5, 0.5]]), (10, 10), (True, True), 2.0)
    >>> i.tolist(), j.tolist(), d.round(6).tolist()
    ([0], [1], [1.0])
    """
    pos = np.asarray(positions, dtype=float)
    cell = np.asarray(cell, dtype=float)
    tilt, s = _check_tilt(tilt, pbc, tilt_axis)
    n = len(pos)
    empty = (np.zeros(0, int), np.zeros(0, int), np.zeros((0, 2)), np.zeros(0))
    if n < 2:
        return empty
    if not np.isfinite(pos).all():
        raise StructureError("atom positions must be finite numbers (found NaN or infinity)")
    for ax in range(2):
        if not pbc[ax] and np.ptp(pos[:, ax]) > MAX_EXTENT:
            raise StructureError(f"the atoms span {np.ptp(pos[:, ax]):.3g} Å along {'xy'[ax]}: more than "
                                 f"{MAX_EXTENT:.0e} Å, not a sample (check the coordinates' units)")
        if pbc[ax] and cutoff >= 0.5 * cell[ax]:
            raise ValueError(
                f"cutoff {cutoff:g} Å is not below half the periodic cell edge {cell[ax]:g} Å "
                f"(axis {'xy'[ax]}); the minimum-image convention would miss pairs"
            )
    # Map into a box usable by cKDTree: periodic axes wrapped to [0, L), free axes shifted to start at 0 and
    # given a box large enough that nothing wraps.
    boxed = pos.copy()
    search = cutoff
    if tilt:
        # sheared coordinates (x − k·y, y) (for tilt_axis "y": (x, y − k·x)) turn the tilted lattice into an
        # orthorhombic one; a real distance d is at most s_max·d there (s_max: largest singular value of the
        # shear), so search that far and filter
        k = tilt / cell[1 - s]
        boxed[:, s] -= k * boxed[:, 1 - s]
        search = cutoff * np.sqrt(0.5 * (2.0 + k * k + abs(k) * np.sqrt(k * k + 4.0))) * (1.0 + 1e-12)
    box = np.empty(2)
    for ax in range(2):
        if pbc[ax]:
            boxed[:, ax] = np.mod(boxed[:, ax], cell[ax])
            boxed[:, ax][boxed[:, ax] >= cell[ax]] = 0.0  # mod can round up to L exactly
            box[ax] = cell[ax]
        else:
            lo = boxed[:, ax].min()
            boxed[:, ax] -= lo
            box[ax] = boxed[:, ax].max() + 2.0 * cutoff + 1.0
    tree = cKDTree(boxed, boxsize=box)
    pairs = tree.query_pairs(search, output_type="ndarray")
    if len(pairs) == 0:
        return empty
    i, j = pairs[:, 0], pairs[:, 1]
    if mask_i is not None or mask_j is not None:
        mi = np.ones(n, bool) if mask_i is None else np.asarray(mask_i, bool)
        mj = np.ones(n, bool) if mask_j is None else np.asarray(mask_j, bool)
        direct = mi[i] & mj[j]
        swapped = mi[j] & mj[i] & ~direct
        keep = direct | swapped
        i, j = np.where(swapped, j, i)[keep], np.where(swapped, i, j)[keep]
    vec = minimum_image(pos[j] - pos[i], cell, pbc, tilt, tilt_axis=tilt_axis)
    dist = np.hypot(vec[:, 0], vec[:, 1])
    if tilt:
        keep = dist <= cutoff
        i, j, vec, dist = i[keep], j[keep], vec[keep], dist[keep]
    order = np.lexsort((j, i))
    return i[order], j[order], vec[order], dist[order]
