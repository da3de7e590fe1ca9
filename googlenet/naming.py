"""Module naming rules: where each layer's modules go in the built network, so that its
``state_dict()`` has the keys, shapes and order of an upstream implementation and that
implementation's published checkpoints load with ``load_state_dict`` (strict).

A rule maps each leaf of the analysis tree (a conv, a pool, a linear layer, …; merges have
no module) to the module path of its parts, from the spec's structure alone — names,
positions and layer kinds — so a variant keeps the rule: a sixth stage-4 block of GoogLeNet
is ``inception4f`` and its keys follow the pattern, a timm ``features.<i>`` index follows the
block's position. A conv's parts are ``<path>.conv`` and ``<path>.bn`` (torchvision's and
timm's ``BasicConv2d`` / ``ConvNormAct``) unless the rule stores them flat: the Conv2d at
``<path>`` itself and its BatchNorm2d at ``<path>_bn`` (Caffe's layout, which Cadene's port
keeps, and timm's residual projections ``conv2d``, which have no BatchNorm).

A rule also says where aux heads are registered (which decides their place in the
``state_dict``): last (``studio``), before the head (torchvision's GoogLeNet registers
``aux1``/``aux2`` before ``fc``), or right after the block they read (torchvision's
Inception-v3 registers ``AuxLogits`` after ``Mixed_6e``).

``RULES`` is the one table of rules; ``Network.naming`` names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .errors import SpecError, shown
from .spec import Block, Branch, Conv, Network

__all__ = ["RULES", "Rule", "Checkpoint", "get_rule", "module_paths", "conv_flat", "parts", "node_parts", "aux_position", "load_lines"]

Paths = dict[str, str]  # leaf key → module path


@dataclass(frozen=True)
class Checkpoint:
    """A published checkpoint of the upstream model, as its file holds it."""

    file: str  # the file name a user downloads
    source: str  # where it comes from
    aux_keys: tuple[str, ...] = ()  # prefixes of aux-head keys the file holds (torchvision keeps them)
    transform_input: bool = False  # the upstream builder turns transform_input on with these weights
    note: str = ""


@dataclass(frozen=True)
class Rule:
    name: str
    upstream: str  # the implementation whose keys the rule reproduces
    items: Callable[[Network], dict[str, str]]  # top-level item (stage item or head layer) name → path
    block: Callable[[Block, str], Paths]  # a block at a path → {key inside the block: path}
    aux_at: str = "end"  # "end" | "head" (before the head) | "source" (after the block it reads)
    flat_project: bool = False  # residual projections stored flat (timm's ``conv2d``)
    flat_convs: bool = False  # every conv stored flat, BatchNorm at ``<path>_bn`` (Caffe)
    checkpoint: Checkpoint | None = None


# --- the pieces rules are made of ------------------------------------------------------------------


def _by_name(net: Network) -> dict[str, str]:
    return {it.name: it.name for st in net.stages for it in st.items} | {x.name: x.name for x in net.head}


def _studio_block(block: Block, path: str) -> Paths:
    out: Paths = {}

    def walk(br: Branch, prefix: str) -> None:
        for layer in br.layers:
            out[f"{prefix}{layer.name}"] = f"{path}.{prefix}{layer.name}"
        for sub in br.split:
            walk(sub, f"{prefix}{sub.name}.")

    for br in block.branches:
        walk(br, f"{br.name}.")
    if block.project is not None:
        out["project"] = f"{path}.project"
    return out


def _letters(i: int) -> str:
    """0 → a, 1 → b, … (the sub-paths of a split: ``branch3x3_2a``, ``branch3x3_2b``)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(ord("a") + r) + s
    return s


def _sequential(br: Branch, at: str, key: str, out: Paths) -> None:
    """A branch as an ``nn.Sequential`` (or, with one layer, that layer itself at the branch's
    path): torchvision's GoogLeNet and timm's blocks."""
    if len(br.layers) == 1 and not br.split:
        out[f"{key}{br.layers[0].name}"] = at
        return
    for i, layer in enumerate(br.layers):
        out[f"{key}{layer.name}"] = f"{at}.{i}"
    for j, sub in enumerate(br.split):
        _sequential(sub, f"{at}.{len(br.layers) + j}", f"{key}{sub.name}.", out)


def _numbered(br: Branch, block_path: str, key: str, out: Paths, first: int, weighted_only: bool) -> None:
    """A branch written out flat, one attribute per conv: ``<branch>_<i>``, the sub-paths of a
    split ``<branch>_<n>a``, ``<branch>_<n>b`` (timm's Inception-v4 C block counts from 0,
    torchvision's Inception-v3 from 1 and names a branch's only conv after the branch)."""
    name = br.name
    numbered = [x for x in br.layers if not weighted_only or isinstance(x, Conv)]
    only = weighted_only and len(numbered) == 1 and not br.split
    i = first
    for layer in br.layers:
        if weighted_only and not isinstance(layer, Conv):
            out[f"{key}{layer.name}"] = f"{block_path}.{name}.{layer.name}"
            continue
        out[f"{key}{layer.name}"] = f"{block_path}.{name}" if only else f"{block_path}.{name}_{i}"
        i += 1
    for j, sub in enumerate(br.split):
        stem = f"{name}_{i}{_letters(j)}"
        for k, layer in enumerate(sub.layers):
            out[f"{key}{sub.name}.{layer.name}"] = f"{block_path}.{stem}" if len(sub.layers) == 1 else f"{block_path}.{stem}_{k}"
        if sub.split:  # deeper splits: no upstream block has one; keep them unique
            for s in sub.split:
                _sequential(s, f"{block_path}.{stem}_{s.name}", f"{key}{sub.name}.{s.name}.", out)


def _tv_googlenet_block(block: Block, path: str) -> Paths:
    out: Paths = {}
    for br in block.branches:
        _sequential(br, f"{path}.{br.name}", f"{br.name}.", out)
    if block.project is not None:
        out["project"] = f"{path}.project"
    return out


def _tv_inception_v3_block(block: Block, path: str) -> Paths:
    out: Paths = {}
    for br in block.branches:
        _numbered(br, path, f"{br.name}.", out, first=1, weighted_only=True)
    if block.project is not None:
        out["project"] = f"{path}.project"
    return out


_KIND_ATTR = {"conv": "conv", "maxpool": "maxpool", "avgpool": "avgpool"}


def _timm_block(block: Block, path: str) -> Paths:
    out: Paths = {}
    singles = [br.layers[0] for br in block.branches if len(br.layers) == 1 and not br.split]
    if len(singles) == len(block.branches) and block.project is None:
        kinds = [x.kind for x in singles]
        if all(k in _KIND_ATTR for k in kinds) and len(set(kinds)) == len(kinds):
            # timm's Mixed3a / Mixed5a: one conv and one max pool, attributes named by kind
            for br, layer in zip(block.branches, singles):
                out[f"{br.name}.{layer.name}"] = f"{path}.{_KIND_ATTR[layer.kind]}"
            return out
    for br in block.branches:
        if br.split:
            _numbered(br, path, f"{br.name}.", out, first=0, weighted_only=False)
        else:
            _sequential(br, f"{path}.{br.name}", f"{br.name}.", out)
    if block.project is not None:
        out["project"] = f"{path}.conv2d"
    return out


def _timm_v4_items(net: Network) -> dict[str, str]:
    i = 0
    out = {}
    for st in net.stages:
        for it in st.items:
            out[it.name] = f"features.{i}"
            i += 1
    return out | {x.name: x.name for x in net.head}


def _timm_irv2_items(net: Network) -> dict[str, str]:
    """timm's Inception-ResNet-v2 keeps each stage's run of repeated blocks in one
    ``nn.Sequential``: ``repeat`` (block35), ``repeat_1`` (block17), ``repeat_2`` (block8)."""
    out = _by_name(net)
    k = 0
    for st in net.stages:
        reps = [it for it in st.items if isinstance(it, Block) and st.repeat is not None and it.kind == st.repeat]
        if not reps:
            continue
        seq = "repeat" if k == 0 else f"repeat_{k}"
        k += 1
        for i, b in enumerate(reps):
            out[b.name] = f"{seq}.{i}"
    return out


_CADENE_STEMS = {"branch1x1": "1x1", "branch3x3": "3x3", "branch3x3dbl": "double_3x3", "branch_pool": "pool"}


def _cadene_block(block: Block, path: str) -> Paths:
    """Caffe's flat names, as Cadene's port keeps them: ``inception_3a_1x1``,
    ``inception_3a_3x3_reduce``, ``inception_3a_double_3x3_1``, ``inception_3a_pool_proj``."""
    out: Paths = {}

    def walk(br: Branch, key: str, stem: str) -> None:
        convs = [x for x in br.layers if isinstance(x, Conv)]
        k = 0
        for layer in br.layers:
            if isinstance(layer, Conv):
                if stem == "pool":
                    name = "pool_proj" if len(convs) == 1 else f"pool_proj_{k + 1}"
                elif len(convs) == 1:
                    name = stem
                elif k == 0:
                    name = f"{stem}_reduce"
                elif len(convs) == 2:
                    name = stem
                else:
                    name = f"{stem}_{k}"
                k += 1
            elif layer.kind in ("maxpool", "avgpool") and stem == "pool":
                name = "pool"
            else:
                name = f"{stem}_{layer.name}"
            out[f"{key}{layer.name}"] = f"{path}_{name}"
        for sub in br.split:
            walk(sub, f"{key}{sub.name}.", f"{stem}_{sub.name}")

    for br in block.branches:
        walk(br, f"{br.name}.", _CADENE_STEMS.get(br.name, br.name))
    if block.project is not None:
        out["project"] = f"{path}_proj"
    return out


# --- the table ---------------------------------------------------------------------------------------

RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("studio", "Inception Studio's own names: every module at its layer's key", _by_name, _studio_block),
        Rule(
            "torchvision-googlenet",
            "torchvision.models.googlenet (torchvision/models/googlenet.py, class GoogLeNet)",
            _by_name,
            _tv_googlenet_block,
            aux_at="head",
            checkpoint=Checkpoint(
                "googlenet-1378be20.pth",
                "torchvision GoogLeNet_Weights.IMAGENET1K_V1 (https://download.pytorch.org/models/googlenet-1378be20.pth)",
                aux_keys=("aux1.", "aux2."),
                transform_input=True,
                note="the file holds untrained aux1/aux2 heads (torchvision drops them after loading)",
            ),
        ),
        Rule(
            "torchvision-inception-v3",
            "torchvision.models.inception_v3 (torchvision/models/inception.py, class Inception3)",
            _by_name,
            _tv_inception_v3_block,
            aux_at="source",
            checkpoint=Checkpoint(
                "inception_v3_google-0cc3c7bd.pth",
                "torchvision Inception_V3_Weights.IMAGENET1K_V1 (https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth)",
                aux_keys=("AuxLogits.",),
                transform_input=True,
                note="the file holds the AuxLogits head",
            ),
        ),
        Rule(
            "timm-inception-v4",
            "timm.create_model('inception_v4') (timm/models/inception_v4.py)",
            _timm_v4_items,
            _timm_block,
            checkpoint=Checkpoint("model.safetensors", "timm/inception_v4.tf_in1k on the Hugging Face hub"),
        ),
        Rule(
            "timm-inception-resnet-v2",
            "timm.create_model('inception_resnet_v2') (timm/models/inception_resnet_v2.py)",
            _timm_irv2_items,
            _timm_block,
            flat_project=True,
            checkpoint=Checkpoint("model.safetensors", "timm/inception_resnet_v2.tf_in1k on the Hugging Face hub"),
        ),
        Rule(
            "cadene-bninception",
            "Cadene's pretrainedmodels.bninception (pretrainedmodels/models/bninception.py)",
            _by_name,
            _cadene_block,
            flat_convs=True,
            checkpoint=Checkpoint(
                "bn_inception-52deb4733.pth",
                "Cadene's pretrainedmodels (http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-52deb4733.pth)",
                note="expects BGR input in [0, 255] minus the mean (104, 117, 128)",
            ),
        ),
    )
}
DEFAULT = "studio"


def get_rule(name: str, field: str = "naming") -> Rule:
    try:
        return RULES[name]
    except (KeyError, TypeError):
        raise SpecError(field, "choice", choices=", ".join(RULES), value=shown(name)) from None


# --- the paths of a network ----------------------------------------------------------------------------


@lru_cache(maxsize=256)
def module_paths(net: Network) -> dict[str, str]:
    """Every leaf key of ``net``'s analysis that has a module → its module path under
    ``net.naming``. Refuses (``naming.collision``) a network whose names would put two layers'
    modules at one path, or a module inside another layer's."""
    rule = get_rule(net.naming)
    items = rule.items(net)
    out: dict[str, str] = {}
    for st in net.stages:
        for it in st.items:
            path = items[it.name]
            if isinstance(it, Block):
                for key, p in rule.block(it, path).items():
                    out[f"{it.name}.{key}"] = p
            else:
                out[it.name] = path
    for layer in net.head:
        out[layer.name] = items[layer.name]
    for head in net.aux:
        for layer in head.layers:
            out[f"{head.name}.{layer.name}"] = f"{head.name}.{layer.name}"
    _check(net, rule, out)
    return out


def conv_flat(net: Network, key: str, layer) -> bool:
    """Whether the conv at ``key`` is stored flat (the Conv2d at its path, BatchNorm2d at ``<path>_bn``)."""
    if not isinstance(layer, Conv):
        return False
    rule = get_rule(net.naming)
    return rule.flat_convs or (rule.flat_project and key.endswith(".project") and key.count(".") == 1)


def parts(net: Network, key: str, layer, path: str) -> tuple[str, ...]:
    """The module paths that hold the leaf's weights: its path (and everything under it), and
    a flat conv's BatchNorm beside it."""
    if conv_flat(net, key, layer) and layer.bn:
        return (path, f"{path}_bn")
    return (path,)


def _check(net: Network, rule: Rule, paths: dict[str, str]) -> None:
    """No two layers' modules at one path, and none inside another layer's module."""
    owner: dict[str, str] = {}
    layers = _layers_by_key(net)
    for key, path in paths.items():
        layer = layers[key]
        held = [path]
        if isinstance(layer, Conv):
            if conv_flat(net, key, layer):
                if layer.bn:
                    held.append(f"{path}_bn")
            else:
                held = [f"{path}.conv"] + ([f"{path}.bn"] if layer.bn else [])
        for h in held:
            other = owner.get(h)
            if other is not None and other != key:
                raise SpecError("naming", "naming.collision", rule=rule.name, path=shown(h), first=shown(other), second=shown(key))
            owner[h] = key
    # a module's path may not be the container of another one's
    for h, key in owner.items():
        parent = h.rsplit(".", 1)[0] if "." in h else None
        while parent:
            other = owner.get(parent)
            if other is not None and other != key:
                raise SpecError("naming", "naming.collision", rule=rule.name, path=shown(parent), first=shown(other), second=shown(key))
            parent = parent.rsplit(".", 1)[0] if "." in parent else None


def _layers_by_key(net: Network) -> dict[str, object]:
    out: dict[str, object] = {}

    def walk(br: Branch, prefix: str) -> None:
        for layer in br.layers:
            out[f"{prefix}{layer.name}"] = layer
        for sub in br.split:
            walk(sub, f"{prefix}{sub.name}.")

    for st in net.stages:
        for it in st.items:
            if isinstance(it, Block):
                for br in it.branches:
                    walk(br, f"{it.name}.{br.name}.")
                if it.project is not None:
                    out[f"{it.name}.project"] = it.project
            else:
                out[it.name] = it
    for layer in net.head:
        out[layer.name] = layer
    for head in net.aux:
        for layer in head.layers:
            out[f"{head.name}.{layer.name}"] = layer
    return out


def aux_position(net: Network) -> str:
    return get_rule(net.naming).aux_at


# --- loading an upstream checkpoint -----------------------------------------------------------------------


def load_lines(net: Network) -> list[str] | None:
    """The lines a user writes (after the generated file's definitions) to load the upstream
    checkpoint into ``build_model()``; None when the rule has no published checkpoint."""
    rule = get_rule(net.naming)
    ck = rule.checkpoint
    if ck is None:
        return None
    transform = "transform_input=True" if ck.transform_input else ""
    build = f"model = build_model({transform})"
    if ck.transform_input:
        build += "  # as torchvision's builder does when it is given weights"
    if ck.file.endswith(".safetensors"):
        lines = [build, "from safetensors.torch import load_file  # pip install safetensors", f'state = load_file("{ck.file}")']
    else:
        lines = [build, f'state = torch.load("{ck.file}", weights_only=True)']
    if ck.aux_keys and not net.aux_enabled:
        prefixes = ", ".join(f'"{p}"' for p in ck.aux_keys)
        if len(ck.aux_keys) > 1:
            prefixes = f"({prefixes})"
        lines.append(f"model.load_state_dict({{k: v for k, v in state.items() if not k.startswith({prefixes})}})  # this design has no aux heads")
    else:
        lines.append("model.load_state_dict(state)  # strict: every key and shape must match")
    return lines


def node_parts(node) -> tuple[str, ...]:
    """``parts`` of a leaf of an analysis tree (its network is the tree's root's)."""
    root = node
    while root.parent is not None:
        root = root.parent
    return parts(root.layer, node.key, node.layer, node.module)
