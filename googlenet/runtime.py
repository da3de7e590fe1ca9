"""The runtime of a network: its modules at dotted paths, and a program that runs them.

This file needs only ``torch``. ``googlenet.build`` makes a network with it, and the code
that ``googlenet.codegen`` writes contains this file's text (the part below the marker line)
and makes the same network with the same calls, so the two cannot drift apart.

A ``Net`` is made by calling its builder methods in order: ``net.conv(...)``,
``net.pool(...)``, ``with net.block(...): with net.branch(): ...``. Each layer's modules go
to the dotted path it is given (``"inception3a.branch2.conv1"``: a conv's parts are then
``….conv`` and ``….bn``, or with ``flat=True`` the Conv2d at the path itself and its BatchNorm2d
at ``…_bn``), so the keys of ``state_dict()`` are chosen by whoever makes the network, in the
order the calls are made, and each call also appends a step to the program that ``forward``
runs.

``forward(x)`` returns the logits. In training mode with aux heads it returns a named tuple
as torchvision's models do: one aux head, ``InceptionOutputs(logits, aux_logits)``
(Inception-v3); two, ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)`` — the head made
second first, as torchvision's GoogLeNet returns them; more, the same with one field per
head, the last made first. ``transform_input=True`` does what torchvision's GoogLeNet and
Inception3 do with it (their pretrained builders switch it on): an input normalised with
ImageNet's mean and std becomes the ``(p − 0.5) / 0.5`` that the weights ported from
TensorFlow expect.

How a forward pass uses memory (the analysis models exactly this): a step reads its input
and makes a new tensor; activations are applied in place to a tensor a step has just made
(ReLU, Sigmoid), never to a tensor it was given; flatten is a view; dropout at inference
returns its input. A block keeps its input while its branches run, then merges them:
``concat`` concatenates the branch outputs (an identity branch gives the input itself);
``add`` adds the branches to the input: ``act(x + scale · R)``, where ``R`` is the
projection of the concatenated branches, or their sum when there is no projection.
"""

# --- the runtime (copied into generated code from here on) ------------------------------------

import contextlib
from collections import namedtuple

import torch
from torch import nn

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])
_OUTPUTS = {1: InceptionOutputs, 2: GoogLeNetOutputs}


def outputs_type(n):
    """The named tuple that ``forward`` returns in training mode with ``n`` aux heads."""
    if n not in _OUTPUTS:
        _OUTPUTS[n] = namedtuple("GoogLeNetOutputs", ["logits", *(f"aux_logits{i}" for i in range(n, 0, -1))])
    return _OUTPUTS[n]


# torchvision's transform_input: x * (std / 0.5) + (mean - 0.5) / 0.5 per channel, in float32
# as its forward computes it (a multiply, then an add)
_TRANSFORM_SCALE = (0.229 / 0.5, 0.224 / 0.5, 0.225 / 0.5)
_TRANSFORM_SHIFT = ((0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5)


def _transform_input(x):
    scale = torch.tensor(_TRANSFORM_SCALE, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    shift = torch.tensor(_TRANSFORM_SHIFT, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * scale).add_(shift)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _act_(x, act):
    """``act`` in place, on a tensor the step has just made."""
    if act == "relu":
        return torch.relu_(x)
    if act == "sigmoid":
        return torch.sigmoid_(x)
    return x


def _act(x, act):
    """``act`` into a new tensor, on a tensor the step was given."""
    if act == "relu":
        return torch.relu(x)
    if act == "sigmoid":
        return torch.sigmoid(x)
    return x


class Group(nn.Module):
    """A container of modules at one path (a block, a branch, a conv's parts); the program
    of the ``Net`` that holds it decides when they run."""


class _Conv:
    """Conv2d, then BatchNorm2d and an activation; or, ``pre``, BatchNorm2d and the activation
    first (DenseNet's pre-activation)."""

    __slots__ = ("conv", "bn", "act", "pre")

    def __init__(self, conv, bn, act, pre):
        self.conv, self.bn, self.act, self.pre = conv, bn, act, pre

    def __call__(self, x):
        if self.pre:
            if self.bn is not None:
                x = _act_(self.bn(x), self.act)
            else:
                x = _act(x, self.act)
            return self.conv(x)
        y = self.conv(x)
        if self.bn is not None:
            y = self.bn(y)
        return _act_(y, self.act)


class _Layer:
    """One module, then an activation (in place) when it makes a new tensor."""

    __slots__ = ("module", "act")

    def __init__(self, module, act="none"):
        self.module, self.act = module, act

    def __call__(self, x):
        return _act_(self.module(x), self.act)


def _run(steps, x):
    for step in steps:
        x = step(x)
    return x


class _Block:
    """Parallel branches reading one input, merged by concatenation or by a residual add."""

    __slots__ = ("branches", "merge", "project", "scale", "act")

    def __init__(self, merge, scale, act):
        self.branches, self.merge, self.project, self.scale, self.act = [], merge, None, scale, act

    def __call__(self, x):
        outs = [_run(b, x) for b in self.branches]
        if self.merge == "concat":
            return _act_(torch.cat(outs, 1), self.act)
        identities = sum(1 for b in self.branches if not b)
        rest = [o for o, b in zip(outs, self.branches) if b]
        del outs
        fresh = True  # r is a tensor made here, so the activation may change it in place
        if self.project is not None:
            r = torch.cat(rest, 1) if len(rest) > 1 else rest[0]
            del rest
            r = self.project(r)
        elif len(rest) > 1:
            r = rest[0] + rest[1]
            for o in rest[2:]:
                r.add_(o)
            del rest
        else:
            (r,) = rest
            del rest
            fresh = False
        if identities:
            y = torch.add(x, r, alpha=self.scale)
            del r
            for _ in range(identities - 1):
                y.add_(x)
        elif self.scale != 1:
            y = r * self.scale
            del r
        else:
            y = r
            del r
            return _act_(y, self.act) if fresh else _act(y, self.act)
        return _act_(y, self.act)


class Net(nn.Module):
    """A whole network: the program of its steps and the modules they run (made by ``Builder``).

    ``forward(x)`` returns the logits; in training mode with aux heads, ``outputs_type(n)``:
    ``InceptionOutputs(logits, aux_logits)`` or ``GoogLeNetOutputs(logits, aux_logits2,
    aux_logits1)``. ``transform_input``: see the top of this file.
    """

    def __init__(self, transform_input=False):
        super().__init__()
        self.transform_input = transform_input
        self._program = []  # the steps of the main path, each (item name, step)
        self._aux = {}  # item name → [(aux head number, steps)]
        self._aux_names = []  # the aux heads in the order they were made
        self._stages = []  # (stage name, repeat, index of its first step in the program)

    def forward(self, x):
        if self.transform_input:
            x = _transform_input(x)
        training = self.training and self._aux_names
        aux = [None] * len(self._aux_names) if training else None
        for name, step in self._program:
            x = step(x)
            if training and name in self._aux:
                for i, steps in self._aux[name]:
                    aux[i] = _run(steps, x)
        if training:
            return outputs_type(len(aux))(x, *reversed(aux))
        return x


class Builder:
    """Makes a ``Net`` (``builder.net``) call by call, in the order its steps run."""

    def __init__(self, modules=nn, device=None, transform_input=False):
        self.net = Net(transform_input)
        self._nn = modules  # the namespace the layers with weights come from (torch.nn, or a faster one on meta)
        self._device = device
        self._open = [self.net._program]  # where the next step goes
        self._blocks = []  # the blocks being made, innermost last

    # --- where modules go -------------------------------------------------------------------

    def _put(self, path, module):
        """Register ``module`` at the dotted ``path``, making ``Group`` containers on the way."""
        *parents, leaf = path.split(".")
        owner = self.net
        for name in parents:
            child = owner._modules.get(name)
            if child is None:
                child = Group()
                owner.add_module(name, child)
            owner = child
        if leaf in owner._modules:
            raise ValueError(f"two modules at {path!r}")
        owner.add_module(leaf, module)
        return module

    def _add(self, name, step):
        target = self._open[-1]
        target.append((name, step) if target is self.net._program else step)
        return step

    # --- layers -----------------------------------------------------------------------------

    def conv(self, path, in_ch, out_ch, kernel, stride=1, padding=0, dilation=1, groups=1, bias=True,
             bn=False, bn_eps=1e-5, act="relu", order="post", flat=False, bn_path=None, name=None):
        """A Conv2d at ``path.conv``, its BatchNorm2d at ``path.bn``, and its activation;
        ``order="pre"``: BatchNorm2d and activation first. ``flat`` (or a ``bn_path``): the
        Conv2d at ``path`` itself and its BatchNorm2d beside it at ``bn_path`` (default
        ``path + "_bn"``), as Caffe's models and timm's residual projections store them.
        ``name``: the design's name of the layer when ``path`` does not end in it."""
        m, dev = self._nn, self._device
        conv = m.Conv2d(in_ch, out_ch, _pair(kernel), _pair(stride), _pair(padding), _pair(dilation), groups,
                        bias=bias, device=dev)
        norm = m.BatchNorm2d(in_ch if order == "pre" else out_ch, eps=bn_eps, device=dev) if bn else None
        if not flat and bn_path is None:
            self._put(f"{path}.conv", conv)
            if norm is not None:
                self._put(f"{path}.bn", norm)
        else:
            self._put(path, conv)
            if norm is not None:
                self._put(bn_path or f"{path}_bn", norm)
        return self._add(name or path, _Conv(conv, norm, act, order == "pre"))

    def project(self, path, in_ch, out_ch, bias=True, bn=False, bn_eps=1e-5, act="none", flat=False, bn_path=None):
        """The 1×1 projection of the innermost block's concatenated branches (a residual add)."""
        open_, self._open = self._open, [[]]
        try:
            step = self.conv(path, in_ch, out_ch, 1, bias=bias, bn=bn, bn_eps=bn_eps, act=act, flat=flat, bn_path=bn_path)
        finally:
            self._open = open_
        self._blocks[-1].project = step

    def pool(self, path, op, kernel, stride, padding=0, ceil_mode=False, count_include_pad=True, name=None):
        if op == "max":
            module = nn.MaxPool2d(_pair(kernel), _pair(stride), _pair(padding), ceil_mode=ceil_mode)
        else:
            module = nn.AvgPool2d(_pair(kernel), _pair(stride), _pair(padding), ceil_mode=ceil_mode,
                                  count_include_pad=count_include_pad)
        return self._add(name or path, _Layer(self._put(path, module)))

    def adaptive_avg_pool(self, path, output, name=None):
        return self._add(name or path, _Layer(self._put(path, nn.AdaptiveAvgPool2d(_pair(output)))))

    def lrn(self, path, size, alpha=1e-4, beta=0.75, k=1.0, name=None):
        return self._add(name or path, _Layer(self._put(path, nn.LocalResponseNorm(size, alpha, beta, k))))

    def dropout(self, path, p, name=None):
        return self._add(name or path, _Layer(self._put(path, nn.Dropout(p))))

    def flatten(self, path, name=None):
        return self._add(name or path, _Layer(self._put(path, nn.Flatten(1))))

    def linear(self, path, in_features, out_features, bias=True, act="none", name=None):
        module = self._nn.Linear(in_features, out_features, bias=bias, device=self._device)
        return self._add(name or path, _Layer(self._put(path, module), act))

    def batchnorm(self, path, channels, eps=1e-5, act="none", name=None):
        module = self._nn.BatchNorm2d(channels, eps=eps, device=self._device)
        return self._add(name or path, _Layer(self._put(path, module), act))

    # --- stages, blocks and aux heads -----------------------------------------------------------

    def head(self):
        """Where the head of the design begins (nothing is made)."""
        self.net._stages.append((None, None, len(self.net._program)))

    def stage(self, name, repeat=None):
        """Where a stage of the design begins (``repeat``: the block kind whose count is a knob).
        Nothing is made: it names the part of the program that follows, for readers."""
        self.net._stages.append((name, repeat, len(self.net._program)))

    @contextlib.contextmanager
    def block(self, name, merge="concat", scale=1.0, act="none", kind=None):
        """Parallel branches (``with net.branch():`` each) and how they are merged; ``kind``:
        the template the block was made from, for readers."""
        blk = _Block(merge, scale, act)
        self._add(name, blk)
        self._blocks.append(blk)
        try:
            yield blk
        finally:
            self._blocks.pop()

    @contextlib.contextmanager
    def branch(self, name=None):
        """The steps made inside go to a new branch (``name``) of the innermost block; none: an identity."""
        steps = []
        self._blocks[-1].branches.append(steps)
        self._open.append(steps)
        try:
            yield steps
        finally:
            self._open.pop()

    @contextlib.contextmanager
    def aux(self, name, after):
        """An aux head reading the output of the item ``after``; it runs in training mode only.
        Its modules are registered where this call is made (the ``state_dict`` order)."""
        steps = []
        self.net._aux.setdefault(after, []).append((len(self.net._aux_names), steps))
        self.net._aux_names.append(name)
        self._open.append(steps)
        try:
            yield steps
        finally:
            self._open.pop()
