"""Generated PyTorch code: it builds the network we analysed (params, output shape,
state_dict keys, outputs), it is deterministic, and user text cannot inject code."""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import tokenize
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from googlenet import analyze, config, get_preset, preset_names
from googlenet.build import build
from googlenet.cli import main
from googlenet.codegen import escape, to_python
from googlenet.knobs import Tweaks, set_block_count, set_width
from googlenet.spec import Block, Network

from .kinds import residual_split

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

def residual_net() -> Network:
    """d2l with two residual split blocks (one scaled negatively, one without the final ReLU)
    before stage 3, at a small input and half width."""
    d2l = get_preset("d2l")
    b3 = d2l.stages[2]
    extra = (
        residual_split("res1", 32, (16, 24), scale=0.2),
        residual_split("res2", 8, (8, 8), scale=-1.5, act="none"),
    )
    stages = (*d2l.stages[:2], replace(b3, items=extra + b3.items), *d2l.stages[3:])
    return replace(d2l, name="residual", stages=stages, width=0.5, input=(1, 48, 48))


# --- helpers -------------------------------------------------------------------------------


def load(source: str) -> dict:
    """Execute generated source in a fresh namespace (not as __main__)."""
    ns: dict = {"__name__": "generated_model"}
    exec(compile(source, "<generated>", "exec"), ns)
    return ns


def assert_same_model(net: Network) -> dict:
    src = to_python(net)
    ns = load(src)
    a = analyze(net)
    with torch.device("meta"):
        ours = ns["build_model"]()
    ref = build(net, device="meta")
    assert sum(p.numel() for p in ours.parameters()) == a.totals.params == ns["PARAMS"]
    ours_sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert list(ours_sd) == list(ref_sd)  # same keys, same order: weights move both ways
    assert {k: tuple(v.shape) for k, v in ours_sd.items()} == {k: tuple(v.shape) for k, v in ref_sd.items()}
    out = ours.eval()(torch.empty(1, *net.input, device="meta"))
    assert tuple(out.shape) == (1, *a.totals.output_shape) == (1, *ns["OUTPUT_SHAPE"])
    if net.aux_enabled and net.aux:
        outs = ours.train()(torch.empty(2, *net.input, device="meta"))
        assert tuple(outs.logits.shape) == (2, *a.totals.output_shape) and len(outs) == 1 + len(net.aux)
    return ns


def variants() -> list[tuple[str, Network]]:
    out = []
    for name in preset_names():
        net = get_preset(name)
        out.append((name, net))
        if net.aux:
            out.append((f"{name}+aux", replace(net, aux_enabled=True)))
    out.append(("d2l width 0.75, 3×128×160, 7 classes", Tweaks("d2l", input=(3, 128, 160), classes=7, width=0.75).apply()))
    gtv = get_preset("googlenet-torchvision")
    stage = next(s.name for s in gtv.stages if s.repeat)
    out.append(("googlenet-torchvision, one block fewer, c1 widened", set_width(set_block_count(gtv, stage, 1), gtv.blocks()[0].name, "c1", 7)))
    for name in preset_names():
        net = get_preset(name)
        rep = [s for s in net.stages if s.repeat]
        if rep and name != "googlenet-torchvision":
            out.append((f"{name} {rep[-1].name} +1 block", set_block_count(net, rep[-1].name, len([b for b in rep[-1].items if isinstance(b, Block)]) + 1)))
            break
    out.append(("residual split test net", residual_net()))
    return out


VARIANTS = variants()


# --- the generated model is our model --------------------------------------------------------


@pytest.mark.parametrize("net", [n for _, n in VARIANTS], ids=[i for i, _ in VARIANTS])
def test_generated_model_matches_build(net):
    assert_same_model(net)


@pytest.mark.parametrize("make", [lambda: Tweaks("d2l", input=(1, 40, 40)).apply(), residual_net], ids=["d2l", "residual"])
def test_weights_move_and_outputs_are_identical(make):
    net = make()
    ns = load(to_python(net))
    torch.manual_seed(0)
    ref = build(net).eval()
    gen = ns["build_model"]().eval()
    gen.load_state_dict(ref.state_dict())  # strict: every key present on both sides
    x = torch.randn(2, *net.input)
    with torch.inference_mode():
        assert torch.equal(gen(x), ref(x))


def test_deterministic():
    for _, net in VARIANTS[:4]:
        assert to_python(net) == to_python(net)
    assert to_python(get_preset("googlenet")) == to_python(get_preset("googlenet"))  # separately built specs


IMPORTS = ["import contextlib", "from collections import namedtuple", "import torch", "from torch import nn"]


def test_imports_only_torch_and_the_standard_library():
    tree = ast.parse(to_python(replace(get_preset("googlenet"), aux_enabled=True)))
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [ast.unparse(n) for n in imports] == IMPORTS


def test_header_states_the_counts():
    net = get_preset("googlenet")
    a = analyze(net)
    doc = ast.get_docstring(ast.parse(to_python(net)))
    assert "googlenet" in doc and "3x224x224" in doc and "1000 classes" in doc
    assert f"{a.totals.params:,}" in doc and f"{a.totals.macs:,}" in doc
    assert "conv and linear layers only" in doc


def test_runs_as_a_script_in_a_fresh_interpreter(tmp_path):
    net = residual_net()
    path = tmp_path / "model.py"
    path.write_text(to_python(net), encoding="utf-8")
    res = subprocess.run([PYTHON, "-I", str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    a = analyze(net)
    assert f"params: {a.totals.params:,} (expected {a.totals.params:,})" in res.stdout
    assert "output: (1, 10) (expected (1, 10))" in res.stdout


# --- hostile user text -----------------------------------------------------------------------

MARKER = "pwned"  # names cannot hold dots, so the payloads avoid them

HOSTILE = [
    'x"""; import os #',
    "'''\nimport os\n'''",
    f"\"); getattr(__import__('os'),'system')('touch {MARKER}'); (\"",
    f"\ngetattr(__import__('os'),'system')('touch {MARKER}')\n#",
    "\\",
    "ends with backslash\\",
    '"',
    '""',
    "'",
    "#",
    "a\rb",
    "line\u2028sep",
    "nul\x00byte",
    "lone\ud800surrogate",
    "{x} %s ${x}",
    "tab\tand\x1b[31m",
    "rlo\u202eevil",
    "ünïcødé ×",
    'end"',
    '"start',
]


def hostile_net(hostile: list[str] = HOSTILE) -> Network:
    """googlenet with aux heads, every user-named thing renamed to a hostile string (names must
    be printable, so the others go into the description, which is free text)."""
    net = replace(get_preset("googlenet"), aux_enabled=True)
    names = iter([h for h in hostile if h.isprintable()] * 40)
    renamed: dict[str, str] = {}

    def fresh(old: str) -> str:
        new = f"{next(names)}{len(renamed)}"
        renamed[old] = new
        return new

    stages = tuple(
        replace(st, name=fresh(f"stage:{st.name}"), items=tuple(replace(it, name=fresh(it.name)) for it in st.items))
        for st in net.stages
    )
    head = tuple(replace(layer, name=fresh(layer.name)) for layer in net.head)
    aux = tuple(
        replace(h, name=fresh(h.name), after=renamed[h.after], layers=tuple(replace(x, name=f"{next(names)}{i}") for i, x in enumerate(h.layers)))
        for h in net.aux
    )
    description = " ".join(hostile)[:500]
    return replace(net, name='evil""" import os #' + "\\", description=description, stages=stages, head=head, aux=aux)


def identifiers(source: str) -> set[str]:
    tree = ast.parse(source)
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            out.add(n.arg)
    return out


def test_hostile_names_are_only_data():
    net = hostile_net()
    analyze(net)  # the names are valid
    src = to_python(net)
    tree = ast.parse(src)
    # the same program shape as a clean network: no identifier comes from user text
    clean = to_python(replace(get_preset("googlenet"), aux_enabled=True))
    assert identifiers(src) == identifiers(clean)
    assert [type(n).__name__ for n in tree.body] == [type(n).__name__ for n in ast.parse(clean).body]
    assert [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))] == IMPORTS
    # the text survives exactly: as the NAME literal and inside the docstring
    ns = assert_same_model(net)
    assert ns["NAME"] == net.name
    doc = ast.get_docstring(tree, clean=False)
    assert net.name in doc
    assert " ".join(net.description.split()) in " ".join(doc.split())  # word-wrapped, otherwise verbatim
    # comments stay on their line: each comment token is one physical line
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT:
            assert tok.start[0] == tok.end[0] and "\n" not in tok.string and "\r" not in tok.string
    # module names carry the hostile strings verbatim, exactly as build() names them
    with torch.device("meta"):
        keys = list(load(src)["build_model"]().state_dict())
    assert keys == list(build(net, "meta").state_dict())
    assert any(HOSTILE[2] in k for k in keys)


def test_hostile_file_runs_without_side_effects(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(to_python(hostile_net()), encoding="utf-8")
    res = subprocess.run([PYTHON, "-I", str(path)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]


@pytest.mark.parametrize("text", HOSTILE + ["", "plain", "a\\nb", "\\\"\"\""])
def test_escape_round_trips_in_a_triple_quoted_string(text):
    assert ast.literal_eval(f'"""{escape(text)}"""') == text
    assert ast.literal_eval(f'"""x{escape(text)}x"""') == f"x{text}x"
    assert escape(text).isprintable()


# --- command line ----------------------------------------------------------------------------


def test_cli_writes_the_file(tmp_path, capsys):
    out = tmp_path / "model.py"
    assert main(["code", "d2l", "--input", "1x64x64", "--classes", "5", "-o", str(out)]) == 0
    net = Tweaks("d2l", input=(1, 64, 64), classes=5).apply()
    assert out.read_text(encoding="utf-8") == to_python(net)
    captured = capsys.readouterr()
    assert captured.out == "" and "wrote" in captured.err


def test_cli_prints_without_output(capsys):
    assert main(["code", "googlenet", "--aux"]) == 0
    assert capsys.readouterr().out == to_python(replace(get_preset("googlenet"), aux_enabled=True))


def test_cli_config_with_hostile_names(tmp_path, capsys):
    cfg = tmp_path / "hostile.json"
    # a config file's names must be printable (the reader refuses control characters and lone
    # surrogates); the printable hostile ones still have to stay data in the generated code
    printable = [h for h in HOSTILE if h.isprintable()]
    doc = config.to_dict(hostile_net(printable))
    cfg.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "model.py"
    assert main(["code", "--config", str(cfg), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == to_python(config.loads(cfg.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["code", "no-such-preset"], "unknown preset"),
        (["code"], "PRESET, --config FILE or --from-code"),
        (["code", "d2l", "--input", "1x2"], "--input must look like"),
        (["code", "googlenet", "--input", "3x16x16"], "too small"),
        (["code", "d2l", "--aux"], "has no aux heads"),
        (["code", "d2l", "--classes", "0"], "classes"),
        (["code", "d2l", "-o", "/nonexistent-dir/model.py"], "cannot write"),
    ],
)
def test_cli_bad_input_exits_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert "Traceback" not in captured.err


def test_cli_bad_config_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"input": [3, 224, 224], "classes": 10, "stages": "nope"}), encoding="utf-8")
    assert main(["code", "--config", str(bad)]) == 2
    assert "stages" in capsys.readouterr().err


def test_cli_subprocess_end_to_end(tmp_path):
    out = tmp_path / "model.py"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([PYTHON, "-m", "googlenet", "code", "d2l", "-o", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert ok.returncode == 0, ok.stderr
    assert out.read_text(encoding="utf-8") == to_python(get_preset("d2l"))
    bad = subprocess.run([PYTHON, "-m", "googlenet", "code", "nope"], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert bad.returncode == 2 and "unknown preset" in bad.stderr and not bad.stdout
