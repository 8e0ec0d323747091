"""A Glass's atoms, rings and cell as napari layers, and the Glass rebuilt from those layers after the user edited
them (see :mod:`napari_glassfail._layers` for the conventions)."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from glassfail_core.colors import SPECIES_COLORS, ring_colors
from glassfail_core.errors import GlassfailError, GlassfailWarning, InputError
from glassfail_core.glass import Glass
from glassfail_core.rings import find_rings, ring_statistics

from .conventions import KEY, POINT_SIZE, UNITS, from_napari, layer_metadata, new_group, to_napari
from .rings import drawn_ring_polygons

__all__ = [
    "RING_ALPHA", "DETECTION_STYLE", "glass_layer_data", "structure_layers", "compute_rings", "atom_features", "ring_layer_data",
    "cell_layer_data", "glass_from_layers", "find_structure_layers", "is_structure_layer", "ring_stats_text",
]

#: Opacity of the ring fills: translucent, so a micrograph under them stays readable.
RING_ALPHA = 0.4
#: Detected atoms (a Glass carrying a per-atom ``confidence``): small hollow Si rings and small O dots, coloured by
#: confidence, O placed by geometry (``inferred``) drawn as crosses; diameters in Å.
DETECTION_STYLE = {"Si": {"size": 1.1, "symbol": "ring"}, "O": {"size": 0.55, "symbol": "disc"}}
INFERRED_SYMBOL = "cross"
CONFIDENCE_COLORMAP = "plasma"


# ---------------------------------------------------------------------------------------------------- rings
def compute_rings(glass: Glass):
    """The glass's :class:`~glassfail_core.rings.RingSet`, or None when the glass is empty or ring analysis fails
    (a :class:`GlassfailWarning` says why; napari shows it as a notification)."""
    if len(glass) == 0:
        return None
    try:
        return find_rings(glass)
    except GlassfailError as exc:
        warnings.warn(f"rings not drawn: {exc}", GlassfailWarning, stacklevel=2)
        return None


def ring_stats_text(ringset) -> str:
    """One short block with p(n) and μ2 of a RingSet (what the Detect widget shows): the core's summary."""
    if ringset is None:
        return "rings: not available"
    return ring_statistics(ringset).summary()


def atom_features(glass: Glass, ringset=None) -> dict:
    """Per-atom columns for the Points layers: ``atom`` index, ring sizes around each atom (``ring_mean``,
    ``ring_min``, ``ring_max``, ``n_rings``) when rings are known, and every 1-D numeric per-atom array of the
    glass (e.g. ``energy``)."""
    n = len(glass)
    cols: dict[str, np.ndarray] = {"atom": np.arange(n, dtype=np.int64)}
    if ringset is not None:
        per = ringset.per_atom()
        for k in ("mean", "min", "max"):
            if k in per:
                cols[f"ring_{k}"] = np.asarray(per[k], dtype=float)
        if "n_rings" in per:
            cols["n_rings"] = np.asarray(per["n_rings"])
    for k, v in glass.arrays.items():
        v = np.asarray(v)
        if v.ndim == 1 and v.dtype.kind in "fiub" and k not in cols:
            cols[k] = v
    return cols


# ---------------------------------------------------------------------------------------------------- layer data
def _feature_defaults(feats: dict) -> dict:
    """Values for points the user adds: ``atom = -1`` (new atom), NaN for floats, -1 / False otherwise."""
    out = {}
    for k, v in feats.items():
        kind = np.asarray(v).dtype.kind
        out[k] = np.nan if kind == "f" else (False if kind == "b" else -1)
    return out


def structure_layers(glass: Glass, *, name: str, group: str, ringset=None, features=None) -> list:
    """LayerDataTuples of the atoms: one Points layer per species present (Si last, so it is drawn on top)."""
    features = atom_features(glass, ringset) if features is None else features
    shown = glass.wrapped_positions()
    out = []
    for sp in ("O", "Si"):
        mask = glass.species == sp
        if not mask.any():
            continue
        feats = {k: np.asarray(v)[mask] for k, v in features.items()}
        kwargs = dict(
            name=f"{name} {sp}",
            size=POINT_SIZE[sp],
            face_color=[SPECIES_COLORS[sp]] * int(mask.sum()),
            border_width=0.05,
            border_width_is_relative=True,
            border_color="black",
            features=feats,
            feature_defaults=_feature_defaults(feats),
            units=UNITS,
            metadata=layer_metadata(sp, group, glass),
        )
        if "confidence" in feats:
            kwargs.update(_detection_style(sp, feats))
        out.append((to_napari(shown[mask]), kwargs, "points"))
    return out


def _detection_style(sp: str, feats: dict) -> dict:
    """Markers of detected atoms: small, hollow for Si, coloured by confidence; O placed by geometry as crosses."""
    style = DETECTION_STYLE[sp]
    n = len(feats["confidence"])
    symbol = np.full(n, style["symbol"], dtype=object)
    if "inferred" in feats:
        symbol[np.asarray(feats["inferred"], bool)] = INFERRED_SYMBOL
    return dict(size=style["size"], symbol=list(symbol), face_color="confidence",
                face_colormap=CONFIDENCE_COLORMAP, face_contrast_limits=(0.0, 1.0), border_width=0.0)


def ring_layer_data(glass: Glass, ringset, *, name: str, group: str):
    """LayerDataTuple of the closed rings as translucent polygons, coloured by size with the product's fixed map.

    Rings crossing a periodic edge are cut there and drawn inside the cell (:func:`.rings.drawn_ring_polygons`);
    the feature ``ring`` tells which ring each polygon belongs to."""
    polys, ring = drawn_ring_polygons(glass, ringset)
    sizes = np.asarray(ringset.sizes, int)[ring]
    colors = ring_colors(sizes)
    colors[:, 3] = RING_ALPHA
    data = [to_napari(p) for p in polys]
    kwargs = dict(
        name=f"{name} rings",
        shape_type="polygon",
        face_color=colors if len(data) else "transparent",
        edge_color=[0.0, 0.0, 0.0, 0.5],
        edge_width=0.06,
        opacity=1.0,
        features={"size": sizes, "area": np.asarray(ringset.areas, float)[ring], "ring": ring},
        units=UNITS,
        metadata=layer_metadata("rings", group, glass, ringset=ringset),
    )
    return (data, kwargs, "shapes")


def cell_layer_data(glass: Glass, *, name: str, group: str):
    """LayerDataTuple of the cell outline (a rectangle from (0, 0) to (Lx, Ly))."""
    lx, ly = (float(c) for c in glass.cell)
    rect = np.array([[0.0, 0.0], [ly, lx]])
    kwargs = dict(
        name=f"{name} cell",
        shape_type="rectangle",
        face_color="transparent",
        edge_color="cyan" if glass.is_periodic else "gray",
        edge_width=0.3,
        units=UNITS,
        metadata=layer_metadata("cell", group, glass),
    )
    return ([rect], kwargs, "shapes")


def glass_layer_data(glass: Glass, *, name: str, rings: Any = "auto", group: Optional[str] = None) -> list:
    """Every layer of a structure, bottom to top: cell outline, ring polygons, O, Si.

    Parameters
    ----------
    glass : Glass
    name : str
        Prefix of the layer names (e.g. the file stem).
    rings : "auto", RingSet or None
        ``"auto"`` finds the rings (none are drawn when that fails, with a warning), None skips them.
    group : str, optional
        Group id (a new one by default).
    """
    group = group or new_group()
    ringset = compute_rings(glass) if isinstance(rings, str) and rings == "auto" else rings
    out = [cell_layer_data(glass, name=name, group=group)]
    if ringset is not None and len(ringset.sizes):
        out.append(ring_layer_data(glass, ringset, name=name, group=group))
    out.extend(structure_layers(glass, name=name, group=group, ringset=ringset))
    return out


# ---------------------------------------------------------------------------------------------------- layers → Glass
def is_structure_layer(layer) -> bool:
    """True for the plugin's Si/O Points layers."""
    meta = getattr(layer, "metadata", {}).get(KEY)
    return bool(meta) and meta.get("role") in ("Si", "O") and meta.get("glass") is not None


def find_structure_layers(layers) -> list:
    """The plugin's Si/O Points layers among ``layers`` (in layer-list order)."""
    return [lay for lay in layers if is_structure_layer(lay)]


def _group_members(layers, group):
    return [lay for lay in layers if is_structure_layer(lay) and lay.metadata[KEY]["group"] == group]


def _atom_ids(lay, glass0: Glass, sp: str, shown: np.ndarray):
    """(xy, atom) of a species layer: positions in (x, y) and the Glass index of each point, -1 for new points.

    napari copies a selected point's features to the points added next, so an index may appear twice: the
    point nearest to that atom's stored position keeps it, the others count as new atoms."""
    xy = from_napari(np.asarray(lay.data)) if len(lay.data) else np.zeros((0, 2))
    feats = lay.features
    atom = np.asarray(feats["atom"], dtype=np.int64) if "atom" in feats else np.full(len(xy), -1)
    valid = (atom >= 0) & (atom < len(glass0))
    valid[valid] &= glass0.species[atom[valid]] == sp
    atom = np.where(valid, atom, -1)
    ids, counts = np.unique(atom[atom >= 0], return_counts=True)
    for a in ids[counts > 1]:
        where = np.flatnonzero(atom == a)
        d = np.hypot(*(xy[where] - shown[a]).T)
        atom[np.delete(where, np.argmin(d))] = -1
    return xy, atom


def glass_from_layers(layer, layers=()) -> Glass:
    """The Glass behind a structure layer, rebuilt from its Points layers if the user edited them.

    Parameters
    ----------
    layer : napari layer
        Any layer of the structure (Si or O Points, rings, cell).
    layers : sequence of layers
        Where to look for the other species of the same structure (usually ``viewer.layers``). A species whose
        layer is not there keeps its atoms from the stored Glass.

    Returns
    -------
    Glass
        The stored Glass itself when no point was moved, added or deleted; otherwise a new Glass with the
        edited positions, the same cell, periodicity and metadata (``info["edited"] = True``): kept atoms in
        their original order, then the added ones. Float per-atom arrays get NaN for added atoms; other
        per-atom arrays are dropped then (with a warning).
    """
    meta = getattr(layer, "metadata", {}).get(KEY)
    if not meta or meta.get("glass") is None:
        raise InputError(f"layer {getattr(layer, 'name', layer)!r} is not a glassfail structure layer")
    glass0: Glass = meta["glass"]
    members = {m.metadata[KEY]["role"]: m for m in _group_members(list(layers), meta["group"])}
    if meta.get("role") in ("Si", "O"):
        members.setdefault(meta["role"], layer)
    shown = glass0.wrapped_positions()
    positions = np.array(glass0.positions)
    keep = np.zeros(len(glass0), bool)
    moved = False
    new_species, new_pos = [], []
    for sp in ("Si", "O"):
        lay = members.get(sp)
        if lay is None:
            keep[glass0.species == sp] = True
            continue
        xy, atom = _atom_ids(lay, glass0, sp, shown)
        old = atom >= 0
        keep[atom[old]] = True
        # Moved atoms take their new position; the others keep their original (possibly unwrapped) one.
        shift = np.abs(xy[old] - shown[atom[old]]).max(axis=1) if old.any() else np.zeros(0)
        if (shift > 1e-9).any():
            moved = True
            positions[atom[old][shift > 1e-9]] = xy[old][shift > 1e-9]
        if (~old).any():
            new_species += [sp] * int((~old).sum())
            new_pos.append(xy[~old])
    if not moved and not new_pos and keep.all():
        return glass0
    idx = np.flatnonzero(keep)
    extra = np.concatenate(new_pos) if new_pos else np.zeros((0, 2))
    n_new = len(extra)
    arrays, dropped = {}, []
    for k, v in glass0.arrays.items():
        v = np.asarray(v)[idx]
        if n_new:
            if v.dtype.kind != "f":
                dropped.append(k)
                continue
            v = np.concatenate([v, np.full((n_new,) + v.shape[1:], np.nan)])
        arrays[k] = v
    if dropped:
        warnings.warn(
            f"per-atom data {dropped} dropped: it has no value for the {n_new} added atom(s)",
            GlassfailWarning, stacklevel=2,
        )
    info = dict(glass0.info)
    info["edited"] = True
    return glass0.replace(
        positions=np.concatenate([positions[idx], extra]),
        species=np.concatenate([glass0.species[idx], np.array(new_species, dtype="<U2")]),
        arrays=arrays, info=info,
    )
