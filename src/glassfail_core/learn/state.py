"""A training's resumable state: ``MODEL_DIR/checkpoint/state.safetensors`` + ``state.json``, written every epoch.

The tensors file holds the network's current weights (``net.*``), the best weights so far (``best.*``) and the Adam
moments (``opt.<i>.exp_avg``, ``opt.<i>.exp_avg_sq``, ``opt.<i>.step``); the JSON the epoch reached, the history,
the early-stopping counters, the config and the training's identity. Both are written atomically (the JSON last),
and the tensors file carries the same JSON in its header (metadata ``info``), which :func:`load_state` reads: a
training killed between the two writes must not resume with the weights of epoch ``e`` and the counters of epoch
``e - 1`` (it would train epoch ``e`` twice). So a killed training resumes from the last finished epoch; nothing is
pickled. Epoch ``e``'s shuffling,
augmentation, noise and dropout are drawn from ``(seed, e)``, so a resumed training continues exactly as an
uninterrupted one would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import torch

from .._atomic import atomic_path, json_default, write_json
from ..errors import InputError

__all__ = ["save_state", "load_state", "STATE_DIR"]

STATE_DIR = "checkpoint"


def save_state(root, net, best: dict, opt: torch.optim.Optimizer, info: dict) -> Path:
    """Write the state of a training after an epoch (see the module docstring)."""
    from safetensors.torch import save_file

    folder = Path(root) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    t = {f"net.{k}": v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()}
    t.update({f"best.{k}": v.detach().cpu().contiguous().clone() for k, v in best.items()})
    for i, st in opt.state_dict()["state"].items():
        for k, v in st.items():
            v = v if torch.is_tensor(v) else torch.tensor(float(v))
            t[f"opt.{i}.{k}"] = v.detach().cpu().contiguous().clone()
    with atomic_path(folder / "state.safetensors") as tmp:
        # this epoch's JSON travels with its tensors (see the module docstring)
        save_file(t, str(tmp), metadata={"info": json.dumps(info, default=json_default)})
    write_json(folder / "state.json", info)
    return folder


def load_state(root) -> Optional[tuple]:
    """``(info, tensors)`` of the state in ``root``, or None when there is none; InputError when it is damaged.

    ``info`` is the copy in the tensors file's header when it has one (see the module docstring), else
    ``state.json``.
    """
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    folder = Path(root) / STATE_DIR
    tensors_path = folder / "state.safetensors"
    if not (folder / "state.json").is_file() and not tensors_path.is_file():
        return None
    try:
        tensors = load_file(str(tensors_path))
        with safe_open(str(tensors_path), "pt") as fh:
            header = (fh.metadata() or {}).get("info")
        info = json.loads(header if header is not None else (folder / "state.json").read_text())
    except (OSError, ValueError, SafetensorError) as exc:
        raise InputError(f"{folder}: the training checkpoint is damaged ({type(exc).__name__}); remove the folder "
                         "to start again") from None
    return info, tensors


def restore(net, opt, tensors: dict) -> dict:
    """Load ``net.*`` into ``net`` and the Adam moments into ``opt``; returns the best weights (``best.*``)."""
    net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, i, name = k.split(".", 2)
            state.setdefault(int(i), {})[name] = v
    sd = opt.state_dict()
    sd["state"] = state
    opt.load_state_dict(sd)
    return best
