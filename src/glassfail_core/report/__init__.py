"""The demo report: the main job end to end (``glassfail demo``), as a static HTML page with its numbers.

Modules
-------
``job``      :func:`demo_steps` — the job, one :class:`~glassfail_core.progress.Progress` stage per step: the glass
             and its rings → prediction and Grad-CAM → AQS simulation of the same glass past failure → comparison →
             micrograph detection → prediction and heatmap on it → figures → report
``numbers``  every number of the report (``report.json``, finite values only) and the per-stage summary lines
``figures``  the PNGs (matplotlib, Agg)
``html``     ``index.html``: static, no script, no network, images alongside

``from glassfail_core.report import demo_steps`` loads matplotlib and torch only when the job runs.
"""

from .job import STAGES, DemoInputs, DemoOutcome, demo, demo_inputs, demo_steps

__all__ = ["demo_steps", "demo", "demo_inputs", "DemoInputs", "DemoOutcome", "STAGES"]
