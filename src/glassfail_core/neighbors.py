"""Neighbour search in a 2D cell with periodicity chosen per axis (minimum-image convention).

Every module that needs pairs within a cutoff (bonds, per-atom energies, ring analysis, detection) calls
:func:`neighbor_pairs`, which uses a k-d tree and is linear in the number of atoms.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["neighbor_pairs", "minimum_image"]


def minimum_image(vectors, cell, pbc):
    """Fold difference vectors ``(..., 2)`` into the minimum image along the periodic axes.

    Examples
    --------
    >>> minimum_image(np.array([[9.0, 1.0]]), (10.0, 10.0), (True, False))
    array([[-1.,  1.]])
    """
    v = np.array(vectors, dtype=float, copy=True)
    for ax in range(2):
        if pbc[ax]:
            L = cell[ax]
            v[..., ax] -= L * np.round(v[..., ax] / L)
    return v


def neighbor_pairs(positions, cell, pbc, cutoff, *, mask_i=None, mask_j=None):
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
    pairs = tree.query_pairs(cutoff, output_type="ndarray")
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
    vec = minimum_image(pos[j] - pos[i], cell, pbc)
    dist = np.hypot(vec[:, 0], vec[:, 1])
    order = np.lexsort((j, i))
    return i[order], j[order], vec[order], dist[order]
