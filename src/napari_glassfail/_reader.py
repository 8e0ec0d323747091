"""npe2 readers: structure files → atoms, rings and cell layers; microscope files → an Image layer in Å.

tif/png stay with napari's own reader; the widgets accept any Image layer and give a TIFF opened that way the
calibration of its file. Warnings of the core's readers reach the user as napari notifications.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

from glassfail_core.errors import GlassfailError

__all__ = ["get_structure_reader", "get_micrograph_reader", "read_structure_layers", "read_micrograph_layers",
           "warnings_as_notifications", "STRUCTURE_SUFFIXES", "MICROGRAPH_SUFFIXES"]

STRUCTURE_SUFFIXES = (".extxyz", ".xyz", ".data", ".lmp", ".lammps", ".dump", ".lammpstrj")
MICROGRAPH_SUFFIXES = (".dm3", ".dm4", ".emd", ".ser")
#: Suffixes other programs use too: claimed only when the content is a LAMMPS file.
GENERIC_SUFFIXES = (".data", ".lmp", ".lammps")


def _single_path(path):
    if isinstance(path, (list, tuple)):
        if len(path) != 1:
            return None
        path = path[0]
    return Path(path)


def get_structure_reader(path):
    """Return :func:`read_structure_layers` when ``path`` is a structure file glassfail can read, else None."""
    p = _single_path(path)
    if p is None or p.suffix.lower() not in STRUCTURE_SUFFIXES or not p.is_file():
        return None
    from glassfail_core.io import guess_format

    try:
        fmt = guess_format(p)
    except GlassfailError:
        return None
    if p.suffix.lower() in GENERIC_SUFFIXES and not _looks_like_lammps(p, fmt):
        return None  # a ".data" file that is not a structure: leave it to other readers
    return read_structure_layers


def _looks_like_lammps(p: Path, fmt: str) -> bool:
    if fmt == "lammps-dump":
        return True
    try:
        head = p.read_bytes()[:4096].decode("utf-8", errors="replace")
    except OSError:
        return False
    return " atoms" in head and ("xlo xhi" in head or "atom types" in head)


@contextlib.contextmanager
def warnings_as_notifications():
    """Show the warnings raised inside (a cell inferred, over-coordinated Si, rings not drawn…) as napari warning
    notifications, once each, instead of letting them vanish in the terminal."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    seen = set()
    for w in caught:
        text = str(w.message)
        if text in seen or issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        seen.add(text)
        from napari.utils.notifications import show_warning

        show_warning(text)


def read_structure_layers(path) -> list:
    """Layers of a structure file: cell outline, ring polygons (coloured by size), O and Si points.

    Errors are raised with glassfail's one-line message (napari shows them as a notification); warnings become
    napari notifications.
    """
    from glassfail_core.io import read_structure

    from ._layers import glass_layer_data

    p = _single_path(path)
    with warnings_as_notifications():
        glass = read_structure(p)
        return glass_layer_data(glass, name=p.stem)


def get_micrograph_reader(path):
    """Return :func:`read_micrograph_layers` for dm3/dm4/emd/ser files, else None."""
    p = _single_path(path)
    if p is None or p.suffix.lower() not in MICROGRAPH_SUFFIXES or not p.is_file():
        return None
    return read_micrograph_layers


def read_micrograph_layers(path) -> list:
    """An Image layer of a microscope file, with its scale in Å from the file's calibration."""
    from glassfail_core.micrograph import read_micrograph

    from ._layers import micrograph_layer_data

    p = _single_path(path)
    with warnings_as_notifications():
        micrograph = read_micrograph(p)
    return [micrograph_layer_data(micrograph, name=p.stem)]
