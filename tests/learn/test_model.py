"""The network: circular padding makes maps equivariant and scalars invariant under shifts by the stride."""

import numpy as np
import pytest
import torch

from glassfail_core.errors import InputError
from glassfail_core.learn.model import DEFAULT_ARCHITECTURE, GlassNet, build_network


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return GlassNet(**DEFAULT_ARCHITECTURE).eval()


@torch.no_grad()
def test_shift_by_the_stride_shifts_maps_and_keeps_scalars(net, record_property):
    x = torch.randn(1, 1, 64, 96, generator=torch.Generator().manual_seed(1))
    s0, m0 = net(x)
    shifted = torch.roll(x, (16, 32), dims=(-2, -1))
    s1, m1 = net(shifted)
    ms = net.map_stride
    torch.testing.assert_close(s1, s0, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(m1, torch.roll(m0, (16 // ms, 32 // ms), dims=(-2, -1)), atol=1e-5, rtol=1e-5)
    # a 1-px shift is not a symmetry of a strided network: the deviation is reported, not asserted
    s2, m2 = net(torch.roll(x, (1, 1), dims=(-2, -1)))
    dev = float((s2 - s0).abs().max() / s0.abs().max().clamp(min=1e-12))
    record_property("scalar_relative_deviation_1px", dev)
    assert np.isfinite(dev)


@torch.no_grad()
def test_local_scalars_average_to_the_scalars(net):
    x = torch.randn(2, 1, 32, 48)
    s, _ = net(x)
    torch.testing.assert_close(net.local_scalars(x).mean(dim=(-2, -1)), s, atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_weighted_pooling_is_the_mean_of_the_local_scalars_over_the_cells(net):
    x = torch.randn(2, 1, 64, 80, generator=torch.Generator().manual_seed(2))
    cells = torch.zeros(2, 4, 5)
    cells[0, 1:3, 1:4] = 1.0
    cells[1] = 1.0
    s, _ = net(x, cells)
    loc = net.local_scalars(x)
    torch.testing.assert_close(s[0], loc[0, :, 1:3, 1:4].mean(dim=(-2, -1)), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(s[1], net(x)[0][1], atol=1e-5, rtol=1e-5)
    assert (s[0] - net(x)[0][0]).abs().max() > 1e-3  # the padding's cells would change it


def test_sizes_and_architectures_are_checked(net):
    with pytest.raises(InputError, match="multiple of the network's stride"):
        net(torch.zeros(1, 1, 40, 48))
    with pytest.raises(InputError, match="unknown architecture key"):
        build_network(dict(DEFAULT_ARCHITECTURE, colour=3))
    with pytest.raises(InputError, match="4 widths"):
        build_network(dict(DEFAULT_ARCHITECTURE, widths=[8, 8]))
