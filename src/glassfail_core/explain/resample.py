"""The augmented copies a heatmap is averaged over, and how each copy's map is put back in the input's frame.

NumPy only. A copy is an :class:`~glassfail_core.learn.images.Augment` (flips of x and y, then a translation in
Å): the glass is moved, drawn again in the training style, explained, and its map sampled back at the moved
positions of the input frame's pixel centres (:func:`undo`), so copies of one glass add up on one grid.

Which copies (:func:`copy_augments`)
    Copy 0 is the input as it is. Periodic inputs: the four flips in turn, with translations from the R2
    low-discrepancy sequence (Roberts 2018) over one cell of the network's total stride — the network is exactly
    equivariant under translations by whole strides on a periodic image, so only offsets within one stride cell
    give new copies; the R2 points fill that cell evenly for any number of copies. Non-periodic inputs are drawn
    in a window centred on the atoms, so a translation changes nothing: the four flips are all there is.

Where a map's pixel lies (``shift``)
    A stride-``s`` feature ``i`` of the network (3×3 and 1×1 convolutions padded by ``k // 2``, strides of 2)
    is centred on input pixel ``s·i``; upsampled by ``s`` (nearest or bilinear, both centre the feature at
    ``s·i + (s − 1)/2``) it lies ``(s − 1)/2`` pixels too far right and down. :func:`undo` samples at
    ``index + shift`` with ``shift = (s − 1)/2`` to put it back.
"""

from __future__ import annotations

import numpy as np

from ..learn.images import Augment, Frame

__all__ = ["copy_augments", "undo", "sample", "R2"]

#: Plastic number: the R2 sequence's generator, ``u_k = frac(k·(1/g, 1/g²))``.
R2 = 1.32471795724474602596


def copy_augments(n: int, glass, stride_cell=(1.0, 1.0)) -> list:
    """``n`` augmentations of ``glass`` (see the module docstring); copy 0 is the identity.

    Parameters
    ----------
    n : int
        Copies wanted (non-periodic inputs: at most 4).
    glass : Glass
    stride_cell : (float, float)
        Å spanned by one stride of the network along x and y (``stride × pixel size``).

    Examples
    --------
    >>> from glassfail_core.generation import honeycomb
    >>> augs = copy_augments(5, honeycomb(4, 4), (10.0, 10.0))
    >>> [(a.flip_x, a.flip_y) for a in augs]
    [(False, False), (True, False), (False, True), (True, True), (False, False)]
    >>> augs[0].offset, [round(v, 3) for v in augs[1].offset]
    ((0.0, 0.0), [7.549, 5.698])
    """
    n = max(1, int(n))
    flips = ((False, False), (True, False), (False, True), (True, True))
    if not all(glass.pbc):
        return [Augment(fx, fy) for fx, fy in flips[:min(n, 4)]]
    alpha = np.array([1.0 / R2, 1.0 / R2 ** 2])
    out = []
    for k in range(n):
        u = np.mod(k * alpha, 1.0)
        fx, fy = flips[k % 4]
        out.append(Augment(fx, fy, tuple(float(v) for v in u * np.asarray(stride_cell, float))))
    return out


def sample(img, rows, cols, periodic: bool) -> np.ndarray:
    """Bilinear values of ``img`` (H, W) at fractional pixel indices ``rows``, ``cols`` (pixel ``i`` centred at
    index ``i``); wrapped when ``periodic``, else clamped to the edge pixels.

    Examples
    --------
    >>> img = np.arange(12.0).reshape(3, 4)
    >>> sample(img, np.array([0.0, 1.5]), np.array([0.5, 3.5]), True).tolist()   # (1.5, 3.5) wraps to column 0
    [0.5, 7.5]
    >>> sample(img, np.array([-1.0]), np.array([9.0]), False).tolist()
    [3.0]
    """
    img = np.asarray(img, dtype=np.float64)
    h, w = img.shape
    r, c = np.asarray(rows, float), np.asarray(cols, float)
    if not periodic:
        r, c = np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)
    r0, c0 = np.floor(r), np.floor(c)
    fr, fc = r - r0, c - c0
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    if periodic:
        r0, c0 = np.mod(r0, h), np.mod(c0, w)
        r1, c1 = np.mod(r0 + 1, h), np.mod(c0 + 1, w)
    else:
        r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    top = img[r0, c0] * (1 - fc) + img[r0, c1] * fc
    bottom = img[r1, c0] * (1 - fc) + img[r1, c1] * fc
    return top * (1 - fr) + bottom * fr


def undo(heat, frame: Frame, aug: Augment, cell, target: Frame, shift: float = 0.0) -> np.ndarray:
    """The map ``heat`` of a copy drawn with ``aug`` (on that copy's ``frame``), sampled at the pixel centres of
    the input's ``target`` frame: ``(H, W)`` float64 on ``target``'s grid.

    ``cell`` is the glass's cell (the flips are ``x → Lx − x``); ``shift`` the pixel offset of the upsampled map
    (see the module docstring). A periodic frame wraps; a non-periodic one is clamped at its edges.

    Examples
    --------
    A blob drawn at (6, 2) Å on a flipped and translated copy comes back to its place:

    >>> f = Frame((8, 8), (1.0, 1.0))
    >>> aug = Augment(flip_x=True, offset=(2.0, 3.0))
    >>> moved = aug.apply([[6.5, 2.5]], (8.0, 8.0))[0]   # → (3.5, 5.5): pixel (row 5, col 3)
    >>> heat = np.zeros((8, 8)); heat[5, 3] = 1.0
    >>> back = undo(heat, f, aug, (8.0, 8.0), f)
    >>> [int(v) for v in np.unravel_index(int(back.argmax()), back.shape)], float(back.max())
    ([2, 6], 1.0)
    """
    x, y = target.centres()
    xx, yy = np.meshgrid(x, y)
    moved = aug.apply(np.stack([xx.ravel(), yy.ravel()], axis=1), cell)
    cols = (moved[:, 0] - frame.origin[0]) / frame.pixel_size[0] - 0.5 + shift
    rows = (moved[:, 1] - frame.origin[1]) / frame.pixel_size[1] - 0.5 + shift
    return sample(heat, rows, cols, frame.periodic).reshape(target.shape)
