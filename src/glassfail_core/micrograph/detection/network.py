"""The Si–Si network of a detection: O spots that bridge two Si, and the network completed by geometry (shortest
pairs first, at most three bonds per Si, planar: no two bonds cross)."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

TIGHT_BOND = 1.15  # longest Si–Si bond (× expected_si_si) when judging gaps; relaxed glasses reach 1.07


def _bridges(si_xy, o_xy, score, *, cand_border, cutoff, si_o=(1.1, 2.3)):
    """O spots that bridge two Si: each candidate's two nearest Si must both lie ``si_o`` Å away and closer than
    ``cutoff`` to each other (an amorphous Si–O–Si need not be straight, so the O is not required at the
    midpoint); at most one O per Si pair and three per Si, the stronger spot first. A candidate with a single Si in
    reach is kept only near the image edge (its other Si may be outside). Returns (keep mask, (B, 2) Si pairs)."""
    keep = np.zeros(len(o_xy), bool)
    if len(o_xy) == 0 or len(si_xy) == 0:
        return keep, np.zeros((0, 2), int)
    k = min(2, len(si_xy))
    d, idx = cKDTree(si_xy).query(o_xy, k=k)
    d, idx = d.reshape(len(o_xy), k), idx.reshape(len(o_xy), k)
    lo, hi = si_o
    reach = (d >= lo) & (d <= hi)
    pairs = []
    count = np.zeros(len(si_xy), int)
    taken = set()
    for c in np.argsort(-np.asarray(score, float), kind="stable"):
        if k == 2 and reach[c].all():
            i, j = sorted((int(idx[c, 0]), int(idx[c, 1])))
            if np.linalg.norm(si_xy[i] - si_xy[j]) > cutoff or (i, j) in taken or count[i] >= 3 or count[j] >= 3:
                continue
            taken.add((i, j))
            count[i] += 1
            count[j] += 1
            pairs.append((i, j))
            keep[c] = True
        elif reach[c, 0] and cand_border[c] and count[idx[c, 0]] < 3:
            count[idx[c, 0]] += 1
            keep[c] = True
    return keep, np.array(pairs, int).reshape(-1, 2)


def _segments_cross(p1, p2, q1, q2):
    """Whether segments p1–p2 and q1–q2 (arrays of q's) properly intersect (shared end points do not count)."""
    def orient(a, b, c):
        return (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])

    d1, d2 = orient(p1, p2, q1), orient(p1, p2, q2)
    d3, d4 = orient(q1, q2, p1), orient(q1, q2, p2)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def _complete_bonds(si_xy, bonds, cutoff, min_length=0.0, min_angle=55.0, edge=None, edge_max=0.0):
    """The Si–Si network: the given ``bonds`` (seen O bridges) first, then the remaining pairs closer than
    ``cutoff`` (and not shorter than ``min_length``: a Si–O–Si bridge bent below ~105° is unphysical, so Si
    that close are neighbours across a ring, not bonded) from the shortest up, each accepted only if both Si still
    have fewer than three bonds, it crosses no accepted bond (the network is planar) and it makes at least
    ``min_angle`` degrees with every bond already at either end (no bond along the diagonal of a 4-ring). Two Si
    both flagged in ``edge`` (near the image edge, whose missing partners are most likely outside the image) get an
    added bond between them only when it is no longer than ``edge_max`` (a bond along the edge, as in a lattice row
    parallel to it, not a chord across a ring cut by the edge). Returns the given bonds followed by the added ones."""
    bonds = [tuple(b) for b in np.asarray(bonds, int).reshape(-1, 2)]
    n = len(si_xy)
    if n < 2:
        return np.array(bonds, int).reshape(-1, 2)
    adj = [[] for _ in range(n)]
    for i, j in bonds:
        adj[i].append(j)
        adj[j].append(i)
    pairs = cKDTree(si_xy).query_pairs(cutoff, output_type="ndarray")
    if len(pairs) == 0:
        return np.array(bonds, int).reshape(-1, 2)
    dist = np.linalg.norm(si_xy[pairs[:, 0]] - si_xy[pairs[:, 1]], axis=1)
    near_ok = dist >= min_length
    pairs, dist = pairs[near_ok], dist[near_ok]
    order = np.argsort(dist, kind="stable")
    tree = cKDTree(si_xy)
    cos_max = math.cos(math.radians(min_angle))
    for kk in order:
        i, j = int(pairs[kk, 0]), int(pairs[kk, 1])
        if len(adj[i]) >= 3 or len(adj[j]) >= 3 or j in adj[i]:
            continue
        if edge is not None and edge[i] and edge[j] and dist[kk] > edge_max:
            continue
        u = si_xy[j] - si_xy[i]
        lu = dist[kk]
        bad = False
        for a, b, v in ((i, j, u), (j, i, -u)):
            for m in adj[a]:
                w = si_xy[m] - si_xy[a]
                if float(v @ w) / (lu * float(np.hypot(*w))) > cos_max:
                    bad = True
                    break
            if bad:
                break
        if bad:
            continue
        near = tree.query_ball_point(0.5 * (si_xy[i] + si_xy[j]), 0.5 * lu + cutoff)
        q1, q2 = [], []
        for a in near:
            for b in adj[a]:
                if a < b and a not in (i, j) and b not in (i, j):
                    q1.append(si_xy[a])
                    q2.append(si_xy[b])
        if q1 and _segments_cross(si_xy[i], si_xy[j], np.array(q1), np.array(q2)).any():
            continue
        adj[i].append(j)
        adj[j].append(i)
        bonds.append((i, j))
    return np.array(bonds, int).reshape(-1, 2)
