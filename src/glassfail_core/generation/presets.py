"""Named hand-built structures: the perfect crystal (honeycomb) and simple defects, for tests and teaching."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..glass import Glass

__all__ = ["honeycomb", "DEFAULT_SI_SI"]

#: Si–Si distance (Å) near the minimum of the default model for a flat honeycomb.
DEFAULT_SI_SI = 3.05


def honeycomb(nx: int = 16, ny: int = 18, *, si_si: float = DEFAULT_SI_SI, oxygen: bool = True) -> Glass:
    """A periodic, defect-free 2D silica crystal of ``nx × ny`` six-membered rings.

    Ring centres sit on a triangular lattice with rows along x (spacing ``√3·si_si``); every ring holds 2 Si and
    3 O of its own, so the crystal has ``2·nx·ny`` Si and ``3·nx·ny`` O. The cell is
    ``nx·√3·d × ny·1.5·d`` with ``d = si_si``: the reference study's 16 × 18 rings at d = 3.3 Å give its
    91.45 × 89.10 Å box.

    Parameters
    ----------
    nx, ny : int
        Rings along x and y; ``ny`` must be even (periodicity of the row stacking), both ≥ 2.
    si_si : float
        Si–Si distance in Å (Si–O is half of it).
    oxygen : bool
        Include O at the Si–Si midpoints (False gives the Si-only network).

    Examples
    --------
    >>> g = honeycomb(4, 4)
    >>> g.n_si, g.n_o, sorted(set(g.coordination.tolist()))
    (32, 48, [2, 3])
    """
    if int(nx) != nx or int(ny) != ny or nx < 2 or ny < 2:
        raise InputError(f"honeycomb needs at least 2 × 2 rings, got {nx} × {ny}")
    if ny % 2:
        raise InputError(f"honeycomb needs an even number of ring rows (ny) to be periodic, got {ny}")
    if not si_si > 0:
        raise InputError(f"si_si must be positive, got {si_si}")
    d = float(si_si)
    a = np.sqrt(3.0) * d
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    cx = (i + 0.5 * (j % 2)).ravel() * a
    cy = j.ravel() * 1.5 * d
    centres = np.stack([cx, cy], axis=1)
    up = centres + [0.0, d]  # vertex at 90°
    down = centres + [0.5 * a, 0.5 * d]  # vertex at 30°
    si = np.concatenate([up, down])
    parts = [si]
    if oxygen:
        o = np.concatenate([
            up + [0.25 * a, -0.25 * d],  # towards the 30° vertex of the same ring
            up + [-0.25 * a, -0.25 * d],  # towards the 150° vertex
            up + [0.0, 0.5 * d],  # towards the ring above
        ])
        parts.append(o)
    pos = np.concatenate(parts)
    cell = np.array([nx * a, ny * 1.5 * d])
    pos = pos + [0.25 * a, 0.25 * d]  # keep atoms off the cell edges
    pos = np.mod(pos, cell)
    species = ["Si"] * len(si) + (["O"] * (3 * nx * ny) if oxygen else [])
    info = {"preset": "honeycomb", "rings": [int(nx), int(ny)], "si_si": d, "target_variance": 0.0}
    return Glass(pos, species, cell, pbc=(True, True), info=info)
