"""Inputs of batch tests (shared by tests/workflows, tests/cli and the plugin's Batch tests): an untrained model
and a folder of three good files and one broken file."""

import shutil
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
#: The good files of :func:`batch_folder`: two structures and a calibrated micrograph.
GOOD = ("crystal_8x8.extxyz", "micrograph_spots.tif", "stone_wales_8x8.extxyz")
BROKEN = "broken.extxyz"


def untrained_model(path) -> Path:
    """A model folder with random (seeded) weights: predictions are meaningless but well-formed, and quick."""
    import torch

    from glassfail_core.learn.checkpoint import Model, save_model
    from glassfail_core.learn.model import build_network
    from glassfail_core.learn.train import TrainParams

    p = TrainParams()
    cfg = {"name": "untrained", "version": "0", "architecture": p.architecture, "input": dict(p.input),
           "targets": list(p.targets), "maps": list(p.maps),
           "normalisation": {"image": {"mean": 50.0, "std": 100.0},
                             "targets": {t: {"mean": 0.1, "std": 0.02} for t in p.targets}}}
    torch.manual_seed(0)
    return save_model(Model(build_network(cfg["architecture"]).eval(), cfg), path)


def batch_folder(path) -> Path:
    """``path`` holding :data:`GOOD` and :data:`BROKEN` (not a structure at all)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name in GOOD:
        shutil.copy(SAMPLES / name, path / name)
    (path / BROKEN).write_text("this is not a structure\n")
    return path
