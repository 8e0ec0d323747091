"""Controls and layer look-ups the widgets share: which layers are structures or images, the model choice, the
calibration of images napari opened itself, and asking for a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from magicgui.widgets import ComboBox, Container, FileEdit

from glassfail_core.errors import InputError

from .._layers import KEY, find_structure_layers, glass_from_layers, micrograph_from_layer
from .._layers.micrograph import calibrate_from_source

__all__ = ["ModelChoice", "input_key", "structure_choices", "image_layers", "input_choices", "base_name", "read_input",
           "calibrate", "ask_folder", "SHIPPED", "FOLDER"]

SHIPPED, FOLDER = "shipped default", "model folder"


def base_name(layer) -> str:
    """A structure's name without its role suffix (``"glass Si"`` → ``"glass"``); an image's name."""
    meta = layer.metadata.get(KEY, {})
    role = meta.get("role")
    if role in ("Si", "O") and layer.name.endswith(role):
        return layer.name[: -len(role)].rstrip() or layer.name
    return layer.name


def input_key(layer) -> str:
    """What identifies an input across runs: its structure group, or the layer itself for a plain image."""
    return layer.metadata.get(KEY, {}).get("group") or f"layer-{id(layer)}"


def structure_choices(layers) -> list:
    """``(name, layer)`` choices: one per structure (its first Si/O layer stands for the group)."""
    out, seen = [], set()
    for lay in find_structure_layers(layers):
        group = lay.metadata[KEY]["group"]
        if group not in seen:
            seen.add(group)
            out.append((base_name(lay), lay))
    return out


def image_layers(layers) -> list:
    """The 2-D Image layers (micrographs) among ``layers``, the plugin's own maps left out."""
    from napari.layers import Image

    return [lay for lay in layers if isinstance(lay, Image)
            and lay.metadata.get(KEY, {}).get("role", "micrograph") == "micrograph"]


def input_choices(layers) -> list:
    """``(label, layer)`` choices for a model's input: structures (detected atoms included), then images."""
    return ([(f"{name} (structure)", lay) for name, lay in structure_choices(layers)]
            + [(f"{lay.name} (image)", lay) for lay in image_layers(layers)])


def calibrate(layer) -> Optional[float]:
    """Give an image layer opened without its scale the calibration of its source file, with a notification;
    returns the pixel size set (None when nothing changed)."""
    ps = calibrate_from_source(layer)
    if ps is not None:
        from napari.utils.notifications import show_info

        show_info(f"{layer.name}: pixel size {ps:g} Å/px read from its file")
    return ps


def read_input(layer, layers, *, pixel_size: Optional[float] = None):
    """The Glass behind a structure layer, or the Micrograph of an image layer (at ``pixel_size`` Å/px, default the
    layer's; the layer itself is not rescaled)."""
    if layer is None:
        raise InputError("choose a structure or an image layer")
    if layer.metadata.get(KEY, {}).get("glass") is not None:
        return glass_from_layers(layer, layers)
    calibrate(layer)
    return micrograph_from_layer(layer, pixel_size=pixel_size, rescale=False)


class ModelChoice(Container):
    """The model a widget uses: the shipped default, or a model folder (made by ``glassfail train``)."""

    def __init__(self, label: str = "model"):
        self.source = ComboBox(label=label, choices=[SHIPPED, FOLDER], value=SHIPPED)
        self.folder = FileEdit(label="model folder", mode="d", visible=False)
        super().__init__(widgets=[self.source, self.folder], labels=True)
        self.margins = (0, 0, 0, 0)
        self.source.changed.connect(self._shown)

    def _shown(self, *_):
        self.folder.visible = self.source.value == FOLDER

    def set_folder(self, path) -> None:
        self.source.value = FOLDER
        self.folder.value = str(path)

    @property
    def model(self):
        """None for the shipped model, else the folder (checked to exist; the core checks it is a model)."""
        if self.source.value == SHIPPED:
            return None
        path = Path(str(self.folder.value or "")).expanduser()
        if not str(self.folder.value or "").strip() or str(path) == "." or not path.is_dir():
            raise InputError("choose a model folder (made by glassfail train), or the shipped default")
        return path


def ask_folder(parent, title: str) -> Optional[Path]:
    """A folder chosen in a dialog (None when cancelled)."""
    from qtpy.QtWidgets import QFileDialog

    path = QFileDialog.getExistingDirectory(parent, title)
    return Path(path) if path else None
