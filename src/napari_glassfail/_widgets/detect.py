"""Detect atoms & rings: on any Image layer, find the atoms (``glassfail_core.micrograph.detect``), then
the rings (``glassfail_core.rings``); adds Points and ring Shapes layers and shows p(n) and μ2."""

from __future__ import annotations

from magicgui.widgets import ComboBox, FloatSpinBox, Label

from glassfail_core.workflows import detect_rings_steps

from .._layers import KEY, glass_layer_data, micrograph_from_layer, ring_stats_text
from ._base import JobWidget

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
        self.pixel_size = FloatSpinBox(label="pixel size (Å/px)", min=0.001, max=100.0, step=0.01, value=0.32)
        self.species = ComboBox(label="species", choices=list(SPECIES_MODES), value="auto")
        self.polarity = ComboBox(label="polarity", choices=list(POLARITIES), value="auto")
        self.sensitivity = FloatSpinBox(label="sensitivity", min=0.1, max=10.0, step=0.1, value=1.0,
                                        tooltip="higher finds fainter spots (threshold = 5 / sensitivity noise σ)")
        self.stats = Label(value="")
        super().__init__(napari_viewer, controls=[self.image, self.pixel_size, self.species, self.polarity,
                                                  self.sensitivity])
        self.append(self.stats)
        self.image.changed.connect(self._prefill_pixel_size)
        self._prefill_pixel_size()

    # ------------------------------------------------------------------ layers
    def suitable_layers(self):
        from napari.layers import Image

        return [lay for lay in self.viewer.layers if isinstance(lay, Image)]

    def _image_choices(self, widget=None):
        return [(lay.name, lay) for lay in self.suitable_layers()]

    def no_layer_message(self):
        return "open an image (micrograph) to detect atoms"

    def _prefill_pixel_size(self, *_):
        lay = self.image.value
        if lay is not None:
            ps = float(lay.scale[-1])
            if ps > 0:
                self.pixel_size.value = ps

    # ------------------------------------------------------------------ work
    def make_job(self):
        from glassfail_core.errors import InputError

        lay = self.image.value
        if lay is None:
            raise InputError("choose an image layer")
        micrograph = micrograph_from_layer(lay, pixel_size=self.pixel_size.value)
        self._source = lay
        return detect_job(micrograph, species=SPECIES_MODES[self.species.value],
                          invert=POLARITIES[self.polarity.value], sensitivity=float(self.sensitivity.value))

    def on_result(self, result):
        glass, ringset = result.glass, result.ringset
        if len(glass) == 0:
            self.stats.value = ""
            self.status.value = "no atoms found (try a higher sensitivity or the other polarity)"
            return
        name = f"{self._source.name} atoms"
        self.result_layers = self.add_layers(glass_layer_data(glass, name=name, rings=ringset))
        for lay in self.result_layers:
            lay.metadata[KEY]["source_image"] = self._source.name
        self.stats.value = ring_stats_text(ringset) if ringset is not None else result.rings_note
        n_rings = f"{len(ringset.sizes)} rings" if ringset is not None else "no rings"
        self.status.value = f"{len(glass)} atoms ({glass.n_si} Si, {glass.n_o} O), {n_rings}"
