"""A small matplotlib canvas for dock widgets: the live stress–strain curve of a deformation."""

from __future__ import annotations

import numpy as np
from magicgui.widgets import Container

from glassfail_core.glass import EV_PER_A2_TO_N_PER_M

__all__ = ["StressStrainPlot"]


class StressStrainPlot(Container):
    """Stress (N/m) against strain, redrawn as points arrive; the first break marked by a vertical line.

    The canvas is a ``FigureCanvasQTAgg`` inside a magicgui Container, so it docks like any other control.
    """

    def __init__(self, height_px: int = 240):
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

    def _style(self):
        self.ax.set_xlabel("strain")
        self.ax.set_ylabel("stress (N/m)")
        self.ax.grid(alpha=0.3)

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
        self.ax.legend(loc="lower right", fontsize=8)
        self.redraw()

    def mark_current(self, strain: float):
        """A grey line at the strain of the frame shown by the viewer's time slider."""
        if self.current is not None:
            self.current.remove()
        self.current = self.ax.axvline(float(strain), color="0.5", lw=0.8)
        self.redraw()

    def redraw(self):
        self.ax.relim()
        self.ax.autoscale_view()
        self.canvas.draw_idle()

    def data(self) -> tuple:
        """The plotted curve: (strains, stresses in N/m)."""
        return np.array(self.strains), np.array(self.stresses)
