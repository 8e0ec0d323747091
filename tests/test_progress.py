"""Progress events and the synchronous driver :func:`glassfail_core.progress.run`."""

import pytest

from glassfail_core.errors import Cancelled
from glassfail_core.progress import Progress, run


def test_fraction():
    assert Progress("x", 3, 4).fraction == 0.75
    assert Progress("x", 3).fraction is None  # no total: a counter
    assert Progress("x", 3, 0).fraction is None
    assert Progress("x", 5, 4).fraction == 1.0 and Progress("x", -1, 4).fraction == 0.0  # clipped to [0, 1]


def test_to_dict_is_plain():
    data = {"strain": 0.05}
    d = Progress("deform", 2, 10, "strain 0.05", data).to_dict()
    assert d == {"stage": "deform", "done": 2, "total": 10, "message": "strain 0.05", "data": {"strain": 0.05}}
    assert type(d["data"]) is dict and d["data"] is not data
    assert Progress("x").to_dict() == {"stage": "x", "done": 0, "total": None, "message": "", "data": {}}


def _job(n, log):
    try:
        for k in range(n):
            yield Progress("count", k + 1, n, f"{k + 1}/{n}")
            log.append(k)
        return "done"
    finally:
        log.append("closed")


def test_run_returns_the_result_and_reports_every_event():
    log, seen = [], []
    assert run(_job(3, log), on_progress=seen.append) == "done"
    assert [e.done for e in seen] == [1, 2, 3] and all(isinstance(e, Progress) for e in seen)
    assert log == [0, 1, 2, "closed"]
    assert run(_job(0, [])) == "done"


def test_should_stop_cancels_and_closes_the_job():
    log, seen = [], []
    job = _job(10, log)
    with pytest.raises(Cancelled, match="user's request"):
        run(job, on_progress=seen.append, should_stop=lambda: len(seen) >= 2)
    assert [e.done for e in seen] == [1, 2]
    assert log == [0, "closed"]  # stopped at its second yield; its finally block ran
    assert job.gi_frame is None  # the generator is closed
    with pytest.raises(StopIteration):
        next(job)


def test_an_error_in_the_job_propagates_and_closes_it():
    def failing():
        yield Progress("x", 1, 2)
        raise RuntimeError("boom")

    job = failing()
    with pytest.raises(RuntimeError, match="boom"):
        run(job)
    assert job.gi_frame is None


def test_an_error_in_on_progress_closes_the_job():
    log = []
    job = _job(5, log)

    def broken(event):
        raise KeyError("display")

    with pytest.raises(KeyError):
        run(job, on_progress=broken)
    assert log == ["closed"] and job.gi_frame is None
