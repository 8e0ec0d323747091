"""Export from the GUI what the CLI writes: ring tables and statistics, a run's result and its stress–strain curve.

Every file is written by the core's writers where it has one (``write_rings_csv``, ``FractureResult.save``); the
curve also goes to a plain CSV for spreadsheets.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from glassfail_core._atomic import write_json
from glassfail_core.glass import EV_PER_A2_TO_N_PER_M

__all__ = ["export_rings", "export_run", "write_curve_csv", "CURVE_COLUMNS"]

CURVE_COLUMNS = ("strain", "stress_eV_per_A2", "stress_N_per_m", "energy_eV", "n_broken")


def _write_json(path: Path, obj) -> Path:
    write_json(path, obj)
    return path


def export_with_dialog(parent, title: str, export) -> None:
    """Ask for a folder, call ``export(folder)`` and say what it wrote (a notification; errors likewise)."""
    from napari.utils.notifications import show_info

    from ._base import notify_error
    from ._inputs import ask_folder

    folder = ask_folder(parent, title)
    if folder is None:
        return
    try:
        paths = export(folder)
    except Exception as exc:  # noqa: BLE001 - shown as a notification
        notify_error(exc)
        return
    show_info("wrote " + ", ".join(p.name for p in paths))


def export_rings(ringset, folder, stem: str) -> list:
    """``STEM_rings.csv`` (one row per ring, as ``glassfail rings --csv``) and ``STEM_ring_statistics.json``
    (p(n), ⟨n⟩, μ2… as ``glassfail rings --json``) in ``folder``; returns the paths."""
    from glassfail_core.io.rings import write_rings_csv
    from glassfail_core.rings import ring_statistics

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / f"{stem}_rings.csv"
    write_rings_csv(ringset, table)
    stats = _write_json(folder / f"{stem}_ring_statistics.json", ring_statistics(ringset).to_dict())
    return [table, stats]


def write_curve_csv(result, path) -> Path:
    """The stress–strain curve of a FractureResult as CSV (:data:`CURVE_COLUMNS`; stress in eV/Å² and N/m)."""
    path = Path(path)
    e, s = np.asarray(result.strains, float), np.asarray(result.stresses, float)
    energies = np.asarray(result.energies, float)
    broken = np.asarray(result.n_broken)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CURVE_COLUMNS)
        for k in range(len(e)):
            w.writerow([f"{e[k]:.8g}", f"{s[k]:.8g}", f"{s[k] * EV_PER_A2_TO_N_PER_M:.8g}",
                        f"{energies[k]:.10g}" if k < len(energies) else "", int(broken[k]) if k < len(broken) else ""])
    return path


def export_run(result, folder, *, labels: bool = True) -> list:
    """A run's files in ``folder``: ``result.json`` + ``curves.npz`` (as ``glassfail deform -o``), the curve as
    ``stress_strain.csv`` and, for a run past its stress maximum, the failure labels as ``labels.json``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result.save(folder)
    out = [folder / "result.json", folder / "curves.npz", write_curve_csv(result, folder / "stress_strain.csv")]
    if labels and len(result.strains):
        from glassfail_core.dataset.labels import labels_from_result

        out.append(_write_json(folder / "labels.json", labels_from_result(result).to_dict()))
    return out
