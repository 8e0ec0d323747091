"""Datasets of glasses strained to failure: labels, the per-sample files and index, and the Dask build.

``labels`` defines what failure means (first break, strength, failure crack); ``spec`` a build's identity and its
per-sample draws; ``store`` the folder layout; ``build`` the distributed build over ``dask.distributed``; ``load``
reading it back (``load_dataset``).
"""

from .labels import FAILURE_FRACTION, FailureLabels, failure_labels, labels_from_result
from .load import Dataset, Sample, load_dataset
from .spec import DatasetSpec

__all__ = ["FailureLabels", "failure_labels", "labels_from_result", "FAILURE_FRACTION", "DatasetSpec",
           "Dataset", "Sample", "load_dataset"]
