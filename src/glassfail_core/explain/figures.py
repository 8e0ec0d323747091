"""The files of an explanation (``glassfail explain -o OUT_DIR``): the heatmap over the structure (PNG), the heatmap
as a float TIFF with its frame, per-atom and per-ring CSVs, the atoms with their attributions (extxyz), a JSON.

=======================  ==========================================================================================
``heatmap.png``          the map over the structure (colours spanning the values inside the rings, not over the
                         padding of a cut sample): rings outlined in their size's colour, Si atoms as dots, the
                         predicted failure (★) and first-break (▲) sites, the true ones (white ★, ▲) when given;
                         for a micrograph a second panel with the map over the micrograph
``heatmap.tif``          float32 ``(H, W)``, target units per pixel; the description is JSON with ``pixel_size``
                         ``[px_x, px_y]`` (Å), ``origin`` (Å, top-left corner), units, target, layer, variant
``heatmap_micrograph.tif``  micrographs: the map on the micrograph's pixels (same description)
``atoms.csv``            one row per atom: atom, species, x, y, attribution, density, signed
``atoms.extxyz``         the structure (detected atoms for a micrograph) with those per-atom arrays
``rings.csv``            one row per closed ring: ring, size, cx, cy, attribution, area, density, signed
``explanation.json``     :meth:`Explanation.to_dict` (prediction, summary, frame), the truth when given, the files
=======================  ==========================================================================================
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from .._atomic import atomic_path, write_json
from .._mpl import pyplot
from .mapping import atom_table, write_atoms, write_table

__all__ = ["write_explanation", "heatmap_figure", "write_tiff", "FILES", "image_extent", "draw_sites", "draw_structure",
           "truth_dict"]

FILES = ("heatmap.png", "heatmap.tif", "atoms.csv", "atoms.extxyz", "rings.csv", "explanation.json")



def write_tiff(path, heat, pixel_size, origin, meta: dict) -> Path:
    """``heat`` as a float32 TIFF whose description is JSON: ``pixel_size``, ``origin`` and ``meta``."""
    import tifffile

    px = [float(pixel_size)] * 2 if np.ndim(pixel_size) == 0 else [float(v) for v in pixel_size]
    desc = dict(meta, pixel_size=px, origin=[float(v) for v in origin])
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, np.asarray(heat, np.float32), description=json.dumps(desc))
    return Path(path)


def image_extent(shape, pixel_size, origin):
    h, w = shape
    px, py = (pixel_size, pixel_size) if np.ndim(pixel_size) == 0 else pixel_size
    return (origin[0], origin[0] + w * px, origin[1] + h * py, origin[1])


def draw_sites(ax, expl, truth):
    pred = expl.prediction
    for xy, marker, label in ((pred.failure_site, "*", "predicted failure"),
                              (pred.first_break_site, "^", "predicted first break")):
        if xy is not None:
            ax.plot(*xy, marker=marker, ms=13, mec="k", mfc="cyan", ls="none", label=label)
    if truth:
        for key, marker, label in (("failure_site", "*", "true failure"),
                                   ("first_break_site", "^", "true first break")):
            if truth.get(key) is not None:
                ax.plot(*truth[key], marker=marker, ms=13, mec="k", mfc="white", ls="none", label=label)


def draw_structure(ax, expl):
    from matplotlib.collections import PolyCollection

    from ..colors import ring_colors

    if expl.polygons:
        pc = PolyCollection(expl.polygons, facecolors="none", edgecolors=ring_colors(expl.rings["size"]),
                            linewidths=1.2)
        ax.add_collection(pc)
    si = np.asarray(expl.glass.species) == "Si"
    pos = np.asarray(expl.glass.positions)
    ax.plot(pos[si, 0], pos[si, 1], ".", ms=1.5, color="k", alpha=0.6)


def _inside(expl) -> np.ndarray:
    """The map's values over the sample: inside its closed rings (else its atoms' cells), not over the padding of a
    cut sample, whose values would set the colour range."""
    from ..learn.images import Frame
    from .mapping import ring_pixels

    frame = Frame(expl.heatmap.shape, tuple(expl.pixel_size), tuple(expl.origin), bool(all(expl.glass.pbc)))
    pix = ring_pixels(frame, expl.polygons) if expl.polygons else []
    if pix and sum(len(p) for p in pix):
        return expl.heatmap.ravel()[np.unique(np.concatenate(pix))]
    return expl.heatmap[expl.mask] if expl.mask is not None and expl.mask.any() else expl.heatmap.ravel()


def heatmap_figure(expl, path, truth: Optional[dict] = None) -> Path:
    """The PNG described in the module docstring."""
    plt = pyplot()
    panels = 2 if expl.image is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 6), squeeze=False)
    ax = axes[0, 0]
    ext = image_extent(expl.heatmap.shape, expl.pixel_size, expl.origin)
    inside = _inside(expl)
    lim = dict(vmin=float(np.percentile(inside, 0.5)), vmax=float(np.percentile(inside, 99.5)))
    im = ax.imshow(expl.heatmap, extent=ext, cmap="inferno", interpolation="nearest", **lim)
    draw_structure(ax, expl)
    draw_sites(ax, expl, truth)
    ax.set(xlim=ext[:2], ylim=ext[2:], xlabel="x (Å)", ylabel="y (Å)", aspect="equal",
           title=f"Grad-CAM ({expl.variant}) of {expl.target} at {expl.layer}, {expl.copies} copies")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"{expl.target} per pixel")
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=4, frameon=False)
    if expl.image is not None:
        ax = axes[0, 1]
        img = expl.image
        ext2 = image_extent(img["micrograph"].shape, img["pixel_size"], img["origin"])
        ax.imshow(img["micrograph"], extent=ext2, cmap="gray", interpolation="nearest")
        scale = (img["pixel_size"] ** 2) / (expl.pixel_size[0] * expl.pixel_size[1])   # per pixel of the image
        ax.imshow(img["heatmap"], extent=ext2, cmap="inferno", alpha=0.5, interpolation="nearest",
                  vmin=lim["vmin"] * scale, vmax=lim["vmax"] * scale)
        draw_sites(ax, expl, truth)
        ax.set(xlim=ext2[:2], ylim=ext2[2:], xlabel="x (Å)", ylabel="y (Å)", aspect="equal",
               title="over the micrograph")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def truth_dict(truth) -> Optional[dict]:
    if truth is None:
        return None
    d = truth.to_dict() if hasattr(truth, "to_dict") else dict(truth)
    return {k: d.get(k) for k in ("failure_site", "first_break_site", "failure_strain", "first_break_strain",
                                  "max_stress") if k in d}


def write_explanation(expl, out_dir, truth=None) -> dict:
    """Write every file of the module docstring into ``out_dir``; ``{name: path}``.

    ``truth``: the :class:`~glassfail_core.dataset.FailureLabels` of a deformation (or a dict with
    ``failure_site`` / ``first_break_site``), marked on the PNG and stored in the JSON.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tr = truth_dict(truth)
    meta = {"units": f"{expl.target} per pixel", "target": expl.target, "layer": expl.layer,
            "variant": expl.variant, "copies": expl.copies, "model": expl.prediction.model}
    files = {"heatmap.png": heatmap_figure(expl, out / "heatmap.png", tr),
             "heatmap.tif": write_tiff(out / "heatmap.tif", expl.heatmap, expl.pixel_size, expl.origin, meta)}
    if expl.image is not None:
        files["heatmap_micrograph.tif"] = write_tiff(out / "heatmap_micrograph.tif", expl.image["heatmap"],
                                                     expl.image["pixel_size"], expl.image["origin"], meta)
    files["atoms.csv"] = write_table(out / "atoms.csv", atom_table(expl.glass, expl.atoms))
    files["atoms.extxyz"] = write_atoms(out / "atoms.extxyz", expl.glass,
                                        {f"attribution_{k}": v for k, v in expl.atoms.items()})
    files["rings.csv"] = write_table(out / "rings.csv", expl.rings)
    d = expl.to_dict()
    d["truth"] = tr
    d["files"] = {k: str(v) for k, v in files.items()} | {"explanation.json": str(out / "explanation.json")}
    write_json(out / "explanation.json", d)
    files["explanation.json"] = out / "explanation.json"
    return files
