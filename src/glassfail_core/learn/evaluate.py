"""Evaluation of a model on one split (or all) of a dataset, beside every baseline: ``evaluate_steps`` → a JSON-ready report.

For each scalar target: R² (coefficient of determination) and squared Pearson r, MAE, Spearman, by s² tercile, for
the model (flip-averaged prediction) and each scalar baseline (:mod:`.baselines`, fitted on the training split), and
the coverage of the model's intervals with its 95 % binomial interval. For the failure site: the periodic distance
from the crack map's maximum to the true crack start and to the nearest bond of the true crack, the fractions within
5 and 10 Å, the probability mass within 5 Å of the truth; the same for the first-break site and map; the site
baselines; the maps' reliability (mass within r of the predicted site against how often the truth is there).
``out_dir`` receives ``report.json`` and the PNG plots of :mod:`.plots`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np

from .._atomic import write_json
from ..errors import InputError
from ..progress import Job, Progress
from .baselines import SITE_BASELINES, descriptors, fit_scalar_baselines, linear_response, site_baselines
from .checkpoint import Model, load_model
from .data import content_hash, records
from .infer import distance, infer, mass_within, top_sites
from .metrics import coverage, reliability, scalar_metrics, site_metrics

__all__ = ["evaluate_steps", "evaluate", "SITES", "model_samples"]

#: Site labels and the map that predicts each.
SITES = {"failure_site": "crack", "first_break_site": "first_break"}


def _truth_points(r, site):
    if site == "failure_site":
        return (np.array([r.failure_site]) if r.failure_site is not None else np.zeros((0, 2))), r.crack
    return r.first_break, r.first_break


def _sample_row(model, r, cfg) -> tuple:
    """``(row of the report, Inference, linear response)`` of one sample."""
    inf = infer(model, r.glass)
    lr = linear_response(r.glass)
    bl = site_baselines(r.glass, seed=r.index, lr=lr)
    row = {"index": r.index, "variance": r.variance, "truth": dict(r.scalars), "pred": inf.scalars,
           "interval": {}, "sites": {}}
    half = cfg.get("intervals", {}).get("halfwidth", {})
    for t, v in inf.scalars.items():
        q = half.get(t)
        row["interval"][t] = [v - q, v + q] if q is not None and np.isfinite(q) else [np.nan, np.nan]
    for site, mname in SITES.items():
        if mname not in inf.maps:
            continue
        start, bonds = _truth_points(r, site)
        prob = inf.maps[mname]
        tops = top_sites(prob, inf.frame, k=3)
        pred = np.array(tops[0]["xy"]) if tops else np.full(2, np.nan)
        d = {"pred": pred.tolist(), "top": tops, "truth": start[0].tolist() if len(start) else None}
        if len(start):
            d["distance"] = float(distance(inf.frame, [pred], start)[0, 0])
            d["distance_nearest"] = float(distance(inf.frame, [pred], bonds).min())
            d["mass_5A"] = mass_within(prob, inf.frame, start[0], 5.0)
            d["confidence"] = {str(rad): mass_within(prob, inf.frame, pred, rad) for rad in (5.0, 10.0)}
            d["baselines"] = {k: {"pred": list(v), "distance": float(distance(inf.frame, [v], start)[0, 0]),
                                  "distance_nearest": float(distance(inf.frame, [v], bonds).min())}
                              for k, v in bl.items() if np.all(np.isfinite(v))}
        row["sites"][site] = d
    return row, inf, lr


def _site_section(rows, site) -> dict:
    rs = [r["sites"][site] for r in rows if site in r["sites"] and "distance" in r["sites"][site]]
    if not rs:
        return {"n": 0}
    sec = {"model": site_metrics([r["distance"] for r in rs], [r["distance_nearest"] for r in rs],
                                 [r["mass_5A"] for r in rs]), "baselines": {}, "reliability": {}}
    for b in SITE_BASELINES:
        got = [r["baselines"][b] for r in rs if b in r.get("baselines", {})]
        if got:
            sec["baselines"][b] = site_metrics([g["distance"] for g in got], [g["distance_nearest"] for g in got])
    for rad in (5.0, 10.0):
        sec["reliability"][f"{rad:g}A"] = reliability([r["confidence"][str(rad)] for r in rs],
                                                      [r["distance"] <= rad for r in rs])
    return sec


def evaluate_steps(model, dataset_dir, *, split: str = "test", out_dir=None, limit: Optional[int] = None,
                   baselines: bool = True, plots: bool = True, recipe=None, as_trained: bool = False) -> Job[dict]:
    """Evaluate ``model`` (a folder or a :class:`~.checkpoint.Model`) on ``split`` of the dataset in
    ``dataset_dir``; write ``report.json`` and plots into ``out_dir`` when given. Returns the report.

    The scalar baselines are fitted on the model's own training samples when they are found in its training
    dataset (:func:`model_samples`), else on that dataset's training split. ``as_trained``: evaluate exactly the
    samples of ``split`` the model saw in training (its test split as it was, however the dataset has grown since).

    ``recipe``: the ``recipe.json`` (or its folder) of :func:`~.recipe.recipe_steps` on the same dataset, added as
    the ``resnet_recipe`` baseline (its predictions are of the test split)."""
    from ..dataset import load_dataset

    t0 = time.perf_counter()
    m = model if isinstance(model, Model) else load_model(model)
    cfg = m.config
    ds = load_dataset(dataset_dir)
    if split not in ("train", "val", "test", "all"):
        raise InputError(f"split must be train, val, test or all, got {split!r}")
    own = model_samples(ds, cfg)
    if as_trained:
        if split == "all" or own is None or split not in own:
            raise InputError(f"--as-trained: {dataset_dir} does not hold the {split} samples this model was trained "
                             "with (another dataset, or their files changed)")
        recs = records(ds, indices=own[split][:limit] if limit else own[split])
    else:
        recs = records(ds, None if split == "all" else split, limit)
    if not recs:
        raise InputError(f"{dataset_dir} has no finished sample in the {split} split")
    rows, examples, lrs = [], [], []
    for k, r in enumerate(recs):
        row, inf, lr = _sample_row(m, r, cfg)
        rows.append(row)
        lrs.append(lr)
        if len(examples) < 4:
            examples.append((r, inf))
        yield Progress("evaluate", k + 1, len(recs), f"sample {r.index}", data={"index": r.index})
    targets = list(cfg["targets"])
    var = np.array([r.variance for r in recs])
    report = {"model": m.describe(), "dataset": str(ds.root), "dataset_identity": ds.spec.identity(),
              "split": split, "n": len(recs), "scalars": {}, "sites": {}}
    base_preds = {}
    if baselines:
        yield Progress("baselines", 0, None, "descriptors of the training split")
        tds = _training_dataset(ds, cfg)
        mine = own if tds is ds else model_samples(tds, cfg)
        train = records(tds, indices=mine["train"]) if mine and "train" in mine else records(tds, "train", limit)
        tdesc = [descriptors(r.glass) for r in train]
        edesc = [descriptors(r.glass, lr=lr) for r, lr in zip(recs, lrs)]
        for t in targets:
            ty = [np.nan if r.scalars.get(t) is None else r.scalars[t] for r in train]
            base_preds[t] = fit_scalar_baselines(tdesc, ty, edesc, seed=0)
    if recipe is not None:
        from .recipe import read_recipe

        rec = read_recipe(recipe, ds.spec.identity())
        for t in targets:
            base_preds.setdefault(t, {})["resnet_recipe"] = np.array(
                [rec.get(r.index, {}).get(t, np.nan) for r in recs], float)
    level = cfg.get("intervals", {}).get("level", 0.9)
    for t in targets:
        y = np.array([np.nan if r["truth"].get(t) is None else r["truth"][t] for r in rows], float)
        p = np.array([r["pred"][t] for r in rows], float)
        iv = np.array([r["interval"][t] for r in rows], float)
        report["scalars"][t] = {"model": scalar_metrics(y, p, var),
                                "baselines": {b: scalar_metrics(y, v, var) for b, v in base_preds.get(t, {}).items()},
                                "coverage": coverage(y, iv[:, 0], iv[:, 1], level)}
        for b, v in base_preds.get(t, {}).items():
            for row, val in zip(rows, v):
                row.setdefault("baselines", {}).setdefault(t, {})[b] = float(val)
    for site in SITES:
        report["sites"][site] = _site_section(rows, site)
    report["headline"] = _headline(report)
    report["per_sample"] = rows
    report["wall_s"] = time.perf_counter() - t0
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if plots:
            from .plots import report_plots

            report["plots"] = [str(p) for p in report_plots(report, examples, m, out)]
        write_json(out / "report.json", report)
    return report


def model_samples(ds, cfg) -> Optional[dict]:
    """``{split: [indices]}`` of the samples the model of ``cfg`` was trained, validated and tested on, when ``ds`` is
    its training dataset and still holds them unchanged: the recorded indices, or (models that recorded only counts)
    the first samples of each split, accepted when their content hash is the one recorded. None otherwise."""
    tr = cfg.get("training", {})
    if tr.get("dataset_identity") != ds.spec.identity() or not tr.get("content_hash"):
        return None
    got = tr.get("samples") or {s: ds.indices(s)[:int(n)] for s, n in (tr.get("splits") or {}).items()}
    try:
        same = content_hash(ds, [i for v in got.values() for i in v]) == tr["content_hash"]
    except OSError:
        return None
    return {s: [int(i) for i in v] for s, v in got.items()} if same else None


def _training_dataset(ds, cfg):
    """The dataset the baselines are fitted on: the evaluated one when the model was trained on it, else the
    model's own training dataset when it is here (a transfer set is evaluated against baselines fitted on the
    same training data as the model), else the evaluated one."""
    from ..dataset import load_dataset

    tr = cfg.get("training", {})
    if tr.get("dataset_identity") in (None, ds.spec.identity()):
        return ds
    for root in (Path(tr.get("dataset", "")), Path.cwd() / tr.get("dataset", "")):
        if tr.get("dataset") and (root / "index.parquet").is_file():
            try:
                other = load_dataset(root)
            except InputError:
                continue
            if other.spec.identity() == tr["dataset_identity"]:
                return other
    return ds


def _headline(report) -> dict:
    """The numbers a model config and a README quote."""
    h = {"split": report["split"], "n": report["n"]}
    for t, sec in report["scalars"].items():
        h[t] = {k: sec["model"].get(k) for k in ("r2", "pearson_r2", "mae", "spearman")}
        h[t]["coverage"] = sec["coverage"].get("coverage")
        best = max(((b, s.get("r2")) for b, s in sec["baselines"].items() if s.get("r2") is not None),
                   key=lambda x: x[1], default=(None, None))
        h[t]["best_baseline"] = {"name": best[0], "r2": best[1]}
    for site, sec in report["sites"].items():
        if sec.get("n", 1) and "model" in sec:
            mm = sec["model"]
            h[site] = {"median_A": mm.get("median"), "within_10A": mm.get("within_10A"),
                       "nearest_bond_median_A": (mm.get("nearest_bond") or {}).get("median"),
                       "mass_within_5A": mm.get("mass_within_5A")}
    return h


def evaluate(model, dataset_dir, **kw) -> dict:
    """:func:`evaluate_steps` run to completion."""
    from ..progress import run

    return run(evaluate_steps(model, dataset_dir, **kw))
