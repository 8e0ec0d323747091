"""The interpretation report as static HTML with its PNG images alongside (``glassfail interpret -o REPORT_DIR``).

``report.html`` reads top-down: the answer in a few sentences (every number from ``report.json``), the rank
correlations with their nulls, the ring sizes that attract attribution, where the maximum lies against the true
sites, the sanity checks with their verdicts, example maps, and the caveats.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from .._mpl import pyplot

__all__ = ["write_report", "summary_sentences"]

ALPHA = 0.05
QUANTITY_NAMES = {"size": "ring size n", "defect": "|n − 6|", "energy": "potential energy",
                  "ring_mean": "mean size of its rings", "ring_defect": "mean |n − 6| of its rings",
                  "nonaffine": "non-affine displacement"}
CHECK_NAMES = {"cascading": "cascading model randomisation", "labels": "label randomisation"}



def _save(fig, path: Path) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    pyplot().close(fig)
    return path.name


def _fmt(x, f=".3f"):
    return "–" if x is None or (isinstance(x, float) and not np.isfinite(x)) else format(x, f)


def summary_sentences(report) -> list:
    """The answer in plain sentences (numbers from the report)."""
    out = []
    sig = [c for c in report["correlations"] if c["p"] is not None and c["p"] < ALPHA and c["rho"] is not None
           and c["variant"] != "image"]
    sig.sort(key=lambda c: -abs(c["rho"]))
    for c in sig[:5]:
        who = "rings" if c["level"] == "ring" else f"{c['group']} atoms"
        ctrl = next((d for d in report["correlations"] if d["variant"] == "image" and d["level"] == c["level"]
                     and d["group"] == c["group"] and d["quantity"] == c["quantity"]), None)
        out.append(f"{c['variant']} map: attribution of {who} vs {QUANTITY_NAMES.get(c['quantity'], c['quantity'])}"
                   f": mean Spearman ρ = {c['rho']:+.2f} (null 95 % {_fmt(c['null_95'][0], '+.2f')} to "
                   f"{_fmt(c['null_95'][1], '+.2f')}, p = {c['p']:.3g}; the input image itself: "
                   f"{_fmt(ctrl and ctrl['rho'], '+.2f')}; given the image: "
                   f"{_fmt((c.get('given_image') or {}).get('rho'), '+.2f')}, p = "
                   f"{_fmt((c.get('given_image') or {}).get('p'), '.3g')}).")
    if not sig:
        out.append("No rank correlation differs from the shifted-map null at p < 0.05.")
    for v, rows in report["ring_sizes"].items():
        if v == "image":
            continue
        hi = [r for r in rows if r["p"] is not None and r["p"] < ALPHA and r["relative_density"] > r["null_95"][1]]
        if hi:
            out.append(f"{v} map: ring sizes above their null band: " + ", ".join(
                f"{r['size']} (×{r['relative_density']:.2f})" for r in hi) + ".")
    for site, sec in report["localisation"].items():
        if not sec.get("n"):
            continue
        meth = sec["methods"]
        best = min((k for k in meth if meth[k].get("median") is not None), key=lambda k: meth[k]["median"])
        out.append(f"{site.replace('_', ' ')}: median distance of the heatmap maximum (abs) "
                   f"{_fmt(meth['heatmap_abs']['median'], '.1f')} Å, site map "
                   f"{_fmt(meth['site_map']['median'], '.1f')}"
                   f" Å, highest-energy atom {_fmt(meth['highest_energy_atom']['median'], '.1f')} Å, random points "
                   f"{sec['random']['median_mean']:.1f} Å; closest: {best}.")
    san = report.get("sanity", {})
    for name, d in san.items():
        out.append(f"Sanity check ({CHECK_NAMES.get(name, name)}): {d['verdict']}.")
    return out


def _table(headers, rows) -> str:
    h = "".join(f"<th>{html.escape(str(x))}</th>" for x in headers)
    body = "".join("<tr>" + "".join(f"<td>{x}</td>" for x in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def _correlation_html(report) -> str:
    rows = []
    for c in report["correlations"]:
        strong = c["p"] is not None and c["p"] < ALPHA
        rho = _fmt(c["rho"], "+.3f")
        gi = c.get("given_image") or {}
        pr = _fmt(gi.get("rho"), "+.3f")
        rows.append([c["level"], c["variant"], c["group"], QUANTITY_NAMES.get(c["quantity"], c["quantity"]),
                     f"<b>{rho}</b>" if strong else rho,
                     f"{_fmt(c['null_95'] and c['null_95'][0], '+.3f')} … "
                     f"{_fmt(c['null_95'] and c['null_95'][1], '+.3f')}",
                     _fmt(c["p"], ".3g"), f"<b>{pr}</b>" if (gi.get("p") or 1) < ALPHA else pr,
                     _fmt(gi.get("p"), ".3g"),
                     c["n_samples"]])
    return _table(["level", "map", "atoms", "against", "mean ρ", "null 95 %", "p", "ρ given image", "p", "samples"],
                  rows)


def _sizes_plot(report, out: Path) -> str:
    plt = pyplot()
    sizes = report["ring_sizes"]
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.2 * len(sizes), 3.6), squeeze=False)
    for ax, (v, rows) in zip(axes[0], sizes.items()):
        n = [r["size"] for r in rows]
        ax.bar(n, [r["relative_density"] for r in rows], color="tab:orange", alpha=0.8, label="map")
        lo = [r["null_95"][0] if r["null_95"] else np.nan for r in rows]
        hi = [r["null_95"][1] if r["null_95"] else np.nan for r in rows]
        ax.fill_between(n, lo, hi, color="grey", alpha=0.35, step="mid", label="shifted-map null 95 %")
        ax.axhline(1.0, color="k", lw=0.6)
        ax.set(xlabel="ring size", ylabel="relative attribution density", title=v)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out / "ring_sizes.png")


def _sizes_html(report) -> str:
    rows = []
    for v, rs in report["ring_sizes"].items():
        for r in rs:
            rows.append([v, r["size"], r["n_rings"], _fmt(r["relative_density"]),
                         f"{_fmt(r['null_95'] and r['null_95'][0])} … {_fmt(r['null_95'] and r['null_95'][1])}",
                         _fmt(r["p"], ".3g")])
    return _table(["map", "ring size", "rings", "relative density", "null 95 %", "p"], rows)


def _localisation_html(report) -> str:
    parts = []
    for site, sec in report["localisation"].items():
        if not sec.get("n"):
            continue
        rows = [[k, _fmt(m.get("median"), ".2f"), _fmt(m.get("within_5A"), ".2f"), _fmt(m.get("within_10A"), ".2f"),
                 _fmt(m.get("p_vs_random"), ".3g")] for k, m in sec["methods"].items()]
        r = sec["random"]
        rows.append(["random points",
                     f"{r['median_mean']:.2f} (95 %: {r['median_95'][0]:.2f}–{r['median_95'][1]:.2f})",
                     "", "", ""])
        enr = ", ".join(f"{v}: mean {e['mean']:.2f}, median {e['median']:.2f}"
                        for v, e in sec.get("enrichment_5A", {}).items())
        parts.append(f"<h3>{html.escape(site)} ({sec['n']} samples)</h3>"
                     + _table(["method", "median distance (Å)", "within 5 Å", "within 10 Å",
                               "p (median ≤ random)"], rows)
                     + f"<p>Map mass within 5 Å of the true site over the area's share (1 = uniform): {enr}.</p>")
    return "".join(parts)


def _cascade_plot(san, out: Path) -> str:
    plt = pyplot()
    steps = san["steps"]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    x = np.arange(len(steps) + 1)
    for v in ("relu", "abs", "signed"):
        y = [1.0] + [np.nan if s["rho"][v]["mean"] is None else s["rho"][v]["mean"] for s in steps]
        ax.plot(x, y, "o-", label=v)
    ax.axhline(0.5, color="grey", ls="--", lw=0.8)
    ax.set_xticks(x, ["trained"] + [s["randomised"] for s in steps])
    ax.set(ylabel="Spearman ρ with the trained map", xlabel="randomised down to", ylim=(-1.05, 1.05),
           title="cascading randomisation")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, out / "sanity_cascade.png")


def _sanity_html(report, out: Path, files: list) -> str:
    san = report.get("sanity")
    if not san:
        return "<p>Not run.</p>"
    parts = []
    if "cascading" in san:
        c = san["cascading"]
        files.append(_cascade_plot(c, out))
        rows = [[s["randomised"]] + [_fmt(s["rho"][v]["mean"], "+.3f") for v in ("relu", "abs", "signed")]
                for s in c["steps"]]
        parts.append(f"<h3>Cascading randomisation: {html.escape(c['verdict'])}</h3><p>{html.escape(c['criterion'])}; "
                     f"{c['n_samples']} samples, layer {html.escape(c['layer'])}.</p>"
                     + _table(["randomised down to", "ρ relu", "ρ abs", "ρ signed"], rows)
                     + '<img src="sanity_cascade.png">')
    if "labels" in san:
        d = san["labels"]
        rows = [[name] + [_fmt(d[key][v]["mean"], "+.3f") for v in ("relu", "abs", "signed")]
                for name, key in (("true vs random labels", "rho_true_vs_random"),
                                  ("true vs true (another seed)", "rho_true_vs_seed"))]
        fit = ", ".join(f"{k} {v:.3f}" for k, v in d["fit_mse"].items())
        parts.append(f"<h3>Label randomisation: {html.escape(d['verdict'])}</h3><p>{html.escape(d['criterion'])}; "
                     f"{d['n_train']} training samples, {d['epochs']} epochs; fit to the training labels (MSE of the "
                     f"standardised target, 1 = nothing learned): {fit}.</p>"
                     + _table(["maps compared", "ρ relu", "ρ abs", "ρ signed"], rows))
    return "".join(parts)


def _example_plot(ex, k: int, out: Path) -> str:
    from matplotlib.collections import PolyCollection

    from ..colors import ring_colors
    from ..rings import ring_polygons

    plt = pyplot()
    polys = ring_polygons(ex["glass"], ex["rings"])
    fig, axes = plt.subplots(1, len(ex["maps"]), figsize=(4.3 * len(ex["maps"]), 4.2), squeeze=False)
    f = ex["frame"]
    ext = (f.origin[0], f.origin[0] + f.extent[0], f.origin[1] + f.extent[1], f.origin[1])
    for ax, (v, heat) in zip(axes[0], ex["maps"].items()):
        ax.imshow(heat, extent=ext, cmap="inferno", interpolation="nearest")
        ax.add_collection(PolyCollection(polys, facecolors="none", edgecolors=ring_colors(ex["rings"].sizes),
                                         linewidths=0.8))
        for site, mk in (("failure_site", "*"), ("first_break_site", "^")):
            if ex["truth"].get(site) is not None:
                ax.plot(*ex["truth"][site], marker=mk, ms=12, mfc="white", mec="k", ls="none")
            if site in ex["pred"]:
                ax.plot(*ex["pred"][site], marker=mk, ms=12, mfc="cyan", mec="k", ls="none")
        ax.set(xlim=ext[:2], ylim=ext[2:], title=f"sample {ex['index']}: {v}", aspect="equal")
    fig.tight_layout()
    return _save(fig, out / f"example_{k}.png")


CAVEATS = """<ul>
<li>The null keeps each map's autocorrelation (random periodic shifts) but not its registration with the atoms;
a map that only follows where atoms are dense would already beat it. Small rings hold more atoms per Å² (their
polygon runs through their atoms), so a negative correlation with ring size may reflect atom density rather than
a defect: the <i>image</i> rows (the input read as a map) show how much of a correlation the atoms' layout alone
gives.</li>
<li>Si and O are read apart: their energies and Voronoi cells differ by species.</li>
<li>The map is Grad-CAM of one scalar output at one layer; at coarse layers a cell spans several rings.</li>
<li>p-values are not corrected for the number of rows; read them with the table's size in mind.</li>
</ul>"""

STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45}"
         "table{border-collapse:collapse;margin:0.6em 0}td,th{border:1px solid #ccc;padding:2px 7px;font-size:13px}"
         "th{background:#f2f2f2}img{max-width:100%}")


def write_report(report, examples, out: Path) -> list:
    """Write ``report.html`` and its images into ``out``; the file names (``report.json`` is written by the
    caller)."""
    out = Path(out)
    files: list = []
    p = report["params"]
    m, esc = report["model"], html.escape
    head = (f"<h1>What the model looks at: {esc(p['target'])}</h1><p>Model {esc(str(m['name']))} "
            f"{esc(str(m['version']))} (sha256 {esc(str(m['sha256'])[:12])}…), dataset {esc(report['dataset'])}, "
            f"split {esc(p['split'])} ({report['n']} samples); Grad-CAM at {esc(str(report['layer']))}, averaged "
            f"over {p['copies']} copies; {p['n_null']} shifted maps per sample for the null. Every number is in "
            f"report.json.</p>")
    summ = "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in summary_sentences(report)) + "</ul>"
    files.append(_sizes_plot(report, out))
    body = [head, "<h2>Answer</h2>", summ,
            "<h2>Rank correlations</h2><p>Mean over samples of the per-sample Spearman ρ between the attribution "
            "density of a ring (over its polygon) or an atom (over its Voronoi cell) and a structural quantity; "
            "bold: p &lt; 0.05 against the shifted-map null. Map <i>image</i> is the control: the input image read "
            "as if it were a heatmap; <i>ρ given image</i> is the partial correlation with the image's value held "
            "fixed (what the map adds to where the atoms are).</p>", _correlation_html(report),
            "<h2>Which ring sizes attract attribution</h2><p>A ring's attribution density over its glass's mean, "
            "averaged per size.</p>", '<img src="ring_sizes.png">', _sizes_html(report),
            "<h2>Where the maximum lies</h2>", _localisation_html(report),
            "<h2>Sanity checks (Adebayo et al. 2018)</h2>", _sanity_html(report, out, files),
            "<h2>Examples</h2><p>True sites white (★ failure, ▲ first break), the model's site maps cyan.</p>"]
    for k, ex in enumerate(examples):
        body.append(f'<img src="{_example_plot(ex, k, out)}">')
        files.append(f"example_{k}.png")
    body += ["<h2>Caveats</h2>", CAVEATS]
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>glassfail interpret</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>")
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(page)
    return ["report.html", "report.json"] + files
