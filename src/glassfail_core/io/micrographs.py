"""Reading and writing micrographs: TIFF (tifffile), PNG/JPEG (imageio), and microscope formats (dm3/dm4, emd,
ser/emi) through RosettaSciIO, always ending in a calibrated :class:`~glassfail_core.micrograph.Micrograph`.

Calibration (Å/px) is taken, in this order, from an explicit ``pixel_size=``, glassfail's own metadata (TIFFs
written by :func:`write_micrograph`), ImageJ metadata (``unit`` + resolution tags), TIFF resolution tags in
centimetres, or a microscope file's axes. A file without usable calibration and no ``pixel_size=`` is an
:class:`~glassfail_core.errors.InputError` that says so.
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from pathlib import Path

import numpy as np

from .._atomic import atomic_path, json_default
from ..errors import GlassfailWarning, InputError, StructureFileError
from ..micrograph.image import Micrograph

__all__ = ["read_micrograph", "write_micrograph", "count_frames", "iter_micrographs", "MICROGRAPH_FORMATS",
           "LENGTH_UNITS_IN_A"]

#: Extension → reader family.
MICROGRAPH_FORMATS = {
    ".tif": "tiff", ".tiff": "tiff",
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".bmp": "image", ".gif": "image",
    ".dm3": "dm", ".dm4": "dm", ".emd": "emd", ".ser": "tia", ".emi": "tia",
}
#: Length units understood in calibrations → Å.
LENGTH_UNITS_IN_A = {
    "å": 1.0, "a": 1.0, "angstrom": 1.0, "angstroms": 1.0, "ang": 1.0, "\u212b": 1.0,
    "pm": 0.01, "nm": 10.0, "µm": 1e4, "\u03bcm": 1e4, "um": 1e4, "micron": 1e4, "microns": 1e4, "mm": 1e7,
    "cm": 1e8, "m": 1e10,
}
_META_KEY = "glassfail"
#: A calibration giving pixels larger than this (Å) is treated as a display resolution (dpi), not a calibration.
_MAX_CALIBRATED_PIXEL = 100.0


def _unit_to_a(unit):
    if unit is None:
        return None
    u = str(unit).strip().lower().replace("\\u00b5", "µ").replace("\\u00c5", "å")
    return LENGTH_UNITS_IN_A.get(u)


def _why(exc, named=True) -> str:
    """A library's exception as one short line (their messages can span lines: hints, listings of plugins)."""
    text = " ".join(str(exc).split())
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if named else (text or type(exc).__name__)


def _family(path: Path) -> str:
    fam = MICROGRAPH_FORMATS.get(path.suffix.lower())
    if fam is None:
        raise StructureFileError(
            path, f"unknown micrograph format {path.suffix or '(no extension)'!r}; "
                  f"glassfail reads {', '.join(sorted(MICROGRAPH_FORMATS))}")
    return fam


# ---------------------------------------------------------------------------------------------------- readers
# Each reader returns (frames, pixel_size_A or None, origin or None, info): frames is a (K, H, W[, C]) array or a
# list of 2D arrays; a trailing colour axis is flagged in info["rgb"].

@contextlib.contextmanager
def _quiet_logger(name):
    """Silence a library's logger (tifffile logs its own complaint about a damaged file before raising; the user
    gets our one-line error instead)."""
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        log.setLevel(level)


def _read_tiff(path):
    import tifffile

    try:
        with _quiet_logger("tifffile"), tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            data = series.asarray()
            page = tif.pages[0]
            ij = tif.imagej_metadata or {}
            axes = series.axes
            photometric = int(page.photometric) if page.photometric is not None else None
            spp = int(page.samplesperpixel)
            res = page.resolution
            resunit = int(page.resolutionunit) if page.resolutionunit is not None else 1
    except (tifffile.TiffFileError, ValueError, OSError, EOFError, KeyError, IndexError, TypeError) as exc:
        raise StructureFileError(path, f"not a readable TIFF (truncated or corrupt?): {_why(exc, named=False)}") from None
    except Exception as exc:  # tifffile raises assorted errors on damaged files
        raise StructureFileError(path, f"not a readable TIFF: {_why(exc)}") from None
    info = {"format": "tiff", "axes": axes}
    ps, origin = None, None
    meta = ij.get(_META_KEY)
    if meta:
        try:
            m = json.loads(meta)
            ps = float(m["pixel_size"])
            origin = tuple(m.get("origin", (0.0, 0.0)))
            info.update(m.get("info", {}))
            info["format"] = "tiff"
        except (ValueError, KeyError, TypeError):
            warnings.warn(f"{path}: glassfail metadata in the TIFF is damaged; ignored", GlassfailWarning, stacklevel=3)
            ps = None
    if ps is None and res and res[0] > 0:
        scale = None
        if ij.get("unit") is not None:
            scale = _unit_to_a(ij.get("unit"))
            if scale is None:
                info.setdefault("notes", []).append(f"ImageJ unit {ij.get('unit')!r} is not a length; calibration ignored")
        elif resunit == 3:  # centimetre
            scale = 1e8
        elif resunit == 2:  # inch
            scale = 2.54e8
        if scale is not None:
            cand = scale / float(res[0])
            if abs(res[0] - res[1]) > 1e-6 * abs(res[0]):
                raise StructureFileError(path, f"pixels are not square (resolution {res[0]:g} × {res[1]:g} per unit)")
            if cand <= _MAX_CALIBRATED_PIXEL:
                ps = cand
            else:
                info.setdefault("notes", []).append(
                    f"resolution tags give {cand:.3g} Å/px, a display resolution rather than a calibration; ignored")
    rgb = spp in (3, 4) and data.ndim >= 3 and data.shape[-1] == spp and photometric == 2
    info["rgb"] = bool(rgb)
    return data, ps, origin, info


def _read_image(path):
    import imageio.v3 as iio

    try:
        data = np.asarray(iio.imread(path, index=None))
    except Exception as exc:
        raise StructureFileError(path, f"not a readable {path.suffix.lstrip('.').upper()} image (truncated or corrupt?): "
                                       f"{_why(exc)}") from None
    rgb = data.ndim >= 3 and data.shape[-1] in (3, 4)
    return data, None, None, {"format": path.suffix.lstrip(".").lower(), "rgb": bool(rgb)}


def _read_rsciio(path, family):
    try:
        if family == "dm":
            from rsciio.digitalmicrograph import file_reader
        elif family == "emd":
            try:
                import h5py  # noqa: F401
            except ImportError:
                raise StructureFileError(path, "reading .emd files needs the h5py package (pip install h5py)") from None
            from rsciio.emd import file_reader
        else:
            from rsciio.tia import file_reader
    except ImportError as exc:  # pragma: no cover - rosettasciio is a dependency
        raise StructureFileError(path, f"RosettaSciIO is needed to read {path.suffix} files: {exc}") from None
    try:
        items = file_reader(str(path))
    except StructureFileError:
        raise
    except Exception as exc:
        raise StructureFileError(path, f"not a readable {path.suffix} file (truncated or corrupt?): "
                                       f"{_why(exc)}") from None
    images = [d for d in items if np.asarray(d.get("data")).ndim >= 2
              and sum(not a.get("navigate", False) for a in d.get("axes", [])) == 2]
    if not images:
        raise StructureFileError(path, "holds no 2D image (spectra or diffraction data only?)")
    d = images[0]
    data = np.asarray(d["data"])
    axes = d["axes"]
    sig = [a for a in axes if not a.get("navigate", False)]
    info = {"format": family, "title": str(d.get("metadata", {}).get("General", {}).get("title", ""))}
    if len(images) > 1:
        info.setdefault("notes", []).append(f"file holds {len(images)} images; the first was read")
    ps, origin = None, None
    scales = []
    for a in sig:
        unit_scale = _unit_to_a(a.get("units"))
        if unit_scale is None or not a.get("scale"):
            scales = None
            if a.get("units") not in (None, "", "<undefined>", "px", "pixels"):
                info.setdefault("notes", []).append(f"axis unit {a.get('units')!r} is not a length; calibration ignored")
            break
        scales.append((float(a["scale"]) * unit_scale, float(a.get("offset", 0.0)) * unit_scale))
    if scales:
        (sy, oy), (sx, ox) = scales[0], scales[1]
        if abs(sx - sy) > 1e-6 * abs(sx):
            raise StructureFileError(path, f"pixels are not square ({sx:g} × {sy:g} Å)")
        ps = abs(sx)
        origin = (ox, oy)  # the axis offset is taken as the image's top-left corner (0 in most files)
    info["rgb"] = False
    return data, ps, origin, info


def _load(path):
    path = Path(path)
    if not path.exists():
        raise StructureFileError(path, "no such file")
    if path.is_dir():
        raise StructureFileError(path, "is a folder, not an image")
    if path.stat().st_size == 0:
        raise StructureFileError(path, "the file is empty")
    fam = _family(path)
    if fam == "tiff":
        return _read_tiff(path)
    if fam == "image":
        return _read_image(path)
    return _read_rsciio(path, fam)


def _to_grey(data, info):
    if info.get("rgb"):
        data = np.asarray(data, dtype=np.float32)
        rgb = data[..., :3]
        grey = rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
        info.setdefault("notes", []).append("colour image converted to grey (luminance 0.2126 R + 0.7152 G + 0.0722 B)")
        return grey
    return data


def _frames_view(path, data, info):
    """Split ``data`` (grey) into a (K, H, W) view without copying."""
    data = np.asarray(data)
    if data.ndim == 2:
        return data[None]
    if data.ndim == 3:
        return data
    if data.ndim > 3:  # hyperstacks (time, z, channel...): every 2D plane is a frame
        return data.reshape((-1,) + data.shape[-2:])
    raise StructureFileError(path, f"holds no 2D image (shape {data.shape})")


def count_frames(path) -> int:
    """Number of 2D frames in an image file (1 for a plain image)."""
    data, _, _, info = _load(path)
    return len(_frames_view(path, _to_grey(data, info), info))


def _make(path, frames, k, ps_file, origin, info, pixel_size):
    path = Path(path)
    if not (-len(frames) <= k < len(frames)):
        raise InputError(f"frame {k} is out of range: {path} holds {len(frames)} frame(s) (0..{len(frames) - 1})")
    k = k % len(frames)
    info = dict(info)
    info["source"] = str(path)
    if len(frames) > 1:
        info["frame"] = int(k)
        info["n_frames"] = len(frames)
    if pixel_size is not None:
        try:
            ps = float(pixel_size)
        except (TypeError, ValueError):
            raise InputError(f"pixel_size must be a number (Å/px), got {pixel_size!r}") from None
        if not ps > 0 or not np.isfinite(ps):
            raise InputError(f"pixel_size must be positive (Å/px), got {pixel_size!r}")
        if ps_file is not None and abs(ps - ps_file) > 1e-3 * ps_file:
            info.setdefault("notes", []).append(
                f"pixel size {ps:g} Å/px given; the file's calibration ({ps_file:.5g} Å/px) was overridden")
        info["calibration"] = "given"
        origin = (0.0, 0.0) if origin is None else origin
    elif ps_file is not None:
        ps = ps_file
        info["calibration"] = "file"
    else:
        raise InputError(
            f"{path}: the image has no pixel-size calibration; give the pixel size in Å/px "
            f"(pixel_size=..., or --pixel-size on the command line)")
    img = frames[k]
    if img.ndim != 2:
        raise StructureFileError(path, f"frame {k} is not a 2D image (shape {img.shape})")
    return Micrograph(np.asarray(img, dtype=np.float32), ps, origin if origin is not None else (0.0, 0.0), info)


def read_micrograph(path, *, pixel_size=None, frame=None) -> Micrograph:
    """Read one calibrated micrograph from an image or microscope file.

    Parameters
    ----------
    path : str or Path
        ``.tif/.tiff``, ``.png/.jpg``, ``.dm3/.dm4``, ``.emd`` (needs h5py) or ``.ser``.
    pixel_size : float, optional
        Pixel size in Å/px; required when the file carries no calibration, and overrides it otherwise (a note is
        kept in ``info["notes"]``).
    frame : int, optional
        Frame of a stack (0-based; negative counts from the end). Required for files with several frames.

    Returns
    -------
    Micrograph
        ``info`` holds ``source``, ``format``, ``calibration`` ("file" or "given"), ``frame`` for stacks, and
        ``notes`` (colour → grey conversion, ignored calibrations...).

    Raises
    ------
    StructureFileError
        Missing, empty, unknown, truncated or unreadable file.
    InputError
        No calibration and no ``pixel_size``; a stack without ``frame``; a frame out of range.

    Examples
    --------
    >>> import tempfile, os
    >>> m = Micrograph(np.arange(12.0).reshape(3, 4), pixel_size=0.32)
    >>> p = os.path.join(tempfile.mkdtemp(), "m.tif")
    >>> _ = write_micrograph(m, p)
    >>> r = read_micrograph(p)
    >>> r.pixel_size, r.shape
    (0.32, (3, 4))
    """
    data, ps_file, origin, info = _load(path)
    frames = _frames_view(path, _to_grey(data, info), info)
    if frame is None:
        if len(frames) > 1:
            raise InputError(f"{path} holds {len(frames)} frames; choose one with frame= (--frame), 0..{len(frames) - 1}")
        frame = 0
    if int(frame) != frame:
        raise InputError(f"frame must be an integer, got {frame!r}")
    return _make(path, frames, int(frame), ps_file, origin, info, pixel_size)


def iter_micrographs(path, *, pixel_size=None):
    """Each frame of a file in turn, as Micrographs (a plain image gives one)."""
    data, ps_file, origin, info = _load(path)
    frames = _frames_view(path, _to_grey(data, info), info)
    for k in range(len(frames)):
        yield _make(path, frames, k, ps_file, origin, info, pixel_size)


def write_micrograph(micrograph: Micrograph, path) -> Path:
    """Write a micrograph as a float32 ImageJ TIFF that reads back calibrated (by glassfail, ImageJ/Fiji, napari).

    The pixel size goes into the resolution tags (pixels per nm, ImageJ ``unit=nm``); the exact pixel size, origin
    and ``info`` also go into ImageJ metadata under ``glassfail`` (JSON). The write is atomic.

    Parameters
    ----------
    micrograph : Micrograph
    path : str or Path
        Must end in ``.tif`` or ``.tiff``.

    Returns
    -------
    Path
    """
    import tifffile

    path = Path(path)
    if not isinstance(micrograph, Micrograph):
        raise InputError(f"micrograph must be a Micrograph, got {type(micrograph).__name__}")
    if path.suffix.lower() not in (".tif", ".tiff"):
        raise StructureFileError(path, "micrographs are written as TIFF; use a .tif or .tiff name")
    ps = micrograph.pixel_size
    meta = {"pixel_size": ps, "origin": list(micrograph.origin), "info": dict(micrograph.info)}
    try:
        meta_json = json.dumps(meta, default=json_default)
    except TypeError as exc:
        raise InputError(f"micrograph info is not JSON-serialisable: {exc}") from None
    per_nm = 10.0 / ps
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, np.asarray(micrograph.image, dtype=np.float32), imagej=True,
                         resolution=(per_nm, per_nm), metadata={"unit": "nm", _META_KEY: meta_json})
    return path
