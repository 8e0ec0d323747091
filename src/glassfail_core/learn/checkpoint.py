"""Models are files, not pickles: ``MODEL_DIR/model.safetensors`` (weights) + ``MODEL_DIR/config.json``.

The config holds everything needed to use the weights: the architecture, how inputs are drawn (style, pixel size,
stride), the normalisation (image and targets), the targets and maps, the calibrated intervals, and the provenance
(training dataset's identity and content hash, split seed, test metrics, software versions). Its *fingerprint* — a
SHA-256 of the parts that decide a prediction — is also written into the safetensors header, so a config edited
after training, or weights from another model, are refused. Loading reads JSON and safetensors only (never
``torch.load``, never pickle); every refusal is one :class:`ModelFileError` line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .._atomic import atomic_path, write_json
from ..errors import StructureFileError

__all__ = ["Model", "save_model", "load_model", "ModelFileError", "WEIGHTS", "CONFIG", "FORMAT", "fingerprint",
           "file_sha256"]

WEIGHTS, CONFIG, FORMAT, FORMAT_VERSION = "model.safetensors", "config.json", "glassfail-model", 1
#: Config keys that decide a prediction (their hash is the fingerprint stored beside the weights).
DECISIVE = ("architecture", "input", "normalisation", "targets", "maps", "intervals")


class ModelFileError(StructureFileError):
    """A model folder or file that cannot be used (not a model, damaged, edited, wrong shapes)."""


def fingerprint(config: dict) -> str:
    """SHA-256 (hex, 16 digits) of the decisive parts of a config."""
    part = {k: config.get(k) for k in DECISIVE}
    return hashlib.sha256(json.dumps(part, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Model:
    """A network and its config (what :func:`save_model` writes and :func:`load_model` returns).

    Attributes
    ----------
    network : torch.nn.Module
        A :class:`~glassfail_core.learn.model.GlassNet`.
    config : dict
        See the module docstring; ``config["name"]`` and ``config["version"]`` name the model.
    path : str or None
        The folder it was loaded from.
    sha256 : str or None
        SHA-256 of its ``model.safetensors`` file.
    """

    network: object
    config: dict = field(default_factory=dict)
    path: Optional[str] = None
    sha256: Optional[str] = None

    @property
    def name(self) -> str:
        return str(self.config.get("name", "glassfail-model"))

    @property
    def version(self) -> str:
        return str(self.config.get("version", "0"))

    def to_dict(self) -> dict:
        """The model's identity and its config (the weights are in the safetensors file)."""
        return {**self.describe(), "config": dict(self.config)}

    def describe(self) -> dict:
        """Name, version, file hash and folder (the ``model`` field of a prediction)."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "path": self.path,
                "fingerprint": self.config.get("fingerprint")}


def save_model(model: Model, path) -> Path:
    """Write ``model`` to the folder ``path`` (created): ``model.safetensors`` then ``config.json``, atomically.

    The config gets ``format``, ``format_version`` and its ``fingerprint``; tensors are saved contiguous, float32.
    """
    from safetensors.torch import save_file

    if not isinstance(model, Model):
        raise ModelFileError(path, f"save_model takes a learn.checkpoint.Model, got {type(model).__name__}")
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise ModelFileError(root, "is a file; a model is a folder")
    root.mkdir(parents=True, exist_ok=True)
    config = dict(model.config, format=FORMAT, format_version=FORMAT_VERSION)
    config["fingerprint"] = fingerprint(config)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.network.state_dict().items()}
    with atomic_path(root / WEIGHTS) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "fingerprint": config["fingerprint"]})
    write_json(root / CONFIG, config)
    return root


def _read_config(root: Path) -> dict:
    cpath = root / CONFIG
    if not cpath.is_file():
        raise ModelFileError(root, f"not a glassfail model folder (no {CONFIG})")
    try:
        config = json.loads(cpath.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(cpath, f"not a model config (unreadable JSON: {exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(cpath, f"not a glassfail model config (format is not {FORMAT!r})")
    version = config.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(cpath, f"model format version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(cpath, f"model format version {version} is newer than this glassfail reads "
                                    f"({FORMAT_VERSION}); update glassfail")
    missing = [k for k in ("architecture", "input", "normalisation", "targets") if k not in config]
    if missing:
        raise ModelFileError(cpath, f"model config lacks {', '.join(missing)}")
    for key, kind in (("architecture", dict), ("input", dict), ("normalisation", dict), ("targets", list)):
        if not isinstance(config[key], kind):
            raise ModelFileError(cpath, f"model config: {key} must be a JSON {'object' if kind is dict else 'list'}")
    return config


def _read_weights(wpath: Path, config: dict) -> dict:
    from safetensors import SafetensorError, safe_open

    if not wpath.is_file():
        raise ModelFileError(wpath.parent, f"model folder has no {WEIGHTS}")
    try:
        with safe_open(str(wpath), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(wpath, f"not a readable safetensors file (damaged or truncated: "
                                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    if meta.get("format") != FORMAT:
        raise ModelFileError(wpath, "safetensors file is not a glassfail model's weights")
    return tensors, meta


def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _check_depths(cpath: Path, architecture: dict, n_tensors: int) -> None:
    """Refuse an architecture with more blocks than the weights have tensors (each block has several): such a
    config could only be a tampered one, and building it would take forever."""
    try:
        n_blocks = sum(int(d) for d in architecture.get("depths", ()))
    except (TypeError, ValueError, OverflowError):
        raise ModelFileError(cpath, f"bad architecture (depths must be integers, got "
                                    f"{architecture.get('depths')!r})") from None
    if n_blocks > n_tensors:
        raise ModelFileError(cpath, f"bad architecture ({n_blocks} blocks for {n_tensors} weight tensors)")


def load_model(path, *, device: str = "cpu") -> Model:
    """Read a model folder (or its ``config.json`` / ``model.safetensors``); never unpickles.

    Raises
    ------
    ModelFileError
        One line: not a model, unreadable or truncated weights, a config edited after saving, shapes that do not
        match the architecture.
    """
    from .model import build_network
    from ..errors import InputError

    root = Path(path)
    if root.is_file() and root.name in (CONFIG, WEIGHTS):
        root = root.parent
    if not root.exists():
        raise ModelFileError(root, "no such model folder")
    if not root.is_dir():
        raise ModelFileError(root, "not a glassfail model (a model is a folder with config.json and "
                                   "model.safetensors)")
    import torch

    config = _read_config(root)
    tensors, meta = _read_weights(root / WEIGHTS, config)
    _check_depths(root / CONFIG, config["architecture"], len(tensors))
    try:
        with torch.device("meta"):  # shapes only: a config asking for a huge network allocates nothing
            expected = build_network(config["architecture"]).state_dict()
    except (InputError, TypeError, ValueError, OverflowError, RuntimeError) as exc:
        raise ModelFileError(root / CONFIG, f"bad architecture ({_one_line(exc)})") from None
    missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ModelFileError(root / WEIGHTS, f"weights do not fit the architecture ({len(missing)} missing, "
                                             f"{len(extra)} unexpected tensor(s), e.g. {(missing + extra)[0]})")
    for k, v in expected.items():
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise ModelFileError(root / WEIGHTS, f"weights do not fit the architecture: {k} has shape "
                                                 f"{tuple(tensors[k].shape)}, the config says {tuple(v.shape)}")
    if config.get("fingerprint") != fingerprint(config):
        raise ModelFileError(root / CONFIG, "model config was changed after the model was saved (fingerprint "
                                            "mismatch); use the config written with the weights")
    if meta.get("fingerprint") != config["fingerprint"]:
        raise ModelFileError(root / WEIGHTS, "weights and config.json belong to different models (fingerprint "
                                             "mismatch)")
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise ModelFileError(root / WEIGHTS, f"weights hold NaN or infinite values (e.g. {bad[0]}); the file is "
                                             "damaged")
    net = build_network(config["architecture"])  # its size is now that of the weights on disk
    net.load_state_dict(tensors)
    net.to(device).eval()
    return Model(net, config, str(root), file_sha256(root / WEIGHTS))
