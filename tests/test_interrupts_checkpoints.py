"""A process killed between the two writes of a checkpoint (arrays, then JSON) resumes from the arrays' own step.

The random kills of ``tests/cli/test_interrupts.py`` rarely land in that window; here it is made on purpose: the
JSON of the step before is put back beside the arrays of the last step.
"""

import json
import shutil

import numpy as np
import pytest

from glassfail_core.io import read_structure
from glassfail_core.physics import AQSParams
from glassfail_core.physics.aqs import deform_steps
from glassfail_core.progress import run

from .workflows.batch_inputs import SAMPLES

PARAMS = AQSParams(until="first", step=0.005, refine_step=0.001)


def _recorded(run_dir, glass, n):
    """Run (or resume) the deformation in ``run_dir`` for ``n`` more recorded states, then stop it."""
    job = deform_steps(glass, PARAMS, run_dir=run_dir)
    states = set()
    for ev in job:
        states.add(ev.data.get("state"))
        if len(states) > n:
            break
    job.close()


def test_aqs_checkpoint_arrays_ahead_of_their_json(tmp_path):
    glass = read_structure(SAMPLES / "stone_wales_8x8.extxyz")
    full = run(deform_steps(glass, PARAMS, run_dir=tmp_path / "full"))
    d = tmp_path / "killed"
    _recorded(d, glass, 3)
    older = (d / "checkpoint.json").read_text()
    _recorded(d, glass, 1)  # one more state: checkpoint.npz and checkpoint.json both at it
    assert json.loads(older)["eps"] < json.loads((d / "checkpoint.json").read_text())["eps"]
    (d / "checkpoint.json").write_text(older)  # killed between the two writes of that state
    (d / "result.json").unlink()
    res = run(deform_steps(glass, PARAMS, run_dir=d))
    np.testing.assert_array_equal(res.strains, full.strains)
    np.testing.assert_array_equal(res.stresses, full.stresses)
    assert res.breaks == full.breaks
    for name in ("configs.npz",):
        with np.load(d / name) as a, np.load(tmp_path / "full" / name) as b:
            assert sorted(a.files) == sorted(b.files)
            for k in a.files:
                np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_training_state_json_behind_its_tensors(tmp_path):
    torch = pytest.importorskip("torch")
    from glassfail_core.learn.state import load_state, save_state

    net = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    infos = []
    for epoch in range(2):
        net(torch.ones(4, 3)).sum().backward()
        opt.step()
        infos.append({"epoch": epoch, "history": [{"epoch": e + 1} for e in range(epoch + 1)], "best_val": 0.5})
        if epoch == 0:
            save_state(tmp_path, net, dict(net.state_dict()), opt, infos[-1])
            older = (tmp_path / "checkpoint" / "state.json").read_text()
    save_state(tmp_path, net, dict(net.state_dict()), opt, infos[-1])
    (tmp_path / "checkpoint" / "state.json").write_text(older)  # killed between the two writes of epoch 1
    info, tensors = load_state(tmp_path)
    assert info == infos[-1]
    torch.testing.assert_close(tensors["net.weight"], net.weight.detach())
    # the first epoch killed between its two writes: the tensors alone are a state, not a stranger's folder
    shutil.rmtree(tmp_path / "checkpoint")
    save_state(tmp_path, net, dict(net.state_dict()), opt, infos[0])
    (tmp_path / "checkpoint" / "state.json").unlink()
    assert load_state(tmp_path)[0] == infos[0]
