"""The lecture's code in: PyTorch code is read with ``ast`` — never executed — into a spec.
The judges: the book's own code as its chapters print it (``tests/reference/d2l``), the
lecture's network rebuilt by hand (``tests/lecture.py``), the presets, and our generated code
for every preset read back to the same numbers. Hostile code is refused with the line and the
construct, and a payload that would write a file leaves no file."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from googlenet import analyze, get_preset
from googlenet.cli import main
from googlenet.codegen import to_python
from googlenet.errors import SpecError
from googlenet.importer import from_code, read_code
from googlenet.knobs import set_block_count

from .lecture import BLOCK_NAMES, lecture_network
from .test_codegen import variants

BOOK = Path(__file__).parent / "reference" / "d2l"


def book(name: str) -> str:
    return (BOOK / f"{name}.py").read_text(encoding="utf-8")


def same_numbers(a, b) -> None:
    ta, tb = analyze(a).totals, analyze(b).totals
    assert ta == tb
    assert [(n.key, n.out_shape, n.params, n.macs) for n in analyze(a).layers] == [
        (n.key, n.out_shape, n.params, n.macs) for n in analyze(b).layers
    ]


# --- the book's code --------------------------------------------------------------------------------


@pytest.mark.parametrize("edition", ["googlenet_zh", "googlenet_en017"])
def test_the_lecture_as_the_chapter_prints_it_is_the_d2l_preset(edition):
    got = read_code(book(edition))
    d2l = get_preset("d2l")
    net = got.network
    assert net == replace(d2l, name=net.name, description=net.description)  # blocks keep c1–c4: Inception(c1, c2, c3, c4)
    assert [b.name for b in net.blocks()] == list(BLOCK_NAMES)
    assert any("output shape" in n for n in got.notes)  # the chapter's shape-printing loop, skipped
    lecture, blocks = lecture_network()  # the independent judge: the lecture's module built by hand
    assert analyze(net).totals.params == sum(p.numel() for p in lecture.parameters())
    for name, block in blocks.items():
        assert analyze(net).block(name).params == sum(p.numel() for p in block.parameters())


@pytest.mark.parametrize("code, preset", [("lenet_zh", "d2l-lenet"), ("alexnet_zh", "d2l-alexnet"), ("nin_zh", "d2l-nin")])
def test_the_books_plain_sequentials_import(code, preset):
    """LeNet (16 * 5 * 5 as arithmetic), AlexNet (comments between layers), NiN (a function
    that returns an nn.Sequential, called with keyword arguments); their X lines give the input."""
    net = from_code(book(code))
    want = get_preset(preset)
    assert net.input == want.input and net.classes == want.classes
    t, w = analyze(net).totals, analyze(want).totals
    assert (t.params, t.macs, t.output_shape, t.depth) == (w.params, w.macs, w.output_shape, w.depth)
    assert [n.out_shape for n in analyze(net).layers] == [n.out_shape for n in analyze(want).layers]


def test_vgg_is_refused_where_its_loop_is():
    with pytest.raises(SpecError) as err:
        from_code(book("vgg_zh"))
    assert str(err.value) == "line 7: a for loop is not supported; write the layers out"
    assert book("vgg_zh").splitlines()[6].lstrip().startswith("for _ in range(num_convs):")


def test_keyword_and_positional_arguments_and_lazy_layers():
    code = textwrap.dedent(
        """
        import torch.nn as nn
        import torch
        class Inception(nn.Module):
            def __init__(self, in_channels, c1, c2, c3, c4):
                super().__init__()
                self.p1_1 = nn.LazyConv2d(c1, kernel_size=1)
                self.p2_1 = nn.Conv2d(in_channels, c2[0], 1)
                self.p2_2 = nn.Conv2d(c2[0], c2[1], 3, 1, 1)
                self.p3_1 = nn.Conv2d(in_channels=in_channels, out_channels=c3[0], kernel_size=1)
                self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
                self.p4_1 = nn.MaxPool2d(3, 1, 1)
                self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)
            def forward(self, x):
                p1 = torch.relu(self.p1_1(x))
                p2 = self.p2_1(x)
                p2 = torch.relu(p2)
                p2 = torch.relu(self.p2_2(p2))
                p3 = torch.relu(self.p3_2(torch.relu(self.p3_1(x))))
                p4 = torch.relu(self.p4_2(self.p4_1(x)))
                return torch.cat([p1, p2, p3, p4], 1)
        b3 = nn.Sequential(Inception(3, c1=64, c2=(96, 128), c3=(16, 32), c4=32), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        net = nn.Sequential(b3, nn.LazyLinear(10))
        X = torch.randn(1, 3, 32, 32)
        """
    )
    net = from_code(code)
    blk = net.blocks()[0]
    assert blk.kind == "inception" and blk.widths == (("c1", (64,)), ("c2", (96, 128)), ("c3", (16, 32)), ("c4", (32,)))
    assert net.input == (3, 32, 32) and net.classes == 10


def test_a_wrong_input_channel_count_names_its_line():
    code = book("googlenet_zh").replace("Inception(256, 128, (128, 192), (32, 96), 64)", "Inception(192, 128, (128, 192), (32, 96), 64)")
    with pytest.raises(SpecError) as err:
        from_code(code)
    line = next(i for i, t in enumerate(code.splitlines(), 1) if "Inception(192, 128" in t)
    assert err.value.field == f"line {line}" and err.value.code == "code.channels"
    assert "expects 192 input channels, but the layer before it gives 256" in err.value.detail
    lenet = book("lenet_zh").replace("nn.Linear(16 * 5 * 5, 120)", "nn.Linear(16 * 4 * 4, 120)")
    with pytest.raises(SpecError, match=r"line 11: nn.Linear\(256, 120\) expects 256 input features, but the layer before it gives 400"):
        from_code(lenet)


def test_without_an_input_line_the_lectures_size_is_assumed():
    code = book("googlenet_zh").split("X = torch.rand")[0]
    got = read_code(code)
    assert got.network.input == (1, 96, 96) and any("assumed 1×96×96" in n for n in got.notes)


# --- our own generated code ------------------------------------------------------------------------------


def designs():
    """The generated code's own variants (tests/test_codegen.py), and a block that keeps an
    upstream naming rule's pattern."""
    return [*variants(), ("googlenet-torchvision with inception4f", set_block_count(get_preset("googlenet-torchvision"), "b4", 6))]


@pytest.mark.parametrize("net", [n for _, n in designs()], ids=[i for i, _ in designs()])
def test_generated_code_reads_back_to_the_same_network(net):
    got = read_code(to_python(net))
    assert got.kind == "generated"
    back = got.network
    same_numbers(back, net)
    if net.width == 1:
        # everything the file holds comes back: names, stages, templates, style, naming;
        # aux heads that are off are not in the file
        assert back == (net if net.aux_enabled else replace(net, aux=()))


def test_an_edited_generated_file_is_read_as_edited():
    net = get_preset("d2l")
    code = to_python(net)
    for old, new in (("b.conv('inception3a.branch2.conv1', 192, 96, 1)", "b.conv('inception3a.branch2.conv1', 192, 80, 1)"),
                     ("b.conv('inception3a.branch2.conv2', 96, 128, 3", "b.conv('inception3a.branch2.conv2', 80, 128, 3")):
        assert old in code
        code = code.replace(old, new)
    back = from_code(code)
    assert back.block("inception3a").width("c2") == (80, 128)  # still the template, with the new width
    stale = to_python(net).replace("b.conv('inception3a.branch1.conv', 192, 64, 1)", "b.conv('inception3a.branch1.conv', 192, 80, 1)")
    with pytest.raises(SpecError, match=r"b.conv\('inception3b.branch1.conv', 256, …\) expects 256 input channels, but the layer before it gives 272"):
        from_code(stale)  # one width changed, the next block's input not
    bad = to_python(net).replace("b.conv('conv2', 64, 64, 1)", "b.conv('conv2', 32, 64, 1)")
    with pytest.raises(SpecError, match=r"expects 32 input channels, but the layer before it gives 64"):
        from_code(bad)


# --- hostile code --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, field, message",
    [
        ("import os\nnet = nn.Sequential()", "line 1", "importing 'os' is not supported"),
        ("from subprocess import run", "line 1", "importing 'subprocess.run' is not supported"),
        ("from torch import *", "line 1", "importing '* from torch'"),
        ("import torch\n__import__('os').system('true')", "line 2", "calling '__import__(…).system'(…) on its own is not supported"),
        ("from torch import nn\nnet = nn.Sequential(eval('1'))", "line 2", "'eval'(…) is not something the reader knows"),
        ("from torch import nn\nnet = nn.Sequential(nn.Conv2d(1, 8, 3).to('cuda'))", "line 2", "is not something the reader knows"),
        ("from torch import nn\nnet = getattr(nn, 'Conv2d')(1, 8, 3)", "line 2", "'getattr(…)'(…) is not something the reader knows"),
        ("from torch import nn\nnet = nn.Sequential(nn.Conv2d(1, 10**100, 3))", "line 2", "this operator is not supported"),
        ("from torch import nn\nnet = nn.Sequential(nn.Conv2d(1, 99999999999, 3))", "line 2", "99999999999 is far too large"),
        ("x = " + "9" * 5000, "line 1", "is not valid Python"),
        ("x = " + "(" * 100 + "1" + ")" * 100, "code", "nested more than 24 levels deep"),
        ("x = 1\n" * 200_000, "code", "the limit is 1,000,000"),
        ("while True:\n    pass", "line 1", "a while loop is not supported; write the layers out"),
        ("from torch import nn\nlayers = [nn.ReLU() for _ in range(3)]", "line 2", "a list comprehension is not supported"),
        ("f = lambda: 0", "line 1", "a lambda is not supported"),
        ("try:\n    pass\nexcept Exception:\n    pass", "line 1", "a try statement is not supported"),
        ("from torch import nn\nclass A(nn.Module):\n    def __init__(self):\n        import os\n    def forward(self, x):\n        return x\nnet = nn.Sequential(A())",
         "line 4", "an import in 'A'.__init__ is not supported"),
        ("from torch import nn\ndef f(x):\n    return nn.Sequential(f(x))\nnet = f(1)", "line 3", "more than 8 functions or blocks called inside one another"),
        ("from torch import nn\nr = nn.ReLU()\ns = nn.Sequential(r, r)\n" + "".join(f"s = nn.Sequential(s, s)\n" for _ in range(30)) + "net = nn.Sequential(s)",
         "line", "more than 2,000 layers once every nn.Sequential is written out"),
        ("from torch import nn\nc = nn.Conv2d(1, 1, 3)\nnet = nn.Sequential(c, nn.ReLU(), c)", "line 2", "is used twice in the network"),
        ("print('hello')", "line 1", "calling 'print'(…) on its own is not supported"),
        ("x = 1", "code", "no network found"),
    ],
)
def test_hostile_or_unsupported_code_is_refused_with_line_and_construct(code, field, message):
    with pytest.raises(SpecError) as err:
        from_code(code)
    assert err.value.field.startswith(field), str(err.value)
    assert message in err.value.detail, str(err.value)


PAYLOAD = "open({path!r}, 'w').write('ran')"


def payload_codes(path: str) -> dict[str, str]:
    p = PAYLOAD.format(path=path)
    lecture = book("googlenet_zh")
    return {
        "top level": f"{p}\n" + lecture,
        "a layer's argument": lecture.replace("nn.Linear(1024, 10)", f"nn.Linear(1024, {p})"),
        "a block's argument": lecture.replace("Inception(192, 64, (96, 128), (16, 32), 32)", f"Inception(192, {p}, (96, 128), (16, 32), 32)"),
        "a block's __init__": lecture.replace("self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)", f"self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)\n        {p}"),
        "a block's forward": lecture.replace("p1 = F.relu(self.p1_1(x))", f"p1 = F.relu(self.p1_1(x))\n        {p}"),
        "a default argument": lecture.replace("def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):", f"def __init__(self, in_channels, c1, c2, c3, c4, z={p}, **kwargs):"),
        "the shape loop": lecture.replace("print(layer.__class__.__name__", f"{p}; print(layer.__class__.__name__"),
        "a decorator": f"@{p}\ndef f(x):\n    return x\n" + lecture,
        "a generated file's top level": to_python(get_preset("d2l")) + f"\n{p}\n",
        "a generated file's build_model": to_python(get_preset("d2l")).replace("    b = Builder(transform_input=transform_input)", f"    b = Builder(transform_input=transform_input)\n    {p}"),
        "a generated file's constant": to_python(get_preset("d2l")).replace("NUM_CLASSES = 10", f"NUM_CLASSES = {p}"),
    }


@pytest.mark.parametrize("where", list(payload_codes("x")))
def test_a_payload_that_would_write_a_file_leaves_no_file(where, tmp_path):
    target = tmp_path / "ran.txt"
    code = payload_codes(str(target))[where]
    try:
        from_code(code)
    except SpecError as err:
        assert err.field.startswith("line") or err.field in ("code", "NUM_CLASSES"), str(err)
    else:
        assert where in ("a block's default never used",)  # every payload place is refused …
    assert not target.exists()  # … and nothing ran


def test_the_runtime_part_of_a_generated_file_is_not_read_and_not_run(tmp_path):
    """A payload inside the runtime's own functions is never reached: the reader reads only
    the constants and build_model(), and runs nothing."""
    target = tmp_path / "ran.txt"
    code = to_python(get_preset("d2l")).replace("def _pair(v):\n", f"def _pair(v):\n    {PAYLOAD.format(path=str(target))}\n")
    assert "open(" in code
    net = from_code(code)
    assert net == replace(get_preset("d2l"), aux=())
    assert not target.exists()


# --- the command line ------------------------------------------------------------------------------------------


def test_cli_summary_from_code(tmp_path, capsys):
    path = tmp_path / "lecture.py"
    path.write_text(book("googlenet_zh"), encoding="utf-8")
    assert main(["summary", "--from-code", str(path), "--format", "json"]) == 0
    out = capsys.readouterr()
    assert '"params": 5977530' in out.out and "note: line 59" in out.err
    bad = tmp_path / "vgg.py"
    bad.write_text(book("vgg_zh"), encoding="utf-8")
    assert main(["summary", "--from-code", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: line 7: a for loop is not supported; write the layers out" and "Traceback" not in err
    assert main(["summary", "d2l", "--from-code", str(path)]) == 2  # one source at a time
