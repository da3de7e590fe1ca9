"""ONNX out: the exported file passes ``onnx.checker``, keeps the design's block and layer
names in its node names and its state_dict keys as weight names, and onnxruntime computes
what the PyTorch module computes (tolerance: 1e-5 absolute plus 1e-4 relative, float32)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from googlenet import analyze, get_preset
from googlenet.build import build
from googlenet.cli import main
from googlenet.errors import SpecError
from googlenet.knobs import Tweaks
from googlenet.onnx_export import to_onnx
from googlenet.spec import AdaptiveAvgPool, Stage

from .weights import signal_state_of

ATOL, RTOL = 1e-5, 1e-4

DESIGNS = {
    "d2l": get_preset("d2l"),
    "googlenet (LRN, ceil pools; aux heads built but not run)": replace(get_preset("googlenet"), aux_enabled=True),
    "googlenet-torchvision": get_preset("googlenet-torchvision"),
    "inception-bn (flat Caffe names)": get_preset("inception-bn"),
    "inception-v3 at 107×107": replace(get_preset("inception-v3"), input=(3, 107, 107)),
    "inception-resnet-v2 at 107×107, width 0.25": Tweaks("inception-resnet-v2", input=(3, 107, 107), width=0.25).apply(),
    "d2l-resnet18 (residual adds)": get_preset("d2l-resnet18"),
    "d2l-densenet (pre-activation convs)": get_preset("d2l-densenet"),
    "d2l-lenet (sigmoids)": get_preset("d2l-lenet"),
}


def session(data: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("net", list(DESIGNS.values()), ids=list(DESIGNS))
def test_onnx_runs_as_pytorch_does(net):
    model = build(net, device="meta")
    model.load_state_dict(signal_state_of(model), assign=True)
    model.eval()
    data = to_onnx(net, state_dict=model.state_dict())
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    x = torch.randn(3, *net.input, generator=torch.Generator().manual_seed(5))  # batch 3: the batch axis is dynamic
    with torch.no_grad():
        expected = model(x).numpy()
    (got,) = session(data).run(None, {"input": x.numpy()})
    assert got.shape == expected.shape == (3, *analyze(net).totals.output_shape)
    np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL)
    assert not np.allclose(expected[0], expected[1])  # the output depends on the input
    # weights are named by the state_dict, every one the inference path uses present
    used = {k for k in model.state_dict() if not k.endswith("num_batches_tracked") and not any(k.startswith(f"{h.name}.") for h in net.aux)}
    assert {i.name for i in proto.graph.initializer} >= used


def test_fresh_weights_by_default_and_the_same_file_twice():
    net = get_preset("d2l-lenet")
    data = to_onnx(net)
    assert data == to_onnx(net)
    torch.manual_seed(0)
    model = build(net).eval()
    x = torch.randn(2, *net.input)
    with torch.no_grad():
        np.testing.assert_allclose(session(data).run(None, {"input": x.numpy()})[0], model(x).numpy(), atol=ATOL, rtol=RTOL)


def test_node_names_carry_block_and_layer_names():
    net = get_preset("d2l")
    proto = onnx.load_from_string(to_onnx(net))
    names = [n.name for n in proto.graph.node]
    a = analyze(net)
    for leaf in a.layers:
        if leaf.kind == "conv":  # every conv and its ReLU, under the block and branch they are in
            assert f"/{leaf.key.replace('.', '/')}/conv/Conv" in names, leaf.key
            assert f"/{leaf.key.replace('.', '/')}/Relu" in names, leaf.key
    for block in a.blocks:
        assert f"/{block.name}/Concat" in names
    assert "/inception3a/branch4/pool/MaxPool" in names and "/maxpool1/MaxPool" in names and "/fc/Gemm" in names
    assert not [n for n in names if n.startswith("Identity")]  # no shared-weight plumbing in the graph


def test_upstream_names_stay_on_the_weights_and_ours_on_the_nodes():
    net = get_preset("inception-v4")
    proto = onnx.load_from_string(to_onnx(replace(net, input=(3, 107, 107))))
    names = {n.name for n in proto.graph.node}
    inits = {i.name for i in proto.graph.initializer}
    assert "/inception_c_1/branch1/split/split1/conv/conv/Conv" in names
    assert "features.19.branch1_1a.conv.weight" in inits  # timm's key for the same conv
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["inception_studio.naming"] == "timm-inception-v4" and meta["inception_studio.params"] == str(analyze(net).totals.params)


def test_transform_input_is_exported_too():
    net = replace(get_preset("googlenet-torchvision"), input=(3, 96, 96))
    data = to_onnx(net, transform_input=True)
    torch.manual_seed(0)
    model = build(net, transform_input=True).eval()
    x = torch.randn(1, *net.input)
    with torch.no_grad():
        expected = model(x).numpy()
    np.testing.assert_allclose(session(data).run(None, {"input": x.numpy()})[0], expected, atol=ATOL, rtol=RTOL)


def test_an_operator_onnx_cannot_write_is_a_message():
    """Adaptive average pooling to a size that does not divide its input has no ONNX operator."""
    net = get_preset("d2l")
    b5 = net.stages[-1]
    items = tuple(AdaptiveAvgPool("avgpool", (2, 2)) if it.name == "avgpool" else it for it in b5.items)
    net = replace(net, stages=(*net.stages[:-1], Stage(b5.name, items, b5.repeat)))
    assert analyze(net).layer("avgpool").in_shape[1:] == (3, 3)
    with pytest.raises(SpecError) as err:
        to_onnx(net)
    assert err.value.code == "onnx.unsupported" and err.value.field == "format"


def test_cli_writes_an_onnx_file(tmp_path, capsys):
    out = tmp_path / "d2l.onnx"
    assert main(["export", "d2l", "--format", "onnx", "-o", str(out)]) == 0
    assert "Netron" in capsys.readouterr().out
    onnx.checker.check_model(onnx.load(str(out)))
    other = tmp_path / "from-suffix.onnx"  # the suffix chooses the format too
    assert main(["export", "d2l-lenet", "-o", str(other)]) == 0
    assert onnx.load(str(other)).graph.name == "d2l-lenet"
    assert main(["export", "d2l", "--format", "onnx", "--classes", "0", "-o", str(tmp_path / "x.onnx")]) == 2
    assert "classes" in capsys.readouterr().err and not (tmp_path / "x.onnx").exists()
