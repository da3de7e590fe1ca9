"""Random networks of any structure, for hypothesis: stems of random layers, blocks of 1–6
branches of random layer sequences (kernels 1–7, asymmetric ones too, strides, dilation,
groups, BatchNorm before or after, ReLU, sigmoid or none), splits, identity branches, concat
and add merges (identity or projected shortcuts, ResNet-style downsampling), and a head.

Every network drawn here is valid by construction: the branches of a block agree on their
output size because every conv and pool in them is "same"-padded (odd kernels) and the block's
stride, if any, is taken by one layer of each path; an add's terms agree in channels too."""

from __future__ import annotations

from hypothesis import strategies as st

from googlenet.spec import (
    AdaptiveAvgPool,
    BatchNorm,
    Block,
    Branch,
    Conv,
    Dropout,
    Flatten,
    Linear,
    Network,
    Pool,
    Stage,
)

ACTS = st.sampled_from(["relu", "relu", "sigmoid", "none"])
ODD = st.sampled_from([1, 3, 5, 7])


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


class _Names:
    def __init__(self):
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


@st.composite
def conv(draw, names, cin: int, out: int | None = None, stride: int = 1, same: bool = True) -> Conv:
    """A conv reading ``cin`` channels; ``same``: padded to keep the size (odd kernels)."""
    if same:
        kh, kw = draw(ODD), draw(ODD)
        if draw(st.booleans()):
            kw = kh  # square kernels as often as asymmetric ones
        dh = draw(st.sampled_from([1, 1, 2])) if kh > 1 else 1
        dw = dh if kw > 1 else 1
        pad = ((kh - 1) * dh // 2, (kw - 1) * dw // 2)
    else:
        kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
        dh = dw = 1
        pad = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    groups = draw(st.sampled_from(_divisors(cin)[:4]))
    if out is None:
        out = groups * draw(st.integers(1, max(1, 12 // groups)))
    elif out % groups:
        groups = 1
    order = draw(st.sampled_from(["post", "post", "pre"]))
    return Conv(
        names("conv"), out, (kh, kw), (stride, stride), pad, (dh, dw), groups,
        bias=draw(st.booleans()), bn=draw(st.booleans()), act=draw(ACTS), order=order,
    )


@st.composite
def pool(draw, names, stride: int = 1) -> Pool:
    """A same-padded 3×3 pool (max or average)."""
    return Pool(names("pool"), draw(st.sampled_from(["max", "avg"])), (3, 3), (stride, stride), (1, 1),
                count_include_pad=draw(st.booleans()))


@st.composite
def path(draw, names, cin: int, stride: int, out: int | None, length: int):
    """Layers of a branch: ``length`` of them, one (the first) with the block's stride; the last
    a conv making ``out`` channels when ``out`` is given. Returns (layers, channels out)."""
    layers, c = [], cin
    for i in range(length):
        s = stride if i == 0 else 1
        last = i == length - 1
        if not last and draw(st.integers(0, 3)) == 0:
            layers.append(draw(pool(names, s)))
            continue
        layer = draw(conv(names, c, out if last else None, s))
        layers.append(layer)
        c = layer.out
    if layers and isinstance(layers[-1], Pool) and out is not None:
        layers.append(draw(conv(names, c, out)))
        c = out
    return tuple(layers), c


@st.composite
def block(draw, names, cin: int) -> tuple[Block, int]:
    """A block reading ``cin`` channels, and its output channels."""
    merge = draw(st.sampled_from(["concat", "concat", "add"]))
    if merge == "concat":
        stride = draw(st.sampled_from([1, 1, 2]))
        n = draw(st.integers(1, 6))
        branches, out = [], 0
        for i in range(n):
            if stride == 1 and i > 0 and draw(st.integers(0, 4)) == 0:
                branches.append(Branch(names("identity")))
                out += cin
                continue
            layers, c = draw(path(names, cin, stride, None, draw(st.integers(1, 3))))
            split = ()
            if draw(st.integers(0, 3)) == 0:  # a split into two parallel sub-paths at the end
                subs = [draw(path(names, c, 1, None, draw(st.integers(1, 2)))) for _ in range(2)]
                split = tuple(Branch(names("split"), ls) for ls, _ in subs)
                c = sum(cc for _, cc in subs)
            branches.append(Branch(names("branch"), layers, split))
            out += c
        return Block(names("block"), tuple(branches), "concat", act=draw(st.sampled_from(["none", "relu"]))), out
    style = draw(st.sampled_from(["project", "identity", "down"]))
    scale = draw(st.sampled_from([1.0, 1.0, 0.2, -0.5]))
    if style == "project":  # Inception-ResNet: branches, concat, 1×1 projection to the input width
        paths = [draw(path(names, cin, 1, None, draw(st.integers(1, 3)))) for _ in range(draw(st.integers(1, 4)))]
        branches = [Branch(names("branch"), ls) for ls, _ in paths] + [Branch(names("identity"))]
        project = Conv("project", None, (1, 1), bias=draw(st.booleans()), bn=draw(st.booleans()), act="none")
        return Block(names("block"), tuple(branches), "add", project, scale, draw(ACTS)), cin
    if style == "identity":  # ResNet's basic block: paths back to the input width, plus the input
        paths = [draw(path(names, cin, 1, cin, draw(st.integers(1, 3)))) for _ in range(draw(st.integers(1, 2)))]
        branches = [Branch(names("branch"), ls) for ls, _ in paths] + [Branch(names("identity"))]
        return Block(names("block"), tuple(branches), "add", None, scale, draw(ACTS)), cin
    # ResNet's downsampling block: a strided path and a strided 1×1 projection of the input, added
    out = draw(st.integers(1, 12))
    stride = draw(st.sampled_from([1, 2]))
    main, _ = draw(path(names, cin, stride, out, draw(st.integers(1, 3))))
    short = Conv(names("shortcut"), out, (1, 1), (stride, stride), act="none", bias=draw(st.booleans()))
    branches = (Branch(names("main"), main), Branch(names("short"), (short,)))
    return Block(names("block"), branches, "add", None, scale, draw(ACTS)), out


@st.composite
def structural_specs(draw) -> Network:
    names = _Names()
    c_in = draw(st.integers(1, 4))
    size = draw(st.integers(12, 36)), draw(st.integers(12, 36))
    # an edited stem: any layers, any padding (not only "same")
    stem, c = [], c_in
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "conv", "pool", "bn", "dropout"]))
        if kind == "conv":
            layer = draw(conv(names, c, None, draw(st.sampled_from([1, 1, 2])), same=False))
            c = layer.out
        elif kind == "pool":
            k = draw(st.integers(2, 3))
            layer = Pool(names("pool"), draw(st.sampled_from(["max", "avg"])), (k, k), (draw(st.integers(1, 2)),) * 2,
                         (draw(st.integers(0, k // 2)),) * 2, ceil_mode=draw(st.booleans()))
        elif kind == "bn":
            layer = BatchNorm(names("bn"), act=draw(ACTS))
        else:
            layer = Dropout(names("drop"), 0.3)
        stem.append(layer)
    stages = [Stage("stem", tuple(stem))]
    for s in range(draw(st.integers(1, 2))):
        items = []
        for _ in range(draw(st.integers(1, 3))):
            b, c = draw(block(names, c))
            items.append(b)
        stages.append(Stage(f"stage{s + 1}", tuple(items)))
    pooled = draw(st.sampled_from([(1, 1), (1, 1), (2, 2)]))
    head = (AdaptiveAvgPool(names("gap"), pooled), Flatten(names("flat")))
    if draw(st.booleans()):
        head += (Linear(names("fc"), draw(st.integers(2, 16)), act=draw(ACTS)),)
    head += (Linear(names("fc")),)
    return Network("random", (c_in, *size), draw(st.integers(1, 10)), tuple(stages), head)
