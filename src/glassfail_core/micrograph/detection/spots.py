"""Spots: local maxima, the brightest class of spots, Si and O candidates of a tile, their confidence, and weak Si
spots kept only where the network has a gap for them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from .filters import _filter_noise_gain, _gaussian_model, _refine
from .network import TIGHT_BOND, _complete_bonds
from .tiles import _in_core, _Tile

if TYPE_CHECKING:  # pragma: no cover - annotations only (the pipeline imports this module)
    from .pipeline import DetectParams

WEAK_Z = 1.4  # Si spots below WEAK_Z × the detection threshold must fill a gap in the network (_weak_spots_fit)


def _peaks(s, min_distance_px, threshold):
    """Local maxima of ``s`` above ``threshold``, at least ``min_distance_px`` apart (Euclidean; the higher one
    wins), as integer (row, col). A separable square maximum filter inscribed in the disk does most of the work;
    a greedy pass over the few survivors closer than the distance finishes it (a non-separable disk filter is
    ~20× slower at fine pixel sizes)."""
    md = max(1.0, float(min_distance_px))
    side = 2 * max(1, int(md / math.sqrt(2.0))) + 1
    mx = ndi.maximum_filter(s, size=side, mode="nearest")
    cand = (s == mx)
    if threshold is not None:
        cand &= s > threshold
    rc = np.argwhere(cand)
    if len(rc) < 2:
        return rc
    vals = s[rc[:, 0], rc[:, 1]]
    order = np.argsort(-vals, kind="stable")
    rc = rc[order]
    pairs = cKDTree(rc).query_pairs(md - 1e-9, output_type="ndarray")
    if len(pairs) == 0:
        return rc
    pairs.sort(axis=1)  # (higher-ranked, lower-ranked): indices follow the height order
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    suppressed = np.zeros(len(rc), bool)
    starts = np.searchsorted(pairs[:, 0], np.arange(len(rc) + 1))
    for i in np.unique(pairs[:, 0]):
        if suppressed[i]:
            continue
        suppressed[pairs[starts[i]:starts[i + 1], 1]] = True
    return rc[~suppressed]


def _confidence(z, z_thr, rel, rel_thr):
    c_det = 1.0 - np.exp(-np.maximum(z - z_thr, 0.0) / z_thr)
    c_rel = np.clip((rel - rel_thr) / max(1e-9, 0.8 - rel_thr), 0.0, 1.0)
    return np.clip(c_det * c_rel, 0.0, 1.0)


def _bright_class(heights):
    """Mask of the brightest class of spots: an Otsu split of the heights when it separates two clearly
    different classes (mean ratio > 1.4, upper class ≥ 20 % of spots: Si over O), else all spots above 40 % of
    the typical height."""
    h = np.asarray(heights, float)
    ref = np.median(np.sort(h)[len(h) // 2:])
    base = h >= 0.4 * ref
    hb = np.sort(h[base])
    if len(hb) < 8:
        return base
    n = len(hb)
    k = np.arange(2, n - 1)
    csum = np.cumsum(hb)
    lo_mean = csum[k - 1] / k
    hi_mean = (csum[-1] - csum[k - 1]) / (n - k)
    score = k * (n - k) * (hi_mean - lo_mean) ** 2  # Otsu's between-class variance (× n²)
    j = int(np.argmax(score))
    thr, ratio, frac = hb[k[j]], hi_mean[j] / max(lo_mean[j], 1e-12), (n - k[j]) / n
    if thr is not None and ratio > 1.4 and frac >= 0.2:
        return base & (h >= thr)
    return base


def _si_candidates(tile: _Tile, core, p: DetectParams, ps):
    sig_px = p.atom_sigma / ps
    s = ndi.gaussian_filter(tile.f, sig_px, mode="nearest")
    s_noise = tile.noise * _filter_noise_gain(sig_px) if tile.noise > 0 else 0.0
    thr = p.z_threshold * s_noise if s_noise > 0 else 1e-6 * float(np.abs(s).max() or 1.0)
    pk = _peaks(s, p.min_separation / ps, thr)
    if len(pk) == 0:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0), np.zeros(0, bool)
    keep = _in_core(pk, core, tile.pad)
    pk = pk[keep]
    rc, height, ok = _refine(s, pk, math.sqrt(2.0) * sig_px)
    z = height / s_noise if s_noise > 0 else np.full(len(height), np.inf)
    rc = rc + [tile.pad[0], tile.pad[2]]
    return rc, height, z, ok


def _o_candidates(tile: _Tile, core, p: DetectParams, ps, si_rc_all, si_amp_all, si_sigma_px):
    pr0, pr1, pc0, pc1 = tile.pad
    m = 6 * si_sigma_px
    sel = ((si_rc_all[:, 0] >= pr0 - m) & (si_rc_all[:, 0] < pr1 + m)
           & (si_rc_all[:, 1] >= pc0 - m) & (si_rc_all[:, 1] < pc1 + m))
    local = si_rc_all[sel] - [pr0, pc0]
    resid = tile.f - _gaussian_model(tile.f.shape, local, si_amp_all[sel], si_sigma_px)
    o_px = p.o_sigma / ps
    s = ndi.gaussian_filter(resid, o_px, mode="nearest")
    s_noise = tile.noise * _filter_noise_gain(o_px) if tile.noise > 0 else 0.0
    thr = p.z_threshold * s_noise if s_noise > 0 else 1e-6 * float(np.abs(s).max() or 1.0)
    pk = _peaks(s, p.o_min_separation / ps, thr)
    if len(pk) == 0:
        return np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    pk = pk[_in_core(pk, core, tile.pad)]
    rc, height, _ = _refine(s, pk, math.sqrt(2.0) * o_px)
    z = height / s_noise if s_noise > 0 else np.full(len(height), np.inf)
    return rc + [pr0, pc0], height, z


def _weak_spots_fit(si_xy, z, p: DetectParams, edge):
    """Keep a weak Si spot (less than ``WEAK_Z`` × the detection threshold, where noise peaks live) only where
    the network has a gap for it: at least two partners at a bonding distance (``min_bond_ratio``–``TIGHT_BOND``
    × ``expected_si_si``), a partner being a strong Si with fewer than three bonds among the strong spots (bonded
    only at that tight distance, so a gap is not papered over by a long bond across it) or another weak spot. A
    noise peak inside a ring sits next to Si that already have their three bonds; a real but faint Si leaves its
    neighbours one bond short. Greedy, the spot filling most gaps first, each accepted spot filling the gaps of
    its strong partners. Spots within one Si–Si distance of the image edge (``edge``), where neighbours may be
    missing anyway, are kept. Does nothing when most spots are weak (a faint image as a whole). Returns the keep
    mask."""
    keep = np.ones(len(si_xy), bool)
    is_weak = z < WEAK_Z * p.z_threshold
    weak = is_weak & ~edge
    if not weak.any() or is_weak.sum() > 0.5 * len(z):
        return keep
    strong = np.flatnonzero(~is_weak)
    if len(strong) < 3:
        return keep
    lo, hi = p.min_bond_ratio * p.expected_si_si, TIGHT_BOND * p.expected_si_si
    bonds = _complete_bonds(si_xy[strong], np.zeros((0, 2), int), hi, lo)
    n_bonds = np.bincount(bonds.ravel(), minlength=len(strong))
    strong_rank = np.full(len(si_xy), -1)
    strong_rank[strong] = np.arange(len(strong))  # index into n_bonds
    weak_ids = np.flatnonzero(weak)
    cands = []
    for w, nb in zip(weak_ids, cKDTree(si_xy).query_ball_point(si_xy[weak_ids], hi)):
        nb = np.asarray(nb, int)
        nb = nb[(np.linalg.norm(si_xy[nb] - si_xy[w], axis=1) >= lo) & (nb != w)]  # partners at bonding distance
        cands.append((w, strong_rank[nb[~is_weak[nb]]], nb[is_weak[nb]]))
    # A real faint Si fills three gaps; a noise peak in a ring next to it sees two of the same gaps, already
    # filled by the time its turn comes.
    cands.sort(key=lambda c: (-int((n_bonds[c[1]] < 3).sum()), -float(z[c[0]])))
    for w, near, other in cands:
        gaps = near[n_bonds[near] < 3]
        keep[w] = len(gaps) + int(keep[other].sum()) >= 2
        if keep[w]:
            n_bonds[gaps] += 1
    return keep
