"""Rings as a table: :func:`rings_table` (columns, one row per ring; written as CSV by
:func:`glassfail_core.io.rings.write_rings_csv`)."""

from __future__ import annotations

from ..errors import InputError
from .ringset import RingSet

__all__ = ["rings_table"]


def rings_table(ringset: RingSet, *, include_open: bool = True) -> dict:
    """Columns (equal-length lists) describing every ring, ready for ``pandas.DataFrame`` or CSV.

    Columns: ``id``, ``kind`` (``"closed"``/``"open"``), ``size`` (Si atoms), ``n_atoms``, ``centroid_x``,
    ``centroid_y`` (Å), ``area`` (Å²), ``atoms`` (space-separated indices in ring order). Open rings have no
    centroid or area (empty).
    """
    if not isinstance(ringset, RingSet):
        raise InputError(f"rings_table needs a RingSet, got {type(ringset).__name__}")
    cols = {k: [] for k in ("id", "kind", "size", "n_atoms", "centroid_x", "centroid_y", "area", "atoms")}
    for r, atoms in enumerate(ringset.rings):
        cols["id"].append(r)
        cols["kind"].append("closed")
        cols["size"].append(int(ringset.sizes[r]))
        cols["n_atoms"].append(len(atoms))
        cols["centroid_x"].append(float(ringset.centroids[r, 0]))
        cols["centroid_y"].append(float(ringset.centroids[r, 1]))
        cols["area"].append(float(ringset.areas[r]))
        cols["atoms"].append(" ".join(map(str, atoms.tolist())))
    if include_open:
        for q, atoms in enumerate(ringset.open_rings):
            cols["id"].append(ringset.n_rings + q)
            cols["kind"].append("open")
            cols["size"].append(int(ringset.open_sizes[q]))
            cols["n_atoms"].append(len(atoms))
            cols["centroid_x"].append(None)
            cols["centroid_y"].append(None)
            cols["area"].append(None)
            cols["atoms"].append(" ".join(map(str, atoms.tolist())))
    return cols
