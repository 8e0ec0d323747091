"""Fuzzed structure files (extxyz, xyz, LAMMPS data, LAMMPS dump) through the IO registry's reader."""

import numpy as np
import pytest
from hypothesis import strategies as st

from glassfail_core.glass import Glass
from glassfail_core.io import read

from .harness import check_reader, fuzz, mutated

EXT = {"extxyz": ".extxyz", "xyz": ".xyz", "lammps-data": ".data", "lammps-dump": ".dump"}


def _valid(glass):
    assert isinstance(glass, Glass) and len(glass) > 0
    assert np.isfinite(glass.positions).all() and (np.asarray(glass.cell) > 0).all()


@pytest.mark.parametrize("fmt", sorted(EXT))
@fuzz(share=0.5)
def test_mutated_structure_files(fmt, structure_seeds, all_seeds, work_dir, data):
    others = tuple(v for k, v in all_seeds.items() if k != fmt)
    blob = data.draw(mutated(structure_seeds[fmt], others), label="file")
    path = work_dir / f"case{EXT[fmt]}"
    path.write_bytes(blob)
    check_reader(fmt, lambda p: read(p, "structure"), path, _valid)


@pytest.mark.parametrize("fmt", sorted(EXT))
@fuzz(share=0.5)
def test_random_bytes_as_structure_files(fmt, work_dir, data):
    blob = data.draw(st.one_of(st.binary(max_size=512), st.text(max_size=512).map(str.encode)), label="file")
    path = work_dir / f"junk{EXT[fmt]}"
    path.write_bytes(blob)
    check_reader(fmt, lambda p: read(p, "structure"), path, _valid)
