"""Ring polygons as drawn, and the ring-size legend.

The atoms of a periodic structure are drawn wrapped into the cell, so its rings are too: a ring that crosses a
periodic edge is cut at that edge, and each piece is drawn inside the cell next to the atoms it joins. Every point
of the cell is then covered by exactly one ring (or none), nothing sticks out of the cell, and no ring is drawn
twice. Non-periodic structures keep their rings whole.
"""

from __future__ import annotations

import numpy as np

from glassfail_core.colors import ring_color
from glassfail_core.rings import ring_polygons

__all__ = ["clip_polygon", "drawn_ring_polygons", "polygon_area", "ring_legend_html", "LEGEND_SIZES"]

#: Ring sizes of the legend (the last one stands for "this size or larger").
LEGEND_SIZES = (4, 5, 6, 7, 8, 9, 10)
#: Pieces smaller than this (Å²) are slivers of a ring that only touches an edge: not drawn.
MIN_PIECE_AREA = 1e-3


def polygon_area(xy) -> float:
    """Unsigned area of a simple polygon (shoelace).

    >>> polygon_area([[0, 0], [2, 0], [2, 1], [0, 1]])
    2.0
    """
    p = np.asarray(xy, float)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _clip_half_plane(p: np.ndarray, axis: int, bound: float, keep_below: bool) -> np.ndarray:
    if len(p) == 0:
        return p
    inside = p[:, axis] <= bound if keep_below else p[:, axis] >= bound
    out = []
    for i in range(len(p)):
        a, b = p[i - 1], p[i]
        ia, ib = inside[i - 1], inside[i]
        if ia != ib:  # the edge crosses the bound: its crossing point, exactly on the bound
            t = (bound - a[axis]) / (b[axis] - a[axis])
            c = a + t * (b - a)
            c[axis] = bound
            out.append(c)
        if ib:
            out.append(b)
    return np.array(out) if out else np.zeros((0, 2))


def clip_polygon(xy, lo, hi) -> np.ndarray:
    """Sutherland–Hodgman clipping of a polygon to the box ``lo ≤ (x, y) ≤ hi`` (an infinite bound leaves that
    side open).

    >>> clip_polygon([[-1, 0], [1, 0], [1, 1], [-1, 1]], (0, -np.inf), (np.inf, np.inf)).tolist()
    [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    """
    p = np.asarray(xy, float)
    for axis in (0, 1):
        if np.isfinite(lo[axis]):
            p = _clip_half_plane(p, axis, float(lo[axis]), keep_below=False)
        if np.isfinite(hi[axis]):
            p = _clip_half_plane(p, axis, float(hi[axis]), keep_below=True)
    return _simplify(p)


def _simplify(p: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Drop repeated vertices and vertices on a straight line between their neighbours (a triangulator chokes on
    them), e.g. where a clipped outline runs along the cell edge."""
    changed = True
    while changed and len(p) > 3:
        changed = False
        prev, nxt = np.roll(p, 1, axis=0), np.roll(p, -1, axis=0)
        cross = (p[:, 0] - prev[:, 0]) * (nxt[:, 1] - prev[:, 1]) - (p[:, 1] - prev[:, 1]) * (nxt[:, 0] - prev[:, 0])
        span = np.hypot(*(nxt - prev).T) + np.hypot(*(p - prev).T)
        flat = np.abs(cross) <= tol * np.maximum(span, 1e-12)
        if flat.any():
            p = np.delete(p, np.flatnonzero(flat)[0], axis=0)  # one at a time: neighbours change
            changed = True
    return p


def drawn_ring_polygons(glass, ringset) -> tuple[list, np.ndarray]:
    """``(polygons, ring)``: the closed rings as drawn, (k, 2) arrays in Å (x, y), and the ring index of each
    polygon (a ring cut by periodic edges gives several pieces; the others one polygon, the core's
    :func:`~glassfail_core.rings.ring_polygons`).

    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.rings import find_rings
    >>> g = honeycomb(4, 4)
    >>> polys, ring = drawn_ring_polygons(g, find_rings(g))
    >>> len(set(ring.tolist())), round(float(sum(polygon_area(p) for p in polys) / (g.cell[0] * g.cell[1])), 6)
    (16, 1.0)
    """
    whole = ring_polygons(glass, ringset)
    pbc = tuple(bool(b) for b in glass.pbc)
    if not any(pbc):
        return list(whole), np.arange(len(whole), dtype=np.int64)
    cell = np.asarray(glass.cell, float)
    lo = np.array([0.0 if pbc[a] else -np.inf for a in (0, 1)])
    hi = np.array([cell[a] if pbc[a] else np.inf for a in (0, 1)])
    shifts = [np.array([i * cell[0], j * cell[1]]) for i in ((-1, 0, 1) if pbc[0] else (0,))
              for j in ((-1, 0, 1) if pbc[1] else (0,))]
    polys, ring = [], []
    for k, p in enumerate(whole):
        inside = np.all((p >= lo) & (p <= hi))
        if inside:
            polys.append(p)
            ring.append(k)
            continue
        for s in shifts:
            q = p + s
            if np.any(q.max(axis=0) < lo) or np.any(q.min(axis=0) > hi):
                continue
            piece = clip_polygon(q, lo, hi)
            if len(piece) >= 3 and polygon_area(piece) > MIN_PIECE_AREA:
                polys.append(piece)
                ring.append(k)
    return polys, np.asarray(ring, dtype=np.int64)


def ring_legend_html(sizes=LEGEND_SIZES) -> str:
    """The ring-size legend (the product's fixed colours) as one line of rich text for a Qt label.

    >>> "10+" in ring_legend_html()
    True
    """
    parts = []
    for i, n in enumerate(sizes):
        r, g, b = (int(round(255 * c)) for c in ring_color(n)[:3])
        label = f"{n}+" if i == len(sizes) - 1 else str(n)
        parts.append(f'<span style="color: rgb({r},{g},{b});">&#9632;</span>&nbsp;{label}')
    return "rings: " + " &nbsp;".join(parts)
