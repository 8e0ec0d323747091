"""What a dataset says: counts, failures and their reasons, label statistics and correlations, and its plots."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["dataset_summary", "dataset_plots", "LABEL_COLUMNS"]

#: Scalar labels summarised (index-table columns).
LABEL_COLUMNS = ("first_break_strain", "failure_strain", "max_stress", "half_stress_strain", "n_breaks_before_max",
                 "n_crack", "variance", "alpha")


def _stats(x) -> dict:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return {"n": 0}
    return {"n": int(len(x)), "mean": float(x.mean()), "std": float(x.std(ddof=1)) if len(x) > 1 else 0.0,
            "min": float(x.min()), "median": float(np.median(x)), "max": float(x.max())}


def _corr(a, b) -> dict:
    from scipy.stats import pearsonr, spearmanr

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return {"pearson": None, "spearman": None, "n": int(ok.sum())}
    return {"pearson": float(pearsonr(a[ok], b[ok])[0]), "spearman": float(spearmanr(a[ok], b[ok])[0]),
            "n": int(ok.sum())}


def _site_distances(ds) -> np.ndarray:
    """Periodic (minimum-image) distance between first-break and failure site, per sample (Å)."""
    from ..neighbors import minimum_image

    t = ds.table[ds.table["status"] == "ok"]
    cols = ("first_break_site_x", "first_break_site_y", "failure_site_x", "failure_site_y")
    if not len(t) or any(c not in t for c in cols):
        return np.zeros(0)
    out = []
    for _, r in t.iterrows():
        if any(r[c] is None or not np.isfinite(r[c]) for c in cols):
            continue
        meta_cell = ds.store.read_sample(int(r["index"]))
        d = np.array([[r["failure_site_x"] - r["first_break_site_x"], r["failure_site_y"] - r["first_break_site_y"]]])
        d = minimum_image(d, meta_cell["cell"], tuple(bool(v) for v in meta_cell["pbc"]))
        out.append(float(np.hypot(*d[0])))
    return np.array(out)


def dataset_summary(ds, *, distances: bool = True) -> dict:
    """Every number ``glassfail dataset info`` prints, as a JSON-ready dict."""
    t = ds.table
    ok = t[t["status"] == "ok"] if len(t) else t
    failed = t[t["status"] == "failed"] if len(t) else t
    out = {
        "root": str(ds.root), "identity": ds.spec.identity(), "spec": ds.spec.to_dict(),
        "samples": int(len(ok)), "failed": int(len(failed)),
        "failure_reasons": {str(k): int(v) for k, v in failed["reason"].value_counts().items()} if len(failed) else {},
        "splits": {str(k): int(v) for k, v in ok["split"].value_counts().items()} if len(ok) else {},
        "labels": {c: _stats(ok[c]) for c in LABEL_COLUMNS if c in ok},
        "capped": int(ok["capped"].fillna(False).astype(bool).sum()) if "capped" in ok else 0,
        "correlations": {},
    }
    if len(ok):
        for a, b in (("first_break_strain", "failure_strain"), ("first_break_strain", "variance"),
                     ("failure_strain", "variance"), ("max_stress", "variance"), ("failure_strain", "max_stress")):
            out["correlations"][f"{a}~{b}"] = _corr(ok[a], ok[b])
        if "total_s" in ok:
            out["seconds_per_sample"] = _stats(ok["total_s"])
    if distances:
        d = _site_distances(ds)
        out["first_break_to_failure_site"] = {**_stats(d), "within_5A": float((d <= 5).mean()) if len(d) else None}
    return out


def dataset_plots(ds, out_dir) -> list:
    """Histograms of every label, scatter plots of ε_first vs ε_max vs s², and the site-distance histogram."""
    from .._mpl import pyplot

    plt = pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ok = ds.table[ds.table["status"] == "ok"]
    paths = []
    cols = [c for c in LABEL_COLUMNS if c in ok]
    fig, axes = plt.subplots(2, math.ceil(len(cols) / 2), figsize=(3.2 * math.ceil(len(cols) / 2), 6))
    for ax, c in zip(np.ravel(axes), cols):
        x = np.asarray(ok[c], dtype=float)
        ax.hist(x[np.isfinite(x)], bins=30, color="0.4")
        ax.set_title(c, fontsize=9)
    fig.tight_layout()
    paths.append(out_dir / "labels_hist.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for ax, (a, b) in zip(axes, (("first_break_strain", "failure_strain"), ("variance", "first_break_strain"),
                                 ("variance", "failure_strain"))):
        ax.scatter(ok[a], ok[b], s=6, alpha=0.6)
        ax.set_xlabel(a)
        ax.set_ylabel(b)
    fig.tight_layout()
    paths.append(out_dir / "labels_scatter.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    d = _site_distances(ds)
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.hist(d, bins=30, color="0.4")
    ax.set_xlabel("first-break site → failure site (Å)")
    fig.tight_layout()
    paths.append(out_dir / "site_distance_hist.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths
