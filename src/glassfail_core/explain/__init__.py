"""Explanations: Grad-CAM heatmaps of a model's scalar predictions, mapped to atoms and rings, read in physical
terms and checked (issue 16).

Modules (torch and captum are imported only by those that need them, never by ``import glassfail_core``):

``gradcam``    Grad-CAM by captum (and by hand, from hooks) at a chosen layer, variants, upsampling, averaging over
               augmented copies
``resample``   the augmented copies and how each copy's map is put back in the input's frame — NumPy only
``mapping``    per-atom (Voronoi cell) and per-ring (polygon) attributions, resampling onto a micrograph, CSV and
               extxyz — NumPy only
``explanation`` ``explain(glass_or_micrograph, model=None, ...) -> Explanation`` and ``explain_steps``
``figures``    the heatmap over the structure (PNG) and its float TIFF
``interpret``  the physical reading over a dataset split (``glassfail interpret``)
``sanity``     the sanity checks of Adebayo et al. (2018): cascading and label randomisation
``report``     the interpretation report as static HTML with its images

``from glassfail_core.explain import explain`` gives the function (no module of this package is named like a
public function: a package attribute cannot be both).
"""

__all__ = ["explain", "explain_steps", "Explanation", "interpret_steps", "interpret_dataset"]

_WHERE = {"explain": "explanation", "explain_steps": "explanation", "Explanation": "explanation",
          "interpret_steps": "interpret", "interpret_dataset": "interpret"}


def __getattr__(name):  # torch loads on first use only
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(name)
