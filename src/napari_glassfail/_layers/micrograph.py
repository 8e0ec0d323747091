"""Image layers ↔ :class:`~glassfail_core.micrograph.Micrograph`, placed in Å where napari shows them."""

from __future__ import annotations

from typing import Optional

import numpy as np

from glassfail_core.errors import InputError
from glassfail_core.micrograph import Micrograph

from .conventions import KEY, UNITS, from_napari, new_group, to_napari

__all__ = ["micrograph_layer_data", "micrograph_from_layer"]


def micrograph_layer_data(micrograph, *, name: str):
    """LayerDataTuple of a :class:`~glassfail_core.micrograph.Micrograph`: an Image layer whose scale is the
    pixel size in Å and whose translate puts each pixel centre at its Å coordinates, so atoms found on it (and
    structures in Å) land where they are seen.

    A Micrograph's origin is the Å position of the image's top-left *corner*; napari places pixel *centres* at
    ``index · scale + translate``, hence ``translate = origin + pixel_size / 2``.
    """
    ps = float(micrograph.pixel_size)
    origin = np.asarray(micrograph.origin, float).ravel()[:2]
    kwargs = dict(
        name=name,
        scale=(ps, ps),
        translate=tuple(to_napari(origin + 0.5 * ps).tolist()),
        colormap="gray",
        units=UNITS,
        metadata={KEY: {"role": "micrograph", "group": new_group(), "micrograph": micrograph, "glass": None}},
    )
    return (np.asarray(micrograph.image), kwargs, "image")


def micrograph_from_layer(layer, *, pixel_size: Optional[float] = None):
    """A Micrograph from any 2D Image layer (RGB is averaged to grey), placed where napari shows it.

    ``pixel_size`` (Å/px) defaults to the layer's scale. A different value rescales the layer too (about its
    top-left corner), so that the atoms found on it still land on the image. A layer with napari's defaults
    (scale 1, no translate: an uncalibrated tif/png) gets its corner at (0, 0) Å, as ``read_micrograph`` gives.
    """
    data = np.asarray(layer.data)
    if getattr(layer, "rgb", False):
        data = data[..., :3].mean(axis=-1)
    if data.ndim != 2:
        raise InputError(f"image layer {layer.name!r} has {data.ndim} dimensions; pick a 2D (greyscale) image")
    scale = float(layer.scale[-1])
    ps = scale if pixel_size is None else float(pixel_size)
    if not np.isfinite(ps) or ps <= 0:
        raise InputError(f"pixel size must be a positive number of Å per pixel, got {ps}")
    translate = np.asarray(layer.translate, float)[-2:]
    corner = from_napari(translate) - 0.5 * np.asarray(layer.scale[-2:][::-1], float)
    uncalibrated = np.allclose(layer.scale[-2:], 1.0) and not translate.any()
    if uncalibrated:
        corner = np.zeros(2)  # a plain image (napari's defaults): its corner at (0, 0) Å, as read_micrograph does
    if abs(ps - scale) > 1e-12 * max(ps, scale) or uncalibrated:
        layer.scale = (ps, ps)
        layer.translate = tuple(to_napari(corner + 0.5 * ps).tolist())
        layer.units = UNITS
    stored = layer.metadata.get(KEY, {}).get("micrograph")
    info = dict(getattr(stored, "info", {}) or {})
    info.setdefault("source", {"layer": layer.name})
    return Micrograph(image=data.astype(np.float32), pixel_size=ps, origin=tuple(corner.tolist()), info=info)
