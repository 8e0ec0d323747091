"""Image layers ↔ :class:`~glassfail_core.micrograph.Micrograph`, placed in Å where napari shows them."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from glassfail_core.errors import InputError
from glassfail_core.micrograph import Micrograph

from .conventions import KEY, UNITS, from_napari, new_group, to_napari

__all__ = ["micrograph_layer_data", "micrograph_from_layer", "place_layer", "calibrate_from_source", "is_uncalibrated"]


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


def _corner(layer) -> np.ndarray:
    """The Å position of a layer's top-left pixel corner ((0, 0) for napari's defaults: an uncalibrated image)."""
    translate = np.asarray(layer.translate, float)[-2:]
    if is_uncalibrated(layer):
        return np.zeros(2)
    return from_napari(translate) - 0.5 * np.asarray(layer.scale[-2:][::-1], float)


def is_uncalibrated(layer) -> bool:
    """True for an image layer with napari's default placement (scale 1, no translate): a tif/png without scale."""
    return bool(np.allclose(layer.scale[-2:], 1.0) and not np.asarray(layer.translate, float)[-2:].any())


def micrograph_from_layer(layer, *, pixel_size: Optional[float] = None, rescale: bool = True):
    """A Micrograph from any 2D Image layer (RGB is averaged to grey), placed where napari shows it.

    ``pixel_size`` (Å/px) defaults to the layer's scale. A different value rescales the layer too (about its
    top-left corner), so that the atoms found on it still land on the image; with ``rescale=False`` the layer is
    left as it is (call :func:`place_layer` once the work succeeded). A layer with napari's defaults (scale 1, no
    translate: an uncalibrated tif/png) gets its corner at (0, 0) Å, as ``read_micrograph`` gives.
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
    corner = _corner(layer)
    if rescale:
        place_layer(layer, ps)
    stored = layer.metadata.get(KEY, {}).get("micrograph")
    info = dict(getattr(stored, "info", {}) or {})
    info.setdefault("source", {"layer": layer.name})
    return Micrograph(image=data.astype(np.float32), pixel_size=ps, origin=tuple(corner.tolist()), info=info)


def place_layer(layer, pixel_size: float, corner=None) -> None:
    """Give an image layer the pixel size ``pixel_size`` (Å/px) about its top-left corner (or at ``corner``, Å),
    in Å units, when it does not have it yet."""
    ps = float(pixel_size)
    corner = _corner(layer) if corner is None else np.asarray(corner, float)
    if abs(ps - float(layer.scale[-1])) > 1e-12 * ps or is_uncalibrated(layer):
        layer.scale = (ps, ps)
        layer.translate = tuple(to_napari(corner + 0.5 * ps).tolist())
    layer.units = UNITS


def calibrate_from_source(layer) -> Optional[float]:
    """Give an uncalibrated image layer (scale 1, e.g. a TIFF opened by napari's own reader) the calibration of the
    file it was opened from, as ``glassfail_core.io.read_micrograph`` reads it (ImageJ, TIFF resolution or
    glassfail metadata). Returns the pixel size set, or None (calibrated already, no source file, a file without
    calibration, or another image than the layer's)."""
    if not is_uncalibrated(layer) or getattr(layer, "rgb", False):
        return None
    source = getattr(getattr(layer, "source", None), "path", None)
    if not source or Path(source).suffix.lower() not in (".tif", ".tiff") or not Path(source).is_file():
        return None
    from glassfail_core.errors import GlassfailError
    from glassfail_core.io import read_micrograph

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = read_micrograph(source)
    except GlassfailError:
        return None
    if tuple(m.shape) != tuple(np.asarray(layer.data).shape[-2:]):
        return None
    place_layer(layer, m.pixel_size, corner=np.asarray(m.origin, float).ravel()[:2])
    meta = dict(layer.metadata)
    meta[KEY] = {**meta.get(KEY, {}), "role": "micrograph", "micrograph": m, "glass": None,
                 "group": meta.get(KEY, {}).get("group") or new_group()}
    layer.metadata = meta
    return float(m.pixel_size)
