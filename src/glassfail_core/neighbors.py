"""Neighbour search in a 2D cell with periodicity chosen per axis (minimum-image convention).

Every module that needs pairs within a cutoff (bonds, per-atom energies, ring analysis, detection) calls
:func:`neighbor_pairs`, which uses a k-d tree and is linear in the number of atoms.

Tilted (Lees–Edwards) cells
---------------------------
Periodic simple shear keeps the orthorhombic edges ``(Lx, Ly)`` and adds a ``tilt``: the periodic images across
the y boundary are shifted along x by ``tilt`` (cell vectors ``a = (Lx, 0)``, ``b = (tilt, Ly)``; it needs both
axes periodic). The minimum image folds y first (shifting x by the tilt), then x; for any pair closer than
``min(Lx, Ly) / 2`` this is the nearest image whatever the tilt. Shear runs keep the tilt in ``[−Lx/2, Lx/2]``
(``tilt − Lx`` is the same lattice), which bounds the cost of the neighbour search.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["neighbor_pairs", "minimum_image", "wrap", "reduce_tilt"]


def _check_tilt(tilt, pbc):
    tilt = float(tilt)
    if tilt != 0.0 and not (pbc[0] and pbc[1]):
        raise ValueError(f"a tilted cell (tilt {tilt:g} Å) needs periodicity along x and y, got pbc={tuple(pbc)}")
    return tilt


def reduce_tilt(tilt, lx):
    """The equivalent tilt in ``[−Lx/2, Lx/2]`` (subtracting a multiple of ``Lx`` leaves the lattice unchanged).

    Examples
    --------
    >>> reduce_tilt(7.0, 10.0), reduce_tilt(-12.0, 10.0), reduce_tilt(5.0, 10.0)
    (-3.0, -2.0, 5.0)
    """
    tilt = float(tilt)
    return tilt - lx * round(tilt / lx) if abs(tilt) > 0.5 * lx else tilt


def minimum_image(vectors, cell, pbc, tilt=0.0):
    """Fold difference vectors ``(..., 2)`` into the minimum image along the periodic axes.

    ``tilt`` (Å): images across the y boundary are shifted along x by it (a Lees–Edwards cell, see the module
    docstring).

    Examples
    --------
    >>> minimum_image(np.array([[9.0, 1.0]]), (10.0, 10.0), (True, False))
    array([[-1.,  1.]])
    >>> minimum_image(np.array([[1.0, 9.0]]), (10.0, 10.0), (True, True), tilt=2.0)
    array([[-1., -1.]])
    """
    tilt = _check_tilt(tilt, pbc)
    v = np.array(vectors, dtype=float, copy=True)
    if pbc[1]:
        n = np.round(v[..., 1] / cell[1])
        v[..., 1] -= n * cell[1]
        if tilt:
            v[..., 0] -= n * tilt
    if pbc[0]:
        v[..., 0] -= cell[0] * np.round(v[..., 0] / cell[0])
    return v


def wrap(positions, cell, pbc, tilt=0.0):
    """Positions mapped into ``[0, Lx) × [0, Ly)`` along the periodic axes (with a ``tilt``, a point moved across
    the y boundary is shifted along x by it; the rectangle is a unit cell of the tilted lattice too).

    Examples
    --------
    >>> wrap(np.array([[1.0, 12.0]]), (10.0, 10.0), (True, True), tilt=3.0)
    array([[8., 2.]])
    """
    tilt = _check_tilt(tilt, pbc)
    p = np.array(positions, dtype=float, copy=True)
    for ax in (1, 0):
        if pbc[ax]:
            L = cell[ax]
            n = np.floor(p[..., ax] / L)
            p[..., ax] -= n * L
            if ax == 1 and tilt:
                p[..., 0] -= n * tilt
            p[..., ax][p[..., ax] >= L] = 0.0  # rounding can give L exactly
    return p


def neighbor_pairs(positions, cell, pbc, cutoff, *, mask_i=None, mask_j=None, tilt=0.0):
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
        Lees–Edwards tilt in Å (images across the y boundary shifted along x by it; needs both axes periodic).

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
    tilt = _check_tilt(tilt, pbc)
    n = len(pos)
    empty = (np.zeros(0, int), np.zeros(0, int), np.zeros((0, 2)), np.zeros(0))
    if n < 2:
        return empty
    for ax in range(2):
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
        # sheared coordinates (x − k·y, y) turn the tilted lattice into an orthorhombic one; a real distance d is
        # at most s_max·d there (s_max: largest singular value of the shear), so search that far and filter
        k = tilt / cell[1]
        boxed[:, 0] -= k * boxed[:, 1]
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
    vec = minimum_image(pos[j] - pos[i], cell, pbc, tilt)
    dist = np.hypot(vec[:, 0], vec[:, 1])
    if tilt:
        keep = dist <= cutoff
        i, j, vec, dist = i[keep], j[keep], vec[keep], dist[keep]
    order = np.lexsort((j, i))
    return i[order], j[order], vec[order], dist[order]
