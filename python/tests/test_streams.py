"""Region streams and jobs stop at once (issue 33, points 1 and 4): ``break``, ``close()``,
``with``, garbage collection and Ctrl-C end the job's threads (seen in /proc), and a second
Ctrl-C raises ``KeyboardInterrupt``."""

import gc
import os
import signal
import threading
import time
import warnings
import _thread
from pathlib import Path

import pytest

from relu_regions import Network
from relu_regions import _network
from conftest import FIXTURES

SLOW = FIXTURES / "bench" / "torch32-5-20-20.json"  # minutes of work


def job_threads():
    """The threads of this process that run relu-regions work (the job's thread and the
    enumeration's workers, which inherit its name)."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        pytest.skip("needs /proc")
    names = []
    for t in tasks.iterdir():
        try:
            names.append((t / "comm").read_text().strip())
        except OSError:
            pass
    return sum(1 for n in names if n.startswith("relu-regions"))


def ends_soon(before, within=2.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if job_threads() <= before:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def slow():
    return Network.from_json(SLOW)


def test_break_stops_the_job(slow):
    # two threads: the enumeration's workers stop too (their first regions take a few seconds)
    before = job_threads()
    s = slow.regions(threads=2)
    for r in s:
        if r.id == 3:
            break
    assert ends_soon(before), "the job still runs after break"
    assert s.complete is False and list(s) == []  # the named stream has ended


def test_close_stops_the_job(slow):
    before = job_threads()
    s = slow.regions(threads=1)
    first = next(s)
    assert first.id == 0 and job_threads() > before
    s.close()
    assert ends_soon(before)
    assert s.complete is False and s.summary["stopped"] == "Closed"
    with pytest.raises(StopIteration):
        next(s)


def test_with_block_stops_the_job(slow):
    before = job_threads()
    with slow.regions(threads=1) as s:
        next(s)
    assert ends_soon(before) and s.complete is False


def test_garbage_collection_stops_the_job(slow):
    before = job_threads()
    s = slow.regions(threads=1)
    next(s)
    del s
    gc.collect()
    assert ends_soon(before)


def test_a_finished_stream_is_complete():
    net = Network.from_json(FIXTURES / "seed.json")
    with net.regions() as s:
        assert len(list(s)) == 4
    assert s.complete is True and s.summary["regions"] == 4


def test_ctrl_c_ends_a_stream_at_once(slow):
    before = job_threads()
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    seen = 0
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in slow.regions(threads=1):
            seen += 1
    stopped = time.monotonic() - start
    assert stopped < 2.5, f"the stream went on for {stopped:.1f} s"
    assert seen > 0 and any("interrupted" in str(w.message) for w in caught)
    assert ends_soon(before)


class StubbornJob:
    """A job that ignores cancel (as a job stuck where no limit reaches would): only a second
    Ctrl-C gets the user out."""

    cancelled = False
    regions_found = 0

    def take(self, timeout, most):
        time.sleep(timeout)
        return [], None, False

    def cancel(self):
        self.cancelled = True


def test_a_second_ctrl_c_raises_keyboard_interrupt():
    job = StubbornJob()

    def press_twice():
        _thread.interrupt_main()
        time.sleep(0.3)
        _thread.interrupt_main()

    before = signal.getsignal(signal.SIGINT)
    threading.Timer(0.2, press_twice).start()
    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyboardInterrupt):
            _network._wait(job)
    assert job.cancelled and time.monotonic() - start < 3
    # the handler is restored: Ctrl-C is the one before again (Python's, unless a stream whose
    # loop an earlier exception left suspended still holds its own, which passes presses on)
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_raises_in_a_stream():
    stream = _network.RegionStream(StubbornJob())

    def press_twice():
        _thread.interrupt_main()
        time.sleep(0.3)
        _thread.interrupt_main()

    threading.Timer(0.2, press_twice).start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the first press ends the stream at once (it does not wait for the stubborn job)
        assert list(stream) == []
    with pytest.raises(KeyboardInterrupt):
        time.sleep(2)  # the second press arrives after the stream has given Ctrl-C back


@pytest.mark.parametrize("job", ["count", "count_no_graph", "graph", "regions", "sizes", "range", "count_many"])
def test_the_time_limit_holds_for_every_job(slow, job):
    """Each job on a network with minutes of work stops within 2 s of its 1 s limit, marked."""
    # a box of width 8: minutes of work (the width-2 box now counts in about a second)
    box = [(-4, 4)] * 5
    start = time.monotonic()
    if job == "count":
        done = slow.count(time_limit=1)["complete"]
    elif job == "count_no_graph":
        done = slow.count(graph=False, time_limit=1)["complete"]
    elif job == "graph":
        done = slow.graph_json(time_limit=1)["complete"]
    elif job == "regions":
        s = slow.regions(time_limit=1)
        list(s)
        done = s.complete
    elif job == "sizes":
        done = slow.regions(sizes=True, time_limit=1).complete
    elif job == "range":
        done = slow.range(time_limit=1)["complete"]
    else:
        done = bool(slow.count_many(boxes=[box, box], time_limit=1)["complete"].any())
    elapsed = time.monotonic() - start
    assert elapsed < 3.0, f"{job} ran {elapsed:.1f} s past a 1 s limit"
    assert done is False


def test_ctrl_c_stops_the_reading_of_a_network(tmp_path):
    """Reading a big file runs on a thread of its own: Ctrl-C raises KeyboardInterrupt at once."""
    import json

    n = 1200  # 1.4 million exact weights: seconds of reading
    rows = [[f"{(i * 7 + j * 13) % 97 - 48}/97" for j in range(n)] for i in range(n)]
    path = tmp_path / "wide.json"
    path.write_text(json.dumps({"input_dim": n, "layers": [{"weights": rows, "activation": "relu"}]}))
    threading.Timer(0.1, _thread.interrupt_main).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        Network.from_json(path)
    assert time.monotonic() - start < 1.0
