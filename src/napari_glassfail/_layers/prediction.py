"""A model's prediction (and explanation) as napari layers, in Å, aligned with the input they were made from.

* the site-probability maps (``predict``'s ``maps``) and the Grad-CAM heatmap as Image layers whose scale is the
  map's pixel size and whose translate puts each pixel centre where it is in the input's frame (napari places
  pixel centres at ``index · scale + translate``; a map's origin is its top-left *corner*);
* the predicted (or simulated) failure and first-break sites as a Points layer with the strain and its interval as
  features and text;
* the atoms with their site probability (the map's value at each atom) and, with an explanation, their attribution,
  as Points features to colour by.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .conventions import UNITS, layer_metadata, to_napari

__all__ = ["map_layer_data", "sample_map", "sites_layer_data", "site_rows", "prediction_layer_data",
           "atom_values_layer_data", "MAP_LABELS", "SITE_COLORS", "PROBABILITY_COLORMAP", "HEATMAP_COLORMAP"]

#: Map name in a Prediction → what the layer is called.
MAP_LABELS = {"crack": "failure", "failure": "failure", "first_break": "first-break"}
#: Which Prediction field holds each map's site and strain.
MAP_FIELDS = {"crack": ("failure_site", "failure_strain"), "failure": ("failure_site", "failure_strain"),
              "first_break": ("first_break_site", "first_break_strain")}
SITE_COLORS = {"failure": "#ff3b3b", "first break": "#35c8ff", "first break (linear response)": "#ffd23f"}
#: The kind of the linear-response first-break site (one relaxation: the most-stretched bond), beside the model's.
LINEAR_RESPONSE = "first break (linear response)"
PROBABILITY_COLORMAP = "inferno"
HEATMAP_COLORMAP = "viridis"


def map_layer_data(values, pixel_size, origin, *, name: str, role: str, group: str, colormap: str,
                   visible: bool = True, opacity: float = 0.75, **meta):
    """LayerDataTuple of a 2-D map on pixels of ``pixel_size = (px_x, px_y)`` Å whose top-left corner is at
    ``origin = (x, y)`` Å: additive blending over the input, contrast from 0 to the map's maximum (its peak reads
    as the most likely place)."""
    data = np.asarray(values, dtype=np.float32)
    px = np.asarray(pixel_size, float).ravel()[:2]
    org = np.asarray(origin, float).ravel()[:2]
    hi = float(np.nanmax(data)) if data.size else 1.0
    lo = min(0.0, float(np.nanmin(data))) if data.size else 0.0
    kwargs = dict(
        name=name, scale=tuple(px[::-1].tolist()), translate=tuple(to_napari(org + 0.5 * px).tolist()),
        colormap=colormap, blending="additive", opacity=opacity, visible=visible,
        contrast_limits=(lo, hi if hi > lo else lo + 1.0), units=UNITS,
        metadata=layer_metadata(role, group, None, pixel_size=tuple(px.tolist()), origin=tuple(org.tolist()), **meta),
    )
    return (data, kwargs, "image")


def sample_map(values, pixel_size, origin, xy, *, periodic=(False, False)) -> np.ndarray:
    """The map's value at each point ``xy`` ((N, 2) Å): the pixel it falls in; wrapped along periodic axes,
    clipped to the border otherwise.

    >>> sample_map(np.arange(6.0).reshape(2, 3), (1.0, 1.0), (0.0, 0.0), [[2.5, 0.5], [0.2, 1.9]]).tolist()
    [2.0, 3.0]
    """
    v = np.asarray(values, float)
    p = np.atleast_2d(np.asarray(xy, float))
    px = np.asarray(pixel_size, float).ravel()[:2]
    ij = np.floor((p - np.asarray(origin, float).ravel()[:2]) / px).astype(np.int64)  # (col, row)
    out = []
    for axis, n in ((1, v.shape[0]), (0, v.shape[1])):
        k = ij[:, axis]
        out.append(np.mod(k, n) if periodic[axis] else np.clip(k, 0, n - 1))
    return v[out[0], out[1]]


def site_rows(prediction, kinds=("failure", "first break")) -> list:
    """``[{"kind", "xy", "strain", "low", "high"}]``: the sites a Prediction gives (None ones left out), with the
    linear-response first-break site when the prediction has one."""
    rows = []
    for kind in kinds:
        site, strain = (("failure_site", "failure_strain") if kind == "failure"
                        else ("first_break_site", "first_break_strain"))
        xy = getattr(prediction, site, None)
        if xy is None:
            continue
        s = getattr(prediction, strain, None) or {}
        rows.append({"kind": kind, "xy": [float(v) for v in xy], "strain": s.get("value"), "low": s.get("low"),
                     "high": s.get("high")})
    xy = getattr(prediction, "linear_response_site", None)
    if "first break" in kinds and xy is not None:
        s = getattr(prediction, "linear_response_strain", None) or {}
        rows.append({"kind": LINEAR_RESPONSE, "xy": [float(v) for v in xy], "strain": s.get("value"),
                     "low": s.get("low"), "high": s.get("high")})
    return rows


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def sites_layer_data(rows: list, *, name: str, group: str, role: str, symbol: str = "cross", size: float = 3.0,
                     label: str = "predicted", **meta):
    """LayerDataTuple of sites (``rows`` as :func:`site_rows` gives them): one marker per site, coloured by kind
    (failure / first break), with the strain (and interval, when known) as text."""
    xy = np.array([r["xy"] for r in rows], float).reshape(-1, 2)
    kinds = [r["kind"] for r in rows]
    text = []
    for r in rows:
        interval = f" [{_fmt(r['low'])}, {_fmt(r['high'])}]" if r.get("low") is not None else ""
        text.append(f"{label} {r['kind']} ε = {_fmt(r['strain'])}{interval}")
    feats = {"kind": np.array(kinds, dtype=object), "strain": np.array([np.nan if r["strain"] is None else
                                                                       r["strain"] for r in rows], float),
             "label": np.array(text, dtype=object)}
    colors = [SITE_COLORS.get(k, "white") for k in kinds]
    kwargs = dict(
        name=name, symbol=symbol, size=size, face_color=colors if symbol in ("cross", "x", "star") else "transparent",
        border_color=colors, border_width=0.18, border_width_is_relative=True, features=feats,
        text={"string": "{label}", "color": "white", "anchor": "upper_left", "size": 9,
              "translation": [-0.6 * size, 0.6 * size]},
        units=UNITS, metadata=layer_metadata(role, group, None, **meta),
    )
    return (to_napari(xy), kwargs, "points")


def atom_values_layer_data(glass, columns: dict, *, name: str, group: str, color_by: str, **meta):
    """LayerDataTuple of small atom markers with per-atom ``columns`` as features, coloured by ``color_by``."""
    feats = {"atom": np.arange(len(glass)), "species": np.asarray(glass.species, dtype=object)}
    feats.update({k: np.asarray(v, float) for k, v in columns.items()})
    kwargs = dict(
        name=name, size=np.where(glass.species == "Si", 0.9, 0.6), face_color=color_by,
        face_colormap=PROBABILITY_COLORMAP, border_width=0.0, features=feats, units=UNITS, visible=True,
        metadata=layer_metadata("prediction_atoms", group, glass, **meta),
    )
    return (to_napari(glass.wrapped_positions()), kwargs, "points")


def prediction_layer_data(prediction, *, name: str, group: str, glass=None, explanation=None) -> list:
    """Every layer of a prediction: the site-probability maps (the failure map shown, the first-break map hidden),
    the explanation's heatmap, the atoms with their values (when the atoms are known) and the predicted sites."""
    out = []
    for key, values in prediction.maps.items():
        label = MAP_LABELS.get(key, key)
        out.append(map_layer_data(values, prediction.map_pixel_size, prediction.map_origin,
                                  name=f"{name} {label} site probability", role=f"map_{label}", group=group,
                                  colormap=PROBABILITY_COLORMAP, visible=label == "failure", map=key,
                                  prediction=prediction))
    if explanation is not None:
        out.append(heatmap_layer_data(explanation, name=name, group=group))
    atoms = explanation.glass if explanation is not None else glass
    if atoms is not None and len(atoms):
        columns = {}
        periodic = tuple(bool(b) for b in atoms.pbc)
        for key, values in prediction.maps.items():
            columns[f"{MAP_LABELS.get(key, key)}_probability"] = sample_map(
                values, prediction.map_pixel_size, prediction.map_origin, atoms.wrapped_positions(),
                periodic=periodic)
        attribution = _atom_attribution(explanation, len(atoms))
        if attribution is not None:
            columns["attribution"] = attribution
        first = next(iter(columns), None)
        if first is not None:
            out.append(atom_values_layer_data(atoms, columns, name=f"{name} atoms (prediction)", group=group,
                                              color_by=first, prediction=prediction))
    out.append(sites_layer_data(site_rows(prediction), name=f"{name} predicted sites", group=group,
                                role="predicted_sites", prediction=prediction))
    return out


def heatmap_layer_data(explanation, *, name: str, group: str):
    """The Grad-CAM heatmap of an explanation (its own pixel size and origin, in the input's frame)."""
    label = f"Grad-CAM {explanation.target} {explanation.layer} {explanation.variant}"
    heat, mask = np.asarray(explanation.heatmap, float), explanation.mask
    if mask is not None and np.shape(mask) == heat.shape:  # the padding around a cut sample shows nothing
        heat = np.where(mask, heat, 0.0)
    return map_layer_data(heat, explanation.pixel_size, explanation.origin,
                          name=f"{name} {label}", role="heatmap", group=group, colormap=HEATMAP_COLORMAP,
                          visible=True, opacity=0.6, explanation=explanation)


def _atom_attribution(explanation, n: int) -> Optional[np.ndarray]:
    """Per-atom attribution of an explanation when it has one for each of the ``n`` atoms."""
    v = None if explanation is None else explanation.atoms.get("attribution")
    return np.asarray(v, float) if v is not None and np.ndim(v) == 1 and len(v) == n else None
