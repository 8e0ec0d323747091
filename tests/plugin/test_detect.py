"""Sample data and the Detect atoms & rings widget."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui
PLUGIN = "napari-glassfail"


def test_sample_glass_opens(make_napari_viewer, by_role):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "glass")
    roles = by_role(viewer.layers)
    assert {"Si", "O", "cell"} <= set(roles)
    glass = roles["Si"].metadata["glassfail"]["glass"]
    assert len(roles["Si"].data) == glass.n_si > 0 and len(roles["O"].data) == glass.n_o > 0
    assert "rings" in roles  # the ring layer is part of the sample: every Si sits in three rings of a periodic one
    assert len(set(roles["rings"].features["ring"])) == glass.n_si // 2  # cut at the edges, drawn once
    assert (roles["Si"].features["n_rings"] == 3).all()


def test_sample_micrograph_opens(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    (img,) = viewer.layers
    meta = img.metadata["glassfail"]
    assert img.scale[0] == pytest.approx(meta["micrograph"].pixel_size)
    assert str(img.units[0]) == "angstrom"
    assert len(meta["truth"]) > 0
    # A known Si atom sits on a bright pixel: napari's world → data mapping puts it on its spot.
    truth = meta["truth"]
    si = truth.positions[truth.si_mask]
    xy = si[np.argmin(np.hypot(*(si - 0.5 * np.asarray(truth.cell)).T))]  # the Si nearest the image centre
    r, c = np.round(img.world_to_data(xy[::-1])).astype(int)
    assert img.data[r, c] > np.percentile(img.data, 95)


def _mismatch(found, truth, species, tol, edge=0.0):
    """(truth atoms with no detected atom within ``tol`` Å, detected atoms with no true atom within ``tol``), with
    periodic images of a periodic truth (an atom on the image edge may be seen on both sides); atoms closer than
    ``edge`` Å to the image border are left out of both counts (a periodic image cut at its edge shows half
    spots there)."""
    from scipy.spatial import cKDTree

    def inner(p):
        ext = np.asarray(found.cell)
        return ((p >= edge) & (p <= ext - edge)).all(axis=1)

    a = found.positions[found.species == species]
    b = truth.positions[truth.species == species]
    if truth.is_periodic:
        box = np.asarray(truth.cell)
        a, b = np.mod(a, box), np.mod(b, box)
        tb, ta = cKDTree(b, boxsize=box), cKDTree(a, boxsize=box)
        return int(((ta.query(b)[0] > tol) & inner(b)).sum()), int(((tb.query(a)[0] > tol) & inner(a)).sum())
    else:
        tb, ta = cKDTree(b), cKDTree(a)
    return int((ta.query(b)[0] > tol).sum()), int((tb.query(a)[0] > tol).sum())


def _detect(viewer, wait_for_worker, **values):
    from napari_glassfail._widgets.detect import DetectWidget

    widget = DetectWidget(viewer)
    viewer.window.add_dock_widget(widget)
    for k, v in values.items():
        getattr(widget, k).value = v
    assert widget.run_button.enabled
    widget.start()
    wait_for_worker(widget)
    return widget


def test_detect_recovers_known_atoms(make_napari_viewer, by_role, wait_for_worker):
    from scipy.spatial import cKDTree

    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    img = viewer.layers[0]
    truth = img.metadata["glassfail"]["truth"]
    widget = _detect(viewer, wait_for_worker)
    assert widget.pixel_size.value == pytest.approx(img.scale[-1])  # prefilled from the layer
    roles = by_role(viewer.layers[1:])
    found = roles["Si"].metadata["glassfail"]["glass"]
    # the image shows one period of the periodic truth: spots cut by the border may be lost, nothing else
    assert 0.95 * truth.n_si <= found.n_si <= truth.n_si
    for sp, tol, edge in (("Si", 0.1, 1.0), ("O", 0.25, 3.0)):  # an O whose Si partner is outside is unsure
        missed, false = _mismatch(found, truth, sp, tol, edge)
        assert missed == 0 and false == 0, (sp, missed, false)
    # Points are drawn where the atoms are: in napari's (y, x), on top of the image.
    np.testing.assert_allclose(roles["Si"].data[:, ::-1], found.positions[found.si_mask])
    # Rings coloured by size; p(n) and μ2 shown in the dock match the core's statistics.
    assert len(roles["rings"].data) > 0
    from glassfail_core.rings import find_rings, ring_statistics

    stats = ring_statistics(find_rings(found))
    assert widget.stats.value.startswith(f"{stats.n_rings} rings") and f"μ2 = {stats.mu2:.3f}" in widget.stats.value
    assert np.isclose(sum(float(t.split(": ")[1]) for t in widget.stats.value.split("p(n)")[1].split("   ")), 1.0,
                      atol=0.01)


def test_detect_on_plain_image_without_scale(make_napari_viewer, wait_for_worker, by_role):
    """A tif-like image (scale 1): the pixel size typed in the widget rescales the layer; atoms land on it."""
    from glassfail_core import micrograph as mg
    from napari_glassfail._sample_data import sample_micrograph_object

    m, truth = sample_micrograph_object()
    viewer = make_napari_viewer()
    img = viewer.add_image(np.asarray(m.image), name="plain")
    _detect(viewer, wait_for_worker, pixel_size=float(m.pixel_size))
    assert img.scale[-1] == pytest.approx(m.pixel_size)
    found = by_role(viewer.layers[1:])["Si"].metadata["glassfail"]["glass"]
    # Image corner at (0, 0) Å as in the Micrograph: positions agree with the truth.
    assert 0.95 * truth.n_si <= found.n_si <= truth.n_si and _mismatch(found, truth, "Si", 0.1, 1.0) == (0, 0)


def test_detect_error_becomes_notification(make_napari_viewer, wait_for_worker, monkeypatch):
    """A wrong pixel size: the core's one-line message is shown, no traceback, no layer added."""
    from napari_glassfail._widgets import _base

    shown = []
    monkeypatch.setattr(_base, "notify_error", lambda exc: shown.append(exc))
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    widget = _detect(viewer, wait_for_worker, pixel_size=0.9)
    assert len(viewer.layers) == 1
    assert len(shown) == 1 and "pixel size looks wrong" in str(shown[0])
    assert widget.status.value.startswith("failed: the pixel size looks wrong")
    assert widget.run_button.enabled and not widget.cancel_button.enabled


def test_widgets_enable_only_with_suitable_layers(make_napari_viewer):
    from napari_glassfail._widgets.detect import DetectWidget

    viewer = make_napari_viewer()
    widget = DetectWidget(viewer)
    assert not widget.run_button.enabled and "open an image" in widget.status.value
    layer = viewer.add_image(np.zeros((20, 20)), scale=(0.25, 0.25))
    assert widget.run_button.enabled and widget.pixel_size.value == pytest.approx(0.25)
    viewer.layers.remove(layer)
    assert not widget.run_button.enabled


def test_dropped_calibrated_tiff_detects_without_typing(make_napari_viewer, wait_for_worker, by_role, monkeypatch):
    """issue 17: napari's own reader opens the shipped TIFF at scale 1; the widget reads the file's ImageJ
    calibration (0.25 Å/px), the layer ends calibrated in Å, and Detect works as it is."""
    from pathlib import Path

    import napari._qt.qt_viewer as qt_viewer

    from tests.plugin.test_io import _drop

    monkeypatch.setattr(qt_viewer, "handle_gui_reading", lambda *a, **k: pytest.fail("reader dialog"))
    path = Path(__file__).resolve().parents[2] / "sample_data" / "micrograph_spots.tif"
    viewer = make_napari_viewer()
    _drop(viewer, path)
    (img,) = viewer.layers
    assert img.scale[-1] == 1.0
    widget = _detect(viewer, wait_for_worker)
    assert img.scale[-1] == pytest.approx(0.25) and str(img.units[0]) == "angstrom"
    assert widget.pixel_size.value == pytest.approx(0.25)
    found = by_role(widget.result_layers)["Si"].metadata["glassfail"]["glass"]
    assert found.n_si > 250 and widget.status.value.startswith(f"{len(found)} atoms")


def test_failed_detect_changes_nothing_and_offers_the_suggested_pixel_size(make_napari_viewer, wait_for_worker,
                                                                           monkeypatch, by_role):
    """A wrong pixel size: the image keeps its scale, the previous statistics go, the suggested pixel size is one
    click; a re-run replaces the previous layers."""
    from napari_glassfail._widgets import _base

    monkeypatch.setattr(_base, "notify_error", lambda exc: None)
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    img = viewer.layers[0]
    widget = _detect(viewer, wait_for_worker)
    first = list(widget.result_layers)
    n_layers = len(viewer.layers)
    assert widget.stats.value and widget.legend.value and widget.native.findChildren
    widget.pixel_size.value = 0.9
    widget.start()
    wait_for_worker(widget)
    assert img.scale[-1] == pytest.approx(0.25) and tuple(img.translate) == pytest.approx((0.125, 0.125))
    assert widget.stats.value == "" and widget.status.value.startswith("failed: the pixel size looks wrong")
    assert widget.status.native.wordWrap()
    assert not widget.fix_button.native.isHidden() and "Å/px" in widget.fix_button.text
    suggested = widget._suggested
    assert 0.2 < suggested < 0.3
    widget.fix_button.changed.emit(True)  # one click: that pixel size, and Detect again
    wait_for_worker(widget)
    assert widget.pixel_size.value == pytest.approx(suggested) and widget.stats.value
    assert len(viewer.layers) == n_layers and not any(lay in viewer.layers for lay in first)
    assert not any(lay.name.endswith("]") for lay in viewer.layers)


def test_detections_drawn_as_small_markers_and_exported(make_napari_viewer, wait_for_worker, by_role, tmp_path):
    """Detected atoms: small markers coloured by confidence (Si hollow), O placed by geometry as crosses, rings
    translucent; ring statistics exported as the CLI writes them."""
    import json

    from napari_glassfail._layers import RING_ALPHA

    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "micrograph")
    widget = _detect(viewer, wait_for_worker, species="Si only (O at bond midpoints)")
    roles = by_role(widget.result_layers)
    si, o, rings = roles["Si"], roles["O"], roles["rings"]
    assert float(np.max(si.size)) <= 1.2 and float(np.max(o.size)) <= 1.2
    assert "confidence" in si.features and si.face_colormap.name == "plasma"
    assert str(si.symbol[0]).endswith("ring")
    inferred = np.asarray(o.features["inferred"], bool)
    assert inferred.any() and all(str(s).endswith("cross") for s in np.asarray(o.symbol)[inferred])
    assert np.all(rings.face_color[:, 3] <= RING_ALPHA + 1e-6) and RING_ALPHA <= 0.5
    assert "10+" in widget.legend.value
    paths = widget.export(tmp_path)
    assert [p.suffix for p in paths] == [".csv", ".json"]
    stats = json.loads(paths[1].read_text())
    assert stats["n_rings"] == len(widget.result.ringset.sizes)
    assert paths[0].read_text().count("\n") >= stats["n_rings"]
