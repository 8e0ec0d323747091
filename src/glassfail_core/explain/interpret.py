"""The physical reading of a model's heatmaps over a dataset split (``glassfail interpret``): what in the structure
draws the attribution, and does it point at where the glass breaks.

For every sample of the split, the Grad-CAM maps of the target (``relu``, ``abs`` and ``neg``, averaged over
augmented copies: :func:`~.gradcam.averaged_cam`) are mapped to rings and atoms (mean attribution per Å² of each
ring's polygon and of each atom's Voronoi cell), and compared with:

* per ring: its size ``n`` and ``|n − 6|``;
* per atom (Si and O apart: their energies and cells differ by species): the potential energy
  (:func:`~glassfail_core.physics.per_atom_energy`), the mean size and the mean ``|n − 6|`` of the rings through
  it, and the non-affine response to a small strain (``|u|`` after a tension ``strain`` along x and a relaxation
  of the positions at fixed cell, minus the affine displacement);

each as the mean per-sample Spearman ρ against a null of randomly shifted maps (:mod:`.stats`); the input image
itself is read the same way as a control (a map that only follows where the atoms are dense resembles it), and
every correlation is also given as a partial ρ with the image's own value held fixed (``given_image``). Which
ring sizes
attract attribution: each ring's density relative to its glass's mean, averaged per size, with the null band.
Where the maximum of the map lies: its periodic distance to the true first-break and failure sites, against
random points, the model's own site maps (:func:`~glassfail_core.learn.infer.infer`), the highest-energy atom,
the smallest ring (:func:`~glassfail_core.learn.baselines.site_baselines`) and the most non-affine atom; and the
map's mass within 5 Å of the true site over the area's share (enrichment; 1 = no better than uniform).

The sanity checks of Adebayo et al. (2018) are in :mod:`.sanity`, the HTML report in :mod:`.report`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .._atomic import write_json
from ..errors import InputError
from ..progress import Job, Progress
from . import stats

__all__ = ["InterpretParams", "interpret_steps", "interpret_records_steps", "interpret_dataset", "READ_VARIANTS",
           "CONTROL", "ATOM_QUANTITIES", "RING_QUANTITIES", "SITES", "nonaffine"]

READ_VARIANTS = ("relu", "abs", "neg")
#: The control read like a map: the input image itself (where the atoms are), which any map that merely follows
#: the atoms resembles.
CONTROL = "image"
ATOM_QUANTITIES = ("energy", "ring_mean", "ring_defect", "nonaffine")
RING_QUANTITIES = ("size", "defect")
#: True sites and the model's map that predicts each.
SITES = {"failure_site": "crack", "first_break_site": "first_break"}


@dataclass(frozen=True)
class InterpretParams:
    """What an interpretation computes (all recorded in its report)."""

    split: str = "test"
    target: str = "failure_strain"
    layer: Optional[str] = None
    copies: int = 64
    n_null: int = 200
    strain: float = 0.005
    fmax: float = 1e-5
    nonaffine: bool = True
    limit: Optional[int] = None
    sanity: bool = True
    sanity_samples: int = 8
    label_randomisation: bool = True
    label_epochs: int = 40
    label_limit: int = 32
    examples: int = 4
    seed: int = 0

    def __post_init__(self):
        if self.split not in ("train", "val", "test", "all"):
            raise InputError(f"split must be train, val, test or all, got {self.split!r}")
        if self.copies < 1 or self.n_null < 10 or not self.strain > 0:
            raise InputError("copies must be ≥ 1, n_null ≥ 10 and the strain positive")

    def to_dict(self) -> dict:
        return asdict(self)


def nonaffine(glass, strain: float, fmax: float = 1e-5) -> np.ndarray:
    """``(N,)`` |non-affine displacement| (Å) of every atom under a tension ``strain`` along x at fixed cell."""
    from ..neighbors import minimum_image
    from ..physics import relax
    from ..physics.relax import affine_response

    affine, moved = affine_response(relax(glass, fmax=fmax), strain, fmax=fmax)
    u = minimum_image(moved.positions - affine.positions, affine.cell, affine.pbc)
    return np.hypot(u[:, 0], u[:, 1])


def _ring_measures(rs, n_atoms) -> dict:
    """Per atom: mean size and mean |n − 6| of the closed rings through it (NaN where none)."""
    lists = rs.atom_rings
    atoms = np.repeat(np.arange(n_atoms), [len(a) for a in lists])
    ring = np.concatenate(lists).astype(int) if len(lists) else np.zeros(0, int)
    cnt = np.bincount(atoms, minlength=n_atoms).astype(float)
    size = rs.sizes[ring].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"ring_mean": np.bincount(atoms, size, n_atoms) / cnt,
                "ring_defect": np.bincount(atoms, np.abs(size - 6), n_atoms) / cnt}


def _truths(rec) -> dict:
    out = {"failure_site": None if rec.failure_site is None else np.asarray(rec.failure_site, float),
           "first_break_site": rec.first_break[0] if len(rec.first_break) else None}
    return out


def _gather(model, rec, p: InterpretParams, rng) -> tuple:
    """Everything one sample contributes: ``(row, example)``; ``row`` holds the ρ of every draw."""
    from ..learn.baselines import site_baselines
    from ..learn.images import render_input
    from ..learn.infer import infer, top_sites
    from ..physics import per_atom_energy
    from ..rings import find_rings, ring_polygons
    from .gradcam import averaged_cam
    from .mapping import pixel_owners, ring_pixels

    g = rec.glass
    cam = averaged_cam(model, g, target=p.target, layer=p.layer, variants=READ_VARIANTS, copies=p.copies)
    frame = cam.frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = find_rings(g)
    pix = ring_pixels(frame, ring_polygons(g, rs))
    ring_of = np.repeat(np.arange(rs.n_rings), [len(q) for q in pix])
    ring_idx = np.concatenate(pix) if pix else np.zeros(0, int)
    ring_area = np.maximum([len(q) for q in pix], 1) * frame.pixel_size[0] * frame.pixel_size[1]
    owners = pixel_owners(frame, g)
    cell_area = np.bincount(owners[owners >= 0], minlength=len(g)) * frame.pixel_size[0] * frame.pixel_size[1]
    q = {"energy": per_atom_energy(g), **_ring_measures(rs, len(g))}
    if p.nonaffine:
        q["nonaffine"] = nonaffine(g, p.strain, p.fmax)
    sizes = np.asarray(rs.sizes)
    draws = stats.shifts(rng, frame.shape, p.n_null)
    species = np.asarray(g.species)
    row = {"index": rec.index, "rho": {}, "sizes": {}, "maxima": {}}
    image = render_input(g, model.config["input"], noise=False)[0]
    z_ring = stats.ring_values(image, [[0, 0]], ring_idx, ring_of, ring_area)[0]
    z_atom = stats.atom_values(image, [[0, 0]], owners, cell_area)[0]

    def rho(values, x, z, control):
        return {"rho": stats.spearman_rows(values, x),
                "partial": None if control else stats.partial_rows(values, x, z)}

    for v in READ_VARIANTS + (CONTROL,):
        heat = image if v == CONTROL else cam.maps[v]
        rv = stats.ring_values(heat, draws, ring_idx, ring_of, ring_area)
        for name, x in (("size", sizes), ("defect", np.abs(sizes - 6))):
            row["rho"][f"ring|{v}|all|{name}"] = rho(rv, x, z_ring, v == CONTROL)
        with np.errstate(invalid="ignore", divide="ignore"):  # a map zero on every ring: NaN, left out by _sizes
            rel = rv / np.nanmean(rv, axis=1, keepdims=True)
        row["sizes"][v] = {int(n): (rel[:, sizes == n].sum(axis=1), int((sizes == n).sum())) for n in np.unique(sizes)}
        av = stats.atom_values(heat, draws, owners, cell_area)
        for sp in ("Si", "O"):
            sel = species == sp
            for name, x in q.items():
                row["rho"][f"atom|{v}|{sp}|{name}"] = rho(av[:, sel], x[sel], z_atom[sel], v == CONTROL)
        if v != CONTROL:
            r, c = np.unravel_index(int(np.argmax(heat)), heat.shape)
            row["maxima"][v] = frame.px_to_xy([r, c])
    inf = infer(model, g)
    truth = _truths(rec)
    pred = {site: np.asarray(top_sites(inf.maps[m], inf.frame, k=1)[0]["xy"]) for site, m in SITES.items()
            if m in inf.maps}
    base = {k: np.asarray(v, float) for k, v in site_baselines(g, seed=rec.index).items() if k != "random"}
    if "nonaffine" in q:
        base["most_nonaffine_atom"] = g.positions[int(np.argmax(q["nonaffine"]))]
    row.update(truth=truth, pred=pred, baselines=base, cell=np.asarray(g.cell, float), frame=frame,
               enrichment={v: _enrichment(cam.maps[v], frame, truth) for v in READ_VARIANTS})
    example = {"index": rec.index, "glass": g, "maps": cam.maps, "frame": frame, "truth": truth, "pred": pred,
               "layer": cam.layer, "rings": rs}
    return row, example


def _enrichment(heat, frame, truth, radius: float = 5.0) -> dict:
    """Mass of the (non-negative) map within ``radius`` of each true site, over the area's share."""
    from ..learn.infer import mass_within

    total = float(heat.sum())
    out = {}
    for site, xy in truth.items():
        if xy is None or not total > 0:
            continue
        share = mass_within(np.ones(frame.shape) / np.prod(frame.shape), frame, xy, radius)
        out[site] = mass_within(heat / total, frame, xy, radius) / share
    return out


def _correlations(rows) -> list:
    keys = list(rows[0]["rho"])
    out = []
    for k in keys:
        level, variant, group, quantity = k.split("|")
        d = {"level": level, "variant": variant, "group": group, "quantity": quantity,
             **stats.summarise(np.stack([r["rho"][k]["rho"] for r in rows]))}
        if rows[0]["rho"][k]["partial"] is not None:
            d["given_image"] = stats.summarise(np.stack([r["rho"][k]["partial"] for r in rows]))
        out.append(d)
    return out


def _sizes(rows) -> dict:
    """Ring-size densities pooled over the glasses; a glass whose map puts nothing on its rings (a ReLU map that is
    zero there, in the real or a shifted draw) has no densities and is left out rather than turning every size
    into NaN."""
    out = {}
    for v in READ_VARIANTS + (CONTROL,):
        sums, counts = {}, {}
        for r in rows:
            if not all(np.all(np.isfinite(s)) for s, _ in r["sizes"][v].values()):
                continue
            for n, (s, c) in r["sizes"][v].items():
                sums[n] = sums.get(n, 0.0) + s
                counts[n] = counts.get(n, 0) + c
        out[v] = stats.size_table(sums, counts)
    return out


def _distances(rows, points) -> np.ndarray:
    d = []
    for r, pt in zip(rows, points):
        d.append(np.nan if pt is None else float(np.hypot(*r["frame"].displacement([pt], [r["_t"]])[0, 0])))
    return np.array(d)


def _localisation(rows, rng) -> dict:
    from ..learn.metrics import site_metrics

    out = {}
    for site, mname in SITES.items():
        rs = [dict(r, _t=r["truth"][site]) for r in rows if r["truth"][site] is not None]
        if not rs:
            out[site] = {"n": 0}
            continue
        sec = {"n": len(rs), "methods": {}}
        for v in READ_VARIANTS:
            sec["methods"][f"heatmap_{v}"] = site_metrics(_distances(rs, [r["maxima"][v] for r in rs]))
        sec["methods"]["site_map"] = site_metrics(_distances(rs, [r["pred"].get(site) for r in rs]))
        for b in rs[0]["baselines"]:
            sec["methods"][b] = site_metrics(_distances(rs, [r["baselines"].get(b) for r in rs]))
        rand = stats.random_median_distances(rng, [r["cell"] for r in rs], [r["_t"] for r in rs])
        sec["random"] = {"median_mean": float(rand.mean()), "median_95": [float(np.percentile(rand, 2.5)),
                                                                             float(np.percentile(rand, 97.5))]}
        for name, m in sec["methods"].items():
            m["p_vs_random"] = float((1 + np.sum(rand <= m["median"])) / (1 + len(rand))) \
                if m.get("median") is not None else None
        sec["enrichment_5A"] = {v: {"mean": float(np.mean([r["enrichment"][v][site] for r in rs])),
                                    "median": float(np.median([r["enrichment"][v][site] for r in rs]))}
                                for v in READ_VARIANTS if all(site in r["enrichment"][v] for r in rs)}
        out[site] = sec
    return out


def _row_json(r) -> dict:
    """One sample's observed numbers (draw 0) for the JSON."""
    def xy(v):
        return None if v is None else [float(a) for a in v]

    return {"index": int(r["index"]),
            "rho": {k: {kind: (None if a is None or not np.isfinite(a[0]) else float(a[0])) for kind, a in v.items()}
                    for k, v in r["rho"].items()},
            "maxima": {k: xy(v) for k, v in r["maxima"].items()}, "truth": {k: xy(v) for k, v in r["truth"].items()},
            "pred": {k: xy(v) for k, v in r["pred"].items()},
            "baselines": {k: xy(v) for k, v in r["baselines"].items()},
            "enrichment_5A": r["enrichment"]}


def interpret_steps(model, dataset_dir, *, out_dir=None, **params) -> Job[dict]:
    """Interpret ``model`` (a folder or a :class:`~glassfail_core.learn.checkpoint.Model`) on a split of the
    dataset in ``dataset_dir``; ``params`` are the fields of :class:`InterpretParams`. Writes ``report.json``,
    ``report.html`` and its images into ``out_dir`` when given; returns the report."""
    from ..dataset import load_dataset
    from ..learn.data import records

    p = InterpretParams(**params)
    ds = load_dataset(dataset_dir)
    recs = records(ds, None if p.split == "all" else p.split, p.limit)
    if len(recs) < 2:
        raise InputError(f"{dataset_dir}: the {p.split} split has {len(recs)} finished sample(s); 2 are needed")
    train = records(ds, "train", p.label_limit) if p.sanity and p.label_randomisation else []
    source = {"dataset": str(ds.root), "dataset_identity": ds.spec.identity()}
    return (yield from interpret_records_steps(model, recs, train, out_dir=out_dir, source=source, **params))


def interpret_records_steps(model, recs, train_recs=(), *, out_dir=None, source=None, **params) -> Job[dict]:
    """:func:`interpret_steps` on :class:`~glassfail_core.learn.data.Record` lists: ``recs`` are read,
    ``train_recs`` train the networks of the label randomisation; ``source`` describes where they come from."""
    from ..learn.checkpoint import Model, load_model

    t0 = time.perf_counter()
    p = InterpretParams(**params)
    m = model if isinstance(model, Model) else load_model(model)
    if p.target not in m.config["targets"]:
        raise InputError(f"the model has no target {p.target!r}; it predicts {', '.join(m.config['targets'])}")
    rng = np.random.default_rng(p.seed)
    rows, examples = [], []
    for k, r in enumerate(recs):
        row, ex = _gather(m, r, p, rng)
        rows.append(row)
        if len(examples) < p.examples:
            examples.append(ex)
        yield Progress("interpret", k + 1, len(recs), f"sample {r.index}", data={"index": r.index})
    report = {"model": m.describe(), **(source or {"dataset": "records"}), "params": p.to_dict(), "n": len(rows),
              "layer": examples[0]["layer"] if examples else None,
              "correlations": _correlations(rows), "ring_sizes": _sizes(rows),
              "localisation": _localisation(rows, rng), "per_sample": [_row_json(r) for r in rows]}
    if p.sanity:
        from .sanity import cascading_randomisation, label_randomisation

        yield Progress("sanity", 0, None, "cascading randomisation")
        glasses = [r.glass for r in recs[:p.sanity_samples]]
        report["sanity"] = {"cascading": cascading_randomisation(m, glasses, target=p.target, layer=p.layer,
                                                                 seed=p.seed, copies=min(p.copies, 4))}
        if p.label_randomisation and len(train_recs) >= 2:
            yield Progress("sanity", 1, None, "label randomisation (training small models)")
            report["sanity"]["labels"] = yield from label_randomisation(
                m, list(train_recs), glasses, target=p.target, layer=p.layer, epochs=p.label_epochs, seed=p.seed,
                copies=min(p.copies, 4))
    report["wall_s"] = time.perf_counter() - t0
    if out_dir is not None:
        from .report import write_report

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        report["files"] = write_report(report, examples, out)
        write_json(out / "report.json", report)
    return report


def interpret_dataset(model, dataset_dir, **kw) -> dict:
    """:func:`interpret_steps` run to completion."""
    from ..progress import run

    return run(interpret_steps(model, dataset_dir, **kw))
