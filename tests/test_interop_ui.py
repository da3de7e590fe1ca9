"""The Code page's interop parts, headless (AppTest): the loading lines for upstream weights,
the ONNX download, and PyTorch code read into the design (errors shown, never raised)."""

from __future__ import annotations

import io
from pathlib import Path

import onnx

from googlenet import get_preset
from googlenet.naming import load_lines

from .test_app import download, media, run  # noqa: F401  (media is a fixture)

BOOK = Path(__file__).parent / "reference" / "d2l"


def submit(at, key: str = "code_import"):
    (button,) = [b for b in at.button if b.label == "Read the code"]
    return button.click().run()


def test_upstream_weights_lines_for_a_preset_that_has_them():
    at = run({"preset": "inception-v3"}, page="pages/code.py")
    assert "Upstream weights" in [h.value for h in at.header]
    lines = "\n".join(load_lines(get_preset("inception-v3")))
    assert lines in [c.value for c in at.code]
    assert "model = build_model(transform_input=True)" in lines and "inception_v3_google-0cc3c7bd.pth" in lines
    d2l = run({"preset": "d2l"}, page="pages/code.py")
    assert "Upstream weights" not in [h.value for h in d2l.header]


def test_onnx_download_is_a_checked_onnx_file(media):  # noqa: F811
    at = run({"preset": "d2l-lenet"}, page="pages/code.py")
    data, name = download(at, media, "code_onnx_download")
    assert name == "d2l-lenet.onnx"
    model = onnx.load(io.BytesIO(data))
    onnx.checker.check_model(model)
    assert model.graph.name == "d2l-lenet"


def test_the_lectures_code_becomes_the_design():
    at = run({"preset": "inception-v4"}, page="pages/code.py")
    at.text_area(key="code_import_text").set_value((BOOK / "googlenet_zh.py").read_text(encoding="utf-8"))
    submit(at)
    assert not at.exception
    net = at.session_state["design"].network()
    assert net.blocks()[0].kind == "inception" and net.input == (1, 96, 96) and net.classes == 10
    assert any("Read code written the lecture's way" in i.value for i in at.info)
    assert any("output shape" in i.value for i in at.info)


def test_refused_code_shows_its_line_and_keeps_the_design():
    at = run({"preset": "d2l"}, page="pages/code.py")
    before = at.session_state["design"]
    at.text_area(key="code_import_text").set_value((BOOK / "vgg_zh.py").read_text(encoding="utf-8"))
    submit(at)
    assert not at.exception
    assert any("line 7" in e.value and "for loop is not supported" in e.value for e in at.error)
    assert at.session_state["design"] == before
