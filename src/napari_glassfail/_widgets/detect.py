"""Detect atoms & rings: on any Image layer, find the atoms (``glassfail_core.micrograph.detect``), then
the rings (``glassfail_core.rings``); adds Points and ring Shapes layers and shows p(n) and μ2.

A TIFF opened by napari's own reader (at scale 1) gets the calibration of its file; the pixel size used is stamped
on the image only when the detection succeeded; a scale-check error offers the pixel size the image suggests as
one click; a re-run replaces the layers of the previous run on the same image.
"""

from __future__ import annotations

from magicgui.widgets import ComboBox, FloatSpinBox, Label, PushButton

from glassfail_core.workflows import detect_rings_steps

from .._layers import KEY, glass_layer_data, micrograph_from_layer, ring_stats_text
from .._layers.micrograph import place_layer
from .._layers.rings import ring_legend_html
from ._base import JobWidget, wrapped_label
from ._export import export_rings, export_with_dialog
from ._inputs import calibrate, image_layers, input_key

__all__ = ["DetectWidget", "detect_job", "SPECIES_MODES", "POLARITIES"]

#: Label shown → ``species`` argument of detect.
SPECIES_MODES = {"auto": "auto", "Si and O": "si-o", "Si only (O at bond midpoints)": "si-only"}
#: Label shown → ``invert`` argument (None = decide from the image).
POLARITIES = {"auto": None, "bright atoms": False, "dark atoms": True}


#: The Detect work: the core's detect-then-rings workflow (returns a ``Detection``).
detect_job = detect_rings_steps


class DetectWidget(JobWidget):
    """Dock widget: Detect atoms & rings on an Image layer."""

    run_text = "Detect"
    description = "detecting atoms and rings"

    def __init__(self, napari_viewer):
        self.viewer = napari_viewer  # the layer choices below are evaluated at construction
        self.image = ComboBox(label="image", choices=self._image_choices, nullable=False)
        self.pixel_size = FloatSpinBox(label="pixel size (Å/px)", min=0.001, max=100.0, step=0.001, value=0.32)
        self.species = ComboBox(label="species", choices=list(SPECIES_MODES), value="auto")
        self.polarity = ComboBox(label="polarity", choices=list(POLARITIES), value="auto")
        self.sensitivity = FloatSpinBox(label="sensitivity", min=0.1, max=10.0, step=0.1, value=1.0,
                                        tooltip="higher finds fainter spots (threshold = 5 / sensitivity noise σ)")
        self.stats = wrapped_label()
        self.legend = Label(value="")
        self.legend.native.setTextFormat(1)  # Qt.RichText
        self.export_button = PushButton(text="Export ring statistics (CSV, JSON)…", enabled=False)
        super().__init__(napari_viewer, controls=[self.image, self.pixel_size, self.species, self.polarity,
                                                  self.sensitivity])
        self.extend([self.stats, self.legend, self.export_button])
        self.result = None
        self.image.changed.connect(self._prefill_pixel_size)
        self.export_button.changed.connect(self._export_clicked)
        self._prefill_pixel_size()

    # ------------------------------------------------------------------ layers
    def suitable_layers(self):
        return image_layers(self.viewer.layers)

    def _image_choices(self, widget=None):
        return [(lay.name, lay) for lay in self.suitable_layers()]

    def no_layer_message(self):
        return "open an image (micrograph) to detect atoms"

    def _prefill_pixel_size(self, *_):
        lay = self.image.value
        if lay is not None:
            calibrate(lay)  # a calibrated TIFF opened by napari's reader: its file's pixel size
            ps = float(lay.scale[-1])
            if ps > 0:
                self.pixel_size.value = ps

    # ------------------------------------------------------------------ work
    def clear_result(self):
        self.stats.value = ""
        self.legend.value = ""
        self.result = None
        self.export_button.enabled = False

    def make_job(self):
        from glassfail_core.errors import InputError

        lay = self.image.value
        if lay is None:
            raise InputError("choose an image layer")
        # the layer keeps its scale until the detection succeeded at this pixel size
        micrograph = micrograph_from_layer(lay, pixel_size=self.pixel_size.value, rescale=False)
        self._source, self._micrograph = lay, micrograph
        return detect_job(micrograph, species=SPECIES_MODES[self.species.value],
                          invert=POLARITIES[self.polarity.value], sensitivity=float(self.sensitivity.value))

    def on_result(self, result):
        glass, ringset = result.glass, result.ringset
        source = self._source
        place_layer(source, self._micrograph.pixel_size, corner=self._micrograph.origin)
        if len(glass) == 0:
            self.remove_result_layers(input_key(source))
            self.status.value = "no atoms found (try a higher sensitivity or the other polarity)"
            return
        self.result = result
        name = f"{source.name} atoms"
        layers = self.replace_layers(glass_layer_data(glass, name=name, rings=ringset), key=input_key(source))
        for lay in layers:
            lay.metadata[KEY]["source_image"] = source.name
        self.stats.value = ring_stats_text(ringset) if ringset is not None else result.rings_note
        if ringset is not None and len(ringset.sizes):
            self.legend.value = ring_legend_html()
            self.export_button.enabled = True
        n_rings = f"{len(ringset.sizes)} rings" if ringset is not None else "no rings"
        inferred = int(glass.arrays["inferred"].sum()) if "inferred" in glass.arrays else 0
        note = f"; {inferred} O placed by geometry (crosses)" if inferred else ""
        self.status.value = (f"{len(glass)} atoms ({glass.n_si} Si, {glass.n_o} O), {n_rings}{note}; "
                             "markers coloured by confidence")

    # ------------------------------------------------------------------ export
    def export(self, folder) -> list:
        """Write the ring table and statistics of the last detection into ``folder``; returns the paths."""
        from glassfail_core.errors import InputError

        if self.result is None or self.result.ringset is None:
            raise InputError("detect atoms and rings first")
        return export_rings(self.result.ringset, folder, f"{self._source.name} atoms")

    def _export_clicked(self, *_):
        export_with_dialog(self.native, "Folder for the ring statistics", self.export)
