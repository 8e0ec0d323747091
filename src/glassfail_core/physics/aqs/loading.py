"""How a sample is loaded: the working frame (rotation, exchanged axes), the grips, and one strain increment.

The run works on the sample in a *working frame* where the load runs along one cell axis: a non-periodic sample
loaded at an angle is rotated (:class:`Frame` maps back to the input's frame), periodic shear along y is computed
with x and y exchanged. :class:`Loading` holds the geometry of the loading (periodic stretch, Lees–Edwards shear,
or grips) and applies a strain increment to positions and cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ...neighbors import cell_vectors, reduce_tilt

__all__ = ["Frame", "Loading", "working_glass", "rotation"]

#: Grip width (Å) when ``AQSParams.grips`` is None on a non-periodic loading axis: about two ring diameters.
DEFAULT_GRIPS = 11.0


def rotation(angle_deg) -> np.ndarray:
    """The 2 × 2 rotation by ``angle_deg`` degrees, exact at multiples of 90°.

    >>> rotation(90).tolist()
    [[0.0, -1.0], [1.0, 0.0]]
    """
    a = float(angle_deg) % 360.0
    exact = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}
    c, s = exact.get(a, (math.cos(math.radians(a)), math.sin(math.radians(a))))
    return np.array([[c, -s], [s, c]])


@dataclass
class Frame:
    """Maps the user's sample to the working frame (load along ``axis``) and back."""

    R: np.ndarray  # rotation applied to user positions (by −angle)
    centre_user: np.ndarray
    centre_work: np.ndarray

    @property
    def is_identity(self) -> bool:
        """True when the working frame is the input's (nothing to map back)."""
        return self.R is None or np.array_equal(self.R, np.eye(2))

    def to_user(self, p):
        """Working-frame points ``p`` ((..., 2) Å) in the input's frame."""
        p = np.asarray(p, float)
        return (p - self.centre_work) @ self.R + self.centre_user  # R is orthogonal: inverse = transpose


def working_glass(glass, params):
    """The sample in the working frame: ``(glass, frame, axis, grips)`` with the loading axis index and the grip
    width (None for periodic loading); raises :class:`InputError` for a loading the sample does not allow."""
    ang = float(params.angle) % 360.0
    axis = "xy".index(params.axis)
    ident = Frame(np.eye(2), np.zeros(2), np.zeros(2))
    if ang in (0.0, 180.0):
        g, frame = glass, ident
    elif ang in (90.0, 270.0) and (glass.pbc[0] == glass.pbc[1]) and glass.is_periodic:
        g, frame, axis = glass, ident, 1 - axis  # a periodic sample loaded at 90°: the other cell axis
    else:
        if any(glass.pbc):
            raise InputError(
                f"angle={params.angle:g}° needs a non-periodic sample (a periodic cell cannot be rotated); "
                "crop one (Glass.subset / generation.cut_shape) or use angle 0 or 90"
            )
        R = rotation(-ang)
        c = glass.positions.mean(axis=0)
        p = (glass.positions - c) @ R.T
        lo = p.min(axis=0) - 5.0
        p = p - lo
        cell = p.max(axis=0) + 5.0
        g = glass.replace(positions=p, cell=cell, pbc=(False, False))
        frame = Frame(R, c, -lo)
    # (180° and 270° on an unrotated sample: tension along −x is tension along x)
    periodic_load = bool(g.pbc[axis])
    grips = params.grips
    if grips is None and not periodic_load:
        grips = DEFAULT_GRIPS
    if grips is not None and periodic_load:
        g = g.replace(pbc=tuple(False if a == axis else g.pbc[a] for a in range(2)))  # open the loading axis
    if params.mode == "shear" and grips is None:
        if not all(g.pbc):
            raise InputError("periodic simple shear needs a sample periodic along x and y (a Lees–Edwards tilted "
                             f"cell); this one has pbc={tuple(g.pbc)}: load it with grips (--grips WIDTH) instead")
        if params.transverse == "relaxed":
            raise InputError('transverse="relaxed" is not available for periodic simple shear (the cell edges are '
                             'held; only the tilt changes)')
        if axis == 1:  # shear along y: the same computation on the sample with x and y exchanged
            swap = np.array([[0.0, 1.0], [1.0, 0.0]])
            g = g.replace(positions=g.positions[:, ::-1], cell=np.asarray(g.cell)[::-1])
            frame, axis = Frame(swap, np.zeros(2), np.zeros(2)), 0
    if params.transverse == "relaxed" and (grips is not None or not g.pbc[1 - axis]):
        raise InputError('transverse="relaxed" needs periodic loading with a periodic transverse axis')
    return g, frame, axis, grips


class Loading:
    """The geometry of the loading of the working sample ``g`` along ``axis``.

    Attributes
    ----------
    g, frame, axis, t_axis
        The working sample, its :class:`Frame`, the loading axis and the transverse one (indices).
    grip_width : float or None
        None for periodic loading.
    left, right, fixed : (N,) bool
        With grips: the atoms of the fixed and of the moving grip, and both (``fixed`` is None without grips).
    L_free, width : float
        With grips: distance between the grips' inner edges, and the sample width that gives the nominal stress.
    L0 : float
        Periodic loading: the initial cell edge along the load.
    periodic_shear : bool
        Lees–Edwards simple shear (``mode="shear"`` without grips).
    shear_axis : {"x", "y"}
        The input's axis along which periodic shear displaces (y: computed with x and y exchanged).
    """

    def __init__(self, g, frame, axis, grip_width, mode):
        self.g, self.frame, self.axis, self.grip_width, self.mode = g, frame, axis, grip_width, mode
        self.t_axis = 1 - axis
        a = axis
        u = g.positions[:, a]
        if grip_width is not None:
            lo, hi = u.min(), u.max()
            w = float(grip_width)
            self.left = u < lo + w
            self.right = u > hi - w
            self.edges0 = (lo + w, hi - w)
            self.L_free = (hi - w) - (lo + w)
            if (self.L_free < 2.0 or self.left.sum() == 0 or self.right.sum() == 0
                    or (~(self.left | self.right)).sum() == 0):
                raise InputError(
                    f"grips of width {w:g} Å leave no free sample between them (span {hi - lo:.1f} Å along "
                    f"{'xy'[a]}); use narrower grips"
                )
            tt = g.positions[:, self.t_axis]
            self.width = float(np.ptp(tt)) + 3.0  # Å; + one bond-length scale for the atoms' own extent
            self.fixed = self.left | self.right
        else:
            self.fixed = None
            self.L0 = float(g.cell[a])
        self.periodic_shear = mode == "shear" and grip_width is None
        self.shear_axis = "y" if frame.R[0, 1] == 1.0 and frame.R[0, 0] == 0.0 else "x"

    def tilt_at(self, gamma) -> float:
        """Lees–Edwards tilt (Å) at shear ``gamma``: ``γ·Ly`` reduced into ``[−Lx/2, Lx/2]`` (same lattice)."""
        return reduce_tilt(gamma * self.g.cell[1], self.g.cell[0])

    def increment(self, pos, cell, eps_from, eps_to):
        """Affine (periodic) or grip-interpolated increment from strain ``eps_from`` to ``eps_to``: new
        ``(positions, cell)`` (copies)."""
        a = self.axis
        pos, cell = pos.copy(), cell.copy()
        if self.periodic_shear:
            pos[:, 0] += (eps_to - eps_from) * pos[:, 1]
            return pos, cell
        if self.grip_width is None:
            r = (1.0 + eps_to) / (1.0 + eps_from)
            pos[:, a] *= r
            cell[a] = self.L0 * (1.0 + eps_to)
            return pos, cell
        d = (eps_to - eps_from) * self.L_free
        lo_edge = self.edges0[0]
        hi_edge = self.edges0[1] + (eps_from * self.L_free if self.mode == "tension" else 0.0)
        frac = np.clip((pos[:, a] - lo_edge) / (hi_edge - lo_edge), 0.0, 1.0)
        frac[self.left], frac[self.right] = 0.0, 1.0
        comp = a if self.mode == "tension" else self.t_axis
        pos[:, comp] += d * frac
        return pos, cell

    def grip_force(self, forces) -> float:
        """The grips' reaction (eV/Å) from the model ``forces`` ((N, 2)): positive in tension."""
        comp = self.axis if self.mode == "tension" else self.t_axis
        return 0.5 * float(forces[self.left, comp].sum() - forces[self.right, comp].sum())

    def cell_vectors(self, cell, tilt):
        """Rows ``a``, ``b`` of the (tilted) periodic lattice in the input's frame: ``[[Lx, 0], [tilt, Ly]]`` for
        shear along x, ``[[Lx, tilt], [0, Ly]]`` for shear along y (the x/y-exchanged computation), the plain cell
        without periodic shear (:func:`glassfail_core.neighbors.cell_vectors`)."""
        return cell_vectors(cell, tilt if self.periodic_shear else 0.0, tilt_axis=self.shear_axis)

    def info(self) -> dict:
        """What a result records of the loading: grips (free length, width, grip atoms) or nothing."""
        if self.grip_width is None:
            return {}
        return dict(free_length=self.L_free, width=self.width, n_grip_atoms=int(self.fixed.sum()))

    def shear_info(self, cell, tilt) -> dict:
        """Metadata of a periodic shear run: the boundary convention and the lattice of ``cell`` (input frame)
        with ``tilt``."""
        s, n = ("x", "y") if self.shear_axis == "x" else ("y", "x")
        return {
            "boundary": "lees-edwards",
            "shear_plane": s + n,
            "stress_component": "xy",
            "strain_measure": f"engineering shear strain gamma ({s} += gamma * {n})",
            "lees_edwards": (f"periodic images across the {n} boundary are shifted along {s} by tilt = gamma * L{n}, "
                             f"reduced into [-L{s}/2, L{s}/2] (subtracting L{s} leaves the lattice unchanged); "
                             "the cell edges are fixed; positions follow the affine shear and are minimised"),
            "tilt": tilt, "cell_vectors": self.cell_vectors(cell, tilt).tolist(),
        }
