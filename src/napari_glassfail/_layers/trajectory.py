"""A deformation run as layers with the frame index as the first (time) axis of the viewer."""

from __future__ import annotations

import numpy as np

from glassfail_core.colors import SPECIES_COLORS
from glassfail_core.glass import Glass
from glassfail_core.neighbors import cell_vectors, lattice_tilt, minimum_image, wrap

from .conventions import POINT_SIZE, UNITS, layer_metadata, to_napari

__all__ = ["trajectory_layer_data"]


def _frame_lattice(frame) -> np.ndarray:
    """Rows ``a``, ``b`` of a frame's periodic lattice: ``cell_vectors`` (tilted by periodic shear) or the cell."""
    v = frame.get("cell_vectors")
    return cell_vectors(frame["cell"]) if v is None else np.asarray(v, float)


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
        # drawn wrapped into the frame's cell along the periodic axes (into the parallelogram when tilted)
        cell = np.asarray(f["cell"], float)
        tilt, tilt_axis = lattice_tilt(_frame_lattice(f))
        p = wrap(f["positions"], cell, glass.pbc, tilt, tilt_axis=tilt_axis, into="parallelogram")
        pts[k * n:(k + 1) * n, 0] = k
        pts[k * n:(k + 1) * n, 1:] = to_napari(p)
        broken = np.asarray(f.get("broken", np.zeros((0, 2), int)), int).reshape(-1, 2)
        if len(broken):
            pos = np.asarray(f["positions"])
            d = minimum_image(pos[broken[:, 1]] - pos[broken[:, 0]], cell, glass.pbc, tilt, tilt_axis=tilt_axis)
            v = np.zeros((len(broken), 2, 3))
            v[:, 0, 0] = k
            v[:, 0, 1:] = to_napari(p[broken[:, 0]])
            v[:, 1, 1:] = to_napari(d)
            vecs.append(v)
    species = np.tile(glass.species, t)
    colors = np.array([SPECIES_COLORS[s] for s in species]) if t else np.zeros((0, 4))
    meta = layer_metadata("trajectory", group, glass, strains=strains, result=result)
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
        metadata=layer_metadata("strained_cell", group, glass),
    ), "shapes"))
    vdata = np.concatenate(vecs) if vecs else np.zeros((0, 2, 3))
    out.append((vdata, dict(
        name=f"{name} broken bonds", edge_color="#ff2020", edge_width=0.45, vector_style="line",
        axis_labels=("frame", "y", "x"), units=("dimensionless", *UNITS),
        metadata=layer_metadata("broken_bonds", group, glass),
    ), "vectors"))
    if result is not None and getattr(result, "location", None) is not None:
        loc = to_napari(np.asarray(result.location, float)[None, :])
        out.append((loc, dict(
            name=f"{name} first break", symbol="ring", size=4.0, face_color="transparent",
            border_color="#ff2020", border_width=0.15, border_width_is_relative=True,
            text={"string": {"constant": f"first break ε = {result.rupture_strain:.4f}"}, "color": "#ff2020",
                  "anchor": "upper_left", "size": 10},
            units=UNITS, metadata=layer_metadata("rupture", group, glass, result=result),
        ), "points"))
    return out
