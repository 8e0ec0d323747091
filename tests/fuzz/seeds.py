"""Valid seed files of every format the readers take (small, built in a temporary folder once per session)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np


def structure_seeds(root: Path) -> dict:
    """``{name: bytes}`` for extxyz, xyz, lammps-data and lammps-dump files of a 20-atom periodic honeycomb."""
    from glassfail_core.generation import honeycomb
    from glassfail_core.io import write_structure

    g = honeycomb(2, 2)
    out = {}
    for name, fname, fmt in (("extxyz", "s.extxyz", None), ("xyz", "s.xyz", "xyz"), ("lammps-data", "s.data", None)):
        write_structure(g, root / fname, format=fmt)
        out[name] = (root / fname).read_bytes()
    lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(len(g)), "ITEM: BOX BOUNDS pp pp ff",
             f"0.0 {float(g.cell[0])!r}", f"0.0 {float(g.cell[1])!r}", "-10.0 10.0", "ITEM: ATOMS id type x y z"]
    for k, (s, (x, y)) in enumerate(zip(g.species, g.positions)):
        lines.append(f"{k + 1} {1 if s == 'Si' else 2} {x:.8f} {y:.8f} 0.0")
    out["lammps-dump"] = ("\n".join(lines) + "\n").encode()
    return out


def micrograph_seeds(root: Path) -> dict:
    """``{name: bytes}`` for tif (calibrated glassfail TIFF), png, jpg and dm3/dm4 (a calibrated dm3) images."""
    import imageio.v3 as iio

    from glassfail_core.io import write_micrograph
    from glassfail_core.micrograph import Micrograph

    from ..micrograph.dm3_writer import write_dm3

    rng = np.random.default_rng(0)
    img = rng.normal(100.0, 10.0, (16, 24))
    write_micrograph(Micrograph(img, pixel_size=0.3), root / "m.tif")
    out = {"tif": (root / "m.tif").read_bytes()}
    u8 = np.clip(img, 0, 255).astype(np.uint8)
    for ext in ("png", "jpg"):
        buf = io.BytesIO()
        iio.imwrite(buf, u8, extension=f".{ext}")
        out[ext] = buf.getvalue()
    write_dm3(root / "m.dm3", img, scale=0.03, units="nm")
    out["dm3"] = (root / "m.dm3").read_bytes()
    out["dm4"] = out["dm3"]
    out["emd"] = b"\x89HDF\r\n\x1a\n" + bytes(512)  # an HDF5 signature (the emd reader needs h5py)
    return out


#: A small network (a few thousand weights) so that loading a model is quick.
SMALL_ARCHITECTURE = {"widths": [4, 4, 4, 4], "depths": [1, 1, 1], "decoder": 4}


def model_seed(root: Path) -> Path:
    """A saved model folder (config.json + model.safetensors) with a small network."""
    import torch

    from glassfail_core.learn.checkpoint import Model, save_model
    from glassfail_core.learn.model import DEFAULT_ARCHITECTURE, build_network
    from glassfail_core.learn.train import TrainParams

    p = TrainParams()
    arch = dict(DEFAULT_ARCHITECTURE, **SMALL_ARCHITECTURE)
    cfg = {"name": "fuzz", "version": "0", "architecture": arch, "input": dict(p.input),
           "targets": list(p.targets), "maps": list(p.maps),
           "normalisation": {"image": {"mean": 50.0, "std": 100.0},
                             "targets": {t: {"mean": 0.1, "std": 0.02} for t in p.targets}}}
    torch.manual_seed(0)
    return save_model(Model(build_network(arch).eval(), cfg), root / "model")


def dataset_seed(root: Path) -> Path:
    """A dataset folder: dataset.json, one sample file and the index, as a build writes them (without running
    the physics: the sample's curves and labels are made up, the file layout is the real one)."""
    import pandas as pd

    from glassfail_core.dataset.spec import DatasetSpec
    from glassfail_core.dataset.store import DatasetStore
    from glassfail_core.generation import honeycomb

    store = DatasetStore.create(root / "dataset", DatasetSpec(seed=0, variance=(0.3, 1.2), rings=(6, 6)))
    g = honeycomb(2, 2)
    labels = {"rupture_strain": 0.05, "peak_stress": 0.3}
    arrays = {
        "positions": np.asarray(g.positions, np.float64), "species": (np.asarray(g.species) == "O").astype(np.uint8),
        "cell": np.asarray(g.cell, np.float64), "pbc": np.asarray(g.pbc, bool),
        "strains": np.linspace(0, 0.05, 6, dtype=np.float32), "stresses": np.linspace(0, 0.3, 6, dtype=np.float32),
        "energies": np.linspace(-1, -0.9, 6), "n_broken": np.array([0, 0, 0, 0, 0, 1], np.int32),
        "break_bonds": np.array([[0, 1]], np.int32), "break_strains": np.array([0.05]),
        "break_sites": np.array([[1.0, 2.0]]),
        "labels": np.array(json.dumps(labels)), "meta": np.array(json.dumps({"split": "train", "glass_info": {}})),
    }
    store.write_sample(0, arrays)
    store.write_index([{"index": 0, "status": "ok", "split": "train", "seed": 1, **labels}])
    assert len(pd.read_parquet(store.root / "index.parquet")) == 1
    return store.root


def run_seed(root: Path) -> Path:
    """An AQS run folder (result.json + curves.npz) with a made-up curve."""
    from glassfail_core.io.runs import write_run_result
    from glassfail_core.physics import FractureResult

    r = FractureResult.from_curves(strains=[0.0, 0.01, 0.02], stresses=[0.0, 0.002, 0.001],
                                   energies=[-1.0, -0.9, -0.8], n_broken=[0, 0, 1])
    (root / "run").mkdir()
    return write_run_result(root / "run", r)
