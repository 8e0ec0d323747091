"""Glass ↔ napari layers: the layer data the readers, sample data, writer and widgets make and read back.

Conventions
-----------
* napari orders coordinates (row, column) = (y, x); a Glass stores (x, y). :func:`to_napari` / :func:`from_napari`
  are the only places where the two columns are swapped.
* Everything is in Å: structure layers have scale 1 and their data in Å; image layers carry ``scale = pixel size``.
  Layers get ``units = ("angstrom", "angstrom")`` so napari's scale bar reads Å.
* Every layer the plugin makes holds ``layer.metadata["glassfail"] = {"role": ..., "group": ..., "glass": ...}``.
  ``role`` is ``"Si"``/``"O"`` (Points, one per species), ``"rings"``, ``"cell"``, ``"bonds"`` (Shapes/Vectors),
  ``"micrograph"`` (Image) or one of the result roles (``"rupture"``, ``"trajectory"``, ``"map_failure"``,
  ``"heatmap"``, ``"predicted_sites"``, ``"simulated_sites"``, ``"prediction_atoms"``; a result layer's
  ``source_group`` names the input it was made from). ``group`` ties the layers
  of one structure together and ``glass`` is the :class:`~glassfail_core.glass.Glass` they were drawn from.
* The Points layers carry a feature ``atom`` (index in that Glass; -1 for points the user added), so
  :func:`glass_from_layers` rebuilds the Glass after the user moved, deleted or added atoms.

Modules: :mod:`.conventions` (the above), :mod:`.structure` (a Glass's atoms, rings and cell, and back),
:mod:`.rings` (ring outlines as drawn: cut at periodic edges, each once; the ring-size legend),
:mod:`.micrograph` (Image layers ↔ Micrograph; a TIFF's calibration read from its file), :mod:`.trajectory` (a
deformation run with a time axis), :mod:`.prediction` (site-probability maps, Grad-CAM heatmaps, predicted or
simulated sites, atoms with their values).
"""

from .conventions import KEY, POINT_SIZE, UNITS, from_napari, new_group, to_napari
from .micrograph import micrograph_from_layer, micrograph_layer_data
from .structure import (RING_ALPHA, atom_features, cell_layer_data, compute_rings, find_structure_layers,
                        glass_from_layers, glass_layer_data, is_structure_layer, ring_layer_data, ring_stats_text,
                        structure_layers)
from .trajectory import trajectory_layer_data

__all__ = [
    "KEY", "UNITS", "POINT_SIZE", "RING_ALPHA", "to_napari", "from_napari", "new_group", "glass_layer_data",
    "structure_layers", "compute_rings", "atom_features", "ring_layer_data", "cell_layer_data", "glass_from_layers",
    "find_structure_layers", "is_structure_layer", "micrograph_layer_data", "micrograph_from_layer",
    "ring_stats_text", "trajectory_layer_data",
]
