"""Hypothesis profiles of the fuzz tests, chosen by ``GLASSFAIL_FUZZ``.

* default (unset): 30 cases per reader (about 400 in all), so that the whole folder runs in the default suite in
  seconds;
* ``GLASSFAIL_FUZZ=1`` (``make fuzz``): 10,000 cases per reader (``GLASSFAIL_FUZZ_EXAMPLES`` overrides the count).

A reader fuzzed by two tests (mutated files, random bytes) gives each half of its count. Outcomes and durations per
test are written to ``GLASSFAIL_FUZZ_REPORT`` (JSON) after every test, so a long run stopped early still says what
ran.

The profiles are registered here and applied only to the fuzz tests (through :func:`tests.fuzz.harness.fuzz`), never
loaded globally, so other hypothesis tests keep their own settings. No example database is written (the working
tree stays clean); a failure prints the seed and the blob to reproduce it.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])

settings.register_profile("glassfail-fuzz-quick", max_examples=int(os.environ.get("GLASSFAIL_FUZZ_EXAMPLES", 30)),
                          **_COMMON)
settings.register_profile("glassfail-fuzz-full", max_examples=int(os.environ.get("GLASSFAIL_FUZZ_EXAMPLES", 10_000)),
                          **_COMMON)


_DURATIONS: dict = {}


def _write_report():
    from .harness import OUTCOMES

    out = os.environ.get("GLASSFAIL_FUZZ_REPORT")
    if out:
        import json

        with open(out, "w") as fh:
            json.dump({"outcomes": {k: dict(v) for k, v in OUTCOMES.items()}, "seconds": _DURATIONS}, fh, indent=1)


def pytest_runtest_logreport(report):
    if report.when == "call" and "tests/fuzz/" in report.nodeid.replace("\\", "/"):
        _DURATIONS[report.nodeid.split("::", 1)[-1]] = {"seconds": round(report.duration, 1),
                                                       "outcome": report.outcome}
        _write_report()


def pytest_terminal_summary(terminalreporter):
    """Cases per reader and how they ended (also written as JSON to ``GLASSFAIL_FUZZ_REPORT`` when set)."""
    from .harness import OUTCOMES

    if not OUTCOMES:
        return
    terminalreporter.section("fuzz cases per reader")
    for name, c in sorted(OUTCOMES.items()):
        terminalreporter.write_line(f"{name:14s} {sum(c.values()):7d} cases: {c['ok']:6d} read, "
                                    f"{c['refused']:6d} refused with the product's error")
    _write_report()



@pytest.fixture(scope="session")
def seed_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz_seeds")


@pytest.fixture(scope="session")
def structure_seeds(seed_root):
    from .seeds import structure_seeds

    return structure_seeds(seed_root)


@pytest.fixture(scope="session")
def micrograph_seeds(seed_root):
    from .seeds import micrograph_seeds

    return micrograph_seeds(seed_root)


@pytest.fixture(scope="session")
def all_seeds(structure_seeds, micrograph_seeds, seed_root):
    """Every single-file seed, plus the JSON and weights of a model folder (the "wrong kind" pool)."""
    from .seeds import model_seed

    model = model_seed(seed_root / "pool")
    return {**structure_seeds, **micrograph_seeds, "config.json": (model / "config.json").read_bytes(),
            "safetensors": (model / "model.safetensors").read_bytes()}


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory):
    """Where each case writes its file (one folder, overwritten case after case)."""
    return tmp_path_factory.mktemp("fuzz_cases")
