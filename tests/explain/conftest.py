"""A tiny untrained model (seeded weights, a plausible config) saved once per session: explanations need a network,
not a good one; the label-randomisation check trains its own."""

import pytest

TINY_ARCH = {"widths": [8, 8, 16, 16], "depths": [1, 1, 1], "decoder": 8}


def tiny_config():
    from glassfail_core.learn.data import MAPS, TARGETS
    from glassfail_core.learn.images import DEFAULT_INPUT
    from glassfail_core.learn.model import DEFAULT_ARCHITECTURE

    stats = {"failure_strain": (0.08, 0.02), "max_stress": (0.012, 0.002), "first_break_strain": (0.06, 0.02)}
    return {"name": "tiny-explain", "version": "0", "architecture": dict(DEFAULT_ARCHITECTURE, **TINY_ARCH),
            "input": dict(DEFAULT_INPUT, train_shape=[128, 128]), "targets": list(TARGETS), "maps": list(MAPS),
            "normalisation": {"image": {"mean": 40.0, "std": 90.0},
                              "targets": {t: {"mean": m, "std": s} for t, (m, s) in stats.items()}},
            "intervals": {"level": 0.9, "halfwidth": {t: s for t, (_, s) in stats.items()}},
            "train_range": {"variance": [0.2, 1.2], "periodic": True}}


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One torch thread: the CPUs are shared, and small networks run faster without thread hand-offs."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    import torch

    from glassfail_core.learn.checkpoint import Model, save_model
    from glassfail_core.learn.model import build_network

    torch.manual_seed(0)
    cfg = tiny_config()
    net = build_network(cfg["architecture"]).eval()
    return save_model(Model(net, cfg), tmp_path_factory.mktemp("explain_model") / "model")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from glassfail_core.learn.checkpoint import load_model

    return load_model(tiny_model_dir)
