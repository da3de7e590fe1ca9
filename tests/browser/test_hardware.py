"""The Hardware page in headless Chromium against the real server: its charts are drawn, a
device picked in the browser changes the answer to the core's, a measurement runs with its
progress bar to a table of every layer, and Cancel stops one mid-way and frees the CPU for
the next."""

from __future__ import annotations

from dataclasses import replace

import pytest
from playwright.sync_api import expect

from googlenet import analyze, cost, devices, get_preset
from ui import hardware

from .driver import SCREENSHOTS, App
from .test_studio import assert_clean, assert_not_blank

pytestmark = pytest.mark.browser

SMALL = "?preset=d2l&input=1x64x64&width=0.25"


def open_hardware(app: App, query: str = "") -> None:
    app.open(query, path="/hardware", title="Hardware")
    for key in ("hw_chart_memory", "hw_chart_roofline", "hw_chart_time"):
        expect(app.page.locator(f".st-key-{key} .js-plotly-plot").first).to_be_visible()


def test_the_hardware_page_draws_its_charts_and_follows_the_device(app):
    open_hardware(app)
    a = analyze(get_preset("d2l"))
    m = cost.memory(a, 32)
    expect(app.metric("Training total")).to_have_text(hardware.nbytes(m.training_total_bytes))
    expect(app.metric("Largest batch that fits")).to_have_text(f"{cost.largest_batch(a, 80 * devices.GiB):,}")
    points = app.page.locator(".st-key-hw_chart_roofline .scatterlayer .point")
    assert points.count() == sum(1 for n in a.layers if n.macs)  # one per conv and linear layer
    app.pick("hw_device", devices.PRESETS["rtx-4090"].title)
    expect(app.metric("Largest batch that fits")).to_have_text(f"{cost.largest_batch(a, 24 * devices.GiB):,}")
    r = cost.roofline(a, devices.PRESETS["rtx-4090"], "fp32", 32)
    expect(app.metric("Forward, layers")).to_have_text(hardware.seconds(r.total.predicted_seconds))
    assert_clean(app)
    assert_not_blank(app.full_screenshot(SCREENSHOTS / "hardware.png"))


def test_a_measurement_shows_progress_then_every_layer(app):
    open_hardware(app, SMALL)
    app.number("hw_profile_repeats", 3)
    app.page.locator(".st-key-hw_measure button").click()
    expect(app.page.locator("[data-testid=stProgress]")).to_be_visible()
    expect(app.page.locator(".st-key-hw_chart_measured .js-plotly-plot")).to_be_visible()
    app.idle()
    expect(app.page.locator(".st-key-hw_cancel")).to_have_count(0)  # gone once the measurement ended
    a = analyze(replace(get_preset("d2l"), input=(1, 64, 64), width=0.25))
    expect(app.metric("Measured forward")).to_contain_text("s")
    # a point for every layer measured and predicted: at least every conv and the linear layer
    points = app.page.locator(".st-key-hw_chart_measured .scatterlayer .point")
    assert sum(1 for n in a.layers if n.macs) <= points.count() <= len(a.layers)
    assert_clean(app)
    assert_not_blank(app.full_screenshot(SCREENSHOTS / "hardware-measured.png"))


def test_cancel_stops_a_measurement_and_the_next_one_runs(app):
    open_hardware(app)
    app.number("hw_profile_repeats", 50)
    app.page.locator(".st-key-hw_measure button").click()
    cancel = app.page.locator(".st-key-hw_cancel button").first
    expect(cancel).to_be_visible()
    expect(app.page.locator("[data-testid=stProgress]")).to_be_visible()
    app.rerun(cancel.click)
    expect(app.page.get_by_text("Measurement cancelled.")).to_be_visible()
    expect(app.page.locator(".st-key-hw_chart_measured")).to_have_count(0)
    # the lock was released: a short measurement runs at once
    app.number("hw_profile_repeats", 1)
    app.page.locator(".st-key-hw_measure button").click()
    expect(app.page.locator(".st-key-hw_chart_measured .js-plotly-plot")).to_be_visible()
    app.idle()
    assert not [e for e in app.errors() if "busy" in e.lower()]
    assert_clean(app)
