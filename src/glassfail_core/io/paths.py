"""File names read from files (a batch table's ``maps_file``, a report's or a config's entries) resolved safely.

A file glassfail wrote names its companions relative to its own folder. Read back, such a name is untrusted: a
shared or edited table could say ``../../etc/passwd`` or ``/home/someone/.ssh/id_rsa``. :func:`inside` resolves the
name against the folder and refuses anything that lands outside it (absolute names, ``..``, symbolic links
pointing out).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import InputError

__all__ = ["inside"]


def inside(root, name, *, what: str = "file") -> Path:
    """``root / name``, refused unless it stays inside ``root``.

    Parameters
    ----------
    root : str or Path
        The folder the name is relative to (an output folder, a report, a dataset).
    name : str
        A relative name taken from a file (``"maps/a.npz"``).
    what : str
        What the name is, for the message (``"maps_file of batch.csv"``).

    Raises
    ------
    InputError
        The name is empty, absolute, or leads outside ``root``.

    Examples
    --------
    >>> inside("/data/out", "maps/a.npz").as_posix()
    '/data/out/maps/a.npz'
    >>> inside("/data/out", "../../etc/passwd", what="maps_file")
    Traceback (most recent call last):
    ...
    glassfail_core.errors.InputError: maps_file '../../etc/passwd' leads outside /data/out; refused (a file glassfail wrote names its companions inside its own folder)
    """
    root = Path(root)
    text = str(name)
    if not text.strip() or "\x00" in text:
        raise InputError(f"{what} {text!r} is not a file name inside {root}")
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive:
        raise InputError(f"{what} {text!r} is an absolute path; refused (names read from files must stay inside "
                         f"{root})")
    path = root / text
    base = root.resolve()
    resolved = path.resolve()
    if resolved != base and base not in resolved.parents:
        raise InputError(f"{what} {text!r} leads outside {root}; refused (a file glassfail wrote names its "
                         "companions inside its own folder)")
    return path
