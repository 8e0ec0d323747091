"""The network's input and targets as images: rendering in the training style, augmentation, target maps.

Everything here is NumPy (no torch), shared by training, evaluation and prediction, so that an image, its labels
and a prediction's maps always agree on one frame:

* a **periodic** glass is drawn seamlessly (:func:`~glassfail_core.micrograph.render.render_periodic`): an axis of
  length ``L`` gets ``round(L / pixel_size)`` pixels rounded to a multiple of the network's total stride, so the
  pixel size along it is ``L / n`` (within a few % of nominal, recorded in the :class:`Frame`);
* a **non-periodic** glass (a cut shape, atoms detected in a micrograph) is drawn at the nominal pixel size over its
  bounding box plus a margin of background, padded (never wrapped) to a multiple of the stride;
* an :class:`Augment` (flips in x and y, a translation of any size) moves atoms and labels by the same map, and the
  glass is re-rendered with fresh noise; there is never a 90° rotation (it would turn tension along x into tension
  along y);
* target maps are Gaussians of width ``map_sigma`` Å around the label sites (minimum image on periodic frames), at
  the map head's resolution (``map_stride`` input pixels per map pixel), normalised to sum 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import InputError
from ..glass import Glass
from ..micrograph.render import SpotParams, render_glass, render_periodic

__all__ = ["DEFAULT_INPUT", "Augment", "Frame", "render_input", "site_map", "random_augment", "input_shape",
           "reflect_outside"]

#: How the network sees a glass (stored in every model's config as ``config["input"]``).
DEFAULT_INPUT = {"style": "spots", "pixel_size": 0.65, "stride": 16, "map_stride": 2, "map_sigma": 2.0,
                 "dose": 1.0, "margin": 6.0, "spots": SpotParams().to_dict()}


@dataclass(frozen=True)
class Augment:
    """A symmetry of tension along x: ``x → Lx − x`` (``flip_x``), ``y → Ly − y`` (``flip_y``), then ``+ offset``
    (Å).

    Examples
    --------
    >>> a = Augment(flip_x=True, offset=(1.0, 2.0))
    >>> a.apply([[3.0, 4.0]], (10.0, 10.0)).tolist()
    [[8.0, 6.0]]
    >>> a.invert(a.apply([[3.0, 4.0]], (10.0, 10.0)), (10.0, 10.0)).tolist()
    [[3.0, 4.0]]
    """

    flip_x: bool = False
    flip_y: bool = False
    offset: tuple = (0.0, 0.0)

    def apply(self, xy, cell) -> np.ndarray:
        xy = np.array(xy, dtype=float).reshape(-1, 2)
        for ax, flip in enumerate((self.flip_x, self.flip_y)):
            if flip:
                xy[:, ax] = cell[ax] - xy[:, ax]
        return xy + np.asarray(self.offset, dtype=float)

    def to_dict(self) -> dict:
        return {"flip_x": bool(self.flip_x), "flip_y": bool(self.flip_y), "offset": [float(v) for v in self.offset]}

    def invert(self, xy, cell) -> np.ndarray:
        xy = np.array(xy, dtype=float).reshape(-1, 2) - np.asarray(self.offset, dtype=float)
        for ax, flip in enumerate((self.flip_x, self.flip_y)):
            if flip:
                xy[:, ax] = cell[ax] - xy[:, ax]
        return xy


def random_augment(rng: np.random.Generator, cell, *, translate: bool = True) -> Augment:
    """Random flips and (periodic samples) a uniform translation over the whole cell."""
    fx, fy = (bool(v) for v in rng.integers(0, 2, size=2))
    off = tuple(float(v) for v in rng.uniform(0, 1, size=2) * np.asarray(cell)) if translate else (0.0, 0.0)
    return Augment(fx, fy, off)


@dataclass(frozen=True)
class Frame:
    """Where an image's pixels lie, in Å of the (augmented) glass frame.

    Pixel ``(row, col)`` has its centre at ``x = x0 + (col + 0.5)·px_x``, ``y = y0 + (row + 0.5)·px_y``.
    ``periodic`` frames cover exactly one period (``W·px_x = Lx``); ``valid`` is the Å box ``(x0, y0, x1, y1)``
    holding the sample (the whole frame when periodic), outside which maps are masked.
    """

    shape: tuple
    pixel_size: tuple
    origin: tuple = (0.0, 0.0)
    periodic: bool = True
    valid: Optional[tuple] = None

    def scaled(self, stride: int) -> "Frame":
        """The frame of a map ``stride`` times coarser (same origin and extent)."""
        h, w = self.shape
        if h % stride or w % stride:
            raise InputError(f"image {h} × {w} px is not a multiple of the map stride {stride}")
        return Frame((h // stride, w // stride), (self.pixel_size[0] * stride, self.pixel_size[1] * stride),
                     self.origin, self.periodic, self.valid)

    @property
    def extent(self) -> tuple:
        return (self.shape[1] * self.pixel_size[0], self.shape[0] * self.pixel_size[1])

    def centres(self):
        """x of every column centre, y of every row centre (Å)."""
        x = self.origin[0] + (np.arange(self.shape[1]) + 0.5) * self.pixel_size[0]
        y = self.origin[1] + (np.arange(self.shape[0]) + 0.5) * self.pixel_size[1]
        return x, y

    def px_to_xy(self, rc) -> np.ndarray:
        rc = np.asarray(rc, dtype=float)
        return np.stack([self.origin[0] + (rc[..., 1] + 0.5) * self.pixel_size[0],
                         self.origin[1] + (rc[..., 0] + 0.5) * self.pixel_size[1]], axis=-1)

    def mask(self) -> np.ndarray:
        """(H, W) bool: pixels whose centre lies in ``valid``."""
        if self.periodic or self.valid is None:
            return np.ones(self.shape, dtype=bool)
        x, y = self.centres()
        x0, y0, x1, y1 = self.valid
        return ((y >= y0) & (y <= y1))[:, None] & ((x >= x0) & (x <= x1))[None, :]

    def displacement(self, xy, points) -> np.ndarray:
        """Vectors ``xy[:, None] - points[None]`` (minimum image on a periodic frame)."""
        d = np.asarray(xy, float)[:, None, :] - np.asarray(points, float).reshape(-1, 2)[None, :, :]
        if self.periodic:
            ext = np.asarray(self.extent)
            d -= ext * np.round(d / ext)
        return d

    def to_dict(self) -> dict:
        return {"shape": list(self.shape), "pixel_size": list(self.pixel_size), "origin": list(self.origin),
                "periodic": bool(self.periodic), "valid": None if self.valid is None else list(self.valid)}


def _spots(inp) -> SpotParams:
    return SpotParams(**inp.get("spots", {}))


def _box(glass, inp):
    """(x0, y0, W, H) of a non-periodic glass's padded window at the nominal pixel size."""
    px, stride, margin = float(inp["pixel_size"]), int(inp["stride"]), float(inp["margin"])
    pos = np.asarray(glass.positions, float)
    lo, hi = (pos.min(axis=0), pos.max(axis=0)) if len(pos) else (np.zeros(2), np.asarray(glass.cell, float))
    size = hi - lo + 2 * margin
    n = np.maximum(1, np.ceil(size / px / stride - 1e-9)).astype(int) * stride
    origin = (lo + hi) / 2 - n * px / 2
    return origin, n, (lo, hi)


def input_shape(glass: Glass, inp=DEFAULT_INPUT) -> tuple:
    """``(H, W)`` of the image :func:`render_input` makes for ``glass`` (without rendering it)."""
    from ..micrograph.render import periodic_pixels

    if all(glass.pbc):
        return (periodic_pixels(glass.cell[1], inp["pixel_size"], inp["stride"]),
                periodic_pixels(glass.cell[0], inp["pixel_size"], inp["stride"]))
    _, n, _ = _box(glass, inp)
    return (int(n[1]), int(n[0]))


def _moved(glass: Glass, aug: Augment) -> Glass:
    return Glass(aug.apply(glass.positions, glass.cell), glass.species, glass.cell, pbc=glass.pbc, validate=False)


def render_input(glass: Glass, inp=DEFAULT_INPUT, *, aug: Optional[Augment] = None, noise: bool = True,
                 seed=None) -> tuple:
    """Draw ``glass`` (moved by ``aug``) as the network sees it: ``(image float32 (H, W), Frame)``.

    The frame is that of the augmented glass: labels moved by the same ``aug`` fall on the right pixels.

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> img, frame = render_input(honeycomb(8, 8), noise=False)
    >>> img.shape, frame.periodic, [round(p, 3) for p in frame.pixel_size]
    ((64, 64), True, [0.66, 0.572])
    """
    if inp.get("style", "spots") != "spots":
        raise InputError(f"only the 'spots' style is supported for learning, got {inp.get('style')!r}")
    aug = aug or Augment()
    g = _moved(glass, aug)
    if all(glass.pbc):
        im = render_periodic(g, pixel_size=inp["pixel_size"], multiple=inp["stride"], noise=noise, seed=seed,
                             dose=inp.get("dose", 1.0), spots=_spots(inp))
        return im.image, Frame(im.image.shape, tuple(im.pixel_size), (0.0, 0.0), True)
    origin, n, (lo, hi) = _box(g, inp)
    px = float(inp["pixel_size"])
    m = render_glass(g.replace(pbc=(False, False)) if any(g.pbc) else g, pixel_size=px, style="spots", noise=noise,
                     seed=seed, dose=inp.get("dose", 1.0), shape=(int(n[1]), int(n[0])), origin=tuple(origin),
                     spots=_spots(inp))
    valid = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))  # sites are bond midpoints: inside the atoms' box
    frame = Frame(m.shape, (px, px), tuple(float(v) for v in origin), False, valid)
    # mirrored about the outermost atoms' centres: their spots stay whole (to a pixel); a strip of vacuum left
    # between the spots and the mirror (mirroring beyond the spots) is read as an edge again (measured: worse)
    return reflect_outside(m.image, frame.mask()), frame


def reflect_outside(image, inside) -> np.ndarray:
    """``image`` with the pixels outside the box ``inside`` (a bool mask of one rectangle) replaced by mirror images
    of the box's content: a non-periodic sample padded this way shows glass to the network everywhere. On empty
    padding (vacuum) a network trained on periodic cells reads the edges as extreme: on test glasses cut out of
    their cells the failure strain came out negative (−0.08 against 0.08 periodic); mirrored, within 15 %."""
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    if not len(rows) or not len(cols):
        return np.array(image, copy=True)
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    core = np.asarray(image)[r0:r1, c0:c1]
    h, w = np.shape(image)
    pad = ((r0, h - r1), (c0, w - c1))
    while any(a > n or b > n for (a, b), n in zip(pad, core.shape)):  # padding wider than the box: mirror in steps
        step = tuple((min(a, n), min(b, n)) for (a, b), n in zip(pad, core.shape))
        core = np.pad(core, step, mode="symmetric")
        pad = tuple((a - sa, b - sb) for (a, b), (sa, sb) in zip(pad, step))
    return np.pad(core, pad, mode="symmetric").astype(np.asarray(image).dtype)


def site_map(points, frame: Frame, sigma: float, weights=None) -> Optional[np.ndarray]:
    """Sum of Gaussians of width ``sigma`` Å at ``points`` on ``frame``'s pixels, normalised to sum 1.

    None without points (the sample has no such label).

    Examples
    --------
    >>> f = Frame((8, 8), (1.0, 1.0))
    >>> m = site_map([[0.2, 4.5]], f, 1.0)
    >>> round(float(m.sum()), 6), [int(v) for v in np.unravel_index(int(m.argmax()), m.shape)], bool(m[4, 7] > m[4, 2])
    (1.0, [4, 0], True)
    """
    pts = np.asarray(points if points is not None else [], dtype=float).reshape(-1, 2)
    if not len(pts):
        return None
    w = np.ones(len(pts)) if weights is None else np.asarray(weights, float)
    x, y = frame.centres()
    dx = frame.displacement(np.stack([x, np.zeros_like(x)], 1), pts)[..., 0]  # (W, P)
    dy = frame.displacement(np.stack([np.zeros_like(y), y], 1), pts)[..., 1]  # (H, P)
    gx, gy = np.exp(-0.5 * (dx / sigma) ** 2), np.exp(-0.5 * (dy / sigma) ** 2)
    m = np.einsum("hp,wp,p->hw", gy, gx, w) * frame.mask()
    total = m.sum()
    if not total > 0:
        return None
    return (m / total).astype(np.float32)
