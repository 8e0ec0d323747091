"""Pieces shared by every ``glassfail`` subcommand: error handling, JSON output, progress bars, options."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from pathlib import Path

import click

from .._atomic import json_default
from ..errors import Cancelled
from ..progress import Progress, run

__all__ = ["console", "err_console", "set_quiet", "print_error", "emit_json", "run_with_progress", "Interrupted",
           "stop_on_signals", "structure_argument", "json_option", "load_structure", "parse_cell", "parse_type_map"]


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


#: The signals that stop a job as Ctrl-C does, and their names in the one line said when one arrives.
STOP_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
#: Seconds a job is given to reach its next progress event after a stop signal, before it is interrupted where it is.
STOP_GRACE = 2.0


class Interrupted(Cancelled):
    """A job stopped by a signal (Ctrl-C, ``kill``); ``exit_code`` is the shell's ``128 + signal`` (130, 143)."""

    def __init__(self, signum: int):
        self.signum, self.exit_code = int(signum), 128 + int(signum)
        super().__init__(f"interrupted ({STOP_SIGNALS.get(signum, f'signal {signum}')}); finished work was kept")


class _Stop(KeyboardInterrupt):
    """Raised in the main thread when a job did not stop by itself within :data:`STOP_GRACE` (or on a second
    signal): unwinds the job where it is, as Ctrl-C does."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """What :func:`stop_on_signals` saw: the first stop signal, and whether the job is being closed."""

    def __init__(self):
        self.signum, self.closing = None, False

    def should_stop(self) -> bool:
        """Polled between progress events: True after a signal (the job is then closed at its ``yield``). Still
        True if a forced stop was swallowed by the job's own error handling (a batch file's row, say)."""
        if self.signum is None:
            return False
        self.closing = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        return True

    def on_signal(self, signum, frame):
        if self.closing:
            return  # the job is cleaning up (writing its index, stopping its workers): let it finish
        if self.signum is None:
            self.signum = signum
            signal.setitimer(signal.ITIMER_REAL, STOP_GRACE)
            return
        self.closing = True  # a second signal: stop now
        raise _Stop(self.signum)

    def on_alarm(self, signum, frame):
        if self.signum is not None and not self.closing:  # no progress event within the grace: stop where it is
            self.closing = True
            raise _Stop(self.signum)


@contextlib.contextmanager
def stop_on_signals():
    """While a job runs, SIGINT and SIGTERM both stop it as Ctrl-C does: it keeps what it finished.

    Yields a ``should_stop`` callable for :func:`glassfail_core.progress.run`. A signal is noted, and the job is
    closed at its next progress event (``GeneratorExit`` at its ``yield``: its ``finally`` blocks keep the finished
    work), where no write or computation is cut in half. A job that yields nothing within :data:`STOP_GRACE` seconds
    (waiting for its Dask workers, say), or a second signal, interrupts it where it is (``KeyboardInterrupt``). Once
    the job is closing, further signals are ignored until it has cleaned up. SIGINT is caught even where the shell
    started the command with SIGINT ignored (``nohup``, ``cmd &``), so a background build or training stops cleanly
    on either signal, without SIGKILL. The previous handlers are restored afterwards. Outside the main thread (where
    Python cannot catch signals) nothing is installed.
    """
    state = _Signals()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    old = {s: signal.signal(s, state.on_signal) for s in STOP_SIGNALS}
    old[signal.SIGALRM] = signal.signal(signal.SIGALRM, state.on_alarm)
    try:
        yield state
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for s, h in old.items():
            signal.signal(s, h)


def _stopped_by(exc: BaseException):
    """The :class:`_Stop` behind ``exc`` (a C extension may wrap it, e.g. in a ``SystemError``), or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, _Stop):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def run_with_progress(job, *, description="working", quiet=False, fields=None, on_event=None):
    """Drive a progress generator with a rich progress bar; Ctrl-C or SIGTERM closes the job cleanly.

    ``fields`` maps keys of ``Progress.data`` to format strings shown after the bar, e.g.
    ``{"strain": "ε={:.4f}", "stress": "σ={:.4g} eV/Å²"}``. An event whose data has a ``note`` prints it as a line
    of its own. ``on_event`` is called with every event (a front end's own display). The bar is drawn only on a
    terminal (piped stderr gets the notes alone, one line each) and never with ``quiet`` or ``glassfail -q``.
    Every long command is driven here, so the signal handling (:func:`stop_on_signals`) is installed here, once.
    Raises :class:`Interrupted` on Ctrl-C or SIGTERM (after the job has kept what it finished).
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

    with stop_on_signals() as signals:
        try:
            with bar:
                task = bar.add_task(description, total=None, extra="")
                return run(job, on_progress=show, should_stop=signals.should_stop)
        except BaseException as exc:  # noqa: BLE001 - a signal's stop, however the job's code passed it on
            if signals.signum is None and not isinstance(exc, KeyboardInterrupt):
                raise
            signals.closing = True
            job.close()
            stop = _stopped_by(exc)
            raise Interrupted(stop.signum if stop is not None else signals.signum or signal.SIGINT) from None


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
