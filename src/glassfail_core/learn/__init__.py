"""Learning: predict the failure strain, strength, first-break strain and the failure and first-break sites of a
glass from its image, with 90 % intervals (issue 15).

Modules (torch is imported only by those that need it, never by ``import glassfail_core``):

``images``      rendering in the training style (seamless periodic images, padded non-periodic ones), augmentations,
                target maps — NumPy only
``data``        the torch Dataset over a built dataset (:func:`~glassfail_core.dataset.load_dataset`)
``model``       the circular-padded ResNet-style network with a scalar head and a map head
``checkpoint``  :class:`Model` (network + config), ``save_model``/``load_model`` (safetensors + JSON, never pickles)
``infer``       running a model on images with flip averaging: scalars, maps, sites
``train``       ``train_steps``: deterministic, early stopping, resumable, conformal intervals, final evaluation
``state``       a training's resumable state (``MODEL_DIR/checkpoint/``)
``metrics``     R², Pearson r², MAE, Spearman, site distances, coverage — NumPy only
``baselines``   mean, ridge and gradient boosting on ring statistics, site baselines
``evaluate``    ``evaluate_steps``: every metric and baseline of a split, JSON and PNG plots (``plots``)
``predict``     ``predict(glass_or_micrograph, model=None) -> Prediction``

The functions named like their modules (``train``, ``evaluate``, ``predict``) are imported from the modules
(``from glassfail_core.learn.predict import predict``): a package attribute cannot be both.
"""

__all__ = ["Model", "load_model", "save_model", "train_steps", "evaluate_steps", "Prediction"]

_WHERE = {"Model": "checkpoint", "load_model": "checkpoint", "save_model": "checkpoint", "train_steps": "train",
          "evaluate_steps": "evaluate", "Prediction": "predict"}


def __getattr__(name):  # torch loads on first use only
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(name)
