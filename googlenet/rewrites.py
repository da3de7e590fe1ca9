"""Ready-made rewrites, each a pure function from a network to a new one: the ideas of the
lecture's closing family tree applied to any design.

* ``factorize_5x5``: each 5×5 conv → two 3×3 convs (Inception-v2/BN-Inception), same output.
* ``factorize_nxn``: each n×n conv (n ≥ 3) → a 1×n then an n×1 conv (Inception-v3).
* ``unfactorize``: the reverse of both, back to one conv (the lesson's counterfactual).
* ``add_batchnorm``: BatchNorm after every conv (Inception-BN), in one block or the network.
* ``make_residual``: a concatenating block made residual (Inception-ResNet, ResNet):
  ``relu(x + scale · project(concat))``.
* ``remove_reduces``: a block without the 1×1 convs that shrink its paths' inputs.

With ``block=None`` a rewrite changes every block it applies to. A rewrite that finds nothing
to change returns the network unchanged (``applies`` says whether it would change anything).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from .knobs import _where, replace_item
from .spec import Block, Branch, Conv, Network
from .templates import matches, remake

Rewrite = Callable[..., Network]


def _fresh(name: str, taken: set[str]) -> str:
    n, candidate = 1, name
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    taken.add(candidate)
    return candidate


def _map_layers(br: Branch, fn: Callable[[tuple, set[str]], tuple]) -> Branch:
    taken = {x.name for x in br.layers} | {s.name for s in br.split} | {"concat"}
    return replace(br, layers=tuple(fn(br.layers, taken)), split=tuple(_map_layers(s, fn) for s in br.split))


def _blocks(net: Network, block: str | None) -> list[str]:
    if block is not None:
        _where(net, block)
        return [block]
    return [b.name for b in net.blocks()]


def _each_block(net: Network, block: str | None, fn: Callable[[Block], Block]) -> Network:
    for name in _blocks(net, block):
        _, b = _where(net, name)
        new = fn(b)
        if new != b:
            net = replace_item(net, name, new)
    return net


def _per_conv(fn: Callable[[Conv, set[str]], tuple]) -> Callable[[Block], Block]:
    def on_block(b: Block) -> Block:
        def layers(seq, taken):
            out = []
            for x in seq:
                out.extend(fn(x, taken) if isinstance(x, Conv) else (x,))
            return tuple(out)

        return replace(b, branches=tuple(_map_layers(br, layers) for br in b.branches))

    return on_block


def _plain(c: Conv) -> bool:
    return c.dilation == (1, 1) and c.groups == 1 and c.order == "post"


def factorize_5x5(net: Network, block: str | None = None) -> Network:
    """Every 5×5 conv of ``block`` (or of every block) → 3×3 then 3×3, same padding in total and
    the same output: the first keeps the output width and uses no stride, the second has the
    original stride and activation."""

    def split(c: Conv, taken: set[str]) -> tuple:
        if c.kernel != (5, 5) or not _plain(c):
            return (c,)
        (ph, pw) = c.padding
        first = replace(c, name=_fresh(f"{c.name}a", taken), kernel=(3, 3), stride=(1, 1), padding=(ph - ph // 2, pw - pw // 2), act="relu")
        second = replace(c, name=_fresh(f"{c.name}b", taken), kernel=(3, 3), padding=(ph // 2, pw // 2))
        taken.discard(c.name)
        return (first, second)

    return _each_block(net, block, _per_conv(split))


def factorize_nxn(net: Network, block: str | None = None, n: int | None = None) -> Network:
    """Every square n×n conv (n ≥ 3; only ``n`` when given) → 1×n then n×1: the first one does
    the width's stride and padding, the second the height's, so the output is the same."""

    def split(c: Conv, taken: set[str]) -> tuple:
        k = c.kernel[0]
        if c.kernel[1] != k or k < 3 or (n is not None and k != n) or not _plain(c):
            return (c,)
        (sh, sw), (ph, pw) = c.stride, c.padding
        first = replace(c, name=_fresh(f"{c.name}a", taken), kernel=(1, k), stride=(1, sw), padding=(0, pw), act="relu")
        second = replace(c, name=_fresh(f"{c.name}b", taken), kernel=(k, 1), stride=(sh, 1), padding=(ph, 0))
        taken.discard(c.name)
        return (first, second)

    return _each_block(net, block, _per_conv(split))


def _pair_kernel(a: Conv, b: Conv) -> tuple[int, int] | None:
    """The kernel a pair of convs stands for: 1×n then n×1 (either order) → n×n; 3×3 then
    3×3 → 5×5. The first must keep the resolution (stride 1) and both be plain convs."""
    if not (_plain(a) and _plain(b)) or a.stride != (1, 1) or a.bn != b.bn:
        return None
    ka, kb = a.kernel, b.kernel
    k = max(ka)
    if k > 1 and {ka, kb} == {(1, k), (k, 1)}:
        return (k, k)
    if ka == kb == (3, 3):
        return (5, 5)
    return None


def unfactorize(net: Network, block: str | None = None) -> Network:
    """The reverse of the factorisations: each pair (1×n → n×1, n×1 → 1×n, 3×3 → 3×3) → one
    conv with the kernel they stand for, the second one's width, stride and activation and
    both paddings, so it makes the same output shape."""

    def on_block(b: Block) -> Block:
        def layers(seq, taken):
            out, i = [], 0
            while i < len(seq):
                a = seq[i]
                nxt = seq[i + 1] if i + 1 < len(seq) else None
                k = _pair_kernel(a, nxt) if isinstance(a, Conv) and isinstance(nxt, Conv) else None
                if k is None:
                    out.append(a)
                    i += 1
                    continue
                pad = (a.padding[0] + nxt.padding[0], a.padding[1] + nxt.padding[1])
                out.append(replace(nxt, kernel=k, padding=pad))
                i += 2
            return tuple(out)

        return replace(b, branches=tuple(_map_layers(br, layers) for br in b.branches))

    return _each_block(net, block, on_block)


def add_batchnorm(net: Network, block: str | None = None, drop_bias: bool = False) -> Network:
    """BatchNorm after every conv (``drop_bias``: and no conv bias, which BatchNorm makes
    redundant). For the whole network the blocks' template style changes too, so blocks that
    still match their template go on matching it; a residual block's projection is left as is."""

    def bn(c: Conv) -> Conv:
        return replace(c, bn=True, bias=False if drop_bias else c.bias)

    def on_block(b: Block) -> Block:
        def layers(seq, taken):
            return tuple(bn(x) if isinstance(x, Conv) else x for x in seq)

        return replace(b, branches=tuple(_map_layers(br, layers) for br in b.branches))

    if block is not None:
        return _each_block(net, block, on_block)
    style = replace(net.style, batch_norm=True, conv_bias=False if drop_bias else net.style.conv_bias)
    stages = []
    for st in net.stages:
        items = []
        for it in st.items:
            if isinstance(it, Block):
                it = remake(it, style) if matches(it, net.style) else on_block(it)
            elif isinstance(it, Conv):
                it = bn(it)
            items.append(it)
        stages.append(replace(st, items=tuple(items)))
    aux = tuple(replace(h, layers=tuple(bn(x) if isinstance(x, Conv) else x for x in h.layers)) for h in net.aux)
    head = tuple(bn(x) if isinstance(x, Conv) else x for x in net.head)
    return replace(net, style=style, stages=tuple(stages), aux=aux, head=head)


def make_residual(net: Network, block: str, scale: float = 1.0) -> Network:
    """``block`` (a concatenating block) made residual: its branches concatenated, projected by a
    1×1 conv back to the block's input width (with a bias, no BatchNorm, no activation), scaled,
    added to the input, then ReLU."""
    _, b = _where(net, block)
    if b.merge != "concat":
        return net
    names = {br.name for br in b.branches}
    identity = Branch(_fresh("identity", names))
    project = Conv("project", None, (1, 1), bias=True, act="none")
    new = replace(b, branches=(*b.branches, identity), merge="add", project=project, scale=float(scale), act="relu")
    return replace_item(net, block, new)


def _is_reduce(c) -> bool:
    return isinstance(c, Conv) and c.kernel == (1, 1) and c.stride == (1, 1) and c.padding == (0, 0) and _plain(c)


def remove_reduces(net: Network, block: str | None = None) -> Network:
    """Each path's leading 1×1 conv that feeds a larger conv (or a split of larger convs) removed,
    so the larger conv reads the block's input; the lesson's "without the 1×1 reduce"."""

    def readers(br: Branch) -> list:
        if len(br.layers) > 1:
            return [br.layers[1]]
        return [s.layers[0] for s in br.split if s.layers]

    def on_block(b: Block) -> Block:
        branches = []
        for br in b.branches:
            if br.layers and _is_reduce(br.layers[0]):
                after = readers(br)
                if after and all(isinstance(x, Conv) and x.kernel != (1, 1) for x in after):
                    br = replace(br, layers=br.layers[1:])
            branches.append(br)
        return replace(b, branches=tuple(branches))

    return _each_block(net, block, on_block)


REWRITES: dict[str, Rewrite] = {
    "factorize_5x5": factorize_5x5,
    "factorize_nxn": factorize_nxn,
    "unfactorize": unfactorize,
    "add_batchnorm": add_batchnorm,
    "make_residual": make_residual,
    "remove_reduces": remove_reduces,
}


def applies(rewrite: Rewrite, net: Network, *args, **kwargs) -> bool:
    """Whether ``rewrite`` would change ``net``."""
    return rewrite(net, *args, **kwargs) != net
