"""The demo report's figures (PNG, matplotlib's Agg backend), each written atomically into the report folder.

=====================  ===========================================================================================
``structure.png``      the glass: rings filled in their size's colour (the product's fixed map), Si and O atoms
``rings.png``          ring-size distribution p(n) of the glass and of the network found in the micrograph
``maps.png``           the predicted failure and first-break site maps and the Grad-CAM heatmap over the glass,
                       with the predicted (cyan) and simulated (white) sites
``stress_strain.png``  the simulated stress–strain curve with the first break and the failure (stress maximum)
                       marked, the predicted strains and their 90 % intervals as bands
``micrograph.png``     the micrograph with the atoms and rings found; the failure site map and the heatmap over it
=====================  ===========================================================================================
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from .._mpl import pyplot
from ..colors import RING_COLORS, SPECIES_COLORS, ring_color, ring_colors
from ..explain.figures import draw_sites, draw_structure, image_extent, truth_dict

__all__ = ["draw_all", "structure_figure", "rings_figure", "maps_figure", "curve_figure", "micrograph_figure",
           "CAPTIONS"]

CAPTIONS = {
    "structure": "The simulated glass: every closed ring filled in the colour of its size (6-rings grey; 5 red, "
                 "7 blue, 8 green…), Si atoms yellow, O red.",
    "rings": "Ring-size distribution p(n) of the glass and of the network found in the micrograph.",
    "maps": "What the model says about the glass: where failure and the first break are most likely (site "
            "probability maps) and which parts of the image raised the predicted failure strain (Grad-CAM). "
            "Predicted sites cyan, simulated sites white (★ failure, ▲ first break).",
    "stress_strain": "The simulation: stress along x against strain, bonds broken so far (grey, right axis); the "
                     "first broken bond and the failure (stress maximum) marked; the predicted strains with their "
                     "90 % intervals as bands.",
    "micrograph": "The micrograph: atoms and rings found by the detection; the predicted failure site map and the "
                  "Grad-CAM heatmap over the image, with the predicted sites.",
}


def _save(fig, path: Path, dpi: int = 100) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight", pad_inches=0.1)
    pyplot().close(fig)
    return path.name


def _size_legend(ax, sizes, **kw):
    from matplotlib.patches import Patch

    present = sorted({int(min(max(s, 4), 10)) for s in sizes})
    handles = [Patch(facecolor=RING_COLORS[s], edgecolor="0.3", label=f"{s}{'+' if s == 10 else ''}-rings")
               for s in present]
    ax.legend(handles=handles, fontsize=7, ncol=len(handles), frameon=False, **kw)


def structure_figure(glass, ringset, path) -> str:
    """``structure.png`` (see the module docstring)."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Rectangle

    from ..rings import ring_polygons

    plt = pyplot()
    lx, ly = (float(v) for v in glass.cell[:2])
    fig, ax = plt.subplots(figsize=(7.0, 7.0 * ly / lx + 0.6))
    polys = ring_polygons(glass, ringset)
    ax.add_collection(PolyCollection(polys, facecolors=ring_colors(ringset.sizes), edgecolors="0.35",
                                     linewidths=0.4, alpha=0.85))
    pos, sp = glass.wrapped_positions(), np.asarray(glass.species)
    for s, ms in (("O", 1.6), ("Si", 2.6)):
        ax.plot(*pos[sp == s].T, "o", ms=ms, color=SPECIES_COLORS[s], mec="k", mew=0.2, ls="none")
    ax.add_patch(Rectangle((0, 0), lx, ly, fill=False, lw=1.0, ls="--", color="k"))
    ax.set(xlim=(-2, lx + 2), ylim=(ly + 2, -2), aspect="equal", xlabel="x (Å)", ylabel="y (Å)",
           title=f"{len(glass)} atoms, {ringset.n_rings} rings (tension along x)")
    _size_legend(ax, ringset.sizes, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return _save(fig, Path(path))


def rings_figure(stats, detected_stats, path) -> str:
    """``rings.png``: p(n) of the glass (filled bars) and of the detected network (outlined bars)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    sets = [("simulated glass", stats)] + ([("micrograph (found)", detected_stats)] if detected_stats else [])
    sizes = sorted(set().union(*(s.counts for _, s in sets)))
    width = 0.8 / len(sets)
    for k, (label, st) in enumerate(sets):
        n = max(st.n_rings, 1)
        p = [st.counts.get(s, 0) / n for s in sizes]
        x = np.arange(len(sizes)) + (k - (len(sets) - 1) / 2) * width
        if k == 0:
            ax.bar(x, p, width, color=[ring_color(s) for s in sizes], edgecolor="k", lw=0.6,
                   label=f"{label}: {st.n_rings} rings, μ2 = {st.mu2:.2f}")
        else:
            ax.bar(x, p, width, facecolor="none", edgecolor="k", hatch="//", lw=0.8,
                   label=f"{label}: {st.n_rings} rings, μ2 = {st.mu2:.2f}")
    ax.set_xticks(np.arange(len(sizes)), [str(s) for s in sizes])
    ax.set(xlabel="ring size n (Si atoms)", ylabel="p(n)", title="Ring sizes")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return _save(fig, Path(path))


def _map_panel(ax, expl, values, pixel_size, origin, truth, title, cmap, label):
    ext = image_extent(values.shape, pixel_size, origin)
    im = ax.imshow(values, extent=ext, cmap=cmap, interpolation="nearest", vmin=0,
                   vmax=float(np.percentile(values, 99.8)) or None)
    draw_structure(ax, expl)
    draw_sites(ax, expl, truth)
    ax.set(xlim=ext[:2], ylim=ext[2:], xlabel="x (Å)", aspect="equal", title=title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.03, label=label)


def maps_figure(expl, labels, path) -> str:
    """``maps.png`` (see the module docstring)."""
    plt = pyplot()
    pred, truth = expl.prediction, truth_dict(labels)
    lx, ly = (float(v) for v in expl.glass.cell[:2])
    panels = [(pred.maps[k], pred.map_pixel_size, pred.map_origin, t, "inferno", "probability per pixel")
              for k, t in (("crack", "failure site map"), ("first_break", "first-break site map")) if k in pred.maps]
    panels.append((expl.heatmap, expl.pixel_size, expl.origin,
                   f"Grad-CAM, failure strain ({expl.copies} copies)", "magma", "failure strain per pixel"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 5.0 * ly / lx + 0.8), squeeze=False)
    for ax, (values, px, org, title, cmap, label) in zip(axes[0], panels):
        _map_panel(ax, expl, np.asarray(values, float), px, org, truth, title, cmap, label)
    axes[0, 0].set_ylabel("y (Å)")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout()
    fig.legend(handles, [n.replace("true", "simulated") for n in names], loc="upper center", ncol=4, fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.02))
    return _save(fig, Path(path))


def curve_figure(result, labels, pred, path) -> str:
    """``stress_strain.png`` (see the module docstring)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    eps, sig = np.asarray(result.strains), np.asarray(result.stresses)
    ax.plot(eps, sig, "-", color="k", lw=1.4, label="simulated stress σ_xx")
    for key, color, name in (("failure_strain", "tab:red", "failure"), ("first_break_strain", "tab:blue",
                                                                          "first break")):
        p = getattr(pred, key)
        if p is None:
            continue
        if p.get("low") is not None:
            ax.axvspan(p["low"], p["high"], color=color, alpha=0.12, lw=0, label=f"predicted {name}, 90 % interval")
        ax.axvline(p["value"], color=color, ls="--", lw=1.2, label=f"predicted {name} ε = {p['value']:.4f}")
    if labels.first_break_strain is not None:
        k = int(np.searchsorted(eps, labels.first_break_strain - 1e-12))
        ax.plot(eps[min(k, len(eps) - 1)], sig[min(k, len(eps) - 1)], "^", ms=10, mfc="tab:blue", mec="k",
                label=f"simulated first break ε = {labels.first_break_strain:.4f}")
    ax.plot(labels.failure_strain, labels.max_stress, "*", ms=15, mfc="tab:red", mec="k",
            label=f"simulated failure (σ_max) ε = {labels.failure_strain:.4f}")
    if labels.half_stress_strain is not None:
        ax.axhline(labels.fraction * labels.max_stress, color="0.6", ls=":", lw=1)
    ax.set(xlabel="strain ε", ylabel="stress (eV/Å²)", title="Tension along x (AQS)", xlim=(0, eps.max() * 1.02))
    ax2 = ax.twinx()
    ax2.step(eps, np.asarray(result.n_broken), where="post", color="0.6", lw=1)
    ax2.set_ylabel("bonds broken", color="0.45")
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles, names, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    fig.tight_layout()
    return _save(fig, Path(path))


def micrograph_figure(micrograph, mexpl, path) -> str:
    """``micrograph.png``: the image with the atoms and rings found, then the failure site map and the Grad-CAM
    heatmap over it with the predicted sites."""
    plt = pyplot()
    img = np.asarray(micrograph.image, float)
    ext = image_extent(img.shape, micrograph.pixel_size, micrograph.origin)
    pred = mexpl.prediction
    h, w = img.shape
    fig, axes = plt.subplots(1, 3, figsize=(15.6, 5.2 * h / w + 1.0))
    titles = ("atoms and rings found", "failure site map", "Grad-CAM of the failure strain")
    for ax, title in zip(axes, titles):
        ax.imshow(img, extent=ext, cmap="gray", interpolation="nearest")
        ax.set(xlim=ext[:2], ylim=ext[2:], xlabel="x (Å)", aspect="equal", title=title)
    draw_structure(axes[0], mexpl)
    g = mexpl.glass
    o = np.asarray(g.species) == "O"
    axes[0].plot(*np.asarray(g.positions)[o].T, ".", ms=2, color=SPECIES_COLORS["O"], ls="none")
    if "crack" in pred.maps:
        v = np.asarray(pred.maps["crack"], float)
        axes[1].imshow(v, extent=image_extent(v.shape, pred.map_pixel_size, pred.map_origin), cmap="inferno",
                       alpha=0.6, interpolation="nearest", vmin=0, vmax=float(np.percentile(v, 99.8)) or None)
    if mexpl.image is not None:
        heat = mexpl.image["heatmap"]
        axes[2].imshow(heat, extent=ext, cmap="magma", alpha=0.55, interpolation="nearest",
                       vmin=float(np.percentile(heat, 1)), vmax=float(np.percentile(heat, 99.5)))
    for ax in axes[1:]:
        draw_sites(ax, mexpl, None)
    axes[0].set_ylabel("y (Å)")
    axes[1].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    fig.tight_layout()
    return _save(fig, Path(path))


def draw_all(out, *, glass, ringset, stats, expl, result, labels, detection, micrograph, mexpl) -> dict:
    """Every figure into ``out``; ``{key: {"file", "caption"}}`` in the page's order."""
    out = Path(out)
    files = {
        "structure": structure_figure(glass, ringset, out / "structure.png"),
        "rings": rings_figure(stats, detection.stats, out / "rings.png"),
        "maps": maps_figure(expl, labels, out / "maps.png"),
        "stress_strain": curve_figure(result, labels, expl.prediction, out / "stress_strain.png"),
        "micrograph": micrograph_figure(micrograph, mexpl, out / "micrograph.png"),
    }
    return {k: {"file": v, "caption": CAPTIONS[k]} for k, v in files.items()}
