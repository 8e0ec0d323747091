"""Structure files ↔ :class:`~glassfail_core.glass.Glass`, through ASE wherever ASE has the format.

Formats (name: extensions)

============== ===================== ======= ======= ==================================================
name           extensions            read    write   notes
============== ===================== ======= ======= ==================================================
extxyz         .extxyz, .xyz*        yes     yes     cell, pbc, per-atom arrays and metadata round-trip
xyz            .xyz                  yes     yes     no cell: give ``cell=`` or it is inferred (warning)
lammps-data    .data, .lmp, .lammps  yes     yes     atom types → species by masses or ``type_map``
lammps-dump    .dump, .lammpstrj     yes     no      text dumps; ``frame=`` picks the frame (default 0)
============== ===================== ======= ======= ==================================================

``*.xyz`` files are read as extended XYZ when their comment line has a ``Lattice=`` key, as plain XYZ otherwise.

3D structures (the reference study's SiO2 bilayers) are projected to their top layer by default: the atoms whose
height is above the mid-plane by more than half the height of the upper Si layer, so that the bridging O of the
mid-plane (which belong to both layers) are dropped and a 3,456-atom bilayer gives the 1,440-atom top layer
(576 Si + 864 O). ``layer="bottom"`` takes the mirror selection, ``layer="all"`` keeps every atom (projected).
The choice is recorded in ``glass.info["projection"]``.
"""

from __future__ import annotations

import io as _io
import json
import warnings
from pathlib import Path

import numpy as np

from ..errors import GlassfailWarning, StructureError, StructureFileError
from ..glass import MASSES, Glass
from .announced import check_announced_sizes

__all__ = ["read_structure", "write_structure", "STRUCTURE_FORMATS", "guess_format"]

META_KEY = "glassfail_json"
LZ = 20.0  # height of the cell given to ASE/LAMMPS for 2D structures (Å)

STRUCTURE_FORMATS = {
    "extxyz": {"ext": (".extxyz",), "read": True, "write": True},
    "xyz": {"ext": (".xyz",), "read": True, "write": True},
    "lammps-data": {"ext": (".data", ".lmp", ".lammps"), "read": True, "write": True},
    "lammps-dump": {"ext": (".dump", ".lammpstrj"), "read": True, "write": False},
}


def guess_format(path) -> str:
    """Format name of a structure file, from its first bytes, then its extension.

    Raises
    ------
    StructureFileError
        When the format cannot be told.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise StructureFileError(path, f"cannot open ({exc.strerror or exc})") from None
    if not head.strip():
        raise StructureFileError(path, "the file is empty")
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if text.startswith("ITEM: TIMESTEP") or "ITEM: NUMBER OF ATOMS" in text:
        return "lammps-dump"
    if len(lines) >= 2 and lines[0].strip().isdigit():
        return "extxyz" if "lattice=" in lines[1].lower() else "xyz"
    if any(k in text for k in (" atoms\n", " atom types\n", " xlo xhi")):
        return "lammps-data"
    suffix = path.suffix.lower()
    for name, spec in STRUCTURE_FORMATS.items():
        if suffix in spec["ext"]:
            return name
    raise StructureFileError(
        path, "unknown structure format (expected extxyz, xyz, LAMMPS data or LAMMPS dump)"
    )


def _format_from_name(path, format):
    if format is not None:
        if format not in STRUCTURE_FORMATS:
            raise StructureFileError(path, f"unknown format {format!r}; choose from {sorted(STRUCTURE_FORMATS)}")
        return format
    suffix = Path(path).suffix.lower()
    for name, spec in STRUCTURE_FORMATS.items():
        if suffix in spec["ext"]:
            return "extxyz" if name == "xyz" else name
    raise StructureFileError(
        path, f"cannot tell the format from the extension {suffix or '(none)'!r}; "
        f"use one of {sorted(e for s in STRUCTURE_FORMATS.values() if s['write'] for e in s['ext'])}"
    )


def _quote(text: str) -> str:
    """Make JSON safe inside an extxyz comment value (ASE does not round-trip escaped quotes)."""
    for a, b in (("%", "%25"), ('"', "%22"), ("\\", "%5C"), ("\n", "%0A"), ("=", "%3D")):
        text = text.replace(a, b)
    return text


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


# ---------------------------------------------------------------------------------------------------- reading
def read_structure(path, *, format=None, cell=None, pbc=None, layer="top", type_map=None, frame=0) -> Glass:
    """Read a structure file into a :class:`Glass`.

    Parameters
    ----------
    path : str or Path
    format : str, optional
        One of :data:`STRUCTURE_FORMATS`; guessed from the content and extension when omitted.
    cell : (Lx, Ly), optional
        Cell in Å for files without one (plain XYZ). Overrides the file's cell otherwise.
    pbc : bool or (2,) bools, optional
        Periodicity; default: the file's, or non-periodic for plain XYZ.
    layer : {"top", "bottom", "all"}
        Which layer of a 3D bilayer to keep (see the module docstring).
    type_map : dict, optional
        LAMMPS atom type → species, e.g. ``{1: "Si", 2: "O"}``. Default: from the masses in the file, or
        ``{1: "Si", 2: "O"}`` when there are none.
    frame : int
        Frame of a multi-frame file (default: the first).

    Raises
    ------
    StructureFileError
        Unreadable, broken or unsupported file (the message names the file and the problem).
    """
    path = Path(path)
    if layer not in ("top", "bottom", "all"):
        raise StructureError(f"layer must be 'top', 'bottom' or 'all', got {layer!r}")
    if not path.exists():
        raise StructureFileError(path, "no such file")
    if path.is_dir():
        raise StructureFileError(path, "is a folder, not a structure file")
    fmt = format or guess_format(path)
    if fmt not in STRUCTURE_FORMATS:
        raise StructureFileError(path, f"unknown format {fmt!r}; choose from {sorted(STRUCTURE_FORMATS)}")
    check_announced_sizes(path, fmt)
    try:
        atoms = _ase_read(path, fmt, frame)
    except StructureFileError:
        raise
    except Exception as exc:  # ASE raises many kinds of errors on broken files
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StructureFileError(path, f"not a valid {fmt} file ({msg})") from None
    if len(atoms) == 0:
        raise StructureFileError(path, "contains no atoms")
    try:
        return _atoms_to_glass(atoms, path, fmt, cell=cell, pbc=pbc, layer=layer, type_map=type_map)
    except StructureFileError:
        raise
    except StructureError as exc:
        raise StructureFileError(path, str(exc)) from None


def _ase_read(path, fmt, frame):
    import ase.io

    if fmt == "extxyz":
        return ase.io.read(path, index=frame, format="extxyz")
    if fmt == "xyz":
        return ase.io.read(path, index=frame, format="xyz")
    if fmt == "lammps-data":
        text = path.read_text(errors="replace")
        style = _lammps_atom_style(text)
        return ase.io.read(path, format="lammps-data", atom_style=style, units="metal")
    if fmt == "lammps-dump":
        return ase.io.read(path, index=frame, format="lammps-dump-text")
    raise AssertionError(fmt)


def _lammps_atom_style(text):
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("Atoms"):
            if "#" in s:
                return s.split("#", 1)[1].strip().split()[0]
            break
    # No style comment: guess from the number of columns of the first atom line.
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.strip().startswith("Atoms"):
            for row in lines[k + 1:]:
                if row.strip():
                    ncol = len(row.split("#")[0].split())
                    return {5: "atomic", 8: "atomic", 6: "charge", 9: "charge", 7: "full", 10: "full"}.get(ncol, "atomic")
    return "atomic"


def _lammps_data_origin(path):
    lo = [0.0, 0.0]
    with open(path, errors="replace") as fh:
        for line in fh:
            parts = line.split("#")[0].split()
            if len(parts) == 4 and parts[2:] in (["xlo", "xhi"], ["ylo", "yhi"]):
                lo[0 if parts[2] == "xlo" else 1] = float(parts[0])
            if line.strip().startswith(("Atoms", "Masses")):
                break
    return np.array(lo)


def _species_from_atoms(atoms, path, fmt, type_map):
    numbers = atoms.get_atomic_numbers()
    if fmt in ("lammps-data", "lammps-dump"):
        types = atoms.arrays["type"] if "type" in atoms.arrays else numbers
        types = np.asarray(types, int)
        if type_map is None:
            masses = atoms.get_masses() if atoms.has("masses") else None
            if fmt == "lammps-data" and masses is not None and np.all(masses > 0):
                # Assign each type by its mass: nearest of Si and O within 1 u.
                mapping = {}
                for t in np.unique(types):
                    m = float(masses[types == t][0])
                    best = min(MASSES, key=lambda s: abs(MASSES[s] - m))
                    if abs(MASSES[best] - m) > 1.0:
                        raise StructureFileError(
                            path, f"atom type {t} has mass {m:g}, neither Si nor O; give a type map (e.g. 1=Si,2=O)"
                        )
                    mapping[int(t)] = best
                type_map = mapping
            else:
                type_map = {1: "Si", 2: "O"}
        type_map = {int(k): str(v) for k, v in dict(type_map).items()}
        missing = sorted(set(np.unique(types).tolist()) - set(type_map))
        if missing:
            raise StructureFileError(path, f"atom type(s) {missing} not in the type map {type_map}")
        return np.array([type_map[t] for t in types.tolist()]), type_map
    return atoms.get_chemical_symbols(), None


def _atoms_to_glass(atoms, path, fmt, *, cell, pbc, layer, type_map):
    species, used_map = _species_from_atoms(atoms, path, fmt, type_map)
    species = np.asarray(species)
    pos3 = atoms.get_positions()
    bad = np.flatnonzero(~np.isfinite(pos3).all(axis=1))
    if len(bad):
        raise StructureFileError(path, f"{len(bad)} atom(s) have non-finite coordinates (NaN or inf), first at "
                                       f"index {int(bad[0])}")
    info = {}
    meta = atoms.info.get(META_KEY)
    if meta is not None:
        try:
            info.update(json.loads(_unquote(meta)))
        except (TypeError, ValueError):
            raise StructureFileError(path, f"metadata key {META_KEY!r} is not valid JSON") from None
    for k, v in atoms.info.items():
        if k == META_KEY or k in info:
            continue
        if isinstance(v, (str, int, float, bool)) or v is None:
            info[k] = v
        elif isinstance(v, np.generic):
            info[k] = v.item()
    info["source"] = {"file": str(path), "format": fmt}
    if used_map is not None:
        info["lammps_type_map"] = {str(k): v for k, v in used_map.items()}

    # Cell and origin.
    acell = atoms.cell
    has_cell = acell.rank >= 2 and abs(acell[0, 0]) > 0 and abs(acell[1, 1]) > 0
    if has_cell and (abs(acell[0, 1]) > 1e-8 or abs(acell[1, 0]) > 1e-8):
        raise StructureFileError(path, "the cell is not orthorhombic (tilted); glassfail needs Lx × Ly cells")
    file_pbc = tuple(bool(p) for p in atoms.pbc[:2])
    origin = np.zeros(2)
    if has_cell:  # LAMMPS boxes need not start at 0: shift their lower corner to the origin
        origin = np.asarray(atoms.get_celldisp(), float).ravel()[:2]
        if fmt == "lammps-data":
            origin = _lammps_data_origin(path)
    if cell is not None:
        cell2 = np.asarray(cell, float).ravel()
        if cell2.shape != (2,):
            raise StructureError(f"cell must be (Lx, Ly), got {cell!r}")
        pbc2 = file_pbc if (pbc is None and has_cell) else (pbc if pbc is not None else (True, True))
    elif has_cell:
        cell2 = np.array([acell[0, 0], acell[1, 1]], float)
        pbc2 = file_pbc if pbc is None else pbc
    else:
        # Plain XYZ without a cell: frame the atoms with a margin of one bond length, non-periodic.
        lo, hi = pos3[:, :2].min(axis=0), pos3[:, :2].max(axis=0)
        margin = 2.0
        origin = lo - margin
        cell2 = (hi - lo) + 2 * margin
        pbc2 = (False, False) if pbc is None else pbc
        warnings.warn(
            f"{path}: no cell in the file; inferred a non-periodic {cell2[0]:.2f} × {cell2[1]:.2f} Å frame "
            "from the atom positions (give cell= / --cell to set it)",
            GlassfailWarning, stacklevel=3,
        )
        info["cell_inferred"] = True
    pos2 = pos3[:, :2] - origin

    # Project 3D structures.
    z = pos3[:, 2]
    keep = np.ones(len(z), bool)
    span = float(z.max() - z.min()) if len(z) else 0.0
    if span > 0.5:
        z_mid = float(0.5 * (z.max() + z.min()))
        si = species == "Si"
        if layer == "all":
            info["projection"] = {"layer": "all", "z_mid": z_mid, "n_total": int(len(z))}
        else:
            sign = 1.0 if layer == "top" else -1.0
            h = sign * (z - z_mid)
            si_h = h[si & (h > 0)]
            if len(si_h) == 0:
                raise StructureFileError(path, f"3D structure without Si in its {layer} half; cannot find the {layer} layer")
            threshold = 0.5 * float(np.median(si_h))
            keep = h > threshold
            info["projection"] = {
                "layer": layer, "z_mid": z_mid, "threshold_above_mid": threshold,
                "n_total": int(len(z)), "n_kept": int(keep.sum()),
            }
        if "projection" in info:
            info["projection"]["z_span"] = span
    per_atom = {}
    sources = dict(atoms.arrays)
    if atoms.calc is not None:  # ASE moves columns named like results (energy, forces, ...) to a calculator
        sources.update({k: v for k, v in atoms.calc.results.items() if np.ndim(v) >= 1 and len(v) == len(z)})
    for k, v in sources.items():
        if k in ("positions", "numbers", "type", "id", "masses", "momenta", "travel", "mol-id"):
            continue
        v = np.asarray(v)
        if v.dtype.kind in "fiub" and len(v) == len(z):
            per_atom[k] = v[keep]
    if not keep.any():
        raise StructureFileError(path, f"no atom is left in the {layer} layer of this 3D structure")
    try:
        return Glass(pos2[keep], species[keep], cell2, pbc=pbc2, info=info, arrays=per_atom)
    except StructureError:
        raise
    except ValueError as exc:  # e.g. coordinates too far apart for a neighbour search (1e308 Å)
        raise StructureFileError(path, f"unusable coordinates or cell ({' '.join(str(exc).split())})") from None


# ---------------------------------------------------------------------------------------------------- writing
def glass_to_atoms(glass: Glass):
    """An ``ase.Atoms`` for a Glass: z = 0, cell height 20 Å, pbc along z False; metadata as JSON."""
    from ase import Atoms

    pos = np.zeros((len(glass), 3))
    pos[:, :2] = glass.positions
    atoms = Atoms(
        symbols=list(glass.species), positions=pos,
        cell=[glass.cell[0], glass.cell[1], LZ], pbc=[glass.pbc[0], glass.pbc[1], False],
    )
    for k, v in glass.arrays.items():
        atoms.new_array(k, np.array(v))
    return atoms


def _extxyz_text(glass: Glass) -> str:
    """Extended XYZ as ASE reads it, with 12 decimals (ASE's own writer keeps 8, too few for an exact
    round-trip of positions)."""
    cols = ["species:S:1", "pos:R:3"]
    fields = [np.asarray(glass.species, dtype=object).reshape(-1, 1),
              np.column_stack([glass.positions.reshape(-1, 2), np.zeros(len(glass))])]
    fmts = ["%-2s", "%.12f"]
    for k, v in glass.arrays.items():
        v = np.asarray(v)
        if k in ("species", "pos") or not k.replace("_", "").isalnum():
            continue
        v2 = v.reshape(len(glass), -1)
        kind = {"f": "R", "i": "I", "u": "I", "b": "L"}.get(v.dtype.kind)
        if kind is None:
            continue
        cols.append(f"{k}:{kind}:{v2.shape[1]}")
        if kind == "L":
            fields.append(np.where(v2, "T", "F").astype(object))
            fmts.append("%s")
        else:
            fields.append(v2)
            fmts.append("%.12g" if kind == "R" else "%d")
    lx, ly = (float(c) for c in glass.cell)
    pbc = " ".join("T" if p else "F" for p in (*glass.pbc, False))
    head = (
        f'Lattice="{lx!r} 0.0 0.0 0.0 {ly!r} 0.0 0.0 0.0 {LZ!r}" Properties={":".join(cols)} '
        f'{META_KEY}="{_quote(glass.info_json())}" pbc="{pbc}"'
    )
    lines = [str(len(glass)), head]
    for n in range(len(glass)):
        parts = []
        for f, fmt in zip(fields, fmts):
            parts.extend(fmt % x for x in f[n])
        lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def write_structure(glass: Glass, path, *, format=None) -> Path:
    """Write a Glass to a structure file (atomically: a partial file never appears under ``path``).

    Extended XYZ keeps everything (cell, pbc, per-atom arrays, metadata as one JSON string under
    ``glassfail_json``); plain XYZ keeps positions and species only; LAMMPS data keeps positions, species (type 1 =
    Si, 2 = O, with masses) and the cell.
    """
    from .._atomic import atomic_path

    path = Path(path)
    fmt = _format_from_name(path, format)
    if not STRUCTURE_FORMATS[fmt]["write"]:
        raise StructureFileError(path, f"glassfail cannot write {fmt} files; write extxyz or lammps-data")
    atoms = glass_to_atoms(glass)
    import ase.io

    with atomic_path(path) as tmp:
        if fmt == "extxyz":
            tmp.write_text(_extxyz_text(glass))
        elif fmt == "xyz":
            buf = _io.StringIO()
            buf.write(f"{len(glass)}\nglassfail 2D structure, cell {glass.cell[0]:.10f} {glass.cell[1]:.10f} Å\n")
            for s, (x, y) in zip(glass.species, glass.positions):
                buf.write(f"{s:2s} {x:.10f} {y:.10f} 0.0\n")
            tmp.write_text(buf.getvalue())
        elif fmt == "lammps-data":
            ase.io.write(tmp, atoms, format="lammps-data", specorder=["Si", "O"], masses=True,
                         atom_style="atomic", units="metal")
    return path
