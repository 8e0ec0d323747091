"""Predict & explain failure: a model's prediction for a structure layer, the atoms found by Detect, or any image
(a micrograph: the core detects its atoms first), drawn in Å over the input.

Adds the site-probability maps (failure shown, first break hidden), the Grad-CAM heatmap when asked for, the
atoms with their site probability and attribution as features (colour by either), and the predicted sites; the
dock shows the predicted strains with their 90 % intervals. Everything is ``glassfail_core.learn.predict.predict``
/ ``glassfail_core.explain.explain_steps``: the widget only draws.
"""

from __future__ import annotations

from magicgui.widgets import CheckBox, ComboBox, FloatSpinBox, SpinBox

from glassfail_core.errors import InputError
from glassfail_core.explain.explanation import DEFAULT_COPIES
from glassfail_core.progress import Job, Progress

from .._layers import KEY, new_group
from .._layers.micrograph import place_layer
from .._layers.prediction import prediction_layer_data
from ._base import JobWidget, wrapped_label
from ._inputs import ModelChoice, calibrate, input_choices, input_key, read_input

__all__ = ["PredictWidget", "predict_job", "prediction_text", "TARGETS"]

TARGETS = ("failure_strain", "first_break_strain", "max_stress")
AUTO_LAYER = "automatic"


def _gradcam_choices() -> tuple:
    """(network layers, variants) Grad-CAM offers, from the explanation package."""
    from glassfail_core.explain import gradcam  # deferred: torch

    return tuple(gradcam.LAYERS), tuple(gradcam.VARIANTS)


def predict_job(obj, model=None, *, axis: str = "x", explain: dict = None, linear_response: bool = False) -> Job:
    """The Predict widget's work: ``(Prediction, Explanation or None)`` of a Glass or a Micrograph.

    With ``explain`` (``target``, ``layer``, ``variant``, ``copies``) the core's ``explain_steps`` runs (its
    Explanation holds its Prediction); otherwise ``predict``. ``linear_response``: also the first bond to break
    and its strain by linear response (one relaxation; structures periodic along the load only)."""
    if explain is None:
        from glassfail_core.learn.predict import predict

        yield Progress("predict", 0, 1, "predicting…")
        prediction = predict(obj, model, axis=axis, linear_response=linear_response)
        yield Progress("predict", 1, 1, "predicted")
        return prediction, None
    from glassfail_core.explain import explain_steps

    explanation = yield from explain_steps(obj, model, axis=axis, linear_response=linear_response, **explain)
    return explanation.prediction, explanation


def _interval(d, scale=1.0, unit="") -> str:
    if not d:
        return "–"
    text = f"{d['value'] * scale:.4g}{unit}"
    if d.get("low") is not None and d.get("high") is not None:
        text += f" (90 %: {d['low'] * scale:.4g}–{d['high'] * scale:.4g})"
    return text


def prediction_text(p) -> str:
    """The dock's summary of a Prediction: strains with their 90 % intervals, strength, sites, warnings."""
    from glassfail_core.learn.predict import EV_PER_A2_TO_N_PER_M

    lines = [f"failure strain: {_interval(p.failure_strain)}",
             f"first-break strain: {_interval(p.first_break_strain)}"]
    if p.max_stress:
        lines.append(f"strength σ_max: {_interval(p.max_stress, EV_PER_A2_TO_N_PER_M, ' N/m')}")
    for label, site in (("failure site", p.failure_site), ("first-break site", p.first_break_site)):
        if site is not None:
            lines.append(f"{label}: ({site[0]:.1f}, {site[1]:.1f}) Å")
    if p.linear_response_site is not None:
        x, y = p.linear_response_site
        lines.append(f"first break by linear response: ({x:.1f}, {y:.1f}) Å, strain "
                     f"{_interval(p.linear_response_strain)}")
    lines.append(f"model: {p.model.get('name', '?')} {p.model.get('version', '')}".rstrip())
    lines += [f"⚠ {w}" for w in p.warnings]
    return "\n".join(lines)


class PredictWidget(JobWidget):
    """Dock widget: Predict & explain failure."""

    run_text = "Predict"
    description = "predicting failure"

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer  # the layer choices below are evaluated at construction
        self.input = ComboBox(label="input", choices=self._input_choices, nullable=False)
        self.pixel_size = FloatSpinBox(label="pixel size (Å/px)", min=0.001, max=100.0, step=0.001, value=0.32,
                                       tooltip="images only: Å per pixel (read from the file when it says)")
        self.model = ModelChoice()
        self.axis = ComboBox(label="tension along", choices=["x", "y"], value="x")
        self.linear = CheckBox(text="first break by linear response", value=True,
                               tooltip="periodic structures: the bond that stretches most under a 0.5 % strain "
                                       "(one relaxation) — the first to break in nearly every glass — and its strain")
        self.explain = CheckBox(text="Grad-CAM heatmap", value=True,
                                tooltip="why the model predicts what it does: which regions raise the target")
        self.target = ComboBox(label="explain", choices=list(TARGETS), value="failure_strain")
        layers, variants = _gradcam_choices()
        self.cam_layer = ComboBox(label="network layer", choices=[AUTO_LAYER, *layers], value=AUTO_LAYER,
                                  tooltip="automatic: the deepest stage whose map is at least 16 × 16")
        self.variant = ComboBox(label="variant", choices=list(variants), value="relu",
                                tooltip="relu: standard Grad-CAM; abs: |Σ α A|; neg: of the negated target; signed")
        self.copies = SpinBox(label="copies averaged", min=1, max=1024, value=int(DEFAULT_COPIES),
                              tooltip="augmented copies the heatmap is averaged over")
        self.color_by = ComboBox(label="colour atoms by", choices=self._color_choices, nullable=True)
        self.summary = wrapped_label()
        super().__init__(napari_viewer, controls=[self.input, self.pixel_size, self.model, self.axis, self.linear,
                                                  self.explain, self.target, self.cam_layer, self.variant, self.copies])
        self.extend([self.summary, self.color_by])
        self.prediction = self.explanation = None
        self.input.changed.connect(self._input_chosen)
        self.explain.changed.connect(self._explain_shown)
        self.color_by.changed.connect(self._recolor)
        self._input_chosen()
        self._explain_shown()

    # ------------------------------------------------------------------ layers
    def suitable_layers(self):
        return [lay for _, lay in input_choices(self.viewer.layers)]

    def _input_choices(self, widget=None):
        return input_choices(self.viewer.layers)

    def no_layer_message(self):
        return "open a structure or a micrograph to predict its failure"

    def _is_image(self, lay) -> bool:
        return lay is not None and lay.metadata.get(KEY, {}).get("glass") is None

    def _input_chosen(self, *_):
        lay = self.input.value
        self.pixel_size.visible = self._is_image(lay)
        if self._is_image(lay):
            calibrate(lay)
            if float(lay.scale[-1]) > 0:
                self.pixel_size.value = float(lay.scale[-1])

    def _explain_shown(self, *_):
        for w in (self.target, self.cam_layer, self.variant, self.copies):
            w.visible = bool(self.explain.value)

    def _atoms_layer(self):
        for lay in getattr(self, "result_layers", ()):
            if lay.metadata.get(KEY, {}).get("role") == "prediction_atoms" and lay in self.viewer.layers:
                return lay
        return None

    def _color_choices(self, widget=None):
        lay = self._atoms_layer()
        if lay is None:
            return []
        return [c for c in lay.features.columns if c.endswith("_probability") or c == "attribution"]

    def _recolor(self, *_):
        lay, name = self._atoms_layer(), self.color_by.value
        if lay is None or not name or name not in lay.features:
            return
        lay.face_color = name
        lay.refresh_colors()

    # ------------------------------------------------------------------ work
    def clear_result(self):
        self.summary.value = ""
        self.prediction = self.explanation = None

    def make_job(self):
        lay = self.input.value
        if lay is None:
            raise InputError("choose a structure or an image layer")
        obj = read_input(lay, self.viewer.layers, pixel_size=self.pixel_size.value if self._is_image(lay) else None)
        self._source, self._input = lay, obj
        explain = None
        if self.explain.value:
            explain = {"target": self.target.value, "variant": self.variant.value, "copies": int(self.copies.value),
                       "layer": None if self.cam_layer.value == AUTO_LAYER else self.cam_layer.value}
        periodic = not self._is_image(lay) and all(getattr(obj, "pbc", (False, False)))
        return predict_job(obj, self.model.model, axis=self.axis.value, explain=explain,
                           linear_response=bool(self.linear.value) and periodic)

    def on_result(self, result):
        prediction, explanation = result
        self.prediction, self.explanation = prediction, explanation
        lay, obj = self._source, self._input
        if self._is_image(lay):
            place_layer(lay, obj.pixel_size, corner=obj.origin)  # the pixel size that worked
        glass = None if self._is_image(lay) else obj
        group = input_key(lay)
        name = lay.name if self._is_image(lay) else self.input.current_choice.rsplit(" (", 1)[0]
        layers = self.replace_layers(prediction_layer_data(prediction, name=name, group=new_group(), glass=glass,
                                                           explanation=explanation), key=group)
        for new in layers:
            new.metadata[KEY]["source_group"] = group
        self.summary.value = prediction_text(prediction)
        self.color_by.reset_choices()
        self.status.value = "done" + (" (with Grad-CAM)" if explanation is not None else "")
