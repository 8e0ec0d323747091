"""Datasets of glasses strained to failure: labels, the per-sample files and index, and the Dask build.

``labels`` defines what failure means (first break, strength, failure crack); ``spec`` a build's identity; ``store``
the per-sample files and the index table; ``build`` the distributed build over ``dask.distributed``.
"""

from .labels import FAILURE_FRACTION, FailureLabels, failure_labels, labels_from_result

__all__ = ["FailureLabels", "failure_labels", "labels_from_result", "FAILURE_FRACTION"]
