"""Layer drawing: ring polygons filled whole by napari (no wedges), each ring once inside a periodic cell."""

import numpy as np
import pytest

pytestmark = pytest.mark.gui
PLUGIN = "napari-glassfail"


def _filled_area(shape) -> float:
    v, t = np.asarray(shape._face_vertices, float), np.asarray(shape._face_triangles)
    a, b = v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]
    return float(np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum() / 2)


@pytest.mark.parametrize("sample", ["glass", "micrograph"])
def test_ring_polygons_filled_without_wedges(make_napari_viewer, wait_for_worker, by_role, sample):
    """napari fills every ring polygon whole: the area of its triangles is the polygon's area (the detected rings
    of the shipped micrograph had three wedges before issue 17)."""
    from napari_glassfail._layers.rings import polygon_area

    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, sample)
    if sample == "micrograph":
        from napari_glassfail._widgets.detect import DetectWidget

        w = DetectWidget(viewer)
        w.start()
        wait_for_worker(w)
    rings = by_role(viewer.layers)["rings"]
    shapes = rings._data_view.shapes
    assert len(shapes) == len(rings.data) > 50
    bad = [k for k, (s, p) in enumerate(zip(shapes, rings.data))
           if abs(_filled_area(s) - polygon_area(p)) > 1e-3 * polygon_area(p)]
    assert bad == []


def test_heatmap_layer_shows_nothing_over_the_padding_of_a_cut_sample():
    from types import SimpleNamespace

    from napari_glassfail._layers.prediction import heatmap_layer_data

    heat = np.arange(12.0).reshape(3, 4) + 1
    mask = np.zeros((3, 4), bool)
    mask[1:, 1:3] = True
    expl = SimpleNamespace(heatmap=heat, mask=mask, pixel_size=(0.5, 0.5), origin=(0.0, 0.0), target="failure_strain",
                           layer="stage2", variant="relu")
    data = heatmap_layer_data(expl, name="g", group="g")[0]
    assert np.array_equal(data, np.where(mask, heat, 0.0).astype(np.float32))
    assert data[mask].min() > 0 and not data[~mask].any()
