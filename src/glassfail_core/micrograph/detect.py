"""Find Si and O atoms in a micrograph and return them as a non-periodic :class:`~glassfail_core.glass.Glass`.

Method (every length is given in Å and converted with the micrograph's pixel size)
-----------------------------------------------------------------------------------
1. **Polarity**: atoms brighter or darker than the background — from the sign of the skewness of the
   background-flattened image (sparse atoms make a long tail on their side), or set with ``invert=``.
2. **Scale check**: the brightest spots' nearest-neighbour spacing is measured in *pixels*
   (:func:`estimate_pixel_size`, scale-normalised LoG); if ``expected_si_si`` Å divided by it disagrees with the
   given pixel size by more than ``scale_tolerance``, an :class:`~glassfail_core.errors.InputError` suggests the
   likely pixel size (a wrong scale makes atoms overlap or fall apart, and every later step would be wrong).
3. **Background flattening**: subtract the background *under* the atoms: the 10th percentile of 4 Å blocks,
   blurred by ``background_sigma`` and interpolated back (cheap even at 0.05 Å/px). The gaps between atoms then
   sit at zero, and the noise level is measured there (MAD of neighbour differences).
4. **Si**: Gaussian matched filter of width ``atom_sigma``; local maxima at least ``min_separation`` apart
   (``skimage.feature.peak_local_max``) and ``5 / sensitivity`` noise standard deviations high; spots fainter than
   ``relative_threshold`` × the typical Si spot are dropped. Sub-pixel position: a separable three-point
   log-parabola (exact for a Gaussian spot) on the filtered image. Weak spots (below 1.4 × the threshold, where
   noise peaks live) are kept only where the network of the strong spots has a gap for them: two strong Si
   nearby at a bonding distance and one bond short, or other weak spots (a noise peak inside a ring has only
   fully bonded Si around).
5. **O** (``species`` "auto" or "si-o"): the fitted Si spots are subtracted, the residual is filtered at
   ``o_sigma``, and maxima ≥ ``o_min_separation`` apart, 1.1–2.3 Å from a Si, are O candidates. "auto" keeps them
   when at least half of the Si–Si bonds show one near their midpoint ("si-o"); otherwise it falls back to
   **geometry** ("si-only"): Si–Si bonds are the pairs ``min_bond_ratio``–1.3 × ``expected_si_si`` apart, the
   shortest first, at most three per Si, never crossing another bond or nearly parallel to one at the same Si
   (two Si both near the image edge bonded only up to 1.15 × ``expected_si_si``), and an O is placed at each
   bond midpoint. In "si-o" mode bonds with no O seen get one placed
   at the midpoint too (``arrays["inferred"]``). ``info["species_mode"]`` says which way was used.
6. Large images are processed in tiles of ``tile`` pixels overlapping by ``overlap`` Å; each tile keeps the atoms
   of its own core region, so tiles never duplicate or drop atoms.

Per-atom output arrays: ``confidence`` (0..1: detection margin over the noise threshold × brightness relative to
the typical spot of its species; for O placed by geometry, the lower confidence of its two Si), ``intensity``
(filtered peak height in noise units) and ``inferred`` (True for O placed by geometry).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from ..errors import GlassfailWarning, InputError
from ..glass import Glass
from ..progress import Progress, run
from .image import Micrograph

__all__ = ["DetectParams", "detect_atoms", "detect_steps", "estimate_pixel_size"]

SPECIES_MODES = ("auto", "si-only", "si-o")
WEAK_Z = 1.4  # Si spots below WEAK_Z × the detection threshold must fill a gap in the network (_weak_spots_fit)
TIGHT_BOND = 1.15  # longest Si–Si bond (× expected_si_si) when judging gaps; relaxed glasses reach 1.07


@dataclass(frozen=True)
class DetectParams:
    """Detection parameters (lengths in Å). See the module docstring for what each step does."""

    species: str = "auto"
    invert: bool | None = None
    sensitivity: float = 1.0
    atom_sigma: float = 0.5
    o_sigma: float = 0.3
    min_separation: float = 2.0
    o_min_separation: float = 1.0
    relative_threshold: float = 0.3
    background_sigma: float = 6.0
    expected_si_si: float = 3.05
    min_bond_ratio: float = 0.85
    check_scale: bool = True
    scale_tolerance: float = 0.3
    fill_missing_o: bool = True
    tile: int = 2048
    overlap: float = 10.0

    def to_dict(self):
        return asdict(self)

    @property
    def z_threshold(self) -> float:
        return 5.0 / self.sensitivity


def _validate(p: DetectParams):
    if p.species not in SPECIES_MODES:
        raise InputError(f"species must be one of {', '.join(SPECIES_MODES)}; got {p.species!r}")
    if p.invert not in (None, True, False):
        raise InputError(f"invert must be True, False or None (auto), got {p.invert!r}")
    for name in ("sensitivity", "atom_sigma", "o_sigma", "min_separation", "o_min_separation", "background_sigma",
                 "expected_si_si", "overlap"):
        v = getattr(p, name)
        if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v!r}")
    if not 0 <= p.relative_threshold < 1:
        raise InputError(f"relative_threshold must be in [0, 1), got {p.relative_threshold!r}")
    if not (isinstance(p.min_bond_ratio, (int, float)) and 0 <= p.min_bond_ratio < 1.3):
        raise InputError(f"min_bond_ratio must be in [0, 1.3), got {p.min_bond_ratio!r}")
    if not 0 < p.scale_tolerance < 1:
        raise InputError(f"scale_tolerance must be in (0, 1), got {p.scale_tolerance!r}")
    if int(p.tile) != p.tile or p.tile < 64:
        raise InputError(f"tile must be an integer ≥ 64 pixels, got {p.tile!r}")


# ---------------------------------------------------------------------------------------------------- helpers
def _background(img, sigma_px, block_px):
    """Smooth background under the atoms: the 10th percentile of ``block_px``-sized blocks (each block wider than
    an atom, so it reaches the gaps between atoms), blurred by ``sigma_px`` and interpolated back bilinearly."""
    f = max(1, int(round(block_px)))
    h, w = img.shape
    H, W = -(-h // f) * f, -(-w // f) * f
    padded = np.pad(img, ((0, H - h), (0, W - w)), mode="reflect") if (H, W) != (h, w) else img
    blocks = padded.reshape(H // f, f, W // f, f).transpose(0, 2, 1, 3).reshape(H // f, W // f, f * f)
    small = np.percentile(blocks, 10, axis=2).astype(np.float32) if f > 1 else padded.astype(np.float32)
    small = ndi.gaussian_filter(small, max(sigma_px / f, 0.5), mode="nearest")
    if f == 1:
        return small[:h, :w]
    # Block values sit at block centres: map pixel centres onto the small grid, then interpolate bilinearly.
    rr = np.clip((np.arange(h) + 0.5) / f - 0.5, 0, small.shape[0] - 1)
    cc = np.clip((np.arange(w) + 0.5) / f - 0.5, 0, small.shape[1] - 1)
    r0, c0 = np.floor(rr).astype(int), np.floor(cc).astype(int)
    r1, c1 = np.minimum(r0 + 1, small.shape[0] - 1), np.minimum(c0 + 1, small.shape[1] - 1)
    fr = (rr - r0)[:, None].astype(np.float32)
    fc = (cc - c0)[None, :].astype(np.float32)
    top = small[r0][:, c0] * (1 - fc) + small[r0][:, c1] * fc
    bot = small[r1][:, c0] * (1 - fc) + small[r1][:, c1] * fc
    return (top * (1 - fr) + bot * fr).astype(np.float32)


def _noise_sigma(f, smooth_px):
    """Robust pixel-noise standard deviation: MAD of neighbour differences, taken where the smoothed image is in
    its lower 40 % (the gaps between atoms, where the signal is flat)."""
    step = max(1, f.shape[0] // 256)  # a few hundred rows are plenty for a robust estimate
    f = f[::step]
    d = np.diff(f, axis=1)
    if d.size == 0:
        return 0.0
    sm = ndi.gaussian_filter1d(f, smooth_px, axis=1)[:, :-1]
    sel = d[sm <= np.percentile(sm, 40)]
    if sel.size < 16:
        sel = d.ravel()
    return float(1.4826 * np.median(np.abs(sel - np.median(sel))) / math.sqrt(2.0))


def _filter_noise_gain(sigma_px):
    """Standard deviation of white noise (σ = 1) after ``gaussian_filter(·, sigma_px)``."""
    r = int(4 * sigma_px + 0.5)
    x = np.arange(-r, r + 1)
    g = np.exp(-0.5 * (x / sigma_px) ** 2)
    g /= g.sum()
    return float((g**2).sum())  # 2D kernel g⊗g: std gain = sqrt(Σ(g⊗g)²) = Σg²


def _refine(s, rc, width_px=None):
    """Sub-pixel peak positions and heights of ``s`` at integer maxima ``rc`` (three-point log-parabola per axis,
    falling back to a plain parabola where values are not all positive). Returns (rc_float, height, ok).

    A maximum on the image's first or last row/column may belong to a spot centred *outside* the image (an atom
    just beyond the edge, cut by it). Along such an axis the centre is extrapolated from the edge pixel and its
    inner neighbour, assuming a Gaussian of the known filtered width ``width_px``:
    ``x0 = 0.5 − width²·ln(s_edge / s_inner)`` pixels from the edge pixel, outwards; it may lie beyond the image
    (the caller drops such spots)."""
    h, w = s.shape
    r, c = rc[:, 0], rc[:, 1]
    out = rc.astype(float)
    ok = (r > 0) & (r < h - 1) & (c > 0) & (c < w - 1)
    height = s[r, c].astype(float)
    for ax in (0, 1):
        if ax == 0:
            lo, mid, hi = s[np.clip(r - 1, 0, h - 1), c], s[r, c], s[np.clip(r + 1, 0, h - 1), c]
            inner = (r > 0) & (r < h - 1)
        else:
            lo, mid, hi = s[r, np.clip(c - 1, 0, w - 1)], s[r, c], s[r, np.clip(c + 1, 0, w - 1)]
            inner = (c > 0) & (c < w - 1)
        lo, mid, hi = lo.astype(float), mid.astype(float), hi.astype(float)
        pos = (lo > 0) & (mid > 0) & (hi > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            a, b, cc = np.log(np.where(pos, lo, 1)), np.log(np.where(pos, mid, 1)), np.log(np.where(pos, hi, 1))
            den_log = a - 2 * b + cc
            den_lin = lo - 2 * mid + hi
            d_log = 0.5 * (a - cc) / den_log
            d_lin = 0.5 * (lo - hi) / den_lin
        d = np.where(pos & (den_log < 0), d_log, np.where(den_lin < 0, d_lin, 0.0))
        d = np.clip(np.nan_to_num(d), -0.5, 0.5)
        out[:, ax] += np.where(inner, d, 0.0)
        n = h if ax == 0 else w
        if width_px is not None and n > 1:
            idx = r if ax == 0 else c
            at_lo, at_hi = (idx == 0) & ~inner, (idx == n - 1) & ~inner
            other = np.where(at_lo, hi, lo)  # the inner neighbour of the edge pixel
            good = (at_lo | at_hi) & (mid > 0) & (other > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                x0 = 0.5 - width_px**2 * np.log(np.where(good, mid, 1.0) / np.where(good, other, 1.0))
            x0 = np.clip(np.nan_to_num(x0), -3.0 * width_px, 0.5)  # offset from the edge pixel, + = inwards
            out[:, ax] += np.where(good & at_lo, x0, 0.0) - np.where(good & at_hi, x0, 0.0)
    return out, height, ok


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


def _skewness(x):
    x = x.astype(np.float64).ravel()
    m = x.mean()
    sd = x.std()
    if sd == 0:
        return 0.0
    return float(np.mean((x - m) ** 3) / sd**3)


def _centre_crop(img, n=768):
    h, w = img.shape
    r0, c0 = max(0, (h - n) // 2), max(0, (w - n) // 2)
    return img[r0:r0 + n, c0:c0 + n]


# ---------------------------------------------------------------------------------------------------- scale check
def estimate_pixel_size(micrograph, *, invert=None, expected_si_si: float = 3.05):
    """Estimate the pixel size (Å/px) from the image alone: the median nearest-neighbour spacing of the brightest
    spots, in pixels, found at the scale where a scale-normalised Laplacian of Gaussian responds most, is taken to
    be the Si–Si distance ``expected_si_si``.

    Parameters
    ----------
    micrograph : Micrograph or (H, W) array
    invert : bool, optional
        Atoms are dark (True) or bright (False); None: from the skewness.
    expected_si_si : float
        Si–Si distance in Å (3.05 for the default model; 3.0–3.3 in experiments).

    Returns
    -------
    dict
        ``pixel_size`` (Å/px, NaN if no spacing could be measured), ``spacing_px``, ``spot_sigma_px``,
        ``n_spots``.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.micrograph import render_glass
    >>> m = render_glass(honeycomb(6, 6), pixel_size=0.2, seed=1)
    >>> round(estimate_pixel_size(m)["pixel_size"], 1)
    0.2
    """
    img = micrograph.image if isinstance(micrograph, Micrograph) else np.asarray(micrograph, dtype=np.float32)
    img = _centre_crop(np.asarray(img, dtype=np.float32), 512)
    out = {"pixel_size": float("nan"), "spacing_px": float("nan"), "spot_sigma_px": float("nan"), "n_spots": 0}
    if img.size < 64 or img.std() == 0:
        return out
    f = img - img.mean()
    sign = _polarity_sign(f, invert)
    f = sign * f
    sigmas = np.geomspace(0.7, max(1.0, min(img.shape) / 16), 9)
    trials = []
    for sg in sigmas:
        resp = -(sg**2) * ndi.gaussian_laplace(f, sg)
        med = float(np.median(resp))
        mad = float(np.median(np.abs(resp - med))) or 1e-12
        score = (float(np.percentile(resp, 99.5)) - med) / mad  # scale-free: white noise scores alike at every σ
        trials.append((score, sg, resp))
    # Atoms are spots whose neighbours sit ~6 spot widths away (Si–Si 3.05 Å, σ ≈ 0.5 Å), and the spacing of real
    # atoms does not depend on the filter scale (that of noise grains does). Take the strongest scale whose
    # spacing-to-width ratio fits and whose spacing a neighbouring scale confirms (within 10 %).
    spacings = []
    for score, sg, resp in trials:
        pk = _peaks(resp, 1.5 * sg, None)
        sp = float("nan")
        if len(pk) >= 8:
            pk = pk[_bright_class(resp[pk[:, 0], pk[:, 1]])]
            if len(pk) >= 8:
                d, _ = cKDTree(pk.astype(float)).query(pk.astype(float), k=2)
                sp = float(np.median(d[:, 1]))
        spacings.append((sp, len(pk)))
    ok = []
    for i, ((score, sg, _), (sp, n)) in enumerate(zip(trials, spacings)):
        if not np.isfinite(sp) or not 4.5 <= sp / sg <= 10.0:
            continue
        near = [spacings[j][0] for j in (i - 1, i + 1) if 0 <= j < len(trials)]
        if any(np.isfinite(q) and abs(q - sp) <= 0.1 * sp for q in near):
            ok.append((score, sg, sp, n))
    if not ok:
        return out
    # Atoms are the finest structure that fits: of the confirmed scales, take the finest one that responds at
    # least half as strongly as the best (noise-free TEM images also respond strongly at the scale of groups of
    # rings, tens of pixels, which would suggest a pixel size several times too small).
    best = max(o[0] for o in ok)
    score, sg, spacing, n_spots = min((o for o in ok if o[0] >= 0.5 * best), key=lambda o: o[1])
    pk = np.zeros((n_spots, 2))
    best_sig = sg
    out.update(pixel_size=expected_si_si / spacing, spacing_px=spacing, spot_sigma_px=float(best_sig),
               n_spots=int(len(pk)))
    return out


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


def _polarity_sign(f_centered, invert):
    if invert is None:
        flat = f_centered - ndi.gaussian_filter(f_centered, max(2.0, min(f_centered.shape) / 20))
        return -1.0 if _skewness(flat) < 0 else 1.0
    return -1.0 if invert else 1.0


# ---------------------------------------------------------------------------------------------------- tiles
def _tiles(shape, tile, overlap_px):
    """(core slices, padded slices) covering ``shape``."""
    h, w = shape
    out = []
    for r0 in range(0, h, tile):
        for c0 in range(0, w, tile):
            r1, c1 = min(h, r0 + tile), min(w, c0 + tile)
            pr0, pc0 = max(0, r0 - overlap_px), max(0, c0 - overlap_px)
            pr1, pc1 = min(h, r1 + overlap_px), min(w, c1 + overlap_px)
            out.append(((r0, r1, c0, c1), (pr0, pr1, pc0, pc1)))
    return out


def _in_core(rc_int, core, pad):
    r0, r1, c0, c1 = core
    r = rc_int[:, 0] + pad[0]
    c = rc_int[:, 1] + pad[2]
    return (r >= r0) & (r < r1) & (c >= c0) & (c < c1)


class _Tile:
    """Flattened, polarity-corrected tile with its noise level."""

    def __init__(self, image, pad, sign, bg_px, block_px, atom_px):
        pr0, pr1, pc0, pc1 = pad
        t = sign * np.asarray(image[pr0:pr1, pc0:pc1], dtype=np.float32)
        self.pad = pad
        self.f = t - _background(t, bg_px, block_px)
        self.noise = _noise_sigma(self.f, atom_px)
        # The 10th percentile of pure noise lies 1.28 σ below its mean: lift the zero back to the gap level.
        self.f -= np.float32(1.2816 * self.noise)


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


def _gaussian_model(shape, rc, amp, sigma_px):
    """Sum of Gaussians ``amp·exp(-r²/2σ²)`` at fractional (row, col) positions, on a (H, W) grid."""
    h, w = shape
    out = np.zeros(shape, np.float32)
    if len(rc) == 0:
        return out
    half = int(math.ceil(4 * sigma_px)) + 1
    off = np.arange(-half, half + 1)
    ri = np.floor(rc[:, 0] + 0.5).astype(int)[:, None] + off
    ci = np.floor(rc[:, 1] + 0.5).astype(int)[:, None] + off
    wy = np.exp(-0.5 * ((ri - rc[:, :1]) / sigma_px) ** 2) * ((ri >= 0) & (ri < h))
    wx = np.exp(-0.5 * ((ci - rc[:, 1:]) / sigma_px) ** 2) * ((ci >= 0) & (ci < w))
    vals = amp[:, None, None] * wy[:, :, None] * wx[:, None, :]
    flat = np.clip(ri, 0, h - 1)[:, :, None] * w + np.clip(ci, 0, w - 1)[:, None, :]
    out += np.bincount(flat.ravel(), weights=vals.ravel(), minlength=h * w).reshape(h, w).astype(np.float32)
    return out


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


def _border_distance(xy, origin, extent):
    """Distance (Å) of each point to the nearest image edge."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    x0, y0 = origin
    return np.minimum.reduce([xy[:, 0] - x0, x0 + extent[0] - xy[:, 0], xy[:, 1] - y0, y0 + extent[1] - xy[:, 1]])


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
    that close are neighbours across a ring, not bonded) from the shortest up, each accepted only if both Si still have fewer than three bonds, it crosses
    no accepted bond (the network is planar) and it makes at least ``min_angle`` degrees with every bond already
    at either end (no bond along the diagonal of a 4-ring). Two Si both flagged in ``edge`` (near the image edge,
    whose missing partners are most likely outside the image) get an added bond between them only when it is no
    longer than ``edge_max`` (a bond along the edge, as in a lattice row parallel to it, not a chord across a
    ring cut by the edge). Returns the given bonds followed by the added ones."""
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


def _empty(micrograph, info):
    return Glass(np.zeros((0, 2)), np.array([], dtype="<U2"), cell=micrograph.extent, pbc=(False, False), info=info,
                 arrays={"confidence": np.zeros(0), "intensity": np.zeros(0), "inferred": np.zeros(0, bool)})


# ---------------------------------------------------------------------------------------------------- main
def detect_steps(micrograph: Micrograph, **params):
    """Generator form of :func:`detect_atoms`: yields :class:`~glassfail_core.progress.Progress` per tile and
    returns the Glass."""
    if not isinstance(micrograph, Micrograph):
        raise InputError(f"micrograph must be a Micrograph (see read_micrograph), got {type(micrograph).__name__}")
    unknown = set(params) - set(DetectParams.__dataclass_fields__)
    if unknown:
        raise InputError(f"unknown detection parameter(s) {sorted(unknown)}; "
                         f"known: {sorted(DetectParams.__dataclass_fields__)}")
    p = DetectParams(**params)
    _validate(p)
    ps = micrograph.pixel_size
    img = micrograph.image
    h, w = img.shape
    ext = micrograph.extent
    info = {"source": micrograph.info.get("source"), "frame": micrograph.info.get("frame"), "pixel_size": ps, "origin": list(micrograph.origin),
            "image_shape": [h, w], "detection": p.to_dict(), "frame_note":
            "positions in the micrograph's Å frame: x = (col + 0.5)·pixel_size + x0, y = (row + 0.5)·pixel_size + y0"}
    min_extent = 2.0 * p.expected_si_si
    if min(h, w) < 8 or min(ext) < min_extent:
        raise InputError(
            f"image too small: {h} × {w} px = {ext[0]:.2f} × {ext[1]:.2f} Å at {ps:g} Å/px; atoms can be found in "
            f"images at least 8 px and {min_extent:.1f} Å (two Si–Si distances) on each side")
    if float(img.max()) == float(img.min()):
        warnings.warn("the image is uniform (one grey level): no atoms found", GlassfailWarning, stacklevel=2)
        info.update(species_mode="none", polarity="none", n_si=0, n_o=0)
        return _empty(micrograph, info)

    # 1. polarity, on a centre crop
    crop = _centre_crop(img).astype(np.float32)
    crop = crop - crop.mean()
    sign = _polarity_sign(crop, p.invert)
    info["polarity"] = "dark atoms" if sign < 0 else "bright atoms"
    info["polarity_auto"] = p.invert is None

    # 2. scale check
    if p.check_scale:
        est = estimate_pixel_size(micrograph, invert=sign < 0, expected_si_si=p.expected_si_si)
        info["scale_check"] = est
        ps_est = est["pixel_size"]
        if np.isfinite(ps_est) and est["n_spots"] >= 8:
            ratio = ps / ps_est
            if abs(math.log(ratio)) > -math.log(1 - p.scale_tolerance):
                sep = est["spacing_px"] * ps
                raise InputError(
                    f"the pixel size looks wrong: at {ps:g} Å/px the brightest spots are {sep:.2f} Å apart, but "
                    f"Si–Si distances are about {p.expected_si_si:g} Å"
                    + (" (atoms would overlap)" if ratio < 1 else " (atoms would be too far apart)")
                    + f"; the image's dominant spacing ({est['spacing_px']:.2f} px) suggests about {ps_est:.3g} Å/px. "
                      f"Give that pixel size, or turn the check off (check_scale=False / --no-scale-check)")

    # 3-4. Si, tile by tile
    overlap_px = int(math.ceil(p.overlap / ps))
    tiles = _tiles((h, w), int(p.tile), overlap_px)
    bg_px = p.background_sigma / ps
    block_px = 4.0 / ps  # wider than an atom, narrower than a ring
    n_steps = 2 * len(tiles)
    rcs, hts, zs, oks = [], [], [], []
    noises = []
    for k, (core, pad) in enumerate(tiles):
        t = _Tile(img, pad, sign, bg_px, block_px, p.atom_sigma / ps)
        noises.append(t.noise)
        rc, ht, z, ok = _si_candidates(t, core, p, ps)
        rcs.append(rc), hts.append(ht), zs.append(z), oks.append(ok)
        yield Progress("detect", k + 1, n_steps, f"Si: tile {k + 1}/{len(tiles)}", {"n_si": int(sum(map(len, rcs)))})
    rc = np.concatenate(rcs)
    ht = np.concatenate(hts)
    z = np.concatenate(zs)
    info["noise_sigma"] = float(np.median(noises))
    if len(rc) == 0:
        warnings.warn("no atoms found (no spot rises above the noise)", GlassfailWarning, stacklevel=2)
        info.update(species_mode="none", n_si=0, n_o=0)
        return _empty(micrograph, info)
    ref = float(np.median(np.sort(ht)[len(ht) // 2:]))
    rel = ht / ref if ref > 0 else np.ones_like(ht)
    keep = (rel >= p.relative_threshold) & _bright_class(ht)
    rc, ht, z, rel = rc[keep], ht[keep], z[keep], rel[keep]
    si_conf = _confidence(z, p.z_threshold, rel, p.relative_threshold)
    si_xy = micrograph.px_to_xy(rc)
    inside = ((si_xy[:, 0] >= micrograph.origin[0]) & (si_xy[:, 0] < micrograph.origin[0] + ext[0])
              & (si_xy[:, 1] >= micrograph.origin[1]) & (si_xy[:, 1] < micrograph.origin[1] + ext[1]))
    rc, ht, z, si_xy, si_conf = rc[inside], ht[inside], z[inside], si_xy[inside], si_conf[inside]
    info["si_reference_height"] = ref
    fits = _weak_spots_fit(si_xy, z, p, edge=_border_distance(si_xy, micrograph.origin, ext) < p.expected_si_si)
    info["n_si_weak_rejected"] = int((~fits).sum())
    rc, ht, z, si_xy, si_conf = rc[fits], ht[fits], z[fits], si_xy[fits], si_conf[fits]

    # 5. O
    sig_px = p.atom_sigma / ps
    amp = 2.0 * ht  # matched filtering halves a spot of the filter's width: the unfiltered amplitude is twice
    x0, y0 = micrograph.origin
    cutoff = 1.3 * p.expected_si_si
    si_edge = _border_distance(si_xy, (x0, y0), ext) < 0.35 * p.expected_si_si
    o_xy, o_conf, o_int = np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    seen_bonds = np.zeros((0, 2), int)
    mode = "si-only" if p.species == "si-only" else None
    if p.species in ("auto", "si-o"):
        orcs, ohts, ozs = [], [], []
        for k, (core, pad) in enumerate(tiles):
            t = _Tile(img, pad, sign, bg_px, block_px, p.atom_sigma / ps)
            orc, oht, oz = _o_candidates(t, core, p, ps, rc, amp, sig_px)
            orcs.append(orc), ohts.append(oht), ozs.append(oz)
            yield Progress("detect", len(tiles) + k + 1, n_steps, f"O: tile {k + 1}/{len(tiles)}")
        orc = np.concatenate(orcs)
        oht = np.concatenate(ohts)
        oz = np.concatenate(ozs)
        cand_xy = micrograph.px_to_xy(orc) if len(orc) else np.zeros((0, 2))
        inside_o = ((cand_xy[:, 0] >= x0) & (cand_xy[:, 0] < x0 + ext[0])
                    & (cand_xy[:, 1] >= y0) & (cand_xy[:, 1] < y0 + ext[1])) if len(cand_xy) else np.zeros(0, bool)
        cand_xy, oht, oz = cand_xy[inside_o], oht[inside_o], oz[inside_o]
        if len(cand_xy):
            oref = float(np.median(np.sort(oht)[len(oht) // 2:]))
            orel = oht / oref if oref > 0 else np.ones_like(oht)
            ok = orel >= p.relative_threshold
            cand_xy, oht, oz, orel = cand_xy[ok], oht[ok], oz[ok], orel[ok]
        keep_o, seen_bonds = _bridges(si_xy, cand_xy, oz, cand_border=_border_distance(
            cand_xy, (x0, y0), ext) < 2.0 if len(cand_xy) else np.zeros(0, bool), cutoff=cutoff)
        cand_xy, oz, orel = cand_xy[keep_o], oz[keep_o], (orel[keep_o] if len(cand_xy) else np.zeros(0))
        all_bonds = _complete_bonds(si_xy, seen_bonds, cutoff, p.min_bond_ratio * p.expected_si_si, edge=si_edge,
                                    edge_max=TIGHT_BOND * p.expected_si_si)
        frac = len(seen_bonds) / max(1, len(all_bonds))
        info["o_seen_fraction"] = float(frac)
        if p.species == "si-o" or frac >= 0.5:
            mode = "si-o"
            o_xy, o_int = cand_xy, oz
            o_conf = _confidence(oz, p.z_threshold, orel, p.relative_threshold) if len(cand_xy) else np.zeros(0)
        else:
            mode = "si-only"
            seen_bonds = np.zeros((0, 2), int)
    info["species_mode"] = mode
    info["species_by"] = "intensity (O spots seen)" if mode == "si-o" else "geometry (O at Si–Si bond midpoints)"
    if mode == "si-o":  # the network completed from the seen bridges above
        bonds = all_bonds
    else:
        bonds = _complete_bonds(si_xy, seen_bonds, cutoff, p.min_bond_ratio * p.expected_si_si, edge=si_edge,
                                edge_max=TIGHT_BOND * p.expected_si_si)
    n_seen = len(seen_bonds)
    missing = bonds[n_seen:] if (mode == "si-only" or p.fill_missing_o) else np.zeros((0, 2), int)
    inferred_xy = 0.5 * (si_xy[missing[:, 0]] + si_xy[missing[:, 1]]) if len(missing) else np.zeros((0, 2))
    inferred_conf = (np.minimum(si_conf[missing[:, 0]], si_conf[missing[:, 1]]) if len(missing) else np.zeros(0))
    info["n_o_seen"] = int(len(o_xy))
    info["n_o_inferred"] = int(len(inferred_xy))
    positions = np.concatenate([si_xy, o_xy, inferred_xy])
    species = np.array(["Si"] * len(si_xy) + ["O"] * (len(o_xy) + len(inferred_xy)), dtype="<U2")
    conf = np.concatenate([si_conf, o_conf, inferred_conf])
    inten = np.concatenate([z, o_int, np.zeros(len(inferred_xy))])
    inferred = np.concatenate([np.zeros(len(si_xy) + len(o_xy), bool), np.ones(len(inferred_xy), bool)])
    positions, species, conf, inten, inferred = _dedupe(positions, species, conf, inten, inferred)
    info.update(n_si=int((species == "Si").sum()), n_o=int((species == "O").sum()),
                mean_confidence=float(conf.mean()) if len(conf) else 0.0)
    inten = np.where(np.isfinite(inten), inten, 0.0)
    return Glass(positions, species, cell=ext, pbc=(False, False), info=info,
                 arrays={"confidence": conf, "intensity": inten, "inferred": inferred})


def _dedupe(positions, species, conf, inten, inferred, min_dist=0.9):
    """Drop the less confident of any two atoms closer than ``min_dist`` Å (e.g. an O seen and one inferred)."""
    if len(positions) < 2:
        return positions, species, conf, inten, inferred
    pairs = cKDTree(positions).query_pairs(min_dist, output_type="ndarray")
    if len(pairs) == 0:
        return positions, species, conf, inten, inferred
    drop = np.zeros(len(positions), bool)
    score = conf + 10.0 * (species == "Si") - 5.0 * inferred
    for i, j in pairs:
        if drop[i] or drop[j]:
            continue
        drop[j if score[i] >= score[j] else i] = True
    k = ~drop
    return positions[k], species[k], conf[k], inten[k], inferred[k]


def detect_atoms(micrograph: Micrograph, *, species: str = "auto", invert=None, sensitivity: float = 1.0,
                 on_progress=None, **params) -> Glass:
    """Find the atoms of a micrograph; return them as a non-periodic Glass in the micrograph's Å frame.

    Parameters
    ----------
    micrograph : Micrograph
    species : {"auto", "si-only", "si-o"}
        "si-o": Si and O both read from the image (O by intensity after the Si spots are subtracted);
        "si-only": Si from the image, O placed at Si–Si bond midpoints; "auto": "si-o" when O spots are seen on
        at least half the Si–Si bonds, else "si-only".
    invert : bool, optional
        True for dark atoms on a bright background; None detects the polarity.
    sensitivity : float
        Higher finds fainter spots: a spot must rise ``5 / sensitivity`` noise standard deviations above the
        background after matched filtering.
    on_progress : callable, optional
        Receives :class:`~glassfail_core.progress.Progress` events.
    **params
        Any other field of :class:`DetectParams` (``atom_sigma``, ``min_separation``, ``check_scale``, ``tile``...).

    Returns
    -------
    Glass
        Non-periodic; ``cell`` = the image extent in Å; ``arrays``: ``confidence``, ``intensity``, ``inferred``;
        ``info``: pixel size, origin, parameters, polarity, ``species_mode``, counts, scale check.

    Warns
    -----
    GlassfailWarning
        Uniform image or no spot above the noise: an empty Glass (0 atoms) is returned.

    Raises
    ------
    InputError
        Bad parameters, an image too small, or a pixel size inconsistent with the image's spacing (the message
        suggests the likely pixel size).

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> from glassfail_core.micrograph import render_glass
    >>> g = honeycomb(6, 6)
    >>> found = detect_atoms(render_glass(g, pixel_size=0.25, seed=3))
    >>> found.info["species_mode"], found.n_si
    ('si-o', 72)
    """
    job = detect_steps(micrograph, species=species, invert=invert, sensitivity=sensitivity, **params)
    return run(job, on_progress=on_progress)
