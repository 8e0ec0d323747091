"""A tiny dataset (8 glasses of 6 × 6 rings, built once per session in this process) and a model trained on it."""

import pytest

from glassfail_core.dataset import DatasetSpec

#: Splits of the first 8 samples: train ×5, val ×1, test ×2.
TINY = DatasetSpec(seed=0, variance=(0.3, 1.2), rings=(6, 6))
N_TINY = 8
FAST = {"epochs": 3, "batch_size": 4, "seed": 0, "threads": 1}


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    from glassfail_core.dataset.build import build

    root = tmp_path_factory.mktemp("learn_tiny")
    build(root, TINY, N_TINY, workers=0)
    return root


@pytest.fixture(scope="session")
def tiny_model(tiny_dataset, tmp_path_factory):
    """A model trained for 3 epochs on the tiny dataset, with its final evaluation; (folder, TrainResult)."""
    import torch

    from glassfail_core.learn.train import train

    threads = torch.get_num_threads()
    out = tmp_path_factory.mktemp("learn_model") / "model"
    try:
        res = train(tiny_dataset, out, **FAST)
    finally:
        torch.set_num_threads(threads)
    return out, res
