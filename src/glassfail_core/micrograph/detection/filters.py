"""Image filters of the detection: background under the atoms, pixel noise, the matched filter's noise gain, a
model of Gaussian spots, and sub-pixel refinement of peak positions."""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi


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
