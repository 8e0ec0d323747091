"""Scoring a detection against the structure an image was rendered from (tests, benchmarks, validation).

Atoms are compared inside a *region* (default: the part of the truth's cell covered by the image, less a
``margin`` on each side, since spots cut by the image edge cannot be located): a found atom and a true atom of
the same species *match* when each is the other's nearest neighbour and they are closer than ``tolerance``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ..glass import Glass

__all__ = ["match_atoms", "compare_rings", "evaluation_region"]


def evaluation_region(truth: Glass, found: Glass, margin: float = 1.0):
    """``(x0, y0, x1, y1)``: the overlap of the truth's cell and the found Glass's image, less ``margin`` Å."""
    ox, oy = found.info.get("origin", (0.0, 0.0))
    x1 = min(truth.cell[0], ox + found.cell[0])
    y1 = min(truth.cell[1], oy + found.cell[1])
    return (max(0.0, ox) + margin, max(0.0, oy) + margin, x1 - margin, y1 - margin)


def _in(xy, region):
    x0, y0, x1, y1 = region
    return (xy[:, 0] >= x0) & (xy[:, 0] < x1) & (xy[:, 1] >= y0) & (xy[:, 1] < y1)


def match_atoms(truth: Glass, found: Glass, *, species: str = "Si", tolerance: float = 0.6, margin: float = 1.0,
                region=None) -> dict:
    """Recall, precision and position RMSE of ``found`` against ``truth`` for one species.

    Returns
    -------
    dict
        ``n_true``, ``n_found``, ``n_matched``, ``recall``, ``precision``, ``rmse`` (Å, over matches),
        ``max_error`` (Å), ``region``.

    Examples
    --------
    >>> t = Glass([[2.0, 2.0], [5.0, 2.0]], ["Si", "Si"], cell=(8.0, 4.0), pbc=False)
    >>> f = Glass([[2.05, 2.0]], ["Si"], cell=(8.0, 4.0), pbc=False)
    >>> r = match_atoms(t, f)
    >>> r["recall"], r["precision"], round(r["rmse"], 3)
    (0.5, 1.0, 0.05)
    """
    region = evaluation_region(truth, found, margin) if region is None else tuple(region)
    t = truth.wrapped_positions()[truth.species == species]
    f = np.asarray(found.positions)[found.species == species]
    t_in, f_in = _in(t, region), _in(f, region)
    out = {"species": species, "n_true": int(t_in.sum()), "n_found": int(f_in.sum()),
           "region": [float(v) for v in region]}
    if not t_in.any() or not f_in.any():
        out.update(n_matched=0, recall=0.0 if t_in.any() else 1.0, precision=0.0 if f_in.any() else 1.0,
                   rmse=float("nan"), max_error=float("nan"))
        return out
    # Pairs are formed over all atoms (an atom just inside the region may match one just outside it); recall
    # counts the true atoms inside the region, precision the found atoms inside it.
    d_tf, i_tf = cKDTree(f).query(t)
    _, i_ft = cKDTree(t).query(f)
    mutual_t = (i_ft[i_tf] == np.arange(len(t))) & (d_tf <= tolerance)
    mutual_f = np.zeros(len(f), bool)
    mutual_f[i_tf[mutual_t]] = True
    err = d_tf[mutual_t & t_in]
    n_t = int((mutual_t & t_in).sum())
    out.update(n_matched=n_t, recall=float(n_t / t_in.sum()), precision=float((mutual_f & f_in).sum() / f_in.sum()),
               rmse=float(np.sqrt(np.mean(err**2))) if len(err) else float("nan"),
               max_error=float(err.max()) if len(err) else float("nan"))
    return out


def compare_rings(truth: Glass, found: Glass, *, margin: float = 1.0, tolerance: float = 1.0, region=None) -> dict:
    """Compare the closed rings of ``truth`` and ``found`` inside the region.

    Every closed ring of the truth whose atoms all lie in the region (rings cut by the image edge cannot be
    seen whole) is paired with the found closed ring whose
    centroid is nearest (within ``tolerance`` Å); it *agrees* when both have the same size.

    Returns
    -------
    dict
        ``n_rings`` (truth rings in the region), ``n_agree``, ``agreement`` (fraction), ``p_true``/``p_found``
        (ring-size counts of the paired rings), ``n_found_rings``.
    """
    from ..rings import find_rings

    region = evaluation_region(truth, found, margin) if region is None else tuple(region)
    from ..errors import StructureError

    rt = find_rings(truth)
    try:
        rf = find_rings(found)
    except StructureError as exc:  # e.g. a spurious atom makes two bonds cross: no ring of the found network counts
        return {"n_rings": None, "n_found_rings": 0, "n_agree": 0, "agreement": 0.0, "p_true": {}, "p_found": {},
                "error": str(exc)}
    ct = np.asarray(rt.centroids).reshape(-1, 2)
    cf = np.asarray(rf.centroids).reshape(-1, 2)
    st, sf = np.asarray(rt.sizes), np.asarray(rf.sizes)
    wrapped = truth.wrapped_positions()
    sel = np.array([_in(wrapped[np.asarray(r)], region).all()
                    and np.ptp(wrapped[np.asarray(r)], axis=0).max() < 0.5 * truth.cell.min() for r in rt.rings], bool)
    ct, st = ct[sel], st[sel]
    out = {"n_rings": int(len(ct)), "n_found_rings": int(_in(cf, region).sum()) if len(cf) else 0}
    if len(ct) == 0:
        out.update(n_agree=0, agreement=float("nan"), p_true={}, p_found={})
        return out
    if len(cf):
        d, idx = cKDTree(cf).query(ct)
        paired = d <= tolerance
        same = paired & (sf[np.minimum(idx, len(sf) - 1)] == st)
    else:
        paired = same = np.zeros(len(ct), bool)
        idx = np.zeros(len(ct), int)
    p_true = {int(k): int(v) for k, v in zip(*np.unique(st, return_counts=True))}
    fs = sf[idx[paired]] if len(cf) else np.zeros(0, int)
    p_found = {int(k): int(v) for k, v in zip(*np.unique(fs, return_counts=True))}
    out.update(n_agree=int(same.sum()), agreement=float(same.mean()), p_true=p_true, p_found=p_found)
    return out
