"""The demo report's numbers: every value the page shows, as one JSON-ready dict (``report.json``), and the
one-line summaries the terminal prints per stage.

Non-finite values never reach the file: :func:`finite` turns NaN and infinities into None ("not available"), so
``report.json`` is strict JSON and every number in it is finite.
"""

from __future__ import annotations

import math
import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np

from .._atomic import write_json, write_npz

__all__ = ["finite", "prediction_line", "simulation_line", "comparison", "comparison_line", "detection_accuracy",
           "detection_line", "report_dict", "write_report_json", "write_view_data", "VIEW_FILES"]

#: Files of the report's ``data/`` folder (what ``glassfail view`` opens).
VIEW_FILES = {"glass": "glass.extxyz", "detected": "detected.extxyz", "micrograph": "micrograph.tif",
              "maps": "maps.npz"}


def finite(obj):
    """``obj`` with NumPy scalars as Python numbers, tuples as lists and non-finite floats as None.

    >>> finite({"a": float("nan"), "b": (1, np.float64(2.5)), "c": [float("inf"), "x"]})
    {'a': None, 'b': [1, 2.5], 'c': [None, 'x']}
    """
    if isinstance(obj, dict):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return finite(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _interval_text(d: Optional[dict], fmt=".4f") -> str:
    if not d:
        return "n/a"
    text = format(d["value"], fmt)
    return text + (f" [{d['low']:{fmt}}, {d['high']:{fmt}}]" if d.get("low") is not None else "")


def prediction_line(pred) -> str:
    """One line: the predicted strains with their 90 % intervals."""
    return (f"failure ε {_interval_text(pred.failure_strain)}, first break ε "
            f"{_interval_text(pred.first_break_strain)}")


def simulation_line(labels, result) -> str:
    """One line: the simulated strains and how long the run was."""
    fb = "no break" if labels.first_break_strain is None else f"first break ε {labels.first_break_strain:.4f}"
    return (f"{fb}, failure (σ_max) ε {labels.failure_strain:.4f}; {len(result.strains)} points, "
            f"{len(result.breaks)} bonds broken")


def _distance(glass, a, b) -> Optional[float]:
    if a is None or b is None:
        return None
    from ..neighbors import minimum_image

    d = minimum_image(np.asarray(b, float) - np.asarray(a, float), np.asarray(glass.cell, float), glass.pbc)
    return float(np.hypot(*np.asarray(d).ravel()[:2]))


def _chance_distance(glass, n: int = 48) -> float:
    """Mean distance between two random points of the cell (minimum image when periodic): the scale a site
    distance is to be read against."""
    lx, ly = (float(v) for v in glass.cell[:2])
    u, v = np.meshgrid((np.arange(n) + 0.5) / n * lx, (np.arange(n) + 0.5) / n * ly)
    if all(glass.pbc):
        dx, dy = np.minimum(u, lx - u), np.minimum(v, ly - v)
        return float(np.mean(np.hypot(dx, dy)))
    pts = np.column_stack([u.ravel(), v.ravel()])[:: max(1, n * n // 400)]
    return float(np.mean(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))))


def comparison(pred, labels, glass) -> dict:
    """Prediction and simulation of the same glass side by side: strains (inside the 90 % interval or not, error)
    and sites (distance from the predicted site and from the nearest of the top predicted modes)."""
    rows = []
    for key, sim in (("failure_strain", labels.failure_strain), ("first_break_strain", labels.first_break_strain),
                     ("max_stress", labels.max_stress)):
        p = getattr(pred, key) or {}
        low, high = p.get("low"), p.get("high")
        inside = None if sim is None or low is None else bool(low <= sim <= high)
        rows.append({"quantity": key, "predicted": p.get("value"), "low": low, "high": high, "simulated": sim,
                     "error": None if sim is None or p.get("value") is None else p["value"] - sim,
                     "inside_interval": inside})
    lr = getattr(pred, "linear_response_strain", None)
    if lr is not None:
        sim = labels.first_break_strain
        rows.append({"quantity": "first_break_strain_linear_response", "predicted": lr["value"], "low": lr["low"],
                     "high": lr["high"], "simulated": sim, "error": None if sim is None else lr["value"] - sim,
                     "inside_interval": None if sim is None else bool(lr["low"] <= sim <= lr["high"])})
    sites = []
    for key, modes in (("failure_site", pred.failure_sites), ("first_break_site", pred.first_break_sites)):
        ps, ss = getattr(pred, key), getattr(labels, key)
        near = [d for d in (_distance(glass, m["xy"], ss) for m in modes) if d is not None]
        sites.append({"site": key, "predicted": ps, "simulated": None if ss is None else list(ss),
                      "distance_A": _distance(glass, ps, ss), "nearest_mode_distance_A": min(near) if near else None})
    lr = getattr(pred, "linear_response_site", None)
    if lr is not None:
        ss = labels.first_break_site
        sites.append({"site": "first_break_site_linear_response", "predicted": list(lr),
                      "simulated": None if ss is None else list(ss), "distance_A": _distance(glass, lr, ss),
                      "nearest_mode_distance_A": None})
    return {"strains": rows, "sites": sites, "chance_distance_A": _chance_distance(glass)}


def comparison_line(c: dict) -> str:
    """One line: the strain errors and the site distances."""
    parts = []
    for r in c["strains"][:2]:
        if r["error"] is not None:
            where = "inside" if r["inside_interval"] else "outside"
            parts.append(f"{r['quantity'].replace('_', ' ')} off by {r['error']:+.4f} ({where} the interval)")
    for s in c["sites"]:
        if s["distance_A"] is not None:
            parts.append(f"{s['site'].replace('_', ' ')} {s['distance_A']:.1f} Å away")
    return "; ".join(parts) or "nothing to compare"


def detection_accuracy(truth, found) -> dict:
    """Scores of the detected atoms and rings against the structure the micrograph was rendered from."""
    from ..micrograph.accuracy import compare_rings, match_atoms

    with warnings.catch_warnings():  # an over-coordinated detected atom: its rings are counted as drawn
        warnings.simplefilter("ignore")
        rings = compare_rings(truth, found)
    return {"Si": match_atoms(truth, found, species="Si"), "O": match_atoms(truth, found, species="O"),
            "rings": rings}


def detection_line(det, accuracy) -> str:
    """One line: atoms and rings found (and the Si recall and precision when the truth is known)."""
    g = det.glass
    text = f"{len(g)} atoms ({g.n_si} Si), " + (f"{det.stats.n_rings} rings" if det.stats else det.rings_note)
    if accuracy:
        si = accuracy["Si"]
        text += f"; Si recall {si['recall']:.2f}, precision {si['precision']:.2f}"
    return text


def _rings(stats) -> dict:
    n = max(stats.n_rings, 1)
    return {"n_rings": stats.n_rings, "open_rings": stats.open_rings, "mean": stats.mean, "mu2": stats.mu2,
            "alpha": stats.alpha, "p6": stats.p6, "counts": {int(k): int(v) for k, v in sorted(stats.counts.items())},
            "p": {int(k): v / n for k, v in sorted(stats.counts.items())}}


def _glass(glass, stats, path) -> dict:
    info = glass.info or {}
    made = {k: info[k] for k in ("variance", "alpha", "seed", "rings") if k in info and np.ndim(info[k]) <= 1}
    return {"file": Path(path).name, "n_atoms": len(glass), "n_si": glass.n_si, "n_o": len(glass) - glass.n_si,
            "cell": [float(v) for v in glass.cell[:2]], "periodic": bool(all(glass.pbc)), "generated": made,
            "rings": _rings(stats)}


def _prediction(pred, expl) -> dict:
    d = pred.to_dict()
    d.pop("model", None)
    s = expl.summary
    d["heatmap"] = {"target": expl.target, "layer": expl.layer, "variant": expl.variant, "copies": expl.copies,
                    "max_xy": s.get("max_xy"), "top_rings": s.get("top_rings", [])[:3],
                    "density_by_size": s.get("density_by_size", {}), "warnings": list(expl.warnings)}
    return d


def _simulation(result, labels, protocol) -> dict:
    from ..learn.predict import EV_PER_A2_TO_N_PER_M

    lab = labels.to_dict()
    lab["n_crack"] = len(lab.pop("crack"))
    return {"protocol": dict(protocol), "n_points": len(result.strains), "n_breaks": len(result.breaks),
            "wall_s": result.info.get("wall_s"), "n_minimisations": result.info.get("n_minimisations"),
            "platform": result.info.get("platform"), "max_stress_N_per_m": labels.max_stress * EV_PER_A2_TO_N_PER_M,
            **lab}


def _micrograph(micrograph, path, det, accuracy, mexpl) -> dict:
    g = det.glass
    return {"file": Path(path).name, "shape": list(micrograph.shape), "pixel_size": micrograph.pixel_size,
            "n_atoms": len(g), "n_si": g.n_si, "n_o": len(g) - g.n_si,
            "mean_confidence": g.info.get("mean_confidence"),
            "rings": _rings(det.stats) if det.stats else None, "rings_note": det.rings_note,
            "accuracy": accuracy, "prediction": _prediction(mexpl.prediction, mexpl)}


def _model(m) -> dict:
    c = m.config
    tr = c.get("training", {})
    return {"name": c.get("name"), "version": c.get("version"), "fingerprint": c.get("fingerprint"),
            "dataset": tr.get("dataset"), "splits": tr.get("splits"), "epochs_run": tr.get("epochs_run"),
            "train_range": c.get("train_range"), "targets": c.get("targets"), "maps": c.get("maps"),
            "intervals": {k: c.get("intervals", {}).get(k) for k in ("level", "method", "halfwidth")},
            "test_metrics": c.get("test_metrics") or {}, "path": m.path}


def report_dict(*, inputs, glass, stats, expl, result, labels, comparison, micrograph, detection, accuracy, mexpl,
                model, figures) -> dict:
    """Every number of the report (see the module docstring); ``figures``: ``{key: {"file", "caption"}}``."""
    from .. import __version__

    return finite({
        "title": "glassfail demo", "glassfail_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if inputs.quick else "full", "inputs": inputs.to_dict(),
        "glass": _glass(glass, stats, inputs.glass), "prediction": _prediction(expl.prediction, expl),
        "simulation": _simulation(result, labels, inputs.protocol),
        "comparison": {**comparison, "same_glass": True, "glass": Path(inputs.glass).name},
        "micrograph": _micrograph(micrograph, inputs.micrograph, detection, accuracy, mexpl),
        "model": _model(model), "figures": figures,
    })


def write_report_json(path, report: dict) -> Path:
    """Write the report as strict JSON (non-finite values refused: :func:`finite` removed them)."""
    write_json(path, finite(report), allow_nan=False)
    return Path(path)


def write_view_data(data_dir, glass, detected, expl, mexpl, micrograph_path) -> dict:
    """What ``glassfail view`` shows of a report: the glass, the detected atoms, the micrograph and the maps
    (site-probability maps and heatmaps with their pixel sizes and origins, in ``maps.npz``)."""
    from ..io import write_structure

    d = Path(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_structure(glass, d / VIEW_FILES["glass"])
    write_structure(detected, d / VIEW_FILES["detected"])
    shutil.copyfile(micrograph_path, d / VIEW_FILES["micrograph"])
    arrays = {}
    for name, e in (("glass", expl), ("micrograph", mexpl)):
        p = e.prediction
        for key, values in p.maps.items():
            arrays[f"{name}_{key}"] = np.asarray(values, np.float32)
        arrays[f"{name}_map_frame"] = np.array([*p.map_pixel_size, *p.map_origin], float)
        arrays[f"{name}_heatmap"] = np.asarray(e.heatmap, np.float32)
        arrays[f"{name}_heatmap_frame"] = np.array([*e.pixel_size, *e.origin], float)
    write_npz(d / VIEW_FILES["maps"], **arrays)
    return {k: d / v for k, v in VIEW_FILES.items()}
