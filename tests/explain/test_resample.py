"""Augmented copies and undoing them: a known blob, and a whole rendered glass, come back in place."""

import numpy as np
import pytest

from glassfail_core.explain.resample import copy_augments, undo
from glassfail_core.generation import honeycomb
from glassfail_core.learn.images import Augment, Frame, render_input


def _blob(frame: Frame, xy, sigma=1.0):
    d = frame.displacement(np.stack(np.meshgrid(*frame.centres()), -1).reshape(-1, 2), [xy])[:, 0]
    return np.exp(-0.5 * (d ** 2).sum(-1) / sigma ** 2).reshape(frame.shape)


@pytest.mark.parametrize("aug", [Augment(), Augment(True, False, (3.3, 0.0)), Augment(False, True, (0.0, 17.71)),
                                 Augment(True, True, (11.2, 29.9))])
def test_undo_puts_a_blob_back(aug):
    cell = (32.0, 24.0)
    frame = Frame((48, 64), (0.5, 0.5))
    truth = (30.9, 1.3)   # near two edges: the moved blob wraps
    moved = aug.apply([truth], cell)[0]
    back = undo(_blob(frame, moved), frame, aug, cell, frame)
    r, c = np.unravel_index(int(back.argmax()), back.shape)
    assert frame.displacement([frame.px_to_xy([r, c])], [truth])[0, 0] == pytest.approx([0, 0], abs=0.3)
    assert back.sum() == pytest.approx(_blob(frame, truth).sum(), rel=1e-3)


def test_undo_of_a_rendered_copy_is_the_plain_render():
    """A glass drawn flipped and translated, put back, is the glass drawn as it is (exact for whole pixels)."""
    g = honeycomb(6, 6)
    plain, f0 = render_input(g, noise=False)
    px = f0.pixel_size
    for aug, tol in ((Augment(True, True, (5 * px[0], 7 * px[1])), 1e-4), (Augment(True, False, (1.3, 2.2)), None)):
        img, f = render_input(g, aug=aug, noise=False)
        back = undo(img, f, aug, g.cell, f0)
        if tol:
            assert np.abs(back - plain).max() <= tol * plain.max()
        else:   # sub-pixel: bilinear resampling blurs a little
            assert np.corrcoef(back.ravel(), plain.ravel())[0, 1] > 0.9


def test_undo_on_a_non_periodic_window():
    g = honeycomb(5, 4).replace(pbc=(False, False))
    _, f0 = render_input(g, noise=False)
    aug = Augment(True, True)
    _, f = render_input(g, aug=aug, noise=False)
    truth = g.positions[7]
    back = undo(_blob(f, aug.apply([truth], g.cell)[0]), f, aug, g.cell, f0)
    r, c = np.unravel_index(int(back.argmax()), back.shape)
    assert np.hypot(*(f0.px_to_xy([r, c]) - truth)) < 0.5


def test_copies():
    g = honeycomb(4, 4)
    augs = copy_augments(9, g, (10.0, 8.0))
    assert augs[0] == Augment() and len(augs) == 9
    assert all(0 <= a.offset[0] < 10 and 0 <= a.offset[1] < 8 for a in augs)
    assert len({a.offset for a in augs}) == 9
    assert copy_augments(64, g.replace(pbc=(False, False))) == [Augment(), Augment(True), Augment(False, True),
                                                                Augment(True, True)]
