"""The files of a run folder (glassfail_core.io.runs): exact round-trips, atomic writes, refused pickles."""

import json

import numpy as np
import pytest

from glassfail_core.errors import StructureFileError
from glassfail_core.io import runs
from glassfail_core.physics import FractureResult


def _result(**kw):
    breaks = [{"si": 3, "o": 7, "strain": 0.02, "length": 3.9, "location": [1.5, 2.5],
               "location_initial": [1.25, 2.5]}]
    base = dict(strains=[0.0, 0.01, 0.02], stresses=[0.0, 0.004, 0.001], energies=[-5.0, -4.9, -4.7],
                n_broken=[0, 0, 1], tilts=[0.0, 0.1 / 3, 0.2], breaks=breaks, params={"step": 0.01},
                info={"input_hash": "abc", "boundary": "lees-edwards"})
    base.update(kw)
    return FractureResult.from_curves(**base)


def test_result_round_trip_is_exact(tmp_path):
    r = _result(complete=False)
    assert runs.write_run_result(tmp_path, r) == tmp_path
    assert runs.has_run_result(tmp_path) and not runs.has_run_result(tmp_path / "other")
    back = runs.read_run_result(tmp_path)
    assert back.to_dict() == r.to_dict()
    assert back.broken_bond == (3, 7) and back.location == (1.5, 2.5) and back.complete is False
    for k in FractureResult._ARRAYS:
        np.testing.assert_array_equal(getattr(back, k), getattr(r, k))
        assert getattr(back, k).dtype == getattr(r, k).dtype
    d = json.loads((tmp_path / "result.json").read_text())
    assert d["format"] == runs.RESULT_FORMAT and "strains" not in d
    # the methods are the same files
    r.save(tmp_path / "m")
    assert FractureResult.load(tmp_path / "m").to_dict() == r.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["curves.npz", "result.json"]  # no temps


def test_missing_curves_read_as_empty(tmp_path):
    runs.write_run_result(tmp_path, _result())
    with np.load(tmp_path / "curves.npz") as z:
        kept = {k: z[k] for k in z.files if k != "tilts"}
    np.savez(tmp_path / "curves.npz", **kept)  # written by a version without tilts
    assert runs.read_run_result(tmp_path).tilts.shape == (0,)


@pytest.mark.parametrize("damage", ["missing", "bad_json", "bad_npz", "pickle"])
def test_unreadable_run_folder(tmp_path, damage):
    runs.write_run_result(tmp_path, _result())
    if damage == "missing":
        (tmp_path / "curves.npz").unlink()
    elif damage == "bad_json":
        (tmp_path / "result.json").write_text("{not json")
    elif damage == "bad_npz":
        (tmp_path / "curves.npz").write_bytes(b"not a zip")
    else:  # an object array needs a pickle to load: refused
        np.savez(tmp_path / "curves.npz", strains=np.array([{"a": 1}], dtype=object))
    with pytest.raises(StructureFileError, match="not a readable glassfail run folder"):
        runs.read_run_result(tmp_path)


def test_configs_round_trip(tmp_path):
    arrays = dict(final_positions=np.arange(6.0).reshape(3, 2), final_cell=np.array([10.0, 12.0]),
                  bonds=np.array([[0, 1]]), broken=np.array([True]), final_tilt=np.float64(0.5))
    runs.write_configs(tmp_path, **arrays)
    back = runs.read_configs(tmp_path)
    assert sorted(back) == sorted(arrays)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
        assert back[k].dtype == np.asarray(v).dtype
    with pytest.raises(StructureFileError, match="configs.npz"):
        runs.read_configs(tmp_path / "none")


def test_checkpoint_round_trip(tmp_path):
    assert runs.read_checkpoint(tmp_path) is None
    meta = {"hash": "0123", "eps": 0.015, "refine_until": None, "breaks": []}
    arrays = {"pos": np.ones((4, 2)), "strains": np.array([0.0, 0.01]), "tilt": np.float64(0.0)}
    runs.write_checkpoint(tmp_path, meta, arrays)
    m, z = runs.read_checkpoint(tmp_path)
    assert m == meta and sorted(z) == sorted(arrays)
    np.testing.assert_array_equal(z["pos"], arrays["pos"])
    (tmp_path / "checkpoint.json").unlink()  # both files are needed
    assert runs.read_checkpoint(tmp_path) is None
