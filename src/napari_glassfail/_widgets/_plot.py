"""Small matplotlib canvases for dock widgets, in napari's theme: the live stress–strain curve of a deformation, and
a batch's summary (predicted failure strain against μ2)."""

from __future__ import annotations

import numpy as np
from magicgui.widgets import Container

from glassfail_core.glass import EV_PER_A2_TO_N_PER_M

__all__ = ["ThemedPlot", "StressStrainPlot", "SummaryPlot", "theme_colors"]


def theme_colors(theme: str) -> dict:
    """``{"background", "text", "line"}`` as matplotlib colours for a napari theme (its dock background and text;
    a line colour that reads on it; a plain light/dark pair when napari does not know the theme)."""
    try:
        from napari.utils.theme import get_theme

        t = get_theme(theme)
        conv = (lambda c: tuple(v / 255 for v in c.as_rgb_tuple()[:3])) if hasattr(t.background, "as_rgb_tuple") \
            else (lambda c: str(c))
        bg = conv(t.background)
        dark = sum(bg) / 3 < 0.5 if isinstance(bg, tuple) else "light" not in str(theme)
        return {"background": bg, "text": conv(t.text), "line": "#5aa0ff" if dark else "#1f77b4"}
    except Exception:  # noqa: BLE001 - an unknown or custom theme: a readable default
        dark = "light" not in str(theme)
        return {"background": "#262930" if dark else "white", "text": "#f0f1f2" if dark else "black",
                "line": "#5a8ff0" if dark else "#1f77b4"}


class ThemedPlot(Container):
    """One matplotlib axes on a ``FigureCanvasQTAgg`` inside a magicgui Container (it docks like any control),
    coloured like napari's theme (:meth:`set_theme`)."""

    def __init__(self, height_px: int = 240, theme: str = "dark"):
        super().__init__(labels=False)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(4, 2.6), dpi=90, tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(height_px)
        self.native.layout().addWidget(self.canvas)
        self.ax = self.figure.add_subplot(111)
        self.colors = theme_colors(theme)
        self._build()
        self.set_theme(theme)

    def _build(self):
        """Create the artists (subclasses)."""

    def _themed_artists(self):
        return ()

    def set_theme(self, theme: str) -> None:
        """Colour the figure like napari's theme (its background and text colours)."""
        self.colors = theme_colors(theme)
        self.figure.set_facecolor(self.colors["background"])
        self._theme_axes()
        for art in self._themed_artists():
            art.set_color(self.colors["line"])
        self._theme_legend()
        self.canvas.draw_idle()

    def _theme_axes(self):
        fg = self.colors["text"]
        self.ax.set_facecolor(self.colors["background"])
        for spine in self.ax.spines.values():
            spine.set_color(fg)
        self.ax.tick_params(colors=fg, which="both")
        self.ax.xaxis.label.set_color(fg)
        self.ax.yaxis.label.set_color(fg)
        self.ax.title.set_color(fg)
        self.ax.grid(alpha=0.3, color=fg)

    def _theme_legend(self):
        legend = self.ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(self.colors["background"])
            for t in legend.get_texts():
                t.set_color(self.colors["text"])

    def redraw(self):
        self.ax.relim()
        self.ax.autoscale_view()
        self.canvas.draw_idle()


class StressStrainPlot(ThemedPlot):
    """Stress (N/m) against strain, redrawn as points arrive; the first break marked by a vertical line."""

    def _build(self):
        (self.line,) = self.ax.plot([], [], "-o", ms=2.5, lw=1.2, color=self.colors["line"])
        self.marker = None
        self.current = None
        self.strains: list = []
        self.stresses: list = []
        self.ax.set_xlabel("strain")
        self.ax.set_ylabel("stress (N/m)")

    def _themed_artists(self):
        return (self.line,)

    def clear(self):
        self.strains, self.stresses = [], []
        self.line.set_data([], [])
        for art in (self.marker, self.current):
            if art is not None:
                art.remove()
        self.marker = self.current = None
        if self.ax.get_legend() is not None:
            self.ax.get_legend().remove()
        self.redraw()

    def add_point(self, strain: float, stress_ev_a2: float) -> bool:
        """Append a point (stress in eV/Å², shown in N/m); a repeat of the last strain replaces it.
        Returns True when the curve changed."""
        s = float(stress_ev_a2) * EV_PER_A2_TO_N_PER_M
        e = float(strain)
        if self.strains and abs(self.strains[-1] - e) < 1e-12:
            if self.stresses[-1] == s:
                return False
            self.stresses[-1] = s
        else:
            self.strains.append(e)
            self.stresses.append(s)
        self.line.set_data(self.strains, self.stresses)
        self.redraw()
        return True

    def mark_break(self, strain: float):
        if self.marker is not None:
            self.marker.remove()
        self.marker = self.ax.axvline(float(strain), color="#d62728", ls="--", lw=1.2,
                                      label=f"first break ε = {strain:.4f}")
        self.ax.legend(loc="lower right", fontsize=8)
        self._theme_legend()
        self.redraw()

    def mark_current(self, strain: float):
        """A line at the strain of the frame shown by the viewer's time slider."""
        if self.current is not None:
            self.current.remove()
        self.current = self.ax.axvline(float(strain), color=self.colors["text"], lw=0.8, alpha=0.6)
        self.redraw()

    def data(self) -> tuple:
        """The plotted curve: (strains, stresses in N/m)."""
        return np.array(self.strains), np.array(self.stresses)


class SummaryPlot(ThemedPlot):
    """A batch's summary: one point per file, predicted failure strain (with its 90 % interval) against μ2."""

    def _build(self):
        self.points = None
        self.ax.set_xlabel("ring-size variance μ2")
        self.ax.set_ylabel("predicted failure strain")

    def show(self, mu2, strain, low=None, high=None, labels=()):
        """Draw the points (NaN ones left out)."""
        self.ax.cla()
        self._build()
        self._theme_axes()
        x, y = np.asarray(mu2, float), np.asarray(strain, float)
        ok = np.isfinite(x) & np.isfinite(y)
        self.xy = np.column_stack([x[ok], y[ok]])
        self.labels = [lab for lab, k in zip(labels, ok) if k] if len(labels) else []
        if ok.any():
            yerr = None
            if low is not None and high is not None:
                lo, hi = np.asarray(low, float)[ok], np.asarray(high, float)[ok]
                if np.isfinite(lo).all() and np.isfinite(hi).all():
                    yerr = np.clip(np.vstack([y[ok] - lo, hi - y[ok]]), 0.0, None)  # the table's rounding
            self.points = self.ax.errorbar(x[ok], y[ok], yerr=yerr, fmt="o", ms=4, lw=0.8, capsize=2,
                                           color=self.colors["line"])
        self.redraw()
