"""Long work as generators that yield :class:`Progress` events and return their result.

Every long job in glassfail (relaxation, deformation, dataset builds, training, batch prediction) is written as a
generator::

    def deform_steps(glass, params) -> Generator[Progress, None, FractureResult]:
        ...
        yield Progress("deform", done=k, total=None, message=f"strain {eps:.4f}", data={"strain": eps})
        ...
        return result

so that the same code runs

* in the CLI, drawn by a rich progress bar (:func:`glassfail_core.cli.common.run_with_progress`);
* in napari, in a ``thread_worker`` whose ``yielded`` signal updates the GUI;
* in tests and scripts, synchronously with :func:`run`.

Cancelling = stop iterating and ``close()`` the generator: it receives ``GeneratorExit`` at its current ``yield``,
and its ``finally`` blocks keep what was finished (results are written atomically as they are made). ``should_stop``
(:func:`run`) asks for that between events: the napari widgets' Cancel button, and in the CLI Ctrl-C and SIGTERM
(:func:`glassfail_core.cli.common.stop_on_signals`, which interrupts a job that yields nothing for a while where it
is, as ``KeyboardInterrupt`` does; the job's ``finally`` blocks run either way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Mapping, Optional, TypeVar

__all__ = ["Progress", "run", "events", "Job"]

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """One progress event.

    Attributes
    ----------
    stage : str
        Short name of what is running (``"relax"``, ``"deform"``, ``"generate"``...).
    done : float
        Work done so far, in units of ``total`` (or a counter when ``total`` is None).
    total : float or None
        Total work, if known.
    message : str
        One line for a human.
    data : Mapping
        Numbers for live displays (e.g. ``{"strain": 0.05, "stress": 0.004, "broken": 1}``).
    """

    stage: str
    done: float = 0
    total: Optional[float] = None
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> Optional[float]:
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))

    def to_dict(self) -> dict:
        return {"stage": self.stage, "done": self.done, "total": self.total, "message": self.message, "data": dict(self.data)}


Job = Generator[Progress, None, T]


def events(job: "Job[T]", should_stop: Optional[Callable[[], bool]] = None) -> "Job[T]":
    """Re-yield a job's events and return its result; the one loop that drives a job.

    ``should_stop`` is polled before each step: when it returns True the job is closed and
    :class:`~glassfail_core.errors.Cancelled` is raised (the job keeps what it had finished). The job is closed
    however this generator ends, so its cleanup runs where it is driven (a napari worker thread, say).

    Examples
    --------
    >>> def job():
    ...     yield Progress("count", 1, 1)
    ...     return 42
    >>> [e.done for e in events(job())]
    [1]
    """
    from .errors import Cancelled

    try:
        while True:
            if should_stop is not None and should_stop():
                raise Cancelled("stopped at the user's request; finished work was kept")
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            yield event
    finally:
        job.close()


def run(job: "Job[T]", on_progress: Optional[Callable[[Progress], Any]] = None,
        should_stop: Optional[Callable[[], bool]] = None) -> T:
    """Drive a progress generator to completion and return its result.

    Parameters
    ----------
    job : generator
        Yields :class:`Progress`, returns the result.
    on_progress : callable, optional
        Called with each event.
    should_stop : callable, optional
        Polled after each event; when it returns True the job is closed and :class:`~glassfail_core.errors.Cancelled`
        is raised (the job keeps what it had finished).

    Examples
    --------
    >>> def job():
    ...     for k in range(3):
    ...         yield Progress("count", k + 1, 3)
    ...     return "done"
    >>> run(job())
    'done'
    """
    gen = events(job, should_stop)
    try:
        while True:
            try:
                event = next(gen)
            except StopIteration as stop:
                return stop.value
            if on_progress is not None:
                on_progress(event)
    finally:
        gen.close()
