"""The book's networks (the presets the lecture compares GoogLeNet with) against the book's own
code, rebuilt by hand in ``tests/book.py``: the same parameters, FLOPs and shapes, the same layers
running in the same order, and — with the book network's weights copied in — the same outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from googlenet import analyze, get_preset
from googlenet.build import build
from googlenet.presets import preset_names

from .book import BOOK
from .judge import assert_matches_pytorch

WEIGHTED = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)


def ran(model: nn.Module, x: torch.Tensor) -> list[nn.Module]:
    """The modules with weights, in the order a forward pass runs them."""
    order: list[nn.Module] = []
    hooks = [m.register_forward_pre_hook(lambda m, i: order.append(m)) for m in model.modules() if isinstance(m, WEIGHTED)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return order


def test_the_book_presets_are_exactly_these():
    assert preset_names("book") == list(BOOK)


@pytest.mark.parametrize("name", list(BOOK))
def test_counts_equal_the_books_code(name):
    book, size = BOOK[name]()
    net = get_preset(name)
    assert net.input == size and net.classes == 10
    a = analyze(net)
    assert a.totals.params == sum(p.numel() for p in book.parameters())
    with torch.device("meta"):
        book_meta, _ = BOOK[name]()
    with FlopCounterMode(display=False) as counter:
        out = book_meta.eval()(torch.empty(1, *size, device="meta"))
    assert 2 * a.totals.macs == counter.get_total_flops()
    assert tuple(out.shape[1:]) == a.totals.output_shape
    assert_matches_pytorch(net)


@pytest.mark.parametrize("name", list(BOOK))
def test_same_layers_in_the_same_order_and_the_same_outputs(name):
    """Copy the book network's weights (and BatchNorm statistics) into ours, layer by layer in the
    order both run them; then both compute the same function."""
    torch.manual_seed(0)
    book, size = BOOK[name]()
    book.eval()
    ours = build(get_preset(name)).eval()
    x = torch.randn(2, *size)
    theirs_ran, ours_ran = ran(book, x), ran(ours, x)
    assert [type(m).__name__ for m in theirs_ran] == [type(m).__name__ for m in ours_ran]
    for a, b in zip(theirs_ran, ours_ran):
        sa, sb = a.state_dict(), b.state_dict()
        assert {k: v.shape for k, v in sa.items()} == {k: v.shape for k, v in sb.items()}, (a, b)
        if isinstance(a, nn.BatchNorm2d):  # statistics that are not the default, so BN matters
            sa["running_mean"].uniform_(-0.5, 0.5)
            sa["running_var"].uniform_(0.5, 2.0)
            sa["weight"].uniform_(0.5, 1.5)
        b.load_state_dict(sa)
    with torch.no_grad():
        expected, got = book(x), ours(x)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
