"""The quick demo, run once for the report's tests (``glassfail demo --quick`` as a user runs it)."""

import subprocess
import sys
import time

import pytest


@pytest.fixture(scope="package")
def quick_demo(tmp_path_factory):
    """``(out_dir, stdout, seconds)`` of ``glassfail demo --quick -o OUT`` run in a subprocess."""
    out = tmp_path_factory.mktemp("demo") / "report"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "glassfail_core", "demo", "--quick", "-o", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout, time.perf_counter() - t0
