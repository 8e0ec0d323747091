"""The core stays headless: every module imports with napari, qtpy and magicgui made unimportable."""

import pkgutil
import subprocess
import sys
import textwrap

import glassfail_core


def test_core_imports_without_gui_packages():
    modules = sorted(m.name for m in pkgutil.walk_packages(glassfail_core.__path__, "glassfail_core.")
                     if not m.name.endswith("__main__"))
    assert len(modules) >= 8
    code = textwrap.dedent(
        f"""
        import importlib, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("napari", "qtpy", "magicgui", "PyQt5", "PyQt6", "PySide2", "PySide6"):
                    raise ImportError(f"{{name}} is blocked: glassfail_core must stay headless")
        sys.meta_path.insert(0, Block())
        for name in {modules!r}:
            importlib.import_module(name)
        bad = [m for m in sys.modules if m.split(".")[0] in ("napari", "qtpy", "magicgui")]
        assert not bad, bad
        print("ok", len({modules!r}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")


def test_import_is_light():
    code = "import sys, glassfail_core; print(','.join(m for m in ('torch', 'openmm', 'captum', 'dask') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_npe2_manifest_validates():
    out = subprocess.run([sys.executable, "-m", "npe2", "validate", "napari-glassfail"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "valid" in (out.stdout + out.stderr).lower()
