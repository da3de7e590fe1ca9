"""The server's line for expensive actions (``ui.jobs``): one at a time, first come first served,
each waiting job told its position, refused after a bounded wait, and the line left as it was
whatever happens to a job; and in the app, a measurement waits in it while the design's own
reruns never do."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from ui import jobs

from .test_app import APP, TIMEOUT, metric

SETTLE_S = 5.0  # the longest a thread here may take to reach its next step


def wait_until(cond, what: str) -> None:
    deadline = time.monotonic() + SETTLE_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited in vain for {what}")
        time.sleep(0.01)


class Holder:
    """A thread holding the queue's turn until ``release()``."""

    def __init__(self, queue: jobs.Queue, what: str = "measurement"):
        self.queue, self.what = queue, what
        self.go = threading.Event()
        self.thread = threading.Thread(target=lambda: queue.run(self.go.wait, what), daemon=True)

    def __enter__(self) -> Holder:
        self.thread.start()
        wait_until(lambda: self.queue.running == self.what, "the holder's turn")
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def release(self) -> None:
        self.go.set()
        self.thread.join(SETTLE_S)


def test_one_at_a_time_in_order_of_arrival():
    q = jobs.Queue(poll_s=0.02)
    ran, seen, at_once, lock = [], {}, [0, 0], threading.Lock()

    def job(n: int) -> None:
        with lock:
            at_once[0] += 1
            at_once[1] = max(at_once)
        time.sleep(0.02)
        ran.append(n)
        with lock:
            at_once[0] -= 1

    with Holder(q) as holder:
        threads = []
        for n in (1, 2, 3):
            seen[n] = []
            t = threading.Thread(target=q.run, args=(lambda n=n: job(n), f"job {n}", lambda w, n=n: seen[n].append(w)))
            t.start()
            threads.append(t)
            wait_until(lambda n=n: q.waiting == n, f"job {n} in line")
        assert ran == [] and q.running == "measurement"
        holder.release()
        for t in threads:
            t.join(SETTLE_S)
    assert ran == [1, 2, 3]
    assert at_once[1] == 1
    positions = [w.position for w in seen[3]]
    assert positions[0] == 3 and positions[-1] == 1 and positions == sorted(positions, reverse=True)
    assert {w.running for w in seen[3]} >= {"measurement", "job 1", "job 2"}
    assert q.waiting == 0 and q.running is None


def test_a_wait_is_bounded_and_refused_with_a_clear_message():
    q = jobs.Queue(poll_s=0.02)
    with Holder(q):
        t0 = time.monotonic()
        with pytest.raises(jobs.Busy) as refused:
            q.run(lambda: pytest.fail("started although the turn was taken"), "measurement", wait_s=0.3)
        waited = time.monotonic() - t0
        assert q.waiting == 0  # the refused job left the line
    assert 0.3 <= waited < 0.3 + SETTLE_S
    message = str(refused.value)
    assert "busy with another measurement for 0.3 s" in message and "position 1" in message and "try again" in message
    assert refused.value.waiting.position == 1
    assert q.run(lambda: "free", "measurement", wait_s=0) == "free"  # no one in line: no wait at all


def test_a_failing_job_lets_the_next_one_go():
    q = jobs.Queue()
    with pytest.raises(ZeroDivisionError):
        q.run(lambda: 1 / 0, "measurement")
    assert q.running is None
    assert q.run(lambda: 42, "measurement", wait_s=0) == 42


def test_a_waiting_job_that_is_interrupted_leaves_the_line():
    """Streamlit stops a waiting script (its user moved a knob) by raising where it draws."""
    q = jobs.Queue(poll_s=0.02)
    stop, stopped, ran = threading.Event(), [], []
    behind: list[int] = []

    class Rerun(Exception):
        pass

    def first_waits(w: jobs.Waiting) -> None:
        if stop.is_set():
            raise Rerun

    def first() -> None:
        try:
            q.run(lambda: ran.append("first"), "first", first_waits)
        except Rerun:
            stopped.append(True)

    with Holder(q) as holder:
        a = threading.Thread(target=first)
        a.start()
        wait_until(lambda: q.waiting == 1, "the first job in line")
        b = threading.Thread(target=q.run, args=(lambda: ran.append("second"), "second", lambda w: behind.append(w.position)))
        b.start()
        wait_until(lambda: 2 in behind, "the second job at position 2")
        stop.set()
        a.join(SETTLE_S)
        assert stopped == [True]
        wait_until(lambda: behind[-1] == 1, "the second job moving up")
        assert ran == [] and q.waiting == 1
        holder.release()
        b.join(SETTLE_S)
    assert ran == ["second"]
    assert behind == sorted(behind, reverse=True) and set(behind) == {1, 2}
    assert q.running is None and q.waiting == 0


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        jobs.Queue(wait_s=-1)
    with pytest.raises(ValueError):
        jobs.Queue(poll_s=0)
    with pytest.raises(ValueError):
        jobs.Queue().run(lambda: None, "x", wait_s=float("nan"))


# --- in the app ---------------------------------------------------------------------------------


def visit(page: str, **query: str) -> AppTest:
    """``page`` after a first visit to the link ``query``, as a reader gets there."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"preset": "d2l", "input": "1x64x64", **query})
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def code_page() -> AppTest:
    return visit("pages/code.py")


def test_a_measurement_waits_for_the_server_and_is_refused_after_the_bound(monkeypatch):
    at = code_page()
    monkeypatch.setattr("ui.studio.LATENCY_WAIT_S", 0.5)
    with Holder(jobs.SERVER):
        at.button(key="code_measure").click().run()
    assert not at.exception and not at.error
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Not measured: the server was busy with another measurement for 0.5 s")
    assert "position 1" in warning
    assert not any(m.label == "Median latency" for m in at.metric)


def test_a_measurement_runs_when_its_turn_comes(monkeypatch):
    at = code_page()
    monkeypatch.setattr("ui.studio.LATENCY_WAIT_S", 30.0)
    with Holder(jobs.SERVER) as holder:
        clicked = threading.Thread(target=lambda: at.button(key="code_measure").click().run())
        clicked.start()
        wait_until(lambda: jobs.SERVER.waiting == 1, "the measurement in line")
        holder.release()
        clicked.join(TIMEOUT)
    assert not at.exception and not at.error and not at.warning
    assert metric(at, "Median latency").value.endswith("ms")


def test_the_design_reruns_never_wait_for_the_line():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    with Holder(jobs.SERVER):
        at.slider(key="main_k_count_b4").set_value(7).run()  # a wait would last until the timeout
        assert jobs.SERVER.running == "measurement"  # the turn was held all along
    assert not at.exception
    assert at.query_params["b4"] == "7"


# --- the Hardware page's profile in the same line -----------------------------------------------------------


def small_net():
    from dataclasses import replace

    from googlenet import get_preset

    return replace(get_preset("d2l"), input=(1, 64, 64), width=0.25)


def test_a_profile_waits_for_a_running_latency_measurement_then_runs():
    """A latency measurement (the Code page's, in its turn) and a profile (the Hardware page's)
    in two sessions: the profile waits in the one line, told its place, and runs after it; the
    core's own lock is free once it has its turn, so it never waits on that as well."""
    from googlenet import devices
    from googlenet.checks import measure_latency
    from ui import hardware

    devices.this_cpu()  # once per process, before either
    net = small_net()
    ends, lock_waits, line = [], [], []

    def latency():
        def measure():
            wait_until(lambda: jobs.SERVER.waiting == 1, "the profile in line")  # both sessions want the CPU now
            result = measure_latency(net, repeats=20)
            ends.append(time.monotonic())
            return result

        return jobs.SERVER.run(measure, "measurement")

    first = threading.Thread(target=latency, daemon=True)
    first.start()
    wait_until(lambda: jobs.SERVER.running == "measurement", "the latency measurement's turn")
    starts = []
    p = hardware.profile_in_turn(net, batch=1, repeats=2, max_seconds=10.0, in_line=line.append,
                                 on_wait=lambda: lock_waits.append(True), starting=lambda: starts.append(time.monotonic()))
    first.join(SETTLE_S)
    assert not first.is_alive() and len(ends) == 1
    assert line and line[0].position == 1 and line[0].running == "measurement"
    assert {w.position for w in line} == {1}
    assert starts[0] >= ends[0]  # one after the other
    assert lock_waits == []  # the turn was taken first: the lock inside was free
    assert p.repeats == 2 and all(t.measured_seconds > 0 for t in p.layers if t.kind == "conv")
    assert jobs.SERVER.running is None and jobs.SERVER.waiting == 0


def test_a_profile_is_refused_after_its_bounded_wait_with_nothing_run():
    from googlenet import devices
    from ui import hardware

    devices.this_cpu()
    ran = []
    with Holder(jobs.SERVER):
        t0 = time.monotonic()
        with pytest.raises(jobs.Busy) as refused:
            hardware.profile_in_turn(small_net(), batch=1, repeats=1, max_seconds=5.0, wait_s=0.3,
                                     progress=lambda done, total: ran.append(done), starting=lambda: ran.append("start"))
        waited = time.monotonic() - t0
        assert jobs.SERVER.waiting == 0
    assert 0.3 <= waited < 0.3 + SETTLE_S and ran == []
    assert "busy with another measurement for 0.3 s" in str(refused.value)


def hardware_page() -> AppTest:
    at = visit("pages/hardware.py", width="0.25")
    at.number_input(key="hw_profile_repeats").set_value(1).run()
    return at


def test_the_hardware_page_shows_the_wait_and_is_refused_after_the_bound(monkeypatch):
    at = hardware_page()
    monkeypatch.setattr("ui.hardware.PROFILE_WAIT_S", 0.5)
    with Holder(jobs.SERVER):
        at.button(key="hw_measure").click().run()
    assert not at.exception and not at.error
    [warning] = [w.value.replace("\\", "") for w in at.warning]  # as shown: the Markdown escapes drop
    assert warning.startswith("Not measured: the server was busy with another measurement for 0.5 s")
    assert "position 1" in warning
    assert not any(m.label == "Measured forward" for m in at.metric)


def test_the_hardware_page_measures_when_its_turn_comes(monkeypatch):
    at = hardware_page()
    shown = []
    real_info = __import__("streamlit").delta_generator.DeltaGenerator.info

    def info(self, body, *args, **kwargs):  # what the page shows while it waits (AppTest keeps only the last run's)
        shown.append(body)
        return real_info(self, body, *args, **kwargs)

    monkeypatch.setattr("streamlit.delta_generator.DeltaGenerator.info", info)
    with Holder(jobs.SERVER) as holder:
        clicked = threading.Thread(target=lambda: at.button(key="hw_measure").click().run())
        clicked.start()
        wait_until(lambda: jobs.SERVER.waiting == 1, "the profile in line")
        wait_until(lambda: any("Waiting for the server" in s for s in shown), "the waiting state")
        holder.release()
        clicked.join(TIMEOUT)
    assert not at.exception and not at.error and not at.warning
    assert metric(at, "Measured forward").value.endswith("s")
    assert "Waiting for the server: another measurement is running (position 1)…" in shown


def test_the_hardware_pages_reruns_never_wait_for_the_line():
    at = hardware_page()
    with Holder(jobs.SERVER):
        t0 = time.monotonic()
        at.select_slider(key="hw_batch").set_value(64).run()  # a wait would last until the timeout
        at.selectbox(key="hw_optimizer").set_value("adam").run()
        assert jobs.SERVER.running == "measurement" and time.monotonic() - t0 < TIMEOUT
    assert not at.exception


def test_a_measurement_outside_the_line_holds_up_the_profile_without_a_deadlock():
    """The core's lock held outside the line (as ``python -m googlenet``'s own measurement would in
    this process): the profile with the turn waits for the lock (told so), then runs; a latency
    measurement behind it in the line runs after it. Everything finishes."""
    from googlenet import devices
    from googlenet.checks import _LOCK, measure_latency
    from ui import hardware

    devices.this_cpu()
    net = small_net()
    lock_waits, done = [], []
    released = threading.Event()

    def outside():
        with _LOCK:
            wait_until(lambda: lock_waits, "the profile waiting for the lock")
            time.sleep(0.2)
        released.set()

    holder = threading.Thread(target=outside, daemon=True)
    behind = threading.Thread(target=lambda: done.append(jobs.SERVER.run(lambda: measure_latency(net, repeats=3), "measurement")),
                              daemon=True)
    holder.start()
    wait_until(_LOCK.locked, "the lock held outside the line")

    def then_queue_behind():
        wait_until(lambda: jobs.SERVER.running == "measurement", "the profile's turn")
        behind.start()

    queuer = threading.Thread(target=then_queue_behind, daemon=True)
    queuer.start()
    p = hardware.profile_in_turn(net, batch=1, repeats=1, max_seconds=5.0, on_wait=lambda: lock_waits.append(True))
    assert released.is_set() and lock_waits == [True] and p.repeats == 1
    queuer.join(SETTLE_S)
    behind.join(SETTLE_S * 4)
    assert len(done) == 1 and done[0].repeats == 3
    assert jobs.SERVER.running is None and not _LOCK.locked()
