"""The product's fixed colours: one discrete map for ring sizes and one per species, used everywhere
(napari layers, rendered figures, reports) so that a 7-ring has the same colour in every view."""

from __future__ import annotations

import numpy as np

__all__ = ["RING_COLORS", "ring_color", "ring_colors", "SPECIES_COLORS"]

#: Ring size → RGBA (0..1). Sizes ≤ 4 use the 4 colour, ≥ 10 the 10 colour ("10+"). 6 (the crystal) is a quiet
#: grey so that defects stand out; 5 and 7 (the Stone–Wales pair) are a warm/cool pair.
RING_COLORS = {
    4: (0.55, 0.00, 0.55, 1.0),   # purple
    5: (0.90, 0.25, 0.20, 1.0),   # red
    6: (0.80, 0.80, 0.80, 1.0),   # light grey
    7: (0.20, 0.45, 0.85, 1.0),   # blue
    8: (0.15, 0.70, 0.30, 1.0),   # green
    9: (0.95, 0.70, 0.10, 1.0),   # amber
    10: (0.45, 0.25, 0.10, 1.0),  # brown (10+)
}
SPECIES_COLORS = {"Si": (0.95, 0.80, 0.25, 1.0), "O": (0.85, 0.10, 0.10, 1.0)}


def ring_color(size: int):
    """RGBA of a ring size (clipped to 4..10+).

    >>> ring_color(6)
    (0.8, 0.8, 0.8, 1.0)
    >>> ring_color(12) == RING_COLORS[10]
    True
    """
    return RING_COLORS[int(min(max(size, 4), 10))]


def ring_colors(sizes) -> np.ndarray:
    """``(R, 4)`` RGBA array for an array of ring sizes."""
    sizes = np.clip(np.asarray(sizes, int), 4, 10)
    table = np.array([RING_COLORS[k] for k in range(4, 11)])
    return table[sizes - 4]
