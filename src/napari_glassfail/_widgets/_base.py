"""What every glassfail dock widget shares: running one core job off the GUI thread with napari progress and
Cancel, turning errors into notifications, and enabling itself only when a suitable layer exists.

A widget subclasses :class:`JobWidget`, builds its controls, and implements

* :meth:`JobWidget.suitable_layers` — the layers it can work on (the Run button is disabled when there is none);
* :meth:`JobWidget.make_job` — called on the GUI thread when Run is pressed: reads the controls and layers and
  returns a core job (a generator yielding :class:`~glassfail_core.progress.Progress` and returning a result);
* :meth:`JobWidget.on_progress` / :meth:`JobWidget.on_result` — GUI-thread callbacks (live plots, new layers).

The same design takes the later Predict (heatmap) and Batch widgets: they only differ in these four methods.

Set the environment variable ``GLASSFAIL_NAPARI_SYNC=1`` to run jobs synchronously on the GUI thread (debugging).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any, Callable, Optional

from magicgui.widgets import Container, Label, PushButton

from glassfail_core.errors import Cancelled, GlassfailError
from glassfail_core.progress import Progress, events, run

__all__ = ["JobRunner", "JobWidget", "notify_error", "wrapped_label", "suggested_pixel_size"]

log = logging.getLogger(__name__)


def notify_error(exc: BaseException) -> None:
    """Show an exception as a napari notification: glassfail's own one-line message, never a traceback
    (unexpected errors are logged with theirs)."""
    from napari.utils.notifications import show_error, show_info

    if isinstance(exc, Cancelled):
        show_info(f"Stopped: {exc}")
    elif isinstance(exc, GlassfailError):
        show_error(str(exc))
    else:
        log.error("unexpected error in a glassfail job", exc_info=exc)
        show_error(f"{type(exc).__name__}: {exc}")


class JobRunner:
    """One core job at a time in a napari ``thread_worker``, with a napari progress bar and cancellation.

    Parameters
    ----------
    on_progress, on_result, on_error, on_finished : callable
        GUI-thread callbacks: each Progress event; the job's return value; an exception (Cancelled included);
        after everything (success, error or cancel).
    """

    def __init__(self, *, on_progress: Callable[[Progress], Any], on_result: Callable[[Any], Any],
                 on_error: Callable[[BaseException], Any] = notify_error,
                 on_finished: Optional[Callable[[], Any]] = None):
        self._on_progress = on_progress
        self._on_result = on_result
        self._on_error = on_error
        self._on_finished = on_finished
        self._stop = threading.Event()
        self._pbar = None
        self._queue: list = []
        self._busy = False
        self.worker = None

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self, job, *, description: str = "glassfail"):
        """Run ``job`` (a started generator). Returns the worker (None when running synchronously)."""
        if self.running:
            raise RuntimeError("a job is already running")
        from napari.utils import progress

        self._stop = threading.Event()
        self._pbar = progress(total=0, desc=description)
        if os.environ.get("GLASSFAIL_NAPARI_SYNC", "") not in ("", "0"):
            self._run_sync(job)
            return None
        from napari.qt.threading import create_worker

        # the core's driving loop, in the worker thread: the job's cleanup (finally blocks, atomic writes) runs there
        worker = create_worker(events, job, self._stop.is_set, _start_thread=False, _ignore_errors=True)  # we notify
        worker.yielded.connect(self._progress)
        worker.returned.connect(self._returned)
        worker.errored.connect(self._errored)
        worker.finished.connect(self._finished)
        self.worker = worker
        worker.start()
        return worker

    def cancel(self) -> None:
        """Ask the job to stop at its next progress event (it keeps what it finished)."""
        self._stop.set()

    # -------------------------------------------------------------------------------- callbacks (GUI thread)
    def _run_sync(self, job):
        try:
            self._returned(run(job, on_progress=self._progress, should_stop=self._stop.is_set))
        except Exception as exc:  # noqa: BLE001 - every error becomes a notification
            self._errored(exc)
        finally:
            self._finished()

    # Updating napari's progress bar may process pending Qt events, which delivers the worker's next signals
    # re-entrantly. Every signal therefore goes through one queue, drained in order, so the widget sees each
    # event once, in order, and the result and the end only after the last progress event.
    def _post(self, kind, payload=None):
        self._queue.append((kind, payload))
        if self._busy:
            return
        self._busy = True
        try:
            while self._queue:
                kind, payload = self._queue.pop(0)
                getattr(self, "_do_" + kind)(payload)
        finally:
            self._busy = False

    def _progress(self, event: Progress):
        self._post("progress", event)

    def _returned(self, value):
        self._post("returned", value)

    def _errored(self, exc):
        self._post("errored", exc)

    def _finished(self, *_):
        self._post("finished")

    def _do_progress(self, event: Progress):
        self._on_progress(event)
        bar = self._pbar
        if bar is None:
            return
        if event.total:
            scale = 1000 if event.total < 100 else 1  # fractional totals (strain) on an integer bar
            bar.total = int(round(event.total * scale))
            bar.n = int(round(min(event.done, event.total) * scale))
        if event.message:
            bar.set_description(event.message)
        bar.refresh()

    def _do_returned(self, value):
        try:
            self._on_result(value)
        except Exception as exc:  # noqa: BLE001
            self._on_error(exc)

    def _do_errored(self, exc):
        self._on_error(exc)

    def _do_finished(self, _=None):
        bar, self._pbar = self._pbar, None
        if bar is not None:
            bar.close()
        self.worker = None
        if self._on_finished is not None:
            self._on_finished()


def wrapped_label(value: str = "", **kwargs) -> Label:
    """A Label whose long lines wrap (a long error never widens the dock)."""
    from qtpy.QtWidgets import QSizePolicy

    label = Label(value=value, **kwargs)
    label.native.setWordWrap(True)
    label.native.setMinimumWidth(200)
    label.native.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


#: The detection's scale check names the pixel size the image suggests: offered as one click.
_SUGGESTED_PIXEL = re.compile(r"suggests about ([0-9.]+(?:[eE][-+]?[0-9]+)?) Å/px")


def suggested_pixel_size(exc: BaseException) -> Optional[float]:
    """The pixel size (Å/px) a scale-check error suggests, or None.

    >>> from glassfail_core.errors import InputError
    >>> suggested_pixel_size(InputError("... suggests about 0.25 Å/px. Give that pixel size"))
    0.25
    """
    m = _SUGGESTED_PIXEL.search(str(exc))
    return float(m.group(1).rstrip(".")) if m else None


class JobWidget(Container):
    """Base of the plugin's dock widgets: controls + Run/Cancel + a status line, wired to a :class:`JobRunner`.

    Every run starts by clearing the previous run's figures (:meth:`clear_result`); the layers a run adds through
    :meth:`replace_layers` replace those of the previous run; a widget with a ``pixel_size`` control offers the
    pixel size a scale-check error suggests as one click.
    """

    run_text = "Run"
    description = "glassfail"

    def __init__(self, viewer, controls=(), **kwargs):
        self.viewer = viewer
        self.run_button = PushButton(text=self.run_text)
        self.cancel_button = PushButton(text="Cancel", enabled=False)
        self.status = wrapped_label()
        self.fix_button = PushButton(text="", visible=False)
        self.result_layers: list = []
        self._layers_by_key: dict = {}
        self._suggested = None
        super().__init__(widgets=[*controls, self.run_button, self.cancel_button, self.status, self.fix_button],
                         **kwargs)
        self.runner = JobRunner(on_progress=self.on_progress, on_result=self.on_result,
                                on_error=self._error, on_finished=self._done)
        self.run_button.changed.connect(self.start)
        self.cancel_button.changed.connect(self.cancel)
        self.fix_button.changed.connect(self._use_suggestion)
        events = viewer.layers.events
        for ev in (events.inserted, events.removed, events.reordered):
            ev.connect(self._layers_changed)
        viewer.scale_bar.visible = True  # every glassfail layer is in Å
        self._layers_changed()

    # ------------------------------------------------------------------ to implement
    def suitable_layers(self) -> list:
        raise NotImplementedError

    def make_job(self):
        raise NotImplementedError

    def on_progress(self, event: Progress) -> None:
        self.status.value = event.message

    def on_result(self, result) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ shared
    @property
    def worker(self):
        return self.runner.worker

    def _layers_changed(self, event=None):
        self.reset_choices()
        self._refresh_enabled()

    def _refresh_enabled(self):
        has = bool(self.suitable_layers())
        self.run_button.enabled = has and not self.runner.running
        if not has and not self.runner.running:
            self.status.value = self.no_layer_message()

    def no_layer_message(self) -> str:
        return "no suitable layer"

    def clear_result(self) -> None:
        """Forget what the previous run showed in the dock (called before every run)."""

    def start(self, *_):
        """Read the controls, build the job and run it (errors in the inputs become notifications)."""
        if self.runner.running:
            return None
        self.fix_button.visible = False
        self.clear_result()
        try:
            job = self.make_job()
        except Exception as exc:  # noqa: BLE001
            self._error(exc)
            return None
        self.run_button.enabled = False
        self.cancel_button.enabled = True
        self.status.value = "running…"
        return self.runner.start(job, description=self.description)

    def cancel(self, *_):
        self.runner.cancel()
        self.status.value = "stopping…"

    def _error(self, exc):
        self.status.value = "stopped" if isinstance(exc, Cancelled) else f"failed: {exc}"
        notify_error(exc)
        ps = suggested_pixel_size(exc)
        if ps is not None and hasattr(self, "pixel_size"):
            self._suggested = ps
            self.fix_button.text = f"Use {ps:g} Å/px and run again"
            self.fix_button.visible = True

    def _use_suggestion(self, *_):
        if self._suggested is None:
            return
        self.pixel_size.value = self._suggested
        self.fix_button.visible = False
        self.start()

    def _done(self):
        self.cancel_button.enabled = False
        self._refresh_enabled()

    def add_layers(self, layer_data: list) -> list:
        """Add LayerDataTuples to the viewer; returns the new layers."""
        from napari.layers import Layer

        return [self.viewer.add_layer(Layer.create(*ld)) for ld in layer_data]

    def remove_result_layers(self, key=None) -> None:
        """Take the layers an earlier run made for ``key`` (an input; None: the last run's) out of the viewer."""
        old = self._layers_by_key.pop(key, None) if key is not None else self.result_layers
        for lay in old or ():
            if lay in self.viewer.layers:
                self.viewer.layers.remove(lay)
        if old is self.result_layers:
            self.result_layers = []

    def replace_layers(self, layer_data: list, key=None) -> list:
        """Add this run's layers in place of those an earlier run made for the same input ``key`` (no ``… [1]``
        pile-up; without a key, in place of the last run's); returns them."""
        self.remove_result_layers(key)
        self.result_layers = self.add_layers(layer_data)
        if key is not None:
            self._layers_by_key[key] = self.result_layers
        return self.result_layers
