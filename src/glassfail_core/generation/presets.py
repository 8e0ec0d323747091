"""Named hand-built structures: the perfect crystal (honeycomb) and simple defects, for tests and teaching."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..glass import Glass
from ..repair import bridge_midpoints

__all__ = ["honeycomb", "stone_wales", "DEFAULT_SI_SI"]

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
    cell = np.array([nx * a, ny * 1.5 * d])
    pos = np.mod(si + [0.25 * a, 0.25 * d], cell)  # kept off the cell edges
    if oxygen:
        n = nx * ny
        k = np.arange(n)  # ring k = (i, j): its "up" Si is k, its "down" Si n + k
        i, j = i.ravel(), j.ravel()
        partners = np.concatenate([
            n + k,  # the 30° vertex of the same ring
            n + ((i - 1) % nx) * ny + j,  # the 150° vertex (the ring to the left)
            n + ((i - 1 + j % 2) % nx) * ny + (j + 1) % ny,  # the ring above
        ])
        pairs = np.stack([np.tile(k, 3), partners], axis=1)
        pos = np.concatenate([pos, bridge_midpoints(pos, pairs, cell, (True, True))])
    species = ["Si"] * len(si) + (["O"] * (3 * nx * ny) if oxygen else [])
    info = {"preset": "honeycomb", "rings": [int(nx), int(ny)], "si_si": d, "target_variance": 0.0}
    return Glass(pos, species, cell, pbc=(True, True), info=info)


def stone_wales(nx: int = 8, ny: int = 8, *, si_si: float = DEFAULT_SI_SI, relax: bool = False, **relax_options) -> Glass:
    """A periodic crystal with one Stone–Wales defect: two 5-rings and two 7-rings (one Si–Si link rotated by 90°).

    Built as one bond switch on the dual lattice of the crystal, followed by the bonded pre-relaxation (and, with
    ``relax=True``, the physics engine's relaxation of positions and cell).

    Parameters
    ----------
    nx, ny : int
        Rings along x and y (``ny`` even, both ≥ 4).
    si_si : float
        Si–Si distance of the surrounding crystal (Å).
    relax : bool
        Relax with :func:`glassfail_core.physics.relax` (``cell=True``); ``relax_options`` go to it.

    Examples
    --------
    >>> g = stone_wales(6, 6)
    >>> g.info["ring_counts"]
    {'5': 2, '6': 32, '7': 2}
    >>> sorted(set(g.coordination[g.si_mask].tolist())), sorted(set(g.coordination[g.o_mask].tolist()))
    ([3], [2])
    """
    from .dual import DualLattice
    from .network import bonded_relax, dual_to_network, topology_intact

    lat = DualLattice(nx, ny, si_si)
    centre = (nx // 2) + nx * (ny // 2)
    e = next(k for k, (a, b) in enumerate(zip(lat.ea, lat.eb)) if a == centre and b == lat.nbr[centre][0])
    if not lat.flip(e):  # pragma: no cover - always possible in the crystal
        raise InputError("could not place a Stone–Wales defect")
    lat.smooth(200)
    net, top = dual_to_network(lat)
    glass = bonded_relax(net.replace(validate=False), top, si_o=0.5 * si_si, cell=False)
    info = {"preset": "stone-wales", "rings": [int(nx), int(ny)], "si_si": float(si_si),
            "ring_counts": {str(k): int(v) for k, v in sorted(lat.distribution().items())},
            "variance": float(lat.variance), "target_variance": float(lat.variance)}
    glass = Glass(glass.positions, glass.species, glass.cell, pbc=(True, True), info=info)
    if relax:
        from ..physics import relax as _relax

        glass = _relax(glass, cell=True, **relax_options)
        if not topology_intact(glass, top):  # pragma: no cover - a single defect relaxes cleanly
            raise InputError("relaxation of the Stone–Wales preset broke bonds")
    return glass
