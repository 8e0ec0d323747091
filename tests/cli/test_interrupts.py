"""Interrupted work: SIGTERM (and SIGINT where the shell ignores it, as ``nohup`` and ``cmd &`` do) stops a long
command as Ctrl-C does (finished work kept, one line, exit 143/130); ``deform``, ``dataset build``, ``train`` and
``batch`` killed with SIGKILL at several random moments, then rerun, end with the result of an uninterrupted run
without redoing finished work.

Each command is a subprocess, started with SIGINT ignored. The kill points are drawn from a seeded generator (the
seed is in every failure message): a threshold of progress seen on disk, then a random delay, so kills land inside
steps and file writes as well as between them.
"""

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glassfail_core.cli import common
from glassfail_core.cli.common import Interrupted, run_with_progress
from glassfail_core.cli.main import main
from glassfail_core.progress import Progress

SEED = int(os.environ.get("GLASSFAIL_KILL_SEED", "19"))
GLASSFAIL = [sys.executable, "-m", "glassfail_core"]
SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
#: The one line a stopped command says (stderr).
STOPPED = {signal.SIGINT: "Stopped: interrupted (Ctrl-C); finished work was kept",
           signal.SIGTERM: "Stopped: interrupted (SIGTERM); finished work was kept"}
DEFORM = ["--until", "failure", "--step", "0.002", "--refine-step", "0.0002"]
N_DATASET = 5
DATASET = ["--n", N_DATASET, "--rings", "6x6", "--variance", "0.3:1.2", "--seed", "0"]  # train ×3, val ×1, test ×1
TRAIN = ["--epochs", "5", "--batch-size", "2", "--seed", "0", "--threads", "1", "--no-evaluate"]


def _nohup():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what nohup and a script's `cmd &` do before exec


def start(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    return subprocess.Popen(GLASSFAIL + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_nohup, env=env)


def finish(proc, timeout=300):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for(proc, done, what, timeout=300):
    """Poll ``done()`` until true; fail (with the command's stderr) if the command ends or time runs out first."""
    deadline = time.time() + timeout
    while not done():
        if proc.poll() is not None:
            raise AssertionError(f"the command ended before {what} (seed {SEED}): rc {proc.returncode}\n"
                                 f"{proc.stderr.read()}")
        if time.time() > deadline:
            proc.kill()
            raise AssertionError(f"no {what} within {timeout} s (seed {SEED})")
        time.sleep(0.01)


def kill_at(proc, done, what, rng, jitter):
    """SIGKILL ``proc`` a random delay (up to ``jitter`` s) after ``done()`` becomes true."""
    wait_for(proc, done, what)
    time.sleep(rng.uniform(0, jitter))
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)


def stop_with(proc, signum):
    """Send ``signum``; the command must end with 128 + signum and say one line, the last on stderr."""
    proc.send_signal(signum)
    rc, out, err = finish(proc, timeout=90)
    assert rc == 128 + signum, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == STOPPED[signum], err
    return err


def _json(path, default=None):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def _in_process(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    assert exc.value.code == 0, out.err
    return out.out


def _children(pid):
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(d.name))
    return kids


def _alive(pid):
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ------------------------------------------------------------------------------------------------- in this process
def _job(log, steps=50, swallow=False, on_step=None):
    try:
        for k in range(steps):
            if on_step is not None:
                try:
                    on_step(k)
                except Exception:  # noqa: BLE001 - a job whose own error handling swallows a forced stop
                    if not swallow:
                        raise
            log.append(k)
            yield Progress("count", k + 1, steps)
        return "done"
    finally:
        log.append("cleaned up")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_closes_the_job_at_its_next_event(signum):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    log = []
    with pytest.raises(Interrupted) as exc:
        run_with_progress(_job(log, on_step=lambda k: k == 3 and os.kill(os.getpid(), signum)), quiet=True)
    assert exc.value.exit_code == 128 + signum
    assert log == [0, 1, 2, 3, "cleaned up"]  # step 3 finished, nothing after it
    assert {s: signal.getsignal(s) for s in before} == before


def test_a_job_that_yields_nothing_is_stopped_where_it_is(monkeypatch):
    monkeypatch.setattr(common, "STOP_GRACE", 0.2)
    log, t0 = [], time.time()

    def busy(k):
        if k == 1:
            os.kill(os.getpid(), signal.SIGTERM)
            while time.time() < t0 + 30:  # a wait with no progress event (Dask workers, one long step)
                time.sleep(0.01)

    with pytest.raises(Interrupted):
        run_with_progress(_job(log, on_step=busy), quiet=True)
    assert time.time() - t0 < 10 and log == [0, "cleaned up"]


def test_a_swallowed_stop_still_stops_and_cleanup_ignores_more_signals(monkeypatch):
    monkeypatch.setattr(common, "STOP_GRACE", 0.1)
    log = []

    def step(k):
        if k == 1:
            os.kill(os.getpid(), signal.SIGTERM)
            try:
                time.sleep(5)  # the forced stop lands in compiled code, which wraps it (numba: a SystemError)
            except KeyboardInterrupt as stop:
                raise SystemError("returned a result with an exception set") from stop

    def job():
        try:
            yield from _job(log, swallow=True, on_step=step)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # an impatient second `kill` while cleaning up: ignored
            log.append("index written")

    with pytest.raises(Interrupted) as exc:
        run_with_progress(job(), quiet=True)
    assert exc.value.exit_code == 143 and log == [0, 1, "cleaned up", "index written"]


# ------------------------------------------------------------------------------------------------------------- deform
@pytest.fixture(scope="module")
def deform_reference(tmp_path_factory):
    """An uninterrupted ``deform`` of the Stone–Wales crystal (this process): its run folder."""
    out = tmp_path_factory.mktemp("deform_ref") / "run"
    with pytest.raises(SystemExit) as exc:
        main(["-q", "deform", str(SAMPLES / "stone_wales_8x8.extxyz"), "-o", str(out), *DEFORM])
    assert exc.value.code == 0
    return out


def _same_run(a: Path, b: Path):
    ra, rb = _json(a / "result.json"), _json(b / "result.json")
    for d in (ra, rb):
        for k in ("wall_s",):
            d["info"].pop(k)
    assert ra == rb
    for name in ("curves.npz", "configs.npz"):
        with np.load(a / name) as za, np.load(b / name) as zb:
            assert sorted(za.files) == sorted(zb.files), name
            for k in za.files:
                np.testing.assert_array_equal(za[k], zb[k], err_msg=f"{name}:{k}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_deform_stops_on_sigterm_and_on_an_ignored_sigint(tmp_path, signum):
    run = tmp_path / "run"
    proc = start("deform", SAMPLES / "stone_wales_8x8.extxyz", "-o", run, *DEFORM)
    wait_for(proc, lambda: (_json(run / "checkpoint.json") or {}).get("eps", 0) >= 0.01, "a checkpoint at ε ≥ 0.01")
    err = stop_with(proc, signum)
    assert err.strip().splitlines() == [STOPPED[signum]]  # the one line, and nothing else
    res = _json(run / "result.json")  # what was finished: the curve so far, marked unfinished
    assert res["complete"] is False and len(np.load(run / "curves.npz")["strains"]) >= 6


def _deform_killed_at(run, thresholds, rng):
    """``deform`` into ``run`` killed once the checkpoint reaches each strain of ``thresholds`` (plus a random
    delay), then run to its end; the strains each killed run had reached."""
    args = ("deform", SAMPLES / "stone_wales_8x8.extxyz", "-o", run, *DEFORM)
    eps = lambda: (_json(run / "checkpoint.json") or {}).get("eps", 0)  # noqa: E731
    kept = []
    for threshold in thresholds:
        proc = start(*args)
        kill_at(proc, lambda: eps() >= threshold, f"ε ≥ {threshold}", rng, 0.3)
        kept.append(eps())
    rc, out, err = finish(start(*args))
    assert rc == 0, err
    assert "resuming the unfinished run" in err
    return kept


def test_deform_killed_three_times_ends_as_an_uninterrupted_run(tmp_path, deform_reference):
    ref = _json(deform_reference / "result.json")
    # before the first event, well into the loading, inside the refined interval of the first break
    kept = _deform_killed_at(tmp_path / "run", (0.01, 0.04, ref["rupture_strain"] - 0.001), random.Random(SEED))
    assert kept == sorted(kept) and kept[-1] < ref["rupture_strain"] + 0.01, f"killed mid-way (seed {SEED})"
    _same_run(deform_reference, tmp_path / "run")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_deform_killed_at_random_strains(tmp_path, deform_reference, seed):
    rng = random.Random(seed)
    end = float(np.load(deform_reference / "curves.npz")["strains"][-1])
    _deform_killed_at(tmp_path / "run", sorted(rng.uniform(0, end) for _ in range(5)), rng)
    _same_run(deform_reference, tmp_path / "run")


# ------------------------------------------------------------------------------------------------- dataset build
def _samples(root):
    return {p.name: p.stat().st_mtime_ns for p in (Path(root) / "samples").glob("[0-9]*.npz")}


@pytest.fixture(scope="module")
def killed_dataset(tmp_path_factory):
    """The 5-sample dataset of :data:`DATASET` built by a run stopped with SIGTERM on two Dask workers (started with
    SIGINT ignored, as nohup does), one killed with SIGKILL, then one to the end; with what each saw."""
    rng, root = random.Random(SEED + 1), tmp_path_factory.mktemp("ds") / "ds"
    record = {}
    proc = start("dataset", "build", root, *DATASET, "--workers", "2")
    wait_for(proc, lambda: len(_samples(root)) >= 1, "a first sample")
    record["workers"] = [k for k in _children(proc.pid)]
    record["sigterm_err"] = stop_with(proc, signal.SIGTERM)
    record["after_sigterm"] = _samples(root)
    proc = start("dataset", "build", root, *DATASET, "--workers", "0")
    more = min(len(record["after_sigterm"]) + 2, N_DATASET - 1)
    assert len(record["after_sigterm"]) < more, "SIGTERM stopped the build mid-way"
    kill_at(proc, lambda: len(_samples(root)) >= more, "more samples", rng, 1.0)
    record["after_kill"] = _samples(root)
    proc = start("dataset", "build", root, *DATASET, "--workers", "0", "--json")
    rc, out, err = finish(proc, timeout=300)
    assert rc == 0, err
    record["summary"] = json.loads(out)
    return root, record


def test_dataset_build_stops_on_sigterm_with_its_workers(killed_dataset):
    root, rec = killed_dataset
    assert rec["after_sigterm"], "finished samples were kept"
    assert len(rec["workers"]) >= 2  # the LocalCluster's processes (and dask's resource tracker)
    deadline = time.time() + 20
    while any(_alive(p) for p in rec["workers"]) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in rec["workers"]), "the Dask workers outlived the stopped build"


def test_dataset_build_killed_resumes_without_redoing(killed_dataset):
    from glassfail_core.dataset import load_dataset

    root, rec = killed_dataset
    final = _samples(root)
    for name, mtime in rec["after_kill"].items():  # every finished sample kept, untouched (none redone)
        assert final[name] == mtime, name
    s = rec["summary"]
    assert s["kept"] == len(rec["after_kill"]) and s["made"] + s["failed"] == N_DATASET - s["kept"]
    ds = load_dataset(root)
    assert len(ds.table) == N_DATASET and sorted(ds.indices()) == list(range(N_DATASET))


# ------------------------------------------------------------------------------------------------------------ train
def _weights(folder):
    from safetensors.numpy import load_file

    return load_file(str(Path(folder) / "model.safetensors"))


def test_train_stopped_then_killed_ends_with_the_weights_of_an_uninterrupted_run(killed_dataset, tmp_path, capsys):
    import torch

    root, _ = killed_dataset
    threads = torch.get_num_threads()
    try:
        _in_process(["-q", "train", root, "-o", tmp_path / "ref", *TRAIN], capsys)
    finally:
        torch.set_num_threads(threads)
    rng, out = random.Random(SEED + 2), tmp_path / "m"
    epoch = lambda: (_json(out / "checkpoint" / "state.json") or {}).get("epoch", -1)  # noqa: E731
    proc = start("train", root, "-o", out, *TRAIN)  # nohup'd: SIGTERM stops it at once, the last epoch kept
    wait_for(proc, lambda: epoch() >= 0, "a first epoch")
    stop_with(proc, signal.SIGTERM)
    first = epoch()
    assert first >= 0
    proc = start("train", root, "-o", out, *TRAIN)
    kill_at(proc, lambda: epoch() >= first + 1, "one more epoch", rng, 0.5)  # inside the next epoch, or its write
    assert epoch() < 4, f"killed before the end (seed {SEED})"
    proc = start("train", root, "-o", out, *TRAIN, "--json")
    rc, text, err = finish(proc)
    assert rc == 0, err
    res = json.loads(text)
    assert res["resumed_from"] is not None and res["resumed_from"] >= first + 1
    ref, got = _weights(tmp_path / "ref"), _weights(out)
    assert sorted(ref) == sorted(got)
    for k in ref:
        np.testing.assert_array_equal(ref[k], got[k], err_msg=f"{k} (seed {SEED})")
    ref_hist = _json(tmp_path / "ref" / "checkpoint" / "state.json")["history"]
    assert [h["val_loss"] for h in res["history"]] == [h["val_loss"] for h in ref_hist]


# ------------------------------------------------------------------------------------------------------------ batch
def _table(out):
    with open(Path(out) / "batch.csv", newline="") as fh:
        return {r["file"]: r for r in csv.DictReader(fh)}


def _n_rows(out):
    try:
        return len((Path(out) / "batch.csv").read_text().splitlines()) - 1
    except OSError:
        return 0


def test_batch_killed_twice_keeps_its_rows_and_ends_as_an_uninterrupted_run(tmp_path, capsys):
    import shutil

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(78):  # enough rows after the second kill point that an unloaded machine cannot finish them all
        shutil.copy(SAMPLES / ("crystal_8x8.extxyz", "stone_wales_8x8.extxyz")[k % 2], folder / f"s{k:02d}.extxyz")
    shutil.copy(SAMPLES / "micrograph_spots.tif", folder / "s99.tif")
    (folder / "s50_broken.extxyz").write_text("not a structure\n")
    (tmp_path / "ref").mkdir()
    _in_process(["-q", "batch", folder, "-o", tmp_path / "ref", "--tasks", "detect"], capsys)
    rng, out = random.Random(SEED + 3), tmp_path / "out"
    out.mkdir()
    seen = []
    for rows in (3, 15):
        proc = start("batch", folder, "-o", out, "--tasks", "detect")
        kill_at(proc, lambda: _n_rows(out) >= rows, f"{rows} rows", rng, 0.3)
        seen.append(_table(out))
    assert 0 < len(seen[0]) <= len(seen[1]) < 80, f"killed mid-way (seed {SEED})"
    for name, row in seen[0].items():  # finished rows are kept as they were
        assert seen[1][name] == row
    proc = start("batch", folder, "-o", out, "--tasks", "detect", "--json")
    rc, text, err = finish(proc)
    assert rc == 0, err
    summary = json.loads(text)
    ok_before = sum(r["status"] == "ok" for r in seen[1].values())
    assert summary["kept"] == ok_before and summary["done"] + summary["failed"] + ok_before == 80
    ref, got = _table(tmp_path / "ref"), _table(out)
    assert list(ref) == list(got)
    assert ref == got  # the same rows (file names are relative to the output folder)
    atoms = got["s99.tif"]["atoms_file"]
    assert atoms and (out / atoms).read_text() == (tmp_path / "ref" / atoms).read_text()
