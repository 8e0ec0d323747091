"""``glassfail view [FILE]``: open napari with the plugin's layers for a demo report, a structure or a micrograph.

FILE is a report folder made by ``glassfail demo`` (or its ``report.json`` / ``index.html``), a structure file or a
micrograph; without FILE, ``demo_out/`` when it holds a report, else the shipped sample glass. A report opens as
the glass (cell, rings, atoms), its predicted site maps and Grad-CAM heatmap, the predicted and simulated sites, and
beside it the micrograph with the atoms found, its maps and predicted sites — the same data as the report's figures.

napari (and Qt) are imported inside the command only: the core stays importable without them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click
import numpy as np

from ..errors import InputError

__all__ = ["command", "view_layers", "resolve_target", "REPORT_FILE"]

REPORT_FILE = "report.json"
#: Space (Å) between the glass and the micrograph when a report is shown.
GAP = 10.0


def resolve_target(file: Optional[Path]) -> Path:
    """What to open: FILE, else ``demo_out/`` when it holds a report, else the shipped sample glass."""
    if file is not None:
        if not Path(file).exists():
            raise click.BadParameter(f"{file}: no such file or folder", param_hint="FILE")
        return Path(file)
    if (Path("demo_out") / REPORT_FILE).is_file():
        return Path("demo_out")
    from ..report.job import _find

    return _find("glass_s2_0.6.extxyz")


def _report_folder(path: Path) -> Optional[Path]:
    if path.is_dir():
        if not (path / REPORT_FILE).is_file():
            raise InputError(f"{path}: a folder without {REPORT_FILE}; give a report folder made by glassfail demo, "
                             "a structure or a micrograph")
        return path
    if path.name in (REPORT_FILE, "index.html") and (path.parent / REPORT_FILE).is_file():
        return path.parent
    return None


def _shifted(layers: list, dx: float) -> list:
    """The layers moved by ``dx`` Å along x (napari's second axis)."""
    out = []
    for data, kwargs, kind in layers:
        t = np.zeros(2) if kwargs.get("translate") is None else np.asarray(kwargs["translate"], float)
        out.append((data, {**kwargs, "translate": tuple((t + [0.0, dx]).tolist())}, kind))
    return out


def _sites(section: dict, sites: Optional[list] = None) -> list:
    """Rows for ``sites_layer_data``: the predicted sites of a prediction section, or the simulated ones."""
    rows = []
    for kind, site, strain in (("failure", "failure_site", "failure_strain"),
                               ("first break", "first_break_site", "first_break_strain")):
        if sites is None:
            xy, s = section.get(site), section.get(strain) or {}
            value, low, high = s.get("value"), s.get("low"), s.get("high")
        else:
            xy = next((r["simulated"] for r in sites if r["site"] == site), None)
            value, low, high = section.get(strain), None, None
        if xy is not None:
            rows.append({"kind": kind, "xy": list(xy), "strain": value, "low": low, "high": high})
    return rows


def _maps(arrays, prefix: str, name: str, group: str) -> list:
    from napari_glassfail._layers.prediction import HEATMAP_COLORMAP, PROBABILITY_COLORMAP, map_layer_data

    out = []
    fr = arrays[f"{prefix}_map_frame"]
    for key, label in (("crack", "failure"), ("first_break", "first-break")):
        if f"{prefix}_{key}" in arrays:
            out.append(map_layer_data(arrays[f"{prefix}_{key}"], fr[:2], fr[2:], name=f"{name} {label} site "
                                      f"probability", role=f"map_{label}", group=group, colormap=PROBABILITY_COLORMAP,
                                      visible=label == "failure", map=key))
    hf = arrays[f"{prefix}_heatmap_frame"]
    out.append(map_layer_data(arrays[f"{prefix}_heatmap"], hf[:2], hf[2:], name=f"{name} Grad-CAM failure strain",
                              role="heatmap", group=group, colormap=HEATMAP_COLORMAP, visible=False, opacity=0.6))
    return out


def _report_layers(folder: Path) -> list:
    from napari_glassfail._layers import glass_layer_data, micrograph_layer_data, new_group
    from napari_glassfail._layers.prediction import sites_layer_data

    from ..io import read_micrograph, read_structure
    from ..report.numbers import VIEW_FILES

    report = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    data = folder / "data"
    missing = [v for v in VIEW_FILES.values() if not (data / v).is_file()]
    if missing:
        raise InputError(f"{folder}: the report's data/ lacks {', '.join(missing)}; run glassfail demo again")
    arrays = dict(np.load(data / VIEW_FILES["maps"], allow_pickle=False))
    glass = read_structure(data / VIEW_FILES["glass"])
    g = new_group()
    layers = glass_layer_data(glass, name="glass", group=g) + _maps(arrays, "glass", "glass", g)
    layers.append(sites_layer_data(_sites(report["prediction"]), name="glass predicted sites", group=g,
                                   role="predicted_sites"))
    layers.append(sites_layer_data(_sites(report["simulation"], report["comparison"]["sites"]),
                                   name="glass simulated sites", group=g, role="simulated_sites", symbol="diamond",
                                   size=3.4, label="simulated"))
    mg = new_group()
    micro = [micrograph_layer_data(read_micrograph(data / VIEW_FILES["micrograph"]), name="micrograph")]
    micro += glass_layer_data(read_structure(data / VIEW_FILES["detected"]), name="micrograph atoms", group=mg)
    micro += _maps(arrays, "micrograph", "micrograph", mg)
    micro.append(sites_layer_data(_sites(report["micrograph"]["prediction"]), name="micrograph predicted sites",
                                  group=mg, role="predicted_sites"))
    return layers + _shifted(micro, float(glass.cell[0]) + GAP)


def view_layers(path) -> list:
    """The plugin's LayerDataTuples for ``path`` (a report folder, a structure or a micrograph); no viewer."""
    from ..io import find_format

    path = Path(path)
    folder = _report_folder(path)
    if folder is not None:
        return _report_layers(folder)
    kind = find_format(path).kind
    if kind == "structure":
        from napari_glassfail._reader import read_structure_layers

        return read_structure_layers(path)
    if kind == "micrograph":
        from napari_glassfail._layers import micrograph_layer_data

        from ..io import read_micrograph

        return [micrograph_layer_data(read_micrograph(path), name=path.stem)]
    raise click.BadParameter(f"{path} is a {kind}, not a report, a structure or a micrograph", param_hint="FILE")


@click.command("view")
@click.argument("file", required=False, type=click.Path(path_type=Path))
def command(file):
    """Open FILE in napari with the glassfail plugin's layers (needs the napari extra and a display).

    FILE: a report folder of glassfail demo (default demo_out/ when it exists), a structure file or a micrograph;
    without FILE and without demo_out/, the shipped sample glass.
    """
    try:
        import napari
        from napari.layers import Layer
    except ImportError as exc:
        raise InputError(f"glassfail view needs napari ({exc}); install glassfail with its napari extra") from None
    from .common import console

    target = resolve_target(file)
    layers = view_layers(target)
    viewer = napari.Viewer(title=f"glassfail: {target}")
    for data, kwargs, kind in layers:
        viewer.add_layer(Layer.create(data, kwargs, kind))
    try:  # every glassfail layer is in Å
        viewer.canvas.overlays.scale_bar.visible = True
    except AttributeError:  # napari before 0.9
        viewer.scale_bar.visible = True
    viewer.reset_view()
    console.print(f"napari: {len(layers)} layers of {target}", highlight=False)
    napari.run()
