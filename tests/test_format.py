"""ui/format.py against values worked out by hand."""

from __future__ import annotations

import pytest

from ui import format as fmt


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "0"), (999, "999"), (1_000, "1 k"), (5_977_530, "5.98 M"), (276_066_304, "276 M"),
        (1_580_000_000, "1.58 G"), (999_960, "1,000 k"), (12_250_000_000_000, "12.2 T"), (-2_500_000, "-2.5 M"),
    ],
)
def test_si_has_one_word_per_power(n, text):
    assert fmt.si(n) == text


def test_giga_is_g_in_every_unit():
    assert fmt.count(13_160_000_000, "auto") == "13.2 G"
    assert fmt.count(13_160_000_000, "G") == "13.160 G"
    assert fmt.count(13_160_000_000, "M") == "13,160.00 M"
    assert fmt.count(13_160_000_000, "exact") == "13,160,000,000"


@pytest.mark.parametrize(
    "n, text",
    [
        (23_910_120, "23.91 MB"),
        (999_994_999, "999.99 MB"),
        (1_000_000_000, "1.00 GB"),
        (21_474_836_480, "21.47 GB"),  # was "21,474.84 MB"
        (3_500_000_000_000, "3.50 TB"),
    ],
)
def test_bytes_switch_to_gb_past_1000_mb(n, text):
    assert fmt.nbytes(n) == text


@pytest.mark.parametrize(
    "now, then, text",
    [
        (110, 100, "+10.0%"),
        (50, 100, "-50.0%"),
        (1_100, 100, "+1000.0%"),  # exactly +1000 % is still a percentage
        (1_101, 100, "×11"),
        (2_912_603_100, 100_000, "×29,126"),  # +2912503.1 % as the ratio it is
        (250, 10, "×25"),
        (5, 0, ""),
    ],
)
def test_changes_past_1000_percent_are_ratios(now, then, text):
    assert fmt.change(now, then) == text


def test_a_delta_has_the_sign_the_size_and_the_change():
    assert fmt.delta(120, 100, str) == "+20 (+20.0%)"
    assert fmt.delta(100, 100, str) is None
    assert fmt.delta(80, None, str) is None
    assert fmt.delta(29_126_000, 1_000, fmt.si) == "+29.1 M (×29,126)"
    assert fmt.delta(0, 0, str) is None


@pytest.mark.parametrize(
    "lo, hi, text",
    [(7_184.2, 9_133.0, "7.18–9.13 s"), (12.34, 14.06, "12.3–14.1 ms"), (0.845, 1.2, "0.845–1.2 ms"), (950, 1_210, "0.95–1.21 s")],
)
def test_a_latency_range_is_short_enough_for_a_card(lo, hi, text):
    assert fmt.duration_range(lo, hi) == text
    assert len(text) <= 14


def test_durations():
    assert fmt.duration(0.845) == "0.845 ms"
    assert fmt.duration(953) == "953 ms"
    assert fmt.duration(7_184) == "7.18 s"


def test_the_module_is_pure():
    import subprocess
    import sys

    code = "import sys, ui.format; assert 'streamlit' not in sys.modules and 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).parent.parent))
