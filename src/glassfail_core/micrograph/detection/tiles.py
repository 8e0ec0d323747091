"""Tiling of large images: overlapping tiles, each keeping the spots of its own core region, flattened and
polarity-corrected, with their noise level."""

from __future__ import annotations

import numpy as np

from .filters import _background, _noise_sigma


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
