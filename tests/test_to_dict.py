"""Every public frozen dataclass of parameters or results has ``to_dict()`` returning JSON-ready values."""

import dataclasses
import importlib
import json
import pkgutil

import numpy as np
import pytest

import glassfail_core
from glassfail_core.dataset.build import BuildSummary
from glassfail_core.dataset.labels import labels_from_result
from glassfail_core.dataset.load import Sample
from glassfail_core.dataset.spec import DatasetSpec
from glassfail_core.generation import GenerationParams, honeycomb, stone_wales
from glassfail_core.generation.dual import DualLattice
from glassfail_core.generation.network import dual_to_network
from glassfail_core.glass import Glass
from glassfail_core.io.registry import formats
from glassfail_core.micrograph import Micrograph, SpotParams, TEMParams
from glassfail_core.micrograph.detection import DetectParams
from glassfail_core.micrograph.render import render_periodic
from glassfail_core.physics import AQSParams, get_model
from glassfail_core.physics.aqs import FractureResult
from glassfail_core.progress import Progress
from glassfail_core.rings import find_rings, ring_statistics
from glassfail_core.workflows.deform import DeformOutcome
from glassfail_core.workflows.detect import Detection
from glassfail_core.workflows.sample import SampleOutcome

#: Frozen dataclasses still without ``to_dict`` (owned elsewhere; remove from here once they have one).
def _public_frozen_dataclasses():
    for info in pkgutil.walk_packages(glassfail_core.__path__, "glassfail_core."):
        if info.name.endswith("__main__"):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency (torch, openmm, ...) that is not installed
            continue
        for name, obj in vars(module).items():
            if (isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__
                    and not name.startswith("_") and obj.__dataclass_params__.frozen):
                yield f"{module.__name__}.{name}", obj


def test_every_public_frozen_dataclass_has_to_dict():
    found = dict(_public_frozen_dataclasses())
    assert "glassfail_core.glass.Glass" in found and "glassfail_core.rings.ringset.RingSet" in found
    missing = sorted(k for k, cls in found.items() if not callable(getattr(cls, "to_dict", None)))
    assert not missing


def _result():
    return FractureResult.from_curves(strains=[0.0, 0.01, 0.02], stresses=[0.0, 0.01, 0.0], energies=[0.0] * 3,
                                      n_broken=[0, 0, 1])


def _objects():
    g = honeycomb(4, 4)
    rs = find_rings(g)
    res = _result()
    lat = DualLattice(4, 4, 3.05)
    for params in (GenerationParams(), AQSParams(), DetectParams(), SpotParams(), TEMParams(), DatasetSpec(),
                   get_model("rhh")):
        yield type(params).__name__, params
    yield "Micrograph", Micrograph(np.zeros((8, 8)), pixel_size=0.3)
    yield "PeriodicImage", render_periodic(stone_wales(4, 4), seed=1)
    yield "Progress", Progress("detect", 1, 2, "tile 1/2", {"n_si": 3})
    yield "BuildSummary", BuildSummary("out", 1, 1, 0, 1, 0.5, {})
    yield "FractureResult", res
    yield "Glass", g
    yield "RingSet", rs
    yield "Topology", dual_to_network(lat)[1]
    yield "RingStats", ring_statistics(rs)
    yield "Detection", Detection(g, rs, ring_statistics(rs))
    yield "Detection (no rings)", Detection(g, rings_note="too few atoms for rings")
    yield "DeformOutcome", DeformOutcome(res, g, {"reason": "test", "reused": False})
    yield "SampleOutcome", SampleOutcome(0, "ok", glass=g, result=res, labels=labels_from_result(res),
                                         timings={"generate_s": 0.1})
    yield "SampleOutcome (failed)", SampleOutcome(1, "failed", reason="x")
    yield "Sample", Sample(2, g, {"failure_strain": 0.02}, {"split": "train"}, np.zeros(3), np.zeros(3),
                           np.zeros(3), np.zeros((0, 2), int), np.zeros(0), np.zeros((0, 2)))
    for fmt in formats():
        yield f"FileFormat {fmt.name}", fmt


@pytest.mark.parametrize("name,obj", list(_objects()), ids=lambda v: v if isinstance(v, str) else "")
def test_to_dict_is_json_ready(name, obj):
    d = obj.to_dict()
    assert isinstance(d, dict)
    assert json.loads(json.dumps(d)) == d  # plain JSON types only (no tuples, arrays or numpy scalars)


def test_glass_dict_round_trip_and_old_names():
    g = honeycomb(3, 4)
    h = Glass.from_dict(g.to_dict())
    assert np.array_equal(h.positions, g.positions) and h.pbc == g.pbc
    assert Glass.todict is Glass.to_dict and Glass.fromdict(g.todict()).n_atoms == g.n_atoms
