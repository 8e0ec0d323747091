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
#: A vertex closer than this (Å) to the line through its neighbours is left out of the drawn outline: invisible at
#: any zoom that shows a ring, and napari's triangulation leaves wedges in polygons with nearly straight runs.
STRAIGHT_TOL = 0.05


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


def _simplify(p: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Drop repeated vertices and vertices closer than ``tol`` (Å) to the line through their neighbours (a
    triangulator chokes on nearly straight runs, such as an O between two Si or a clipped outline along the cell
    edge)."""
    while len(p) > 3:
        prev, nxt = np.roll(p, 1, axis=0), np.roll(p, -1, axis=0)
        cross = (p[:, 0] - prev[:, 0]) * (nxt[:, 1] - prev[:, 1]) - (p[:, 1] - prev[:, 1]) * (nxt[:, 0] - prev[:, 0])
        height = np.abs(cross) / np.maximum(np.hypot(*(nxt - prev).T), 1e-12)
        k = int(np.argmin(height))
        if height[k] > tol:
            break
        p = np.delete(p, k, axis=0)  # one at a time, the straightest first: its neighbours change
    return p


def _covered(p: np.ndarray) -> bool:
    """Whether napari's own triangulation of the polygon ``p`` covers it (vispy's sweep line drops triangles of a
    few non-convex outlines, leaving a wedge); True when napari's triangulation cannot be asked."""
    try:
        from napari.layers.shapes import _shapes_utils as su
    except ImportError:
        return True
    yx = np.ascontiguousarray(p[:, ::-1], dtype=np.float32)
    try:
        if su._triangulate_dispatch.is_convex(yx):
            return True
        (v, t), _ = su.triangulate_face_and_edges(yx, su.triangulate_face_vispy)
    except (AttributeError, TypeError, ImportError):
        return True  # another napari: nothing to check
    except Exception:  # noqa: BLE001 - the triangulation failed: try another start
        return False
    v = np.asarray(v, float)
    a, b = v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]
    area = float(np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum() / 2)
    return abs(area - polygon_area(p)) <= 1e-3 * polygon_area(p)


def _drawable(p: np.ndarray) -> np.ndarray:
    """The outline ``p`` started at the vertex (or in the direction) that napari triangulates without wedges."""
    for q in (p, p[::-1]):
        for r in range(len(p)):
            rolled = np.roll(q, -r, axis=0)
            if _covered(rolled):
                return rolled
    return p


def drawn_ring_polygons(glass, ringset) -> tuple[list, np.ndarray]:
    """``(polygons, ring)``: the closed rings as drawn, (k, 2) arrays in Å (x, y), and the ring index of each
    polygon (a ring cut by periodic edges gives several pieces; the others one polygon, the core's
    :func:`~glassfail_core.rings.ring_polygons` without vertices on nearly straight runs, started where napari
    fills it whole).

    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.rings import find_rings
    >>> g = honeycomb(4, 4)
    >>> polys, ring = drawn_ring_polygons(g, find_rings(g))
    >>> len(set(ring.tolist())), round(float(sum(polygon_area(p) for p in polys) / (g.cell[0] * g.cell[1])), 6)
    (16, 1.0)
    """
    whole = [_drawable(_simplify(p, STRAIGHT_TOL)) for p in ring_polygons(glass, ringset)]
    pbc = tuple(bool(b) for b in glass.pbc)
    if not any(pbc):
        return whole, np.arange(len(whole), dtype=np.int64)
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
            piece = _simplify(clip_polygon(q, lo, hi), STRAIGHT_TOL)
            if len(piece) >= 3 and polygon_area(piece) > MIN_PIECE_AREA:
                polys.append(_drawable(piece))
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
