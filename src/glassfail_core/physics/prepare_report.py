"""The report of :func:`~glassfail_core.physics.prepare.prepare_steps`: what the repair changed and what the
relaxation kept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping, Optional

__all__ = ["PrepareReport"]


@dataclass(frozen=True)
class PrepareReport:
    """What :func:`prepare_steps` changed and checked (also readable as a mapping: ``report["added_oxygen"]``).

    Attributes
    ----------
    n_atoms_in, n_atoms_out : int
    added_oxygen : int
        O placed at Si–Si midpoints of a Si-only network.
    filled_oxygen : int
        O placed where two bridged Si had none between them (missed or removed O spot).
    removed : dict
        Atoms removed, by reason: ``overlap``, ``si_overcoordinated_extra_o``, ``o_overcoordinated``,
        ``dangling``, ``fragment``, ``bond_changed_in_relaxation``.
    removed_atoms : list of dict
        ``{"index", "species", "x", "y", "reason"}`` per removed input atom (index −1: an O added here).
    bonds_before, bonds_after : int
        Intended bonds of the repaired network, and Glass bonds after relaxation.
    bonds_lost, bonds_gained : list of (si, o)
        Differences in the last round (indices of the output Glass); empty when the topology survived.
    topology_unchanged, rings_unchanged : bool
        Bonds, and ring list (sizes and membership), identical before and after the last relaxation.
    n_rings, ring_counts
        Closed rings after relaxation and their sizes ``{size: count}``.
    rings_detected, rings_kept
        Closed rings of the repaired input before any relaxation, and how many of them (same size, same input Si)
        are rings of the result: less than all when relaxation changed bonds and a later round removed atoms.
    max_displacement, rms_displacement : float
        How far relaxation moved the atoms (Å), over all rounds.
    bond_length_before, bond_length_after : (float, float)
        Shortest and longest Si–O bond (Å) of the repaired network before and after relaxation.
    min_distance_after : float
        Closest pair of atoms after relaxation (Å).
    coordination_after : dict
        ``{"Si": {k: n}, "O": {k: n}}``.
    rounds : int
        Repair–relax rounds run.
    relaxed : bool
    fmax : float or None
        Residual max|F| (eV/Å) of the relaxation.
    input_hash : str
        :func:`structure_hash` of the input (to reuse a prepared structure).
    """

    n_atoms_in: int
    n_atoms_out: int
    added_oxygen: int = 0
    filled_oxygen: int = 0
    removed: Mapping[str, int] = field(default_factory=dict)
    removed_atoms: list = field(default_factory=list)
    bonds_before: int = 0
    bonds_after: int = 0
    bonds_lost: list = field(default_factory=list)
    bonds_gained: list = field(default_factory=list)
    topology_unchanged: bool = True
    rings_unchanged: Optional[bool] = None
    n_rings: Optional[int] = None
    rings_detected: Optional[int] = None
    rings_kept: Optional[int] = None
    ring_counts: Mapping[int, int] = field(default_factory=dict)
    max_displacement: float = 0.0
    rms_displacement: float = 0.0
    bond_length_before: tuple = (float("nan"), float("nan"))
    bond_length_after: tuple = (float("nan"), float("nan"))
    min_distance_after: float = float("nan")
    coordination_after: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    rounds: int = 0
    relaxed: bool = True
    fmax: Optional[float] = None
    input_hash: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("bond_length_before", "bond_length_after"):
            d[k] = list(d[k])
        d["bonds_lost"] = [list(map(int, b)) for b in self.bonds_lost]
        d["bonds_gained"] = [list(map(int, b)) for b in self.bonds_gained]
        d["ring_counts"] = {str(k): int(v) for k, v in self.ring_counts.items()}
        d["coordination_after"] = {s: {str(k): int(v) for k, v in c.items()} for s, c in
                                   self.coordination_after.items()}
        return d

    def __getitem__(self, key):
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    @property
    def n_removed(self) -> int:
        return int(sum(self.removed.values()))

    def summary(self) -> str:
        """A few human-readable lines (what the CLI prints)."""
        lines = [f"prepared {self.n_atoms_in} → {self.n_atoms_out} atoms"]
        changes = []
        if self.added_oxygen:
            changes.append(f"{self.added_oxygen} O added at Si–Si midpoints (Si-only input)")
        if self.filled_oxygen:
            changes.append(f"{self.filled_oxygen} missing bridging O added")
        for reason, n in self.removed.items():
            if n:
                changes.append(f"{n} removed ({reason.replace('_', ' ')})")
        lines.append("; ".join(changes) if changes else "no atom added or removed")
        if self.relaxed:
            lines.append(
                f"relaxed: atoms moved ≤ {self.max_displacement:.3f} Å (rms {self.rms_displacement:.3f}); Si–O "
                f"{self.bond_length_before[0]:.2f}–{self.bond_length_before[1]:.2f} Å → "
                f"{self.bond_length_after[0]:.2f}–{self.bond_length_after[1]:.2f} Å; closest pair "
                f"{self.min_distance_after:.2f} Å")
        ok = "unchanged" if self.topology_unchanged else (f"CHANGED ({len(self.bonds_lost)} lost, "
                                                         f"{len(self.bonds_gained)} gained)")
        ring = ""
        if self.n_rings is not None:
            ring = f"; {self.n_rings} closed rings " + ("unchanged" if self.rings_unchanged else "CHANGED")
        lines.append(f"{self.bonds_after} Si–O bonds {ok}{ring}"
                     + (f" in the last of {self.rounds} rounds" if self.rounds > 1 else ""))
        if self.rings_detected is not None and self.rings_kept != self.rings_detected:
            lines.append(f"{self.rings_kept} of the {self.rings_detected} rings of the input kept")
        return "\n".join(lines)
