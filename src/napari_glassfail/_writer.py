"""npe2 writer: the plugin's Si/O Points layers → extended XYZ through :func:`glassfail_core.io.write_structure`.

The Glass behind the layers keeps its cell, periodicity, metadata and per-atom data; atoms the user moved, added
or deleted in napari are written as they are now (:func:`~napari_glassfail._layers.glass_from_layers`).
"""

from __future__ import annotations

from pathlib import Path

from glassfail_core.errors import InputError

__all__ = ["write_structure_layers"]


def _layer_like(data, attributes):
    """A minimal stand-in for a Points layer, built from a writer's (data, attributes)."""

    class _L:
        pass

    lay = _L()
    lay.data = data
    lay.name = attributes.get("name", "points")
    lay.metadata = attributes.get("metadata") or {}
    lay.features = attributes.get("features")
    if lay.features is None:
        import pandas as pd

        lay.features = pd.DataFrame()
    return lay


def write_structure_layers(path: str, layer_data: list) -> list[str]:
    """Write one structure (its Si and/or O Points layers) to ``path`` as extended XYZ.

    Parameters
    ----------
    path : str
        Destination; ``.extxyz`` is added when it has another suffix than ``.extxyz``/``.xyz``.
    layer_data : list of (data, attributes, layer_type)
        What napari passes to a multi-layer writer.

    Returns
    -------
    list of str
        The written path.
    """
    from glassfail_core.io import write_structure

    from ._layers import KEY, glass_from_layers

    layers = [_layer_like(d, a) for d, a, t in layer_data if t == "points"]
    ours = [lay for lay in layers if lay.metadata.get(KEY, {}).get("role") in ("Si", "O")]
    if not ours:
        raise InputError("select the Si/O points layers of a glassfail structure to save it as extxyz")
    groups = {lay.metadata[KEY]["group"] for lay in ours}
    if len(groups) > 1:
        raise InputError(f"the selected layers belong to {len(groups)} different structures; save one at a time")
    glass = glass_from_layers(ours[0], ours)
    p = Path(path)
    if p.suffix.lower() not in (".extxyz", ".xyz"):
        p = p.with_name(p.name + ".extxyz")
    write_structure(glass, p, format="extxyz")
    return [str(p)]
