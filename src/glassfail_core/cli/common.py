"""Pieces shared by every ``glassfail`` subcommand: error handling, JSON output, progress bars, options."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .._atomic import json_default
from ..errors import Cancelled
from ..progress import Progress, run

__all__ = ["console", "err_console", "set_quiet", "print_error", "emit_json", "run_with_progress",
           "structure_argument", "json_option", "load_structure", "parse_cell", "parse_type_map"]


class _Lines:
    """A text stream for piped output: each line passed on without the blanks rich pads it with (table cells).

    The stream is looked up at each write (``sys.stdout`` may be replaced, as tests and ``contextlib.redirect_stdout``
    do); a partial line is held until its end or the next flush.
    """

    def __init__(self, stream):
        self._stream, self._pending = stream, ""

    @property
    def encoding(self):
        return getattr(self._stream(), "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        if lines:
            self._stream().write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream().write(self._pending)
            self._pending = ""
        self._stream().flush()


def _piped(stream) -> bool:
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


def _consoles():
    """Consoles for stdout and stderr that never hard-wrap a line.

    In a terminal, tables fit the window and long lines are left to the terminal's own soft wrap. When a stream is
    piped or redirected, rich would otherwise break every line at 80 columns and pad it with spaces; scripts reading
    the output get one logical line per line instead, without trailing blanks (and no colour codes, which rich drops
    off a terminal).
    """
    from rich.console import Console

    def make(name, stderr):
        if not _piped(getattr(sys, name)):
            return Console(stderr=stderr, soft_wrap=True)
        return Console(file=_Lines(lambda: getattr(sys, name)), soft_wrap=True, width=_PIPE_WIDTH,
                       color_system=None)

    return make("stdout", False), make("stderr", True)


_PIPE_WIDTH = 400  # wide enough that no table of ours is squeezed when the output is piped


console, err_console = _consoles()


def set_quiet(quiet: bool) -> None:
    """``glassfail -q``: nothing on stdout or stderr but errors (:func:`print_error`) and ``--json`` output."""
    console.quiet = err_console.quiet = bool(quiet)


def print_error(text: str) -> None:
    """One error line on stderr, shown even with ``-q``."""
    quiet, err_console.quiet = err_console.quiet, False
    try:
        err_console.print(text, highlight=False, soft_wrap=True)
    finally:
        err_console.quiet = quiet


def emit_json(obj) -> None:
    """Print ``obj`` as JSON on stdout (and nothing else: the output is machine-readable)."""
    click.echo(json.dumps(obj, indent=2, default=json_default))


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table.")


def parse_cell(value, hint="--cell"):
    """``"LXxLY"`` or ``"LX,LY"`` (Å) → (Lx, Ly); ``hint``: the option that gave it."""
    if value is None:
        return None
    try:
        parts = [float(v) for v in value.lower().replace("x", ",").split(",")]
        if len(parts) != 2 or min(parts) <= 0:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"expected two positive lengths in Å like 85.1x81.7, got {value!r}", param_hint=hint)
    return tuple(parts)


def parse_type_map(value):
    """``"1=Si,2=O"`` → {1: "Si", 2: "O"}."""
    if value is None:
        return None
    try:
        out = {}
        for item in value.split(","):
            k, v = item.split("=")
            out[int(k)] = v.strip()
    except ValueError:
        raise click.BadParameter(f"expected TYPE=SPECIES pairs like 1=Si,2=O, got {value!r}", param_hint="--type-map")
    return out


def structure_argument(name="structure"):
    return click.argument(name, type=click.Path(dir_okay=False, path_type=Path))


def load_structure(path, *, cell=None, layer="top", type_map=None, frame=0):
    """Read a structure for a command, turning warnings into one-line notes on stderr (in the CLI's words); a cell
    given on the command line that folds atoms onto each other is refused."""
    import warnings

    from ..io import read_structure
    from .options import check_cell, cli_words, option_names

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        glass = read_structure(path, cell=cell, layer=layer, type_map=type_map, frame=frame)
    for w in caught:
        err_console.print(f"[yellow]note:[/] {cli_words(str(w.message))}", highlight=False)
    if cell is not None:
        check_cell(glass, option_names().get("cell", "--cell"))
    return glass


def run_with_progress(job, *, description="working", quiet=False, fields=None, on_event=None):
    """Drive a progress generator with a rich progress bar; Ctrl-C closes the job cleanly.

    ``fields`` maps keys of ``Progress.data`` to format strings shown after the bar, e.g.
    ``{"strain": "ε={:.4f}", "stress": "σ={:.4g} eV/Å²"}``. An event whose data has a ``note`` prints it as a line
    of its own. ``on_event`` is called with every event (a front end's own display). The bar is drawn only on a
    terminal (piped stderr gets the notes alone, one line each) and never with ``quiet`` or ``glassfail -q``.
    Raises :class:`Cancelled` on Ctrl-C (after the job has kept what it finished).
    """
    from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn, TimeElapsedColumn

    fields = fields or {}
    quiet = quiet or err_console.quiet
    bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
              TextColumn("{task.fields[extra]}"), console=err_console,
              disable=quiet or not err_console.is_terminal, transient=False)

    def show(ev: Progress):
        if ev.data.get("note") and not quiet:  # a line worth keeping (e.g. "resumed ..."), above the bar
            bar.console.print(f"[dim]{ev.data['note']}[/]", highlight=False)
        if on_event is not None:
            on_event(ev)
        extra = "  ".join(fmt.format(ev.data[k]) for k, fmt in fields.items() if k in ev.data)
        if ev.message and not extra:
            extra = ev.message
        bar.update(task, completed=ev.done, total=ev.total, extra=extra, description=ev.stage or description)

    try:
        with bar:
            task = bar.add_task(description, total=None, extra="")
            return run(job, on_progress=show)
    except KeyboardInterrupt:
        job.close()
        raise Cancelled("interrupted (Ctrl-C); finished work was kept") from None


def load_input(path, *, pixel_size=None, frame=None):
    """A structure (through :func:`load_structure`, notes on stderr) or a micrograph, for the commands that take
    either (predict, explain); anything else is a usage error naming INPUT."""
    from ..io import find_format, read_micrograph

    fmt = find_format(path)
    if fmt.kind == "micrograph":
        return read_micrograph(path, pixel_size=pixel_size, frame=frame)
    if fmt.kind == "structure":
        return load_structure(path)
    raise click.BadParameter(f"{path} is a {fmt.kind}, not a structure or a micrograph", param_hint="INPUT")
