"""Hand-built networks with known rings, for the ring tests and ``benchmarks/bench_rings.py``.

* :func:`stone_wales` — a periodic honeycomb with ``n_defects`` Stone–Wales defects (one Si–Si link rotated by
  90° about its midpoint; each turns four 6-rings into two 5-rings and two 7-rings), relaxed with a small
  bond-and-angle spring model, O placed at the Si–Si midpoints.
* :func:`square_octagon` — the periodic 4.8.8 tiling (one 4-ring and one 8-ring per unit cell).
"""

from __future__ import annotations

import numpy as np

from glassfail_core.generation import honeycomb
from glassfail_core.glass import Glass
from glassfail_core.neighbors import minimum_image

D = 3.05  # Si–Si distance (Å)


def with_oxygen(si_pos, si_bonds, cell, pbc=(True, True), info=None) -> Glass:
    """Si+O glass: O at the (minimum-image) midpoint of every Si–Si link."""
    si_pos = np.asarray(si_pos, float)
    vec = minimum_image(si_pos[si_bonds[:, 1]] - si_pos[si_bonds[:, 0]], cell, pbc)
    o = si_pos[si_bonds[:, 0]] + 0.5 * vec
    pos = np.concatenate([si_pos, o])
    for ax in range(2):
        if pbc[ax]:
            pos[:, ax] = np.mod(pos[:, ax], cell[ax])
    species = ["Si"] * len(si_pos) + ["O"] * len(o)
    return Glass(pos, species, cell, pbc=pbc, info=dict(info or {}))


def _neighbor_lists(bonds, n):
    nb = [[] for _ in range(n)]
    for a, b in bonds.tolist():
        nb[a].append(b)
        nb[b].append(a)
    return nb


def _relax(pos, bonds, cell, pbc, iters=300, step=0.05):
    """Gradient descent on harmonic bonds (rest D) and second-neighbour springs (rest D√3: 120° angles)."""
    n = len(pos)
    deg = np.bincount(bonds.ravel(), minlength=n)
    order = np.argsort(np.concatenate([bonds[:, 0], bonds[:, 1]]), kind="stable")
    other = np.concatenate([bonds[:, 1], bonds[:, 0]])[order]
    first = np.concatenate([[0], np.cumsum(deg)[:-1]])
    # Angle springs between every pair of neighbours of each (3-coordinated) atom.
    pa, pb = [], []
    for k in range(3):
        for l in range(k + 1, 3):
            ok = deg > l
            pa.append(other[first[ok] + k])
            pb.append(other[first[ok] + l])
    pa, pb = np.concatenate(pa), np.concatenate(pb)
    pairs = [(bonds[:, 0], bonds[:, 1], D, 1.0), (pa, pb, D * np.sqrt(3.0), 0.3)]
    pos = pos.copy()
    for _ in range(iters):
        f = np.zeros_like(pos)
        for i, j, r0, kk in pairs:
            v = minimum_image(pos[j] - pos[i], cell, pbc)
            r = np.hypot(v[:, 0], v[:, 1])
            g = (kk * (r - r0) / r)[:, None] * v
            for ax in range(2):
                f[:, ax] += np.bincount(i, weights=g[:, ax], minlength=n) - np.bincount(j, weights=g[:, ax], minlength=n)
        pos += step * f
    return pos


def _too_close(centres, c, cell, pbc, dmin=5.5 * D):
    if not centres:
        return False
    return bool(np.min(np.hypot(*minimum_image(np.array(centres) - c, cell, pbc).T)) < dmin)


def stone_wales(nx=12, ny=12, n_defects=1, *, seed=0, oxygen=True, relax=True, relax_iters=300):
    """Honeycomb of ``nx × ny`` rings with ``n_defects`` well-separated Stone–Wales defects.

    Returns ``(glass, expected_counts)`` where ``expected_counts`` is ``{5: 2k, 6: nx·ny − 4k, 7: 2k}``.
    """
    base = honeycomb(nx, ny, si_si=D, oxygen=False)
    cell, pbc = base.cell, base.pbc
    pos = np.array(base.positions)
    bonds = np.array(base.bonds)
    n = len(pos)
    rng = np.random.default_rng(seed)
    centres = []
    changed = []
    for bi in rng.permutation(len(bonds)):
        if len(changed) == n_defects:
            break
        a, b = bonds[bi]
        c = pos[a] + 0.5 * minimum_image(pos[b] - pos[a], cell, pbc)
        if _too_close(centres, c, cell, pbc):
            continue
        centres.append(c)
        changed.append((a, b))
    if len(changed) < n_defects:
        raise ValueError(f"only {len(changed)} Stone–Wales defects fit in {nx} × {ny} rings")
    nb = _neighbor_lists(bonds, n)
    new_bonds = {tuple(sorted(p)) for p in bonds.tolist()}
    for a, b in changed:
        va = minimum_image(pos[a] - pos[b], cell, pbc) * 0.5
        c = pos[b] + va
        rot = np.array([-va[1], va[0]])  # a → c + rot, b → c − rot
        new_a, new_b = c + rot, c - rot
        outer = [x for x in nb[a] if x != b] + [x for x in nb[b] if x != a]
        for x in outer:
            new_bonds.discard(tuple(sorted((x, a))))
            new_bonds.discard(tuple(sorted((x, b))))
        pos[a], pos[b] = new_a, new_b
        da = [np.hypot(*minimum_image(pos[x] - new_a, cell, pbc)) for x in outer]
        db = [np.hypot(*minimum_image(pos[x] - new_b, cell, pbc)) for x in outer]
        for x, d1, d2 in zip(outer, da, db):
            new_bonds.add(tuple(sorted((x, a if d1 < d2 else b))))
    si_bonds = np.array(sorted(new_bonds))
    assert (np.bincount(si_bonds.ravel(), minlength=n) == 3).all()
    if relax:
        pos = _relax(pos, si_bonds, cell, pbc, iters=relax_iters)
    pos = np.mod(pos, cell)
    info = {"preset": "stone_wales_test", "n_defects": n_defects}
    k = n_defects
    expected = {5: 2 * k, 6: nx * ny - 4 * k, 7: 2 * k} if k else {6: nx * ny}
    if oxygen:
        return with_oxygen(pos, si_bonds, cell, pbc, info), expected
    return Glass(pos, ["Si"] * n, cell, pbc=pbc, info=info), expected


def square_octagon(nx=4, ny=4, *, oxygen=True):
    """The periodic 4.8.8 tiling with Si–Si links of length ``D``: ``nx·ny`` 4-rings and as many 8-rings.

    Returns ``(glass, si_bonds)``.
    """
    s = D / np.sqrt(2.0)  # centre-to-vertex distance of the small square
    a = s * (2.0 + np.sqrt(2.0))  # lattice constant: square edge = link = D
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    cen = np.stack([i.ravel(), j.ravel()], axis=1) * a + 0.5 * a
    off = np.array([[s, 0], [0, s], [-s, 0], [0, -s]])
    pos = (cen[:, None, :] + off[None]).reshape(-1, 2)
    idx = lambda ii, jj, k: ((ii % nx) * ny + (jj % ny)) * 4 + k  # noqa: E731
    bonds = []
    for ii in range(nx):
        for jj in range(ny):
            for k in range(4):
                bonds.append((idx(ii, jj, k), idx(ii, jj, (k + 1) % 4)))
            bonds.append((idx(ii, jj, 0), idx(ii + 1, jj, 2)))
            bonds.append((idx(ii, jj, 1), idx(ii, jj + 1, 3)))
    bonds = np.sort(np.array(bonds), axis=1)
    cell = np.array([nx * a, ny * a])
    if oxygen:
        return with_oxygen(pos, bonds, cell), bonds
    return Glass(pos, ["Si"] * len(pos), cell), bonds
