"""One registry of everything glassfail reads and writes, in the spirit of ASE's ``ase/io/formats.py``.

Each :class:`FileFormat` names a kind of data (``structure``, ``micrograph``, ``run``, ``rings``, ``dataset``,
``model``), how to recognise it (magic bytes or a marker file in a folder, then the extension), and one reader and
one writer given as ``"module:function"`` so that nothing heavy is imported until a file is actually read.
:func:`read` and :func:`write` dispatch through it; a file nobody can read is one :class:`UnknownFormatError`
naming the file and what glassfail reads.

>>> sorted({f.kind for f in formats()})
['dataset', 'micrograph', 'model', 'rings', 'run', 'structure']
>>> find_format("glass.extxyz", kind="structure", for_writing=True).name
'extxyz'
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..errors import StructureFileError

__all__ = ["FileFormat", "UnknownFormatError", "register", "formats", "find_format", "read", "write", "read_input",
           "KINDS"]

KINDS = ("structure", "micrograph", "run", "rings", "dataset", "model")


class UnknownFormatError(StructureFileError):
    """A file (or folder) whose format glassfail cannot tell, or cannot read or write."""


@dataclass(frozen=True)
class FileFormat:
    """One registered format.

    Attributes
    ----------
    name : str
        Unique name (``"extxyz"``, ``"tiff"``, ``"run"``...).
    kind : str
        One of :data:`KINDS`.
    extensions : tuple of str
        Lower-case suffixes with the dot; empty for folders.
    description : str
    reader, writer : str or None
        ``"module:function"`` (relative to ``glassfail_core``); the reader takes the path (and keywords), the writer
        the object, then the path.
    marker : str or None
        For a folder format: a file whose presence identifies it (``result.json``).
    magic : callable or None
        ``magic(head: bytes) -> bool`` on the first 4 kB of a file.
    options : tuple of (key, value)
        Keywords always passed to the reader and writer (e.g. ``format="lammps-data"``).
    path_first : bool
        The writer takes the path first (``write_run_result(run_dir, result)``).
    """

    name: str
    kind: str
    extensions: tuple = ()
    description: str = ""
    reader: Optional[str] = None
    writer: Optional[str] = None
    marker: Optional[str] = None
    magic: Optional[Callable[[bytes], bool]] = None
    options: tuple = ()
    path_first: bool = False

    def to_dict(self) -> dict:
        """JSON-ready description (``magic``: whether the format is recognised by its first bytes).

        >>> find_format("a.png", kind="micrograph").to_dict()["magic"]
        True
        """
        return {"name": self.name, "kind": self.kind, "extensions": list(self.extensions),
                "description": self.description, "reader": self.reader, "writer": self.writer,
                "marker": self.marker, "magic": self.magic is not None, "options": dict(self.options),
                "path_first": self.path_first}

    def function(self, which: str) -> Callable:
        ref = self.reader if which == "read" else self.writer
        if ref is None:
            raise UnknownFormatError(self.name, f"glassfail cannot {which} {self.description or self.name} files")
        module, func = ref.split(":")
        return getattr(importlib.import_module(f"glassfail_core.{module}"), func)


_FORMATS: dict = {}


def register(fmt: FileFormat) -> FileFormat:
    """Add ``fmt`` to the registry (a later registration under the same name replaces it)."""
    if fmt.kind not in KINDS:
        raise ValueError(f"unknown kind {fmt.kind!r}")
    _FORMATS[fmt.name] = fmt
    return fmt


def formats(kind: Optional[str] = None) -> list:
    """Registered formats (of one kind), in registration order."""
    return [f for f in _FORMATS.values() if kind is None or f.kind == kind]


def _describe(kind):
    names = sorted({e for f in formats(kind) for e in f.extensions} | {f"{f.name} folder" for f in formats(kind)
                                                                           if f.marker})
    return ", ".join(names)


def find_format(path, kind: Optional[str] = None, *, for_writing: bool = False, format: Optional[str] = None):
    """The :class:`FileFormat` of ``path``: by name when ``format`` is given, then (reading) a folder's marker file
    or the file's magic bytes, then the extension."""
    path = Path(path)
    if format is not None:
        fmt = _FORMATS.get(format)
        if fmt is None or (kind is not None and fmt.kind != kind):
            raise UnknownFormatError(path, f"unknown format {format!r}; choose from "
                                           f"{', '.join(f.name for f in formats(kind))}")
        return fmt
    candidates = formats(kind)
    if not for_writing:
        if path.is_dir():
            for f in candidates:
                if f.marker and (path / f.marker).is_file():
                    return f
            raise UnknownFormatError(path, f"not a folder glassfail reads (expected {_describe(kind)})")
        if path.is_file():
            try:
                with open(path, "rb") as fh:
                    head = fh.read(4096)
            except OSError as exc:
                raise StructureFileError(path, f"cannot open ({exc.strerror or exc})") from None
            for f in candidates:
                if f.magic is not None and head and f.magic(head):
                    return f
    suffix = path.suffix.lower()
    for f in candidates:
        if suffix and suffix in f.extensions and (not for_writing or f.writer is not None):
            return f
    if for_writing:
        for f in candidates:
            if f.marker and f.writer is not None and not suffix:
                return f
    raise UnknownFormatError(path, f"cannot tell the format from {suffix or 'the name'!r}; glassfail "
                                   f"{'writes' if for_writing else 'reads'} {_describe(kind)}")


def read(path, kind: Optional[str] = None, *, format: Optional[str] = None, **kwargs):
    """Read ``path`` with the registered reader of its format (see :func:`find_format`)."""
    fmt = find_format(path, kind, format=format)
    return fmt.function("read")(path, **dict(fmt.options), **kwargs)


def read_input(path, *, pixel_size=None):
    """``(kind, object)``: a structure (Glass) or a micrograph (Micrograph) — what prediction, explanation and batch
    processing take; anything else is an InputError naming what the file is."""
    from ..errors import InputError

    fmt = find_format(path)
    if fmt.kind == "micrograph":
        return "micrograph", read(path, "micrograph", pixel_size=pixel_size)
    if fmt.kind == "structure":
        return "structure", read(path, "structure")
    raise InputError(f"{Path(path).name} is a {fmt.kind}, not a structure or a micrograph")


def write(obj, path, kind: Optional[str] = None, *, format: Optional[str] = None, **kwargs):
    """Write ``obj`` to ``path`` with the registered writer of its format."""
    fmt = find_format(path, kind, for_writing=True, format=format)
    args = (path, obj) if fmt.path_first else (obj, path)
    return fmt.function("write")(*args, **dict(fmt.options), **kwargs)


# ---------------------------------------------------------------------------------------------------- formats
def _starts(*prefixes):
    return lambda head: any(head.startswith(p) for p in prefixes)


def _xyz_magic(extended: bool):
    def check(head: bytes) -> bool:
        lines = head.decode("utf-8", errors="replace").splitlines()
        return len(lines) >= 2 and lines[0].strip().isdigit() and (("lattice=" in lines[1].lower()) == extended)
    return check


for _f in (
    FileFormat("extxyz", "structure", (".extxyz",), "extended XYZ", "io.structures:read_structure",
               "io.structures:write_structure", magic=_xyz_magic(True), options=(("format", "extxyz"),)),
    FileFormat("xyz", "structure", (".xyz",), "XYZ", "io.structures:read_structure", "io.structures:write_structure",
               magic=_xyz_magic(False), options=(("format", "xyz"),)),
    FileFormat("lammps-data", "structure", (".data", ".lmp", ".lammps"), "LAMMPS data",
               "io.structures:read_structure", "io.structures:write_structure", options=(("format", "lammps-data"),)),
    FileFormat("lammps-dump", "structure", (".dump", ".lammpstrj"), "LAMMPS text dump",
               "io.structures:read_structure", magic=_starts(b"ITEM: TIMESTEP"), options=(("format", "lammps-dump"),)),
    FileFormat("tiff", "micrograph", (".tif", ".tiff"), "TIFF micrograph", "io.micrographs:read_micrograph",
               "io.micrographs:write_micrograph", magic=_starts(b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")),
    FileFormat("image", "micrograph", (".png", ".jpg", ".jpeg", ".bmp", ".gif"), "PNG/JPEG/BMP/GIF image",
               "io.micrographs:read_micrograph", "io.micrographs:write_micrograph",
               magic=_starts(b"\x89PNG", b"\xff\xd8\xff", b"BM", b"GIF8")),
    FileFormat("dm", "micrograph", (".dm3", ".dm4"), "Digital Micrograph", "io.micrographs:read_micrograph"),
    FileFormat("emd", "micrograph", (".emd",), "Velox/Berkeley EMD", "io.micrographs:read_micrograph"),
    FileFormat("tia", "micrograph", (".ser", ".emi"), "FEI TIA", "io.micrographs:read_micrograph"),
    FileFormat("run", "run", (), "AQS run folder", "io.runs:read_run_result", "io.runs:write_run_result",
               marker="result.json", path_first=True),
    FileFormat("rings-csv", "rings", (".csv",), "ring table (CSV)", None, "io.rings:write_rings_csv"),
    FileFormat("dataset", "dataset", (), "dataset folder", "dataset.load:load_dataset", marker="dataset.json"),
    FileFormat("model", "model", (), "model folder (safetensors + JSON config)", "learn.checkpoint:load_model",
               "learn.checkpoint:save_model", marker="config.json"),
):
    register(_f)
