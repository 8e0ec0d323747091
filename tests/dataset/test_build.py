"""Dataset builds: LocalCluster, a real scheduler, kill-and-resume, damaged files, bad arguments."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from glassfail_core.cli.main import main
from glassfail_core.dataset import DatasetSpec, load_dataset
from glassfail_core.dataset.build import build
from glassfail_core.errors import InputError

TINY = DatasetSpec(seed=5, variance=(0.4, 1.0), rings=(6, 6))
GLASSFAIL = [sys.executable, "-m", "glassfail_core"]


def _same_samples(a, b, indices):
    for i in indices:
        sa, sb = a.sample(i), b.sample(i)
        np.testing.assert_array_equal(sa.glass.positions, sb.glass.positions)
        np.testing.assert_array_equal(sa.stresses, sb.stresses)
        assert sa.labels == sb.labels


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Four tiny samples built in this process (the reference for the other builds)."""
    root = tmp_path_factory.mktemp("ref")
    summary = build(root, TINY, 4, workers=0)
    assert summary.made + summary.failed == 4
    return root


def test_reference_build_has_labels_and_index(reference):
    ds = load_dataset(reference)
    assert len(ds.table) == 4 and set(ds.table["status"]) <= {"ok", "failed"}
    for s in ds:
        lab = s.labels
        assert 0 < lab["first_break_strain"] <= lab["half_stress_strain"]
        assert lab["failure_strain"] >= lab["first_break_strain"] - 0.0005 or lab["n_breaks_before_max"] == 0
        assert lab["max_stress"] == pytest.approx(float(s.stresses.max()), rel=1e-6)
        assert s.glass.n_si == 72 and s.glass.pbc == (True, True)
        assert s.split == TINY.split(s.index)
        row = ds.table[ds.table["index"] == s.index].iloc[0]
        assert row["failure_strain"] == lab["failure_strain"] and row["split"] == s.split


def test_local_cluster_gives_the_same_samples(reference, tmp_path):
    build(tmp_path, TINY, 4, workers=2)
    _same_samples(load_dataset(reference), load_dataset(tmp_path), load_dataset(reference).indices())


def test_real_scheduler(reference, tmp_path):
    """`dask scheduler` and two `dask worker` processes on 127.0.0.1; the build is given the address."""
    port = 8700 + os.getpid() % 200
    addr = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        for _ in range(2):
            procs.append(subprocess.Popen([str(bin_dir / "dask"), "worker", addr, "--nthreads", "1",
                                           "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        with pytest.raises(SystemExit) as exit_:
            main(["dataset", "build", str(tmp_path), "--n", "4", "--rings", "6x6", "--variance", "0.4:1.0",
                  "--seed", "5", "--scheduler", addr])
        assert exit_.value.code == 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
    _same_samples(load_dataset(reference), load_dataset(tmp_path), load_dataset(reference).indices())


def test_killed_build_resumes_without_recomputing(reference, tmp_path):
    root = tmp_path / "ds"
    cmd = GLASSFAIL + ["dataset", "build", str(root), "--n", "6", "--rings", "6x6", "--variance", "0.4:1.0",
                       "--seed", "5", "--workers", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((root / "samples").glob("*.npz"))) < 1:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in (root / "samples").glob("*.npz")}
    assert 1 <= len(done) < 6, "the build was not killed mid-way"
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for name, mtime in done.items():
        assert (root / "samples" / name).stat().st_mtime_ns == mtime  # not recomputed
    assert len(load_dataset(root).table) == 6
    _same_samples(load_dataset(reference), load_dataset(root), load_dataset(reference).indices())


def test_damaged_sample_is_rebuilt(reference, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(reference, root)
    victim = sorted((root / "samples").glob("*.npz"))[0]
    victim.write_bytes(victim.read_bytes()[:200])
    summary = build(root, TINY, 4, workers=0)
    assert summary.made == 1 and summary.kept == 3
    _same_samples(load_dataset(reference), load_dataset(root), [int(victim.stem)])


def test_growing_keeps_the_first_samples(reference, tmp_path):
    import shutil

    root = tmp_path / "ds"
    shutil.copytree(reference, root)
    summary = build(root, TINY, 5, workers=0)
    assert summary.kept == 4 and summary.made + summary.failed == 1
    assert json.loads((root / "dataset.json").read_text())["identity"] == TINY.identity()


@pytest.mark.parametrize("args, match", [
    (["--variance", "2:1"], "LO ≤ HI"), (["--n", "0"], "positive"),
    (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
])
def test_bad_arguments(tmp_path, capsys, args, match):
    t0 = time.time()
    with pytest.raises(SystemExit) as exit_:
        main(["dataset", "build", str(tmp_path / "d"), "--rings", "6x6", "--n", "1", *args])
    assert exit_.value.code == 2 and match in capsys.readouterr().err
    assert time.time() - t0 < 15


def test_folder_of_another_build_or_a_file(reference, tmp_path):
    with pytest.raises(InputError, match="different build"):
        build(reference, DatasetSpec(seed=6, variance=(0.4, 1.0), rings=(6, 6)), 1, workers=0)
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        build(f, TINY, 1, workers=0)
