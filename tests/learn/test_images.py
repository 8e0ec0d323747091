"""Rendering for learning: seamless periodic images, augmentations that move labels with the image, target maps."""

import numpy as np
import pytest

from glassfail_core import Glass
from glassfail_core.learn.images import DEFAULT_INPUT, Augment, Frame, input_shape, render_input, site_map


def one_atom(x, y, cell=(30.0, 27.0)):
    return Glass([[x, y]], ["Si"], cell=cell, pbc=True)


def brightest_xy(img, frame):
    r, c = np.unravel_index(int(np.argmax(img)), img.shape)
    return frame.px_to_xy([r, c])


@pytest.mark.parametrize("aug", [Augment(), Augment(flip_x=True), Augment(flip_y=True),
                                 Augment(True, True, (7.3, 19.1)), Augment(False, True, (29.9, 0.2))])
def test_a_known_site_lands_where_the_augmented_image_puts_it(aug):
    g = one_atom(3.1, 24.6)
    img, frame = render_input(g, aug=aug, noise=False)
    assert frame.periodic and img.shape == input_shape(g) and img.shape[0] % 16 == 0 == img.shape[1] % 16
    site = aug.apply(g.positions, g.cell)  # the label, moved by the same augmentation
    d = frame.displacement(brightest_xy(img, frame)[None], site)[0, 0]
    assert np.all(np.abs(d) <= 0.5 * np.asarray(frame.pixel_size) + 1e-9)
    m = site_map(site, frame.scaled(2), 1.5)
    d = frame.displacement(brightest_xy(m, frame.scaled(2))[None], site)[0, 0]
    assert np.all(np.abs(d) <= np.asarray(frame.pixel_size) + 1e-9)  # one map pixel = 2 image pixels


def test_flips_are_array_flips_and_whole_pixel_offsets_are_rolls():
    g = Glass([[3.1, 24.6], [11.0, 5.2], [20.2, 13.3]], ["Si", "O", "Si"], cell=(30.0, 27.0), pbc=True)
    img, frame = render_input(g, noise=False)
    flipped, _ = render_input(g, aug=Augment(True, True), noise=False)
    np.testing.assert_allclose(flipped, img[::-1, ::-1], atol=1e-3)
    px = frame.pixel_size
    moved, _ = render_input(g, aug=Augment(offset=(3 * px[0], -2 * px[1])), noise=False)
    np.testing.assert_allclose(moved, np.roll(img, (-2, 3), axis=(0, 1)), atol=1e-3)


def test_periodic_image_is_seamless_and_pixel_size_recorded():
    g = one_atom(0.05, 13.0)  # a spot across the x edge
    img, frame = render_input(g, noise=False)
    assert frame.extent == pytest.approx((30.0, 27.0))
    assert img.shape == (48, 48)  # round(L / 0.65) = 46, 42 → multiples of 16
    assert frame.pixel_size == pytest.approx((30.0 / 48, 27.0 / 48))
    row = int(13.0 / frame.pixel_size[1])
    assert img[row, 0] == pytest.approx(img[row, -1], rel=0.2)  # both halves of the spot are drawn
    spot = img - DEFAULT_INPUT["spots"]["background"]
    assert spot.sum() * np.prod(frame.pixel_size) == pytest.approx(800 * 2 * np.pi * 0.25, rel=1e-3)


def test_non_periodic_inputs_are_padded_never_wrapped():
    g = Glass([[3.0, 4.0], [40.0, 20.0]], ["Si", "Si"], cell=(45.0, 25.0), pbc=False)
    img, frame = render_input(g, noise=False)
    assert not frame.periodic and img.shape[0] % 16 == 0 == img.shape[1] % 16
    assert frame.pixel_size == (DEFAULT_INPUT["pixel_size"],) * 2
    inside = frame.mask()
    r0, c0 = np.flatnonzero(inside.any(axis=1))[0], np.flatnonzero(inside.any(axis=0))[0]
    assert r0 > 0 and c0 > 0  # padded ...
    assert np.array_equal(img[r0 - 1], img[r0]) and np.array_equal(img[:, c0 - 1], img[:, c0])  # ... by mirroring
    for xy in g.positions:  # the outermost atoms are the mirror's axes: their spots stay in place to ~a pixel
        assert np.hypot(*(brightest_xy(np.where(_near(frame, xy), img, 0), frame) - xy)) < 1.5 * frame.pixel_size[0]
    mask = frame.mask()
    assert mask.any() and not mask.all()


def _near(frame, xy, r=2.0):
    x, y = frame.centres()
    return (np.abs(y - xy[1]) < r)[:, None] & (np.abs(x - xy[0]) < r)[None, :]


def test_site_map_wraps_and_sums_to_one():
    f = Frame((16, 16), (1.0, 1.0))
    m = site_map([[0.1, 0.1], [8.0, 8.0]], f, 1.0)
    assert m.sum() == pytest.approx(1.0, rel=1e-6)
    assert m[0, 0] == pytest.approx(m[15, 15], rel=0.5) and m[0, 0] > 10 * m[4, 4]
    assert site_map([], f, 1.0) is None


def test_reflect_outside_mirrors_the_box_into_the_padding():
    from glassfail_core.learn.images import reflect_outside

    img = np.arange(20.0).reshape(4, 5)
    box = np.zeros((4, 5), bool)
    box[1:3, 1:4] = True
    out = reflect_outside(img, box)
    assert out[1:3, 1:4].tolist() == img[1:3, 1:4].tolist()  # the sample itself untouched
    assert out.tolist() == [[6, 6, 7, 8, 8], [6, 6, 7, 8, 8], [11, 11, 12, 13, 13], [11, 11, 12, 13, 13]]
    wide = np.zeros((12, 14), bool)
    wide[5:7, 6:8] = True  # padding wider than the box: mirrored in steps, every value from the box
    out = reflect_outside(np.random.default_rng(0).random((12, 14)), wide)
    assert out.shape == (12, 14) and len(np.unique(out)) == 4


def test_a_non_periodic_input_shows_glass_everywhere(crystal):
    g = crystal.replace(pbc=(False, False))
    img, frame = render_input(g, noise=False)
    assert not frame.periodic and frame.mask().sum() < img.size
    outside = img[~frame.mask()]
    assert outside.std() > 0.5 * img[frame.mask()].std()  # mirrored glass, not flat vacuum
