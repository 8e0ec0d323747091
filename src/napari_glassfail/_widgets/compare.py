"""Prediction vs simulation: for one structure, what the model predicts beside what an AQS simulation past failure
gives — strains side by side in the dock, the simulated sites drawn next to the predicted ones.

The prediction is the Predict widget's for that structure, or made here (``predict``); the simulation is the Deform
widget's run of that structure (run past failure), a run folder the user opens (``glassfail deform -o``), or one
run here with one click (``prepare_deform_steps`` with ``AQSParams(until="failure")``, in a run folder that
resumes after Cancel). The labels are the core's (``labels_from_result``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from magicgui.widgets import ComboBox, FileEdit, FloatSpinBox, Label

from glassfail_core.errors import InputError
from glassfail_core.glass import EV_PER_A2_TO_N_PER_M
from glassfail_core.progress import Job, Progress

from .._layers import KEY, glass_from_layers, new_group
from .._layers.prediction import site_rows, sites_layer_data
from ._base import JobWidget
from ._inputs import ModelChoice, input_key, structure_choices
from .deform import run_folder

__all__ = ["CompareWidget", "compare_job", "comparison_rows", "find_prediction", "find_simulation"]

SIMULATED = ("failure", "complete")  # runs that went past failure


def find_prediction(layers, group):
    """The Prediction the Predict widget made for the structure ``group`` (None when there is none)."""
    for lay in layers:
        meta = lay.metadata.get(KEY, {})
        if meta.get("role") == "predicted_sites" and meta.get("source_group") == group and meta.get("prediction"):
            return meta["prediction"]
    return None


def find_simulation(layers, group):
    """The newest FractureResult the Deform widget made past failure for the structure ``group`` (None when there
    is none: a run to the first break does not tell the failure strain)."""
    found = None
    for lay in layers:
        meta = lay.metadata.get(KEY, {})
        res = meta.get("result")
        if (meta.get("role") == "trajectory" and meta.get("source_group") == group and res is not None
                and res.params.get("until") in SIMULATED):
            found = res
    return found


def compare_job(glass, model=None, *, prediction=None, result=None, params=None, run_dir=None) -> Job:
    """``(Prediction, FractureResult)`` of ``glass``: the ones given, the others made (predict; AQS past failure)."""
    from glassfail_core.physics import AQSParams
    from glassfail_core.workflows import prepare_deform_steps

    if prediction is None:
        from glassfail_core.learn.predict import predict

        yield Progress("predict", 0, 1, "predicting…")
        prediction = predict(glass, model)
        yield Progress("predict", 1, 1, "predicted")
    if result is None:
        params = params or AQSParams(until="failure")
        outcome = yield from prepare_deform_steps(glass, params, run_dir=run_dir)
        result = outcome.result
    return prediction, result


def _distance(glass, a, b):
    if a is None or b is None:
        return None
    from glassfail_core.neighbors import minimum_image

    d = minimum_image(np.asarray(b, float) - np.asarray(a, float), np.asarray(glass.cell, float), glass.pbc)
    return float(np.hypot(*np.asarray(d).ravel()[:2]))


def _num(v, fmt="{:.4f}"):
    return "–" if v is None else fmt.format(v)


def comparison_rows(prediction, result, glass) -> list:
    """``[(quantity, predicted, simulated)]`` as text: failure and first-break strains (predicted with their 90 %
    interval), strength in N/m, and the sites with the distance between predicted and simulated."""
    from glassfail_core.dataset.labels import labels_from_result

    lab = labels_from_result(result)
    past = result.params.get("until", "first") in SIMULATED
    rows = []
    for name, key, sim in (("failure strain", "failure_strain", lab.failure_strain if past else None),
                           ("first-break strain", "first_break_strain", lab.first_break_strain)):
        p = getattr(prediction, key) or {}
        pred = _num(p.get("value"))
        if p.get("low") is not None:
            pred += f" [{p['low']:.4f}, {p['high']:.4f}]"
        rows.append((name, pred, _num(sim) if past or key == "first_break_strain" else "run past failure"))
    ms = prediction.max_stress or {}
    rows.append(("σ_max (N/m)", _num(ms.get("value") and ms["value"] * EV_PER_A2_TO_N_PER_M, "{:.3f}"),
                 _num(lab.max_stress * EV_PER_A2_TO_N_PER_M if past else None, "{:.3f}")))
    for name, psite, ssite in (("failure site (Å)", prediction.failure_site, lab.failure_site if past else None),
                               ("first-break site (Å)", prediction.first_break_site, lab.first_break_site)):
        d = _distance(glass, psite, ssite)
        text = "–" if ssite is None else f"({ssite[0]:.1f}, {ssite[1]:.1f})"
        rows.append((name, "–" if psite is None else f"({psite[0]:.1f}, {psite[1]:.1f})",
                     text + ("" if d is None else f"  Δ {d:.1f} Å")))
    return rows


def _table_html(rows) -> str:
    cells = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in rows)
    return ("<table cellspacing='4'><tr><th></th><th>predicted (90 %)</th><th>simulated</th></tr>"
            f"{cells}</table>")


def simulated_rows(result) -> list:
    """The simulated sites as :func:`~napari_glassfail._layers.prediction.sites_layer_data` rows."""
    from glassfail_core.dataset.labels import labels_from_result

    lab = labels_from_result(result)
    past = result.params.get("until", "first") in SIMULATED
    rows = []
    if past and lab.failure_site is not None:
        rows.append({"kind": "failure", "xy": list(lab.failure_site), "strain": lab.failure_strain})
    if lab.first_break_site is not None:
        rows.append({"kind": "first break", "xy": list(lab.first_break_site), "strain": lab.first_break_strain})
    return rows


class CompareWidget(JobWidget):
    """Dock widget: Prediction vs simulation for a structure layer."""

    run_text = "Compare"
    description = "comparing prediction and simulation"

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer  # the layer choices below are evaluated at construction
        self.structure = ComboBox(label="structure", choices=self._structure_choices, nullable=False)
        self.model = ModelChoice()
        self.run_dir = FileEdit(label="simulation run folder", mode="d", value="",
                                tooltip="optional: a run folder of glassfail deform (result.json); else the Deform "
                                        "widget's run, or a run past failure made here")
        self.step = FloatSpinBox(label="strain step", min=1e-4, max=0.05, step=0.001, value=0.005)
        self.max_strain = FloatSpinBox(label="max strain", min=0.01, max=2.0, step=0.05, value=0.3)
        self.source = Label(value="")
        self.table = Label(value="")
        self.table.native.setTextFormat(1)  # Qt.RichText
        self.table.native.setWordWrap(True)
        super().__init__(napari_viewer, controls=[self.structure, self.model, self.run_dir, self.step,
                                                  self.max_strain])
        self.extend([self.source, self.table])
        self.prediction = self.simulation = None
        self._simulated: dict = {}  # structure → the run past failure made here
        self.structure.changed.connect(self._say_what_runs)
        self.run_dir.changed.connect(self._say_what_runs)
        self._say_what_runs()

    # ------------------------------------------------------------------ layers
    def suitable_layers(self):
        return [lay for _, lay in structure_choices(self.viewer.layers)]

    def _structure_choices(self, widget=None):
        return structure_choices(self.viewer.layers)

    def no_layer_message(self):
        return "open a structure (or detect one) to compare its prediction with a simulation"

    def _layers_changed(self, event=None):
        super()._layers_changed(event)
        if hasattr(self, "_simulated"):
            self._say_what_runs()

    def _folder_result(self):
        text = str(self.run_dir.value or "").strip()
        if not text or text == ".":
            return None
        from glassfail_core.io import read

        path = Path(text).expanduser()
        if not (path / "result.json").is_file():
            raise InputError(f"{path}: not a run folder (no result.json); choose the -o folder of glassfail deform")
        return read(path, "run")

    def _inputs(self):
        """(prediction, simulation, what each is) for the chosen structure."""
        lay = self.structure.value
        if lay is None:
            return None, None, ("", "")
        group = input_key(lay)
        prediction = find_prediction(self.viewer.layers, group)
        result = self._folder_result()
        where = "the run folder"
        if result is None:
            result = find_simulation(self.viewer.layers, group)
            where = "the Deform widget's run"
        if result is None and group in self._simulated:
            result, where = self._simulated[group], "the run made here"
        return prediction, result, ("the Predict widget's" if prediction is not None else "predicted now",
                                    where if result is not None else "simulated now, past failure")

    def _say_what_runs(self, *_):
        try:
            _, result, (p, s) = self._inputs()
        except InputError as exc:
            self.source.value = str(exc)
            return
        self.source.value = f"prediction: {p}; simulation: {s}" if p else ""
        self.run_button.text = "Compare" if result is not None else "Simulate past failure and compare"

    # ------------------------------------------------------------------ work
    def clear_result(self):
        self.table.value = ""
        self.prediction = self.simulation = None

    def params(self):
        from glassfail_core.physics import AQSParams

        return AQSParams(until="failure", step=float(self.step.value), max_strain=float(self.max_strain.value))

    def make_job(self):
        lay = self.structure.value
        if lay is None:
            raise InputError("choose a structure layer")
        prediction, result, _ = self._inputs()
        glass = glass_from_layers(lay, self.viewer.layers)
        self._source, self._glass = lay, glass
        params = self.params()
        model = self.model.model if prediction is None else None
        return compare_job(glass, model, prediction=prediction, result=result, params=params,
                           run_dir=None if result is not None else run_folder(glass, params))

    def on_result(self, value):
        prediction, result = value
        self.prediction, self.simulation = prediction, result
        self._simulated[input_key(self._source)] = result
        self.table.value = _table_html(comparison_rows(prediction, result, self._glass))
        name = self.structure.current_choice
        group = new_group()
        layers = [sites_layer_data(site_rows(prediction), name=f"{name} predicted sites", group=group,
                                   role="compared_predicted", label="predicted"),
                  sites_layer_data(simulated_rows(result), name=f"{name} simulated sites", group=group,
                                   role="simulated_sites", symbol="diamond", size=3.4, label="simulated",
                                   result=result)]
        self.replace_layers(layers, key=input_key(self._source))
        for lay in self.result_layers:
            lay.metadata[KEY]["source_group"] = input_key(self._source)
        self.status.value = "done"
        self._say_what_runs()
