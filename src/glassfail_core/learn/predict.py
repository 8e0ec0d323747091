"""``predict(glass_or_micrograph, model=None) -> Prediction``: when and where a glass fails under tension along x.

A :class:`~glassfail_core.Glass` is drawn in the training style (periodic cells seamlessly, other shapes padded with
background); a :class:`~glassfail_core.micrograph.Micrograph` first goes through detection
(:func:`~glassfail_core.workflows.detect_rings`) and the detected atoms are re-rendered noise-free in the same
style at the model's pixel size. The network runs once on the four flips of the image (:func:`~.infer.infer`).
Sites are in Å in the input's own frame (for micrographs: x along columns, y along rows, origin at the first
pixel's corner). ``axis="y"`` (or ``angle``) predicts for tension along another direction by turning the input
(any angle for non-periodic inputs, 0 or 90° for periodic ones); sites are turned back.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from ..glass import Glass
from ..io import read_input

__all__ = ["Prediction", "predict", "default_model", "DEFAULT_MODEL_DIR", "EV_PER_A2_TO_N_PER_M"]

#: The shipped model (package data; absent until the shipped model is trained).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / "default"
#: 1 eV/Å² in N/m.
EV_PER_A2_TO_N_PER_M = 16.02176634
#: A drawn pixel size further than this from the model's is reported (a periodic axis of 78–88 Å gets 128 px at
#: 0.65 Å/px nominal and stride 16: up to ±4 %).
PIXEL_TOLERANCE = 0.045


@dataclass(frozen=True, eq=False)
class Prediction:
    """What a model says about one input (every field JSON-ready through :meth:`to_dict`, maps aside).

    ``failure_strain``, ``first_break_strain``, ``max_stress``: ``{"value", "low", "high"}`` (90 % interval; the
    stress in eV/Å² with ``"N_per_m"`` beside it), None when the model lacks the target. ``failure_site``,
    ``first_break_site``: ``[x, y]`` in Å in the input's frame; ``failure_sites`` / ``first_break_sites``: the top
    modes ``[{"xy", "probability"}]`` (mass within 5 Å). ``maps``: probability maps (sum 1) on pixels of
    ``map_pixel_size = (px_x, px_y)`` Å with the top-left corner at ``map_origin``. ``region``: the window the
    scalars come from for inputs larger than the training cells (the weakest region), else None.
    ``linear_response_site``: with ``linear_response=True``, the midpoint of the bond that stretches most under a
    0.5 % strain along the load after relaxation (:func:`~.baselines.linear_response_site`) — the first bond to
    break in 80 % of the 600 default-dataset glasses, 89 % within 5 Å — in the input's frame; None otherwise.
    ``linear_response_strain``: with it, the first-break strain estimated from the same relaxation
    (:func:`~.baselines.linear_response_strain`, ``{"value", "low", "high"}`` with the model's split-conformal
    90 % interval), None when the model was trained without that calibration.
    """

    failure_strain: Optional[dict]
    first_break_strain: Optional[dict]
    max_stress: Optional[dict]
    failure_site: Optional[list]
    first_break_site: Optional[list]
    failure_sites: list = field(default_factory=list)
    first_break_sites: list = field(default_factory=list)
    maps: dict = field(default_factory=dict)
    map_pixel_size: tuple = (1.0, 1.0)
    map_origin: tuple = (0.0, 0.0)
    warnings: list = field(default_factory=list)
    model: dict = field(default_factory=dict)
    input: dict = field(default_factory=dict)
    region: Optional[list] = None
    linear_response_site: Optional[list] = None
    linear_response_strain: Optional[dict] = None

    def to_dict(self, maps: bool = False) -> dict:
        d = {k: getattr(self, k) for k in ("failure_strain", "first_break_strain", "max_stress", "failure_site",
                                           "first_break_site", "failure_sites", "first_break_sites", "warnings",
                                           "model", "input", "region", "linear_response_site",
                                           "linear_response_strain")}
        d["map_pixel_size"], d["map_origin"] = list(self.map_pixel_size), list(self.map_origin)
        d["map_names"] = list(self.maps)
        if maps:
            d["maps"] = {k: v.tolist() for k, v in self.maps.items()}
        return d


@functools.lru_cache(maxsize=4)
def _cached(path: str):
    from .checkpoint import load_model

    return load_model(path)


def default_model():
    """The shipped model (loaded once)."""
    if not (DEFAULT_MODEL_DIR / "config.json").is_file():
        raise InputError("no shipped model in this glassfail yet; pass a trained model folder (--model MODEL_DIR, "
                         "made by glassfail train)")
    return _cached(str(DEFAULT_MODEL_DIR))


def _resolve_model(model):
    from .checkpoint import Model

    if model is None:
        return default_model()
    if isinstance(model, Model):
        return model
    return _cached(str(Path(model).resolve()))


def glass_from_micrograph(m, notes: list, detect_params: dict) -> Glass:
    from ..workflows import detect_rings

    det = detect_rings(m, **detect_params)
    g = det.glass
    if g.n_si < 3:
        raise InputError(f"detection found {g.n_si} Si atom(s) in the micrograph: nothing to predict on")
    info = g.info
    conf = float(info.get("mean_confidence", np.mean(g.arrays.get("confidence", [1.0]))))
    if conf < 0.5:
        notes.append(f"low detection confidence (mean {conf:.2f}): check the detected atoms")
    if info.get("species_mode") == "si-only" or info.get("n_o_seen", 1) == 0:
        notes.append("Si-only detections: O were placed at Si–Si midpoints")
    if m.pixel_size > 2 * 0.65:
        notes.append(f"micrograph pixel size {m.pixel_size:.3g} Å/px is coarse for atom detection")
    return g


def direct_input(m, inp: dict):
    """``(image, Frame)``: micrograph ``m`` resampled to the model's pixel size and padded with its mirror image
    (:func:`~.images.reflect_outside`) to a multiple of the network's stride, centred; the frame is the micrograph's own (x along
    columns, y along rows, origin at the first pixel's corner), the padding outside the valid box."""
    from scipy.ndimage import zoom

    from .images import Frame, reflect_outside

    px, stride = float(inp["pixel_size"]), int(inp["stride"])
    img = zoom(np.asarray(m.image, np.float64), m.pixel_size / px, order=1, grid_mode=True, mode="nearest")
    h, w = img.shape
    H, W = (-(-h // stride) * stride, -(-w // stride) * stride)
    top, left = (H - h) // 2, (W - w) // 2
    out = np.zeros((H, W))
    out[top:top + h, left:left + w] = img
    inside = np.zeros((H, W), bool)
    inside[top:top + h, left:left + w] = True
    out = reflect_outside(out, inside)
    sx, sy = m.shape[1] * m.pixel_size / w, m.shape[0] * m.pixel_size / h  # exact Å per resampled pixel
    x0, y0 = float(m.origin[0]), float(m.origin[1])
    frame = Frame((H, W), (sx, sy), (x0 - left * sx, y0 - top * sy), False,
                  (x0, y0, x0 + w * sx, y0 + h * sy))
    return out, frame


def _turn(glass: Glass, angle: float):
    """``(turned glass, function mapping turned-frame points back)``: tension along ``angle`` becomes tension
    along x. Periodic glasses: 0 or 90° (a transpose, which is a 90° turn up to a flip, a symmetry of tension)."""
    a = float(angle) % 360.0
    if a == 0:
        return glass, lambda xy: np.asarray(xy, float)
    if any(glass.pbc) or a in (90.0, 270.0):
        if a not in (90.0, 270.0):
            raise InputError(f"a periodic input turns by 90° only (got {angle}°); use --axis y")
        g = Glass(glass.positions[:, ::-1], glass.species, glass.cell[::-1], pbc=glass.pbc[::-1], validate=False)
        return g, lambda xy: np.asarray(xy, float)[..., ::-1]
    c = glass.positions.mean(axis=0)
    t = math.radians(a)
    rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])  # turns the direction `a` onto x
    g = Glass((glass.positions - c) @ rot.T + c, glass.species, glass.cell, pbc=glass.pbc, validate=False)
    return g, lambda xy: (np.asarray(xy, float) - c) @ rot + c


def _ood(glass: Glass, cfg: dict, frame, notes: list) -> dict:
    from .baselines import ring_descriptors

    rng = cfg.get("train_range", {})
    mu2 = ring_descriptors(glass)["mu2"] if len(glass) else math.nan
    lo_hi = rng.get("variance")
    if lo_hi and np.isfinite(mu2) and not (lo_hi[0] - 0.05 <= mu2 <= lo_hi[1] + 0.05):
        notes.append(f"ring-size variance s² = {mu2:.2f} is outside the training range {lo_hi[0]:.2f}–"
                     f"{lo_hi[1]:.2f}")
    nominal = float(cfg["input"]["pixel_size"])
    dev = max(abs(p / nominal - 1) for p in frame.pixel_size)
    if dev > PIXEL_TOLERANCE:
        notes.append(f"the input was drawn at {frame.pixel_size[0]:.3f} × {frame.pixel_size[1]:.3f} Å/px, "
                     f"{dev:.0%} from the model's {nominal:.3f}")
    if not all(glass.pbc) and rng.get("periodic", True):
        if not float(cfg["input"].get("cut_fraction", 0.0)) > 0:
            notes.append("non-periodic input: the model was trained on periodic cells only; its predictions on cut "
                         "glasses are unreliable")
        else:
            span = np.ptp(glass.positions, axis=0) if len(glass) else np.zeros(2)
            cell = rng.get("cell") or [0.0, 0.0]
            if span.min() < 0.75 * cell[0]:
                notes.append(f"non-periodic input {span[0]:.0f} × {span[1]:.0f} Å: smaller than the windows the "
                             f"model learned (~{cell[0]:.0f} Å cells cut out)")
    return {"variance": None if not np.isfinite(mu2) else float(mu2)}


def _interval(value, half, stress=False):
    if value is None:
        return None
    ok = half is not None and np.isfinite(half)
    # a strain is ≥ 0: its interval starts at 0 at the lowest (unless the value itself is below, off the training data)
    low = (float(value - half) if stress else max(float(value - half), min(float(value), 0.0))) if ok else None
    d = {"value": float(value), "low": low, "high": float(value + half) if ok else None}
    if stress:
        d["unit"] = "eV/Å²"
        d["N_per_m"] = {k: (None if v is None else v * EV_PER_A2_TO_N_PER_M) for k, v in
                        (("value", d["value"]), ("low", d["low"]), ("high", d["high"]))}
    return d


def predict(glass_or_micrograph, model=None, *, axis: str = "x", angle: Optional[float] = None, tta: bool = True,
            detect_params: Optional[dict] = None, direct: bool = False,
            linear_response: bool = False) -> Prediction:
    """Predict the failure of a glass or of the glass in a micrograph (see the module docstring).

    Parameters
    ----------
    glass_or_micrograph : Glass, Micrograph, or a path to a structure or micrograph file
    model : Model, path of a model folder, or None for the shipped model
    axis : {"x", "y"}
        Loading axis (``"y"`` = ``angle=90``).
    angle : float, optional
        Loading direction in degrees from x (non-periodic inputs: any; periodic: 0 or 90).
    tta : bool
        Average over the four flips (default) or use the image as it is.
    detect_params : dict, optional
        Parameters of the detection for micrographs.
    direct : bool
        For a micrograph: run the network on the calibrated image itself, resampled to the model's pixel size
        (:func:`direct_input`), instead of on the detected atoms re-rendered in the training style — for
        comparison; tension along x only.
    linear_response : bool
        Also give the linear-response first-break indicator (one relaxation of the input; periodic along the load).
    """
    from ..micrograph import Micrograph
    from .infer import infer, top_sites

    m = _resolve_model(model)
    obj, notes, kind = glass_or_micrograph, [], "structure"
    if isinstance(obj, (str, Path)):
        obj = read_input(obj)[1]
    if direct and not isinstance(obj, Micrograph):
        raise InputError("--direct applies to micrographs only (a structure is always drawn in the training style)")
    if direct and (axis != "x" or (angle or 0.0) % 360):
        raise InputError("--direct predicts for tension along x only; drop --axis/--angle or --direct")
    if isinstance(obj, Micrograph) and direct:
        return _direct(obj, m, tta)
    if isinstance(obj, Micrograph):
        kind, src = "micrograph", obj
        obj = glass_from_micrograph(obj, notes, detect_params or {})
    elif not isinstance(obj, Glass):
        raise InputError(f"predict takes a Glass, a Micrograph or a file path, got {type(obj).__name__}")
    if axis not in ("x", "y"):
        raise InputError(f"axis must be x or y, got {axis!r}")
    turned, back = _turn(obj, angle if angle is not None else (90.0 if axis == "y" else 0.0))
    inf = infer(m, turned, tta=tta)
    extra = _ood(obj, m.config, inf.image_frame, notes)
    s = inf.scalars
    sites = {}
    for name in ("crack", "first_break"):
        tops = top_sites(inf.maps[name], inf.frame, k=3) if name in inf.maps else []
        sites[name] = [{"xy": [float(v) for v in back(t["xy"])], "probability": t["probability"]} for t in tops]
    region = None
    if inf.region is not None:
        x0, y0, x1, y1 = inf.region
        corners = back(np.array([[x0, y0], [x1, y1]]))
        region = [float(v) for v in (*corners.min(axis=0), *corners.max(axis=0))]
    info = {"kind": kind, "n_atoms": len(obj), "periodic": bool(all(obj.pbc)), "axis": axis,
            "angle": float(angle if angle is not None else (90.0 if axis == "y" else 0.0)),
            "image_shape": list(inf.image_frame.shape), "pixel_size": list(inf.image_frame.pixel_size), **extra}
    maps, mpx, morg = dict(inf.maps), tuple(inf.frame.pixel_size), tuple(inf.frame.origin)
    if info["angle"] % 180 == 90:  # a transpose: maps transposed back into the input's frame
        maps, mpx, morg = {k: v.T.copy() for k, v in maps.items()}, mpx[::-1], morg[::-1]
    elif info["angle"] % 360:
        info["maps_frame"] = f"turned by {info['angle']:g}° about the atoms' centroid"
    if kind == "micrograph":
        info.update(micrograph_shape=list(src.shape), micrograph_pixel_size=src.pixel_size)
    lr = (None, None)
    if linear_response:
        if not turned.pbc[0]:
            raise InputError("the linear-response indicator needs a sample periodic along the load (a cell to "
                             "stretch); drop --linear-response")
        from .baselines import linear_response, linear_response_strain

        resp = linear_response(turned)
        lr = ([float(v) for v in back(np.array(resp["site"]))],
              linear_response_strain(resp, m.config.get("linear_response")))
    return _prediction(m, s, sites, maps, mpx, morg, notes, info, region, lr)


def _direct(mic, m, tta) -> Prediction:
    from .infer import infer_image, top_sites

    img, frame = direct_input(mic, m.config["input"])
    inf = infer_image(m, img, frame, tta=tta)
    notes = ["direct: the network read the micrograph's own grey levels, unlike its training images"]
    sites = {n: top_sites(inf.maps[n], inf.frame, k=3) if n in inf.maps else [] for n in ("crack", "first_break")}
    info = {"kind": "micrograph", "mode": "direct", "n_atoms": 0, "periodic": False, "axis": "x", "angle": 0.0,
            "image_shape": list(img.shape), "pixel_size": list(frame.pixel_size), "variance": None,
            "micrograph_shape": list(mic.shape), "micrograph_pixel_size": mic.pixel_size,
            "zoom": mic.pixel_size / float(m.config["input"]["pixel_size"])}
    return _prediction(m, inf.scalars, sites, dict(inf.maps), tuple(inf.frame.pixel_size), tuple(inf.frame.origin),
                       notes, info, None)


def _prediction(m, s, sites, maps, mpx, morg, notes, info, region, lr=(None, None)) -> Prediction:
    """The :class:`Prediction` of scalars ``s`` and top ``sites``; ``lr``: (linear-response site, strain)."""
    half = m.config.get("intervals", {}).get("halfwidth", {})
    return Prediction(
        failure_strain=_interval(s.get("failure_strain"), half.get("failure_strain")),
        first_break_strain=_interval(s.get("first_break_strain"), half.get("first_break_strain")),
        max_stress=_interval(s.get("max_stress"), half.get("max_stress"), stress=True),
        failure_site=sites["crack"][0]["xy"] if sites["crack"] else None,
        first_break_site=sites["first_break"][0]["xy"] if sites["first_break"] else None,
        failure_sites=sites["crack"], first_break_sites=sites["first_break"], maps=maps,
        map_pixel_size=mpx, map_origin=morg, warnings=notes,
        model=m.describe(), input=info, region=region, linear_response_site=lr[0], linear_response_strain=lr[1])
