"""``explain(glass_or_micrograph, model=None, ...) -> Explanation``: why the model predicts what it predicts.

One call runs :func:`~glassfail_core.learn.predict.predict` (the :class:`~glassfail_core.learn.predict.Prediction`)
and the Grad-CAM of one scalar target averaged over augmented copies (:func:`~.gradcam.averaged_cam`), then maps
the heatmap back to the structure (:mod:`.mapping`): per atom (Voronoi cell) and per ring (polygon). A micrograph's
atoms are detected first (as :func:`predict` does) and the attributions refer to the detected atoms; the heatmap is
also resampled onto the micrograph's own pixels.

Frames follow :class:`Prediction`'s maps: the heatmap's pixel ``(row, col)`` has its centre at
``origin + ((col + ½)·px_x, (row + ½)·px_y)`` in Å of the input's frame (a micrograph's: x along columns, y along
rows). With ``axis="y"`` the input is transposed, explained, and the heatmap transposed back.

:func:`explain_steps` is the same as a job yielding :class:`~glassfail_core.progress.Progress` (the napari plugin
runs it in a worker).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..glass import Glass
from ..learn.images import Frame
from ..progress import Job, Progress, run
from .mapping import atom_attribution, pixel_owners, resample_to, ring_attribution, ring_pixels

__all__ = ["Explanation", "explain", "explain_steps", "DEFAULT_COPIES"]

#: Augmented copies averaged by default (periodic inputs; non-periodic ones have the 4 flips). A single copy's map
#: is far from the average (shifting the input by one pixel or flipping it moves a Grad-CAM map a lot); in
#: benchmarks/bench_explain.py, for a model trained 80 epochs on 6 × 6-ring cells and a 128² input, the 64-copy
#: map is within 3 % (relative L2; Pearson r 0.999) of a reference of 256 further copies (32 copies: 5 %, 16: 8 %),
#: in 1.4 s on one core; a barely trained model converges more slowly (64 copies: 14 %, r 0.88).
DEFAULT_COPIES = 64


@dataclass(frozen=True, eq=False)
class Explanation:
    """What :func:`explain` returns (JSON-ready through :meth:`to_dict`, arrays aside).

    Attributes
    ----------
    heatmap : (H, W) float64
        The ``variant`` map of ``target`` at ``layer``, averaged over ``copies`` copies, in the target's units per
        pixel; pixels of ``pixel_size = (px_x, px_y)`` Å with the top-left corner at ``origin`` (Å, input frame).
    maps : dict
        Every variant (``"relu"``, ``"abs"``, ``"neg"``, ``"signed"``) on the same grid.
    atoms : dict
        Per-atom columns ``(N,)``: ``attribution`` (the map summed over the atom's Voronoi cell), ``density``
        (per Å² of the cell) and ``signed`` (the signed map over the cell).
    rings : dict
        Per-ring columns ``(R,)``: ``ring``, ``size``, ``cx``, ``cy`` (centroid), ``attribution`` (over the
        polygon), ``area`` (Å² of its pixels), ``density`` (per Å²), ``signed``.
    prediction : Prediction
    glass : Glass
        The atoms the per-atom arrays refer to (the detected atoms of a micrograph).
    layer, variant, target, upsampling : str
    copies : int
        Copies averaged.
    summary : dict
        The maximum's place, the most attributed atoms and rings, the mean density per ring size.
    image : dict or None
        Micrographs: ``{"heatmap": (h, w) on the micrograph's pixels, "pixel_size", "origin", "micrograph": its
        pixels}``.
    mask : (H, W) bool
        Pixels of the sample: those owned by an atom (all of a periodic map; on a non-periodic one, within 3 Å of
        an atom: the padding around a cut sample lies outside).
    polygons : list
        The rings' outlines (``(k, 2)`` Å, :func:`~glassfail_core.rings.ring_polygons`), in the order of
        :attr:`rings`.
    warnings : list of str
    """

    heatmap: np.ndarray
    pixel_size: tuple
    origin: tuple
    maps: dict
    atoms: dict
    rings: dict
    prediction: object
    glass: Glass
    layer: str
    variant: str
    target: str
    copies: int
    upsampling: str = "bilinear"
    summary: dict = field(default_factory=dict)
    image: Optional[dict] = None
    mask: Optional[np.ndarray] = None
    polygons: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def to_dict(self, arrays: bool = False) -> dict:
        """Everything but the arrays (their shapes), or with them as lists (``arrays=True``)."""
        d = {"target": self.target, "layer": self.layer, "variant": self.variant, "copies": self.copies,
             "upsampling": self.upsampling, "units": f"{self.target} per pixel",
             "heatmap_shape": list(self.heatmap.shape), "pixel_size": [float(v) for v in self.pixel_size],
             "origin": [float(v) for v in self.origin], "summary": self.summary, "warnings": list(self.warnings),
             "n_atoms": len(self.glass), "n_rings": int(len(self.rings.get("ring", []))),
             "prediction": self.prediction.to_dict()}
        if self.image is not None:
            d["image"] = {"shape": list(self.image["heatmap"].shape), "pixel_size": self.image["pixel_size"],
                          "origin": list(self.image["origin"])}
        if arrays:
            d["heatmap"] = self.heatmap.tolist()
            d["atoms"] = {k: np.asarray(v).tolist() for k, v in self.atoms.items()}
            d["rings"] = {k: np.asarray(v).tolist() for k, v in self.rings.items()}
        return d


def _model(model):
    from ..learn.checkpoint import Model, load_model
    from ..learn.predict import default_model

    if model is None:
        return default_model()
    return model if isinstance(model, Model) else load_model(model)


def _input(obj, notes):
    """``(glass, micrograph or None)`` of a Glass, a Micrograph or a file path."""
    from ..io import read_input
    from ..learn.predict import glass_from_micrograph
    from ..micrograph import Micrograph

    if isinstance(obj, (str, Path)):
        obj = read_input(obj)[1]
    if isinstance(obj, Micrograph):
        return glass_from_micrograph(obj, notes, {}), obj
    if not isinstance(obj, Glass):
        raise InputError(f"explain takes a Glass, a Micrograph or a file path, got {type(obj).__name__}")
    return obj, None


def _transposed(glass: Glass) -> Glass:
    return Glass(glass.positions[:, ::-1], glass.species, glass.cell[::-1], pbc=glass.pbc[::-1], validate=False)


def _rings(glass, notes):
    from ..rings import find_rings, ring_polygons

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            rs = find_rings(glass)
        except InputError as exc:
            notes.append(f"no per-ring attributions: {exc}")
            return None, []
    notes.extend(str(w.message) for w in caught)
    return rs, ring_polygons(glass, rs)


def _summary(heat, frame: Frame, glass, atoms, rings) -> dict:
    r, c = np.unravel_index(int(np.argmax(heat)), heat.shape)
    xy = frame.px_to_xy([r, c])
    total = float(np.sum(heat))
    order = np.argsort(-atoms["attribution"])[:5]
    out = {"max_xy": [float(xy[0]), float(xy[1])], "max_value": float(heat[r, c]), "total": total,
           "top_atoms": [{"atom": int(i), "species": str(glass.species[i]),
                          "xy": [float(v) for v in glass.positions[i]],
                          "attribution": float(atoms["attribution"][i])} for i in order]}
    if len(rings.get("ring", [])):
        ro = np.argsort(-rings["density"])[:5]
        out["top_rings"] = [{"ring": int(rings["ring"][k]), "size": int(rings["size"][k]),
                             "xy": [float(rings["cx"][k]), float(rings["cy"][k])],
                             "density": float(rings["density"][k])} for k in ro]
        mean = float(np.nanmean(rings["density"])) or 1.0
        out["density_by_size"] = {int(n): {"n": int((rings["size"] == n).sum()),
                                           "relative_density": float(np.nanmean(rings["density"][rings["size"] == n])
                                                                     / mean)}
                                  for n in np.unique(rings["size"])}
    return out


def explain_steps(glass_or_micrograph, model=None, *, target: str = "failure_strain", layer: Optional[str] = None,
                  variant: str = "relu", copies: int = DEFAULT_COPIES, upsampling: str = "bilinear",
                  axis: str = "x", linear_response: bool = False) -> Job[Explanation]:
    """:func:`explain` as a job yielding :class:`Progress` (see :func:`explain` for the parameters;
    ``linear_response`` as in :func:`~glassfail_core.learn.predict.predict`)."""
    from ..learn.predict import predict
    from .gradcam import VARIANTS, averaged_cam

    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r}; choose {', '.join(VARIANTS)}")
    if axis not in ("x", "y"):
        raise InputError(f"axis must be x or y, got {axis!r}")
    notes: list = []
    yield Progress("explain", 0, 4, "reading the input")
    m = _model(model)
    if target not in m.config["targets"]:
        raise InputError(f"the model has no target {target!r}; it predicts {', '.join(m.config['targets'])}")
    glass, micrograph = _input(glass_or_micrograph, notes)
    yield Progress("explain", 1, 4, "predicting")
    pred = predict(glass, m, axis=axis, linear_response=linear_response)
    if micrograph is not None:
        info = dict(pred.input, kind="micrograph", micrograph_shape=list(micrograph.shape),
                    micrograph_pixel_size=micrograph.pixel_size)
        pred = dataclasses.replace(pred, input=info, warnings=notes + list(pred.warnings))
    yield Progress("explain", 2, 4, f"Grad-CAM over {copies} copies")
    seen = _transposed(glass) if axis == "y" else glass
    cam = averaged_cam(m, seen, target=target, layer=layer, variants=VARIANTS, copies=copies,
                       upsampling=upsampling)
    frame, maps = cam.frame, cam.maps
    if axis == "y":
        frame = Frame(frame.shape[::-1], frame.pixel_size[::-1], frame.origin[::-1], frame.periodic,
                      None if frame.valid is None else (frame.valid[1], frame.valid[0], frame.valid[3],
                                                        frame.valid[2]))
        maps = {k: v.T.copy() for k, v in maps.items()}
    yield Progress("explain", 3, 4, "mapping to atoms and rings")
    heat = maps[variant]
    owners = pixel_owners(frame, glass)
    cell_area = np.bincount(owners[owners >= 0], minlength=len(glass)) * frame.pixel_size[0] * frame.pixel_size[1]
    att = atom_attribution(heat, frame, glass, owners)
    with np.errstate(invalid="ignore", divide="ignore"):
        atoms = {"attribution": att, "density": att / cell_area,
                 "signed": atom_attribution(maps["signed"], frame, glass, owners)}
    rs, polys = _rings(glass, notes)
    rings = {k: np.zeros(0) for k in ("ring", "size", "cx", "cy", "attribution", "area", "density", "signed")}
    if rs is not None and rs.n_rings:
        pix = ring_pixels(frame, polys)
        sums, areas = ring_attribution(heat, frame, pix)
        with np.errstate(invalid="ignore", divide="ignore"):
            rings = {"ring": np.arange(rs.n_rings), "size": np.asarray(rs.sizes), "cx": rs.centroids[:, 0],
                     "cy": rs.centroids[:, 1], "attribution": sums, "area": areas, "density": sums / areas,
                     "signed": ring_attribution(maps["signed"], frame, pix)[0]}
    image = None
    if micrograph is not None:
        image = {"heatmap": resample_to(heat, frame, micrograph.shape, micrograph.pixel_size, micrograph.origin),
                 "pixel_size": float(micrograph.pixel_size), "origin": tuple(micrograph.origin),
                 "micrograph": np.asarray(micrograph.image)}
    out = Explanation(heat, tuple(frame.pixel_size), tuple(frame.origin), maps, atoms, rings, pred, glass,
                      cam.layer, variant, target, len(cam.augments), upsampling,
                      _summary(heat, frame, glass, atoms, rings), image, (owners >= 0).reshape(frame.shape),
                      list(polys), notes)
    yield Progress("explain", 4, 4, "done")
    return out


def explain(glass_or_micrograph, model=None, *, target: str = "failure_strain", layer: Optional[str] = None,
            variant: str = "relu", copies: int = DEFAULT_COPIES, upsampling: str = "bilinear",
            axis: str = "x") -> Explanation:
    """Explain a model's prediction for a glass or a micrograph (see the module docstring).

    Parameters
    ----------
    glass_or_micrograph : Glass, Micrograph, or a path to a structure or micrograph file
    model : Model, path of a model folder, or None for the shipped model
    target : str
        The scalar target explained (``"failure_strain"``, ``"max_stress"``, ``"first_break_strain"``).
    layer : str, optional
        ``"stem"``, ``"stage1"``, ``"stage2"``, ``"stage3"`` or an encoder module; default: the deepest stage
        whose map is at least 16 × 16.
    variant : {"relu", "abs", "neg", "signed"}
        Standard Grad-CAM, the reference study's ``|Σ α A|``, Grad-CAM of the negated target, or the signed sum
        (:mod:`.gradcam`); every variant is in :attr:`Explanation.maps`, this one is mapped to atoms and rings.
    copies : int
        Augmented copies averaged (non-periodic inputs: the 4 flips at most).
    upsampling : {"bilinear", "nearest"}
    axis : {"x", "y"}
        Loading axis.
    """
    return run(explain_steps(glass_or_micrograph, model, target=target, layer=layer, variant=variant,
                             copies=copies, upsampling=upsampling, axis=axis))
