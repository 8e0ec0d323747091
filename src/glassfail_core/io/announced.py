"""Sizes a text structure file announces, checked against the file before ASE reads it.

ASE trusts what a file says: it sizes its arrays by the atom count of a LAMMPS header and loops over the columns an
extended XYZ ``Properties=`` string declares. A damaged or hostile file announcing 2^31 atoms or a column of 10^23
components would make it allocate or loop for ever; such a file is refused here, in one line, in milliseconds.
"""

from __future__ import annotations

import re

from ..errors import StructureFileError

__all__ = ["check_announced_sizes"]

#: Where each format states its atom count: (pattern on the file's first 64 kB, what it is called). Blanks are
#: [ \t], never \s: "\s" spans lines and made the search backtrack for minutes on a file of blank lines.
_COUNTS = {"extxyz": (rb"\A\s*(\S+)", "the first line"), "xyz": (rb"\A\s*(\S+)", "the first line"),
           "lammps-data": (rb"^[ \t]*(\S+)[ \t]+atoms[ \t]*\r?$", "the header"),
           "lammps-dump": (rb"ITEM: NUMBER OF ATOMS[ \t]*\r?\n[ \t]*(\S+)", "ITEM: NUMBER OF ATOMS")}
_PROPERTIES = re.compile(rb"properties=([^\s\"']+)", re.IGNORECASE)


def check_announced_sizes(path, fmt: str) -> None:
    """Refuse ``path`` (a file of format ``fmt``) when it announces more atoms than it has lines, or (extended XYZ)
    a column with more components than an atom line has fields.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.data")
    >>> _ = open(p, "w").write("LAMMPS\\n\\n2147483648 atoms\\n")
    >>> check_announced_sizes(p, "lammps-data")
    Traceback (most recent call last):
    ...
    glassfail_core.errors.StructureFileError: ...: not a valid lammps-data file (the header says 2147483648 atoms but the file has 4 lines; truncated?)
    """
    if fmt not in _COUNTS:
        return
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        m = re.search(_COUNTS[fmt][0], head, re.MULTILINE)
        try:
            count = int(m.group(1)) if m else None
        except ValueError:
            count = None  # not a count: ASE reports the file
        lines = head.count(b"\n") + sum(c.count(b"\n") for c in iter(lambda: fh.read(1 << 20), b"")) + 1
    if count is not None and (count < 0 or count > lines):
        raise StructureFileError(path, f"not a valid {fmt} file ({_COUNTS[fmt][1]} says {count} atoms but the file "
                                       f"has {lines} lines; truncated?)")
    if fmt == "extxyz":
        rows = head.split(b"\n", 3)
        m = _PROPERTIES.search(rows[1]) if len(rows) > 2 else None
        if m:
            fields = max(len(rows[2].split()), 64)  # (a file of no atom has no atom line to count)
            parts = m.group(1).split(b":")
            for name, n in zip(parts[0::3], parts[2::3]):
                if n.isdigit() and int(n) > fields:
                    raise StructureFileError(path, f"not a valid extxyz file (column {name.decode(errors='replace')!r}"
                                                   f" has {int(n)} components, more than an atom line's fields)")
