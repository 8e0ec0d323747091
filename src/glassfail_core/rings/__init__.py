"""Rings of a 2D network: the faces of the planar bond graph, their statistics and per-atom maps.

A ring is a face of the network drawn in the plane (or on the torus of a periodic cell). Faces are found by
walking half-edges (:mod:`~glassfail_core.rings.faces`): at every atom the bonds are sorted by angle, and each face
is a cycle of the "next half-edge" permutation, walked counter-clockwise.

Which faces are rings
---------------------
* A **closed ring** is a face that closes in the unwrapped plane (zero net displacement), encloses a positive
  area, and has no *open corner*.
* An atom with fewer bonds than its ideal coordination (Si 3, O 2) has a *missing bond direction*; it is taken to
  lie in the widest angular gap between its bonds, and the face corner filling that gap is **open**. Faces with
  open corners (the outer face of a crop, a crack, a hole left by a missed atom) are not rings: they are cut into
  **open rings**, one per open corner, each the stretch of the face between two open corners (the visible part of
  one ring cut by the free edge). They are reported but never counted.
* Faces walked clockwise (negative area: the outside of a finite piece) or winding around a periodic axis (the
  two sides of a crack spanning the cell, the edges of a slab) are boundary faces, also never counted.

Ring size is the number of distinct Si atoms on the ring, for Si–O networks (2 bonds per Si–O–Si link) and
Si-only networks (Si–Si bonds) alike.

Euler check: ``V − E + F`` over atoms with bonds, bonds and all faces (rings and boundary faces) is 0 for an
intact periodic network (a torus) and 2 for one connected piece in the plane.

Modules
-------
* :mod:`~glassfail_core.rings.faces` — the half-edge face walk, bond checks, crossing bonds (how rings are found);
* :mod:`~glassfail_core.rings.ringset` — :class:`RingSet` and :func:`find_rings`;
* :mod:`~glassfail_core.rings.statistics` — :class:`RingStats`, :func:`ring_statistics`, Aboav–Weaire, Lemaître;
* :mod:`~glassfail_core.rings.maps` — :func:`ring_polygons`, :func:`ring_label_image`;
* :mod:`~glassfail_core.rings.tables` — :func:`rings_table` (CSV: :func:`glassfail_core.io.write_rings_csv`).
"""

from .faces import IDEAL_COORDINATION
from .maps import ring_label_image, ring_polygons
from .ringset import RingSet, find_rings
from .statistics import (AboavWeaire, RingStats, aboav_weaire, aboav_weaire_fit, lemaitre_fit, lemaitre_mu2,
                         ring_statistics)
from .tables import rings_table

__all__ = [
    "IDEAL_COORDINATION",
    "RingSet",
    "RingStats",
    "find_rings",
    "ring_statistics",
    "ring_polygons",
    "ring_label_image",
    "rings_table",
    "lemaitre_mu2",
    "lemaitre_fit",
    "AboavWeaire",
    "aboav_weaire",
    "aboav_weaire_fit",
]


def __getattr__(name):  # the CSV writer lives in the IO registry; kept importable from here for scripts
    if name == "write_rings_csv":
        from ..io.rings import write_rings_csv

        return write_rings_csv
    raise AttributeError(name)
