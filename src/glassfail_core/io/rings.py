"""Ring tables on disk: one CSV row per ring (:func:`glassfail_core.rings.rings_table`)."""

from __future__ import annotations

import csv

from .._atomic import atomic_path
from ..rings.ringset import RingSet
from ..rings.tables import rings_table

__all__ = ["write_rings_csv"]


def write_rings_csv(ringset: RingSet, path, *, include_open: bool = True) -> None:
    """Write :func:`rings_table` to ``path`` as CSV (atomically; floats with 6 decimals)."""
    cols = rings_table(ringset, include_open=include_open)
    names = list(cols)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(names)
            for row in zip(*(cols[k] for k in names)):
                wr.writerow(["" if v is None else (f"{v:.6f}" if isinstance(v, float) else v) for v in row])
