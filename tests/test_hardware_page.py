"""The Hardware page headless (AppTest): it shows what ``googlenet.cost`` computes for the current
design and the chosen device, dtype, batch and optimizer; refuses a dtype the device lacks with
a message; measures on this CPU on request. Its figures are valid plotly figures whose points
are the roofline's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from googlenet import analyze, cost, devices, get_preset
from googlenet.profile import profile_layers
from ui import hardware, tables

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGE = "pages/hardware.py"


def run(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str):
    (m,) = [m for m in at.metric if m.label == label]
    return m


def test_the_page_shows_the_cores_memory_and_roofline():
    at = run({"preset": "googlenet-torchvision"})
    a = analyze(get_preset("googlenet-torchvision"))
    m = cost.memory(a, 32, "fp32", "sgd")  # the page's defaults: A100, fp32, batch 32, SGD
    for label, v in (("Weights", m.weights_bytes), ("Saved activations", m.saved_activations_bytes),
                     ("Training total", m.training_total_bytes), ("Peak of one inference pass", m.peak_inference_bytes)):
        assert metric(at, label).value == hardware.nbytes(v)
        assert f"{v:,} bytes" in metric(at, label).proto.help
    assert metric(at, "Largest batch that fits").value == f"{cost.largest_batch(a, 80 * devices.GiB):,}"
    r = cost.roofline(a, devices.PRESETS["a100"], "fp32", 32)
    assert metric(at, "Forward, layers").value == hardware.seconds(r.total.predicted_seconds)
    assert metric(at, "Concat copies").value == hardware.seconds(r.concat.predicted_seconds)
    assert metric(at, "Epoch, training").value == hardware.seconds(cost.epoch_seconds(a, devices.PRESETS["a100"], "fp32", 32))
    assert any("leaves out" in md.value and "kernel launch overhead" in md.value for md in at.markdown)


def test_pickers_change_the_figures_to_the_cores():
    at = run({"preset": "d2l"})
    at.select_slider(key="hw_batch").set_value(256).run()
    at.selectbox(key="hw_optimizer").set_value("adam").run()
    at.selectbox(key="hw_dtype").set_value("bf16").run()
    at.selectbox(key="hw_device").set_value("rtx-4090").run()
    assert not at.exception
    a = analyze(get_preset("d2l"))
    m = cost.memory(a, 256, "bf16", "adam")
    assert metric(at, "Optimizer state").value == hardware.nbytes(m.optimizer_bytes)
    assert metric(at, "Training total").value == hardware.nbytes(m.training_total_bytes)
    assert metric(at, "Largest batch that fits").value == f"{cost.largest_batch(a, 24 * devices.GiB, 'bf16', 'adam'):,}"
    at.number_input(key="hw_gib_rtx-4090").set_value(1.0).run()
    assert metric(at, "Largest batch that fits").value == f"{cost.largest_batch(a, devices.GiB, 'bf16', 'adam'):,}"


def test_a_dtype_the_device_lacks_is_refused_with_a_message_and_memory_still_shows():
    at = run({"preset": "d2l"})
    at.selectbox(key="hw_device").set_value("v100").run()
    at.selectbox(key="hw_dtype").set_value("bf16").run()
    assert not at.exception and not at.error
    assert any("no bf16 peak" in w.value and "fp32" in w.value for w in at.warning)
    assert metric(at, "Training total").value == hardware.nbytes(cost.memory(analyze(get_preset("d2l")), 32, "bf16").training_total_bytes)


def test_measuring_on_this_cpu_shows_every_layer_beside_its_prediction():
    at = run({"preset": "d2l", "input": "1x64x64", "width": "0.25"})
    at.number_input(key="hw_profile_repeats").set_value(2).run()
    at.button(key="hw_measure").click().run()
    assert not at.exception and not at.error
    assert metric(at, "Measured forward").value.endswith("s")
    table = at.dataframe[-1].value
    a = analyze(replace(get_preset("d2l"), input=(1, 64, 64), width=0.25))
    assert list(table["Layer"]) == [n.key for n in a.layers]
    convs = table[table["Kind"] == "conv"]
    assert len(convs) == 57 and (convs["Measured µs"] > 0).all()


def test_a_network_too_large_to_measure_is_refused_on_the_page():
    at = run({"preset": "googlenet", "input": "3x4096x4096", "width": "4"})
    at.button(key="hw_measure").click().run()
    assert not at.exception
    assert any("too large to run" in e.value for e in at.error)


@pytest.mark.parametrize("preset", ["d2l", "inception-resnet-v2", "d2l-densenet"])
def test_figures_are_valid_and_their_points_are_the_roofline(preset):
    net = get_preset(preset)
    a = analyze(net)
    for dev, dtype in ((devices.PRESETS["h100"], "bf16"), (devices.PRESETS["ryzen-9-7950x"], "fp32")):
        r = cost.roofline(a, dev, dtype, 8)
        fig = hardware.roofline_figure(a, r)
        go.Figure(fig)  # raises on anything plotly does not know
        points = {(x, y) for tr in fig["data"][1:] for x, y in zip(tr["x"], tr["y"])}
        assert points == {(c.intensity, c.attainable) for c in r.layers if c.flops > 0}
        assert sum(len(tr["x"]) for tr in fig["data"][1:]) == sum(1 for c in r.layers if c.flops > 0)
        roof = fig["data"][0]
        assert max(roof["y"]) == dev.peak(dtype)
        t = hardware.time_figure(a, r)
        go.Figure(t)
        stacked = sum(sum(tr["y"]) for tr in t["data"])
        assert stacked == pytest.approx(r.with_concat.predicted_seconds)
    m = cost.memory(a, 8, "fp16", "momentum")
    fig = hardware.memory_figure(m)
    go.Figure(fig)
    training = sum(tr["x"][0] for tr in fig["data"] if tr["y"] == ["training"])
    assert training == m.training_total_bytes


def test_measured_figure_is_valid():
    net = replace(get_preset("d2l-resnet18"), input=(1, 32, 32), width=0.25)
    p = profile_layers(net, repeats=1, warmup=0)
    fig = hardware.measured_figure(analyze(net), p)
    go.Figure(fig)
    assert sum(len(tr["x"]) for tr in fig["data"][1:]) == sum(1 for t in p.layers if t.measured_seconds > 0 and t.predicted_seconds > 0)


def test_layer_columns_join_the_layer_table_by_its_layer_key():
    net = get_preset("inception-v3")
    a = analyze(net)
    choice = hardware.Choice("a100", "fp16", 64, "adamw")
    cols = hardware.layer_columns(net, choice)
    df = tables.layers(a)
    assert set(df["Layer"]) == set(cols)
    for name in cost.COLUMNS:
        df[name] = df["Layer"].map(lambda k, name=name: cols[k][name])
    m = cost.memory(a, 64, "fp16", "adamw")
    assert df[cost.COLUMNS[0]].sum() == m.saved_activations_bytes - (m.input_bytes if m.input_saved else 0)
    r = cost.roofline(a, devices.PRESETS["a100"], "fp16", 64)
    main = df[df["Layer"].isin([c.name for c in r.layers])]
    assert main[cost.COLUMNS[1]].sum() == pytest.approx(r.with_concat.predicted_seconds)


def test_this_cpu_stays_chosen_once_it_has_been_measured():
    """Streamlit's selectbox finds the chosen option again by its label: the device's label must
    not change when the CPU is measured on the run that chose it."""
    at = run({"preset": "d2l"})
    at.selectbox(key="hw_device").select_index(devices.names().index(devices.THIS_CPU)).run()
    assert not at.exception and devices.measured() is not None
    for _ in range(2):  # the runs after the one that measured it
        at.select_slider(key="hw_batch").set_value(64).run()
        assert not at.exception
        assert at.selectbox(key="hw_device").value == devices.THIS_CPU
    assert any(c.value.startswith("**This machine") for c in at.caption)
