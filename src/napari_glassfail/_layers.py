"""Glass ↔ napari layers, in one place.

Conventions
-----------
* napari orders coordinates (row, column) = (y, x); a Glass stores (x, y). :func:`to_napari` / :func:`from_napari`
  are the only places where the two columns are swapped.
* Everything is in Å: structure layers have scale 1 and their data in Å; image layers carry ``scale = pixel size``.
  Layers get ``units = ("angstrom", "angstrom")`` so napari's scale bar reads Å.
* Every layer the plugin makes holds ``layer.metadata["glassfail"] = {"role": ..., "group": ..., "glass": ...}``.
  ``role`` is ``"Si"``/``"O"`` (Points, one per species), ``"rings"``, ``"cell"``, ``"bonds"`` (Shapes/Vectors),
  ``"micrograph"`` (Image) or one of the result roles (``"rupture"``, ``"trajectory"``). ``group`` ties the layers
  of one structure together and ``glass`` is the :class:`~glassfail_core.glass.Glass` they were drawn from.
* The Points layers carry a feature ``atom`` (index in that Glass; -1 for points the user added), so
  :func:`glass_from_layers` rebuilds the Glass after the user moved, deleted or added atoms.
"""

from __future__ import annotations

import uuid
import warnings
from typing import Any, Optional

import numpy as np

from glassfail_core.colors import SPECIES_COLORS, ring_colors
from glassfail_core.errors import GlassfailError, GlassfailWarning, InputError
from glassfail_core.glass import Glass

from ._core import core_module

__all__ = [
    "KEY", "UNITS", "to_napari", "from_napari", "new_group", "glass_layer_data", "structure_layers",
    "compute_rings", "atom_features", "ring_layer_data", "cell_layer_data", "glass_from_layers",
    "find_structure_layers", "is_structure_layer", "micrograph_layer_data", "micrograph_from_layer",
    "ring_stats_text",
]

KEY = "glassfail"
UNITS = ("angstrom", "angstrom")
#: Point diameters (Å) per species: Si drawn larger than O.
POINT_SIZE = {"Si": 1.5, "O": 0.9}
RING_ALPHA = 0.55


# ---------------------------------------------------------------------------------------------------- coordinates
def to_napari(xy) -> np.ndarray:
    """(x, y) → napari's (row, col) = (y, x).

    >>> to_napari([[1.0, 2.0]]).tolist()
    [[2.0, 1.0]]
    """
    a = np.asarray(xy, dtype=float)
    return a[..., ::-1].copy()


def from_napari(yx) -> np.ndarray:
    """napari's (y, x) → (x, y) (the last two columns; leading axes such as time are dropped)."""
    a = np.asarray(yx, dtype=float)
    return a[..., -2:][..., ::-1].copy()


def new_group() -> str:
    """A fresh id tying together the layers of one structure."""
    return uuid.uuid4().hex[:12]


def _meta(role: str, group: str, glass: Optional[Glass] = None, **extra) -> dict:
    d = {"role": role, "group": group, "glass": glass}
    d.update(extra)
    return {KEY: d}


# ---------------------------------------------------------------------------------------------------- rings
def compute_rings(glass: Glass):
    """The glass's :class:`~glassfail_core.rings.RingSet`, or None when ring analysis is unavailable or fails
    (a :class:`GlassfailWarning` says why; napari shows it as a notification)."""
    rings = core_module("rings")
    if rings is None or len(glass) == 0:
        return None
    try:
        return rings.find_rings(glass)
    except GlassfailError as exc:
        warnings.warn(f"rings not drawn: {exc}", GlassfailWarning, stacklevel=2)
        return None


def ring_stats_text(ringset) -> str:
    """One short block with p(n) and μ2 of a RingSet (what the Detect widget shows)."""
    rings = core_module("rings")
    if rings is None or ringset is None:
        return "rings: not available"
    st = rings.ring_statistics(ringset)
    n = max(int(st.n_rings), 1)
    parts = [f"{k}: {v / n:.3f}" for k, v in sorted(st.counts.items())]
    return (
        f"{st.n_rings} rings (+{st.open_rings} open)   <n> = {st.mean:.3f}   μ2 = {st.mu2:.3f}\n"
        "p(n)  " + "   ".join(parts)
    )


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
            metadata=_meta(sp, group, glass),
        )
        out.append((to_napari(shown[mask]), kwargs, "points"))
    return out


def ring_layer_data(glass: Glass, ringset, *, name: str, group: str):
    """LayerDataTuple of the closed rings as polygons, coloured by size with the product's fixed map."""
    rings = core_module("rings")
    polys = rings.ring_polygons(glass, ringset)
    sizes = np.asarray(ringset.sizes, int)
    colors = ring_colors(sizes)
    colors[:, 3] = RING_ALPHA
    data = [to_napari(p) for p in polys]
    kwargs = dict(
        name=f"{name} rings",
        shape_type="polygon",
        face_color=colors if len(data) else "transparent",
        edge_color="black",
        edge_width=0.08,
        opacity=1.0,
        features={"size": sizes, "area": np.asarray(ringset.areas, float)},
        units=UNITS,
        metadata=_meta("rings", group, glass, ringset=ringset),
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
        metadata=_meta("cell", group, glass),
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
        ``"auto"`` finds the rings (when the ring module is installed), None skips them.
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


# ---------------------------------------------------------------------------------------------------- micrographs
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
    mg = core_module("micrograph")
    if mg is None:
        raise InputError("atom detection needs glassfail_core.micrograph, which is not installed")
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
    return mg.Micrograph(image=data.astype(np.float32), pixel_size=ps, origin=tuple(corner.tolist()), info=info)


# ---------------------------------------------------------------------------------------------------- deformation
def _frame_lattice(frame) -> np.ndarray:
    """Rows ``a``, ``b`` of a frame's periodic lattice: ``cell_vectors`` (tilted by periodic shear) or the cell."""
    v = frame.get("cell_vectors")
    return np.diag(np.asarray(frame["cell"], float)) if v is None else np.asarray(v, float)


def _display_frame(glass: Glass, positions, cell, vectors=None):
    """Positions of one frame as drawn: wrapped into that frame's cell along the glass's periodic axes (into the
    parallelogram of ``vectors`` when the lattice is tilted)."""
    p = np.array(positions, float)
    if vectors is not None and (vectors[0, 1] or vectors[1, 0]):
        frac = np.mod(p @ np.linalg.inv(vectors), 1.0)  # tilted only when periodic along both axes
        return frac @ vectors
    for ax in range(2):
        if glass.pbc[ax]:
            p[:, ax] = np.mod(p[:, ax], cell[ax])
    return p


def _bond_vectors(glass: Glass, d, cell, vectors):
    """Minimum-image bond vectors ``d`` (short against the cell) in a frame's (possibly tilted) lattice."""
    from glassfail_core.neighbors import minimum_image

    if vectors[0, 1] or vectors[1, 0]:
        inv = np.linalg.inv(vectors)
        frac = d @ inv
        return (frac - np.round(frac)) @ vectors
    return minimum_image(d, cell, glass.pbc)


def trajectory_layer_data(glass: Glass, frames: list, *, name: str, group: str, result=None) -> list:
    """Layers of a deformation, with the frame index as the first (time) axis of the viewer:

    * ``<name> cell (strained)`` — the cell outline of each frame;
    * ``<name> trajectory`` — Points ``(t, y, x)``, species colours and sizes, features ``species``, ``atom``,
      ``strain``;
    * ``<name> broken bonds`` — Vectors ``(t, y, x)`` from Si to O of every bond broken by that frame (red);
    * ``<name> first break`` — a marker at the first broken bond's midpoint (when one broke), with its strain.

    ``frames`` holds dicts with ``strain``, ``positions`` (N, 2) Å, ``cell`` (2,) Å and ``broken`` (K, 2) int
    ``[si, o]`` pairs broken so far; optionally ``cell_vectors`` (2, 2) Å, the lattice of a periodic shear frame
    (tilted: atoms are wrapped into, and the cell drawn as, that parallelogram).
    """
    n, t = len(glass), len(frames)
    pts = np.zeros((t * n, 3))
    strains = np.array([f["strain"] for f in frames], float)
    vecs = []
    for k, f in enumerate(frames):
        lat = _frame_lattice(f)
        p = _display_frame(glass, f["positions"], f["cell"], lat)
        pts[k * n:(k + 1) * n, 0] = k
        pts[k * n:(k + 1) * n, 1:] = to_napari(p)
        broken = np.asarray(f.get("broken", np.zeros((0, 2), int)), int).reshape(-1, 2)
        if len(broken):
            pos = np.asarray(f["positions"])
            d = _bond_vectors(glass, pos[broken[:, 1]] - pos[broken[:, 0]], np.asarray(f["cell"]), lat)
            v = np.zeros((len(broken), 2, 3))
            v[:, 0, 0] = k
            v[:, 0, 1:] = to_napari(p[broken[:, 0]])
            v[:, 1, 1:] = to_napari(d)
            vecs.append(v)
    species = np.tile(glass.species, t)
    colors = np.array([SPECIES_COLORS[s] for s in species]) if t else np.zeros((0, 4))
    meta = _meta("trajectory", group, glass, strains=strains, result=result)
    out = [(pts, dict(
        name=f"{name} trajectory", size=np.array([POINT_SIZE[s] for s in species]), face_color=colors,
        border_width=0.05, border_width_is_relative=True, border_color="black",
        features={"species": species, "atom": np.tile(np.arange(n), t), "strain": np.repeat(strains, n)},
        axis_labels=("frame", "y", "x"), units=("dimensionless", *UNITS), metadata=meta,
    ), "points")]
    cells = []
    for k, f in enumerate(frames):
        a, b = _frame_lattice(f)
        corners = np.array([[0.0, 0.0], a, a + b, b])  # (x, y); a parallelogram when tilted
        cells.append(np.column_stack([np.full(4, float(k)), corners[:, 1], corners[:, 0]]))
    out.insert(0, (cells, dict(
        name=f"{name} cell (strained)", shape_type="polygon", face_color="transparent", edge_color="cyan",
        edge_width=0.3, axis_labels=("frame", "y", "x"), units=("dimensionless", *UNITS),
        metadata=_meta("strained_cell", group, glass),
    ), "shapes"))
    vdata = np.concatenate(vecs) if vecs else np.zeros((0, 2, 3))
    out.append((vdata, dict(
        name=f"{name} broken bonds", edge_color="#ff2020", edge_width=0.45, vector_style="line",
        axis_labels=("frame", "y", "x"), units=("dimensionless", *UNITS),
        metadata=_meta("broken_bonds", group, glass),
    ), "vectors"))
    if result is not None and getattr(result, "location", None) is not None:
        loc = to_napari(np.asarray(result.location, float)[None, :])
        out.append((loc, dict(
            name=f"{name} first break", symbol="ring", size=4.0, face_color="transparent",
            border_color="#ff2020", border_width=0.15, border_width_is_relative=True,
            text={"string": {"constant": f"first break ε = {result.rupture_strain:.4f}"}, "color": "#ff2020", "anchor": "upper_left",
                  "size": 10},
            units=UNITS, metadata=_meta("rupture", group, glass, result=result),
        ), "points"))
    return out
