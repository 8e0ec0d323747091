"""A small matplotlib canvas for dock widgets: the live stress–strain curve of a deformation."""

from __future__ import annotations

import numpy as np
from magicgui.widgets import Container

from glassfail_core.glass import EV_PER_A2_TO_N_PER_M

__all__ = ["StressStrainPlot", "theme_colors"]


def theme_colors(theme: str) -> dict:
    """``{"background", "text", "line"}`` as matplotlib colours for a napari theme (its dock background, text and
    highlight colours; a plain light/dark pair when napari does not know the theme)."""
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


class StressStrainPlot(Container):
    """Stress (N/m) against strain, redrawn as points arrive; the first break marked by a vertical line.

    The canvas is a ``FigureCanvasQTAgg`` inside a magicgui Container, so it docks like any other control.
    """

    def __init__(self, height_px: int = 240, theme: str = "dark"):
        super().__init__(labels=False)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(4, 2.6), dpi=90, tight_layout=True)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(height_px)
        self.native.layout().addWidget(self.canvas)
        self.ax = self.figure.add_subplot(111)
        (self.line,) = self.ax.plot([], [], "-o", ms=2.5, lw=1.2, color="#1f77b4")
        self.marker = None
        self.current = None
        self.strains: list = []
        self.stresses: list = []
        self._style()
        self.set_theme(theme)

    def _style(self):
        self.ax.set_xlabel("strain")
        self.ax.set_ylabel("stress (N/m)")
        self.ax.grid(alpha=0.3)

    def set_theme(self, theme: str) -> None:
        """Colour the figure like napari's theme (its background and text colours)."""
        self.colors = theme_colors(theme)
        bg, fg = self.colors["background"], self.colors["text"]
        self.figure.set_facecolor(bg)
        self.ax.set_facecolor(bg)
        for spine in self.ax.spines.values():
            spine.set_color(fg)
        self.ax.tick_params(colors=fg, which="both")
        self.ax.xaxis.label.set_color(fg)
        self.ax.yaxis.label.set_color(fg)
        self.ax.title.set_color(fg)
        self.ax.grid(alpha=0.3, color=fg)
        self.line.set_color(self.colors["line"])
        legend = self.ax.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(bg)
            for t in legend.get_texts():
                t.set_color(fg)
        self.canvas.draw_idle()

    def clear(self):
        self.strains, self.stresses = [], []
        self.line.set_data([], [])
        for art in (self.marker, self.current):
            if art is not None:
                art.remove()
        self.marker = self.current = None
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
        legend = self.ax.legend(loc="lower right", fontsize=8)
        legend.get_frame().set_facecolor(self.colors["background"])
        for t in legend.get_texts():
            t.set_color(self.colors["text"])
        self.redraw()

    def mark_current(self, strain: float):
        """A grey line at the strain of the frame shown by the viewer's time slider."""
        if self.current is not None:
            self.current.remove()
        self.current = self.ax.axvline(float(strain), color=self.colors["text"], lw=0.8, alpha=0.6)
        self.redraw()

    def redraw(self):
        self.ax.relim()
        self.ax.autoscale_view()
        self.canvas.draw_idle()

    def data(self) -> tuple:
        """The plotted curve: (strains, stresses in N/m)."""
        return np.array(self.strains), np.array(self.stresses)
