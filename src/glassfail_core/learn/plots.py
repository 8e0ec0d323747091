"""PNG plots of an evaluation report: parity, error histograms, map reliability and example maps (matplotlib,
Agg backend; one figure per file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._mpl import pyplot

__all__ = ["report_plots"]


def _save(plt, fig, path: Path, dpi=100) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def _histograms(ax, model_values, baselines: dict, bins, xlabel, title):
    """The model's values filled, each baseline's beside them (one panel)."""
    ax.hist(model_values, bins=bins, alpha=0.7, label="model")
    for name, v in baselines.items():
        ax.hist(v, bins=bins, histtype="step", label=name)
    ax.set(xlabel=xlabel, ylabel="samples", title=title)
    ax.legend(fontsize=7)


def _best_baseline(sec):
    got = [(b, s.get("r2")) for b, s in sec["baselines"].items() if s.get("r2") is not None]
    return max(got, key=lambda x: x[1])[0] if got else None


def _parity(report, out: Path) -> list:
    plt = pyplot()
    rows, paths = report["per_sample"], []
    for t, sec in report["scalars"].items():
        y = np.array([np.nan if r["truth"].get(t) is None else r["truth"][t] for r in rows], float)
        p = np.array([r["pred"][t] for r in rows], float)
        iv = np.array([r["interval"][t] for r in rows], float)
        b = _best_baseline(sec)
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        ax = axes[0]
        yerr = np.abs(np.stack([p - iv[:, 0], iv[:, 1] - p])) if np.isfinite(iv).all() else None
        ax.errorbar(y, p, yerr=yerr, fmt="o", ms=3, alpha=0.7, label="model (90 % interval)")
        if b is not None:
            bp = np.array([r.get("baselines", {}).get(t, {}).get(b, np.nan) for r in rows])
            ax.plot(y, bp, "s", ms=3, alpha=0.5, color="grey", label=f"baseline {b}")
        lo, hi = np.nanmin(np.r_[y, p]), np.nanmax(np.r_[y, p])
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        m = sec["model"]
        ax.set(xlabel=f"true {t}", ylabel=f"predicted {t}",
               title=f"R² {m['r2'] if m['r2'] is None else round(m['r2'], 3)}, "
                     f"r² {m['pearson_r2'] if m['pearson_r2'] is None else round(m['pearson_r2'], 3)}")
        ax.legend(fontsize=7)
        err = p - y
        bins = np.histogram_bin_edges(err[np.isfinite(err)], bins=20) if np.isfinite(err).any() else 20
        _histograms(axes[1], err, {} if b is None else {b: bp - y}, bins, "predicted − true", "errors")
        paths.append(_save(plt, fig, out / f"parity_{t}.png"))
    return paths


def _sites(report, out: Path) -> list:
    plt = pyplot()
    paths = []
    for site, sec in report["sites"].items():
        if "model" not in sec:
            continue
        rows = [r["sites"][site] for r in report["per_sample"] if "distance" in r["sites"].get(site, {})]
        fig, axes = plt.subplots(1, 2, figsize=(9, 4))
        bins = np.linspace(0, max(40, max(r["distance"] for r in rows)), 21)
        _histograms(axes[0], [r["distance"] for r in rows],
                    {b: [r["baselines"][b]["distance"] for r in rows if b in r.get("baselines", {})]
                     for b in sec["baselines"]}, bins, "distance to the true site (Å)", site)
        ax = axes[1]
        for key, curve in sec["reliability"].items():
            ax.plot([c["confidence"] for c in curve], [c["frequency"] for c in curve], "o-", label=f"r = {key}")
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.set(xlabel="map mass within r of the predicted site", ylabel="truth within r (frequency)",
               title="map reliability", xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=7)
        paths.append(_save(plt, fig, out / f"sites_{site}.png"))
    return paths


def _examples(examples, model, out: Path) -> list:
    from .images import render_input

    plt = pyplot()
    if not examples:
        return []
    maps = list(model.config.get("maps", []))
    fig, axes = plt.subplots(len(examples), 1 + len(maps), figsize=(3.2 * (1 + len(maps)), 3 * len(examples)),
                             squeeze=False)
    for row, (r, inf) in zip(axes, examples):
        img, fr = render_input(r.glass, model.config["input"], noise=False)
        ext = (fr.origin[0], fr.origin[0] + fr.extent[0], fr.origin[1] + fr.extent[1], fr.origin[1])
        row[0].imshow(img, cmap="gray", extent=ext)
        row[0].set_title(f"sample {r.index}, s² {r.variance:.2f}", fontsize=8)
        for ax, name in zip(row[1:], maps):
            ax.imshow(inf.maps[name], cmap="magma", extent=ext)
            pts = r.crack if name == "crack" else r.first_break
            if len(pts):
                ax.plot(*np.mod(pts, r.glass.cell).T if all(r.glass.pbc) else pts.T, "c.", ms=4, label="truth")
            ax.set_title(f"{name} map", fontsize=8)
    return [_save(plt, fig, out / "example_maps.png", dpi=90)]


def report_plots(report: dict, examples, model, out: Path) -> list:
    """Write every plot of ``report`` into ``out``; returns their paths."""
    out = Path(out)
    return _parity(report, out) + _sites(report, out) + _examples(examples, model, out)
