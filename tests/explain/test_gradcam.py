"""Grad-CAM: captum against the hand computation, variants, layers, the position of a feature, upsampling."""

import numpy as np
import pytest
import torch
from captum.attr import LayerGradCam

from glassfail_core.errors import InputError
from glassfail_core.explain.gradcam import (LAYERS, apply_variant, averaged_cam, default_layer, gradcam_captum,
                                            gradcam_hooks, resolve_layer, scalar_function, upsample)


@pytest.fixture(scope="module")
def net(tiny_model):
    return tiny_model.network.eval()


@pytest.mark.parametrize("layer", list(LAYERS) + ["stages.1.0.conv2"])
def test_captum_equals_hand_computation(net, layer):
    torch.manual_seed(1)
    x = torch.randn(2, 1, 64, 48)
    _, module = resolve_layer(net, layer, x.shape)
    a, b = gradcam_captum(net, x, module, 0), gradcam_hooks(net, x, module, 0)
    assert a.shape == b.shape and a.shape[:2] == (2, 1)
    assert float(a.abs().max()) > 0
    assert torch.allclose(a, b, atol=1e-6, rtol=0)
    relu = LayerGradCam(scalar_function(net, 0), module).attribute(x, relu_attributions=True)
    assert torch.allclose(apply_variant(a, "relu"), relu, atol=1e-7)   # captum's own ReLU is the "relu" variant


def test_last_stage_is_an_additive_split_of_the_prediction(net):
    """At stage3 the scalar head is linear after average pooling: Σ cells of Σ_k α_k A_k = y − bias."""
    torch.manual_seed(2)
    x = torch.randn(1, 1, 64, 64)
    cam = gradcam_hooks(net, x, net.stages[2], 1)
    with torch.no_grad():
        y = float(net(x)[0][0, 1] - net.head.bias[1])
    assert float(cam.sum()) == pytest.approx(y, abs=1e-5)


def test_variants():
    s = np.array([-2.0, 0.0, 3.0])
    assert apply_variant(s, "relu").tolist() == [0.0, 0.0, 3.0]
    assert apply_variant(s, "abs").tolist() == [2.0, 0.0, 3.0]
    assert apply_variant(s, "neg").tolist() == [2.0, 0.0, 0.0]
    assert apply_variant(s, "signed").tolist() == s.tolist()
    with pytest.raises(InputError, match="unknown variant"):
        apply_variant(s, "max")


def test_layers(net):
    assert default_layer((128, 128)) == "stage2" and default_layer((48, 48)) == "stem"
    assert resolve_layer(net, None, (256, 256))[0] == "stage3"
    assert resolve_layer(net, "stage1", (64, 64))[1] is net.stages[0]
    with pytest.raises(InputError, match="unknown layer"):
        resolve_layer(net, "head", (64, 64))


@pytest.mark.parametrize("level,stride", [(0, 2), (1, 4), (2, 8), (3, 16)])
def test_a_feature_is_centred_on_input_pixel_stride_times_index(net, level, stride):
    """The support of feature (i, j) of a stride-s level is centred on input pixel (s·i, s·j): the offset that
    resample.undo corrects by (s − 1)/2 after upsampling."""
    x = torch.zeros(1, 1, 256, 256, requires_grad=True)
    feats = net.encode(x + 0.1)
    i = j = 128 // stride   # in the middle: the support does not wrap around the circular padding
    (g,) = torch.autograd.grad(feats[level][0, :, i, j].sum(), x)
    rows, cols = np.nonzero(g[0, 0].numpy())
    assert (rows.min() + rows.max()) / 2 == stride * i
    assert (cols.min() + cols.max()) / 2 == stride * j


def test_upsampling_wraps_on_periodic_maps():
    cam = torch.zeros(1, 1, 4, 4)
    cam[0, 0, 0, 0] = 1.0
    per = upsample(cam, (16, 16), True, "bilinear")[0, 0].numpy()
    flat = upsample(cam, (16, 16), False, "bilinear")[0, 0].numpy()
    assert per[:, -1].sum() > 0 and flat[:, -1].sum() == 0   # the periodic map leaks across the edge
    assert upsample(torch.ones(1, 1, 4, 4), (16, 16), True)[0, 0].numpy() == pytest.approx(1.0)
    near = upsample(cam, (16, 16), True, "nearest")[0, 0].numpy()
    assert near[:4, :4].sum() == 16 and near.sum() == 16


def test_averaged_cam_keeps_copies_and_captum_matches_hooks(tiny_model):
    from glassfail_core.generation import honeycomb

    g = honeycomb(6, 6)
    a = averaged_cam(tiny_model, g, variants=("relu", "signed"), copies=6, keep_copies=True)
    b = averaged_cam(tiny_model, g, variants=("relu", "signed"), copies=6, method="hooks")
    assert a.per_copy["relu"].shape == (6,) + a.frame.shape
    assert np.allclose(a.per_copy["relu"].mean(axis=0), a.maps["relu"])
    assert np.abs(a.maps["signed"] - b.maps["signed"]).max() <= 1e-6 * np.abs(a.maps["signed"]).max() + 1e-12
    assert a.layer == "stem" and a.stride == 2 and len(a.augments) == 6
    assert a.to_dict()["copies"] == 6
