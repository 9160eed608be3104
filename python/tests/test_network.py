"""The Python package against the CLI and against closed forms: counts, regions, graph, errors,
partial runs."""

import json
import math
import signal
import threading
import _thread
import time
import warnings
from fractions import Fraction

import pytest

from relu_regions import InternalError, Network, NetworkError
from conftest import FIXTURES

SEED = FIXTURES / "seed.json"


def test_seed_has_four_regions_with_their_slopes():
    net = Network.from_json(SEED)
    counts = net.count()
    assert (counts["regions"], counts["pieces"], counts["edges"], counts["bounded"]) == (4, 4, 4, 0)
    regions = list(net.regions())
    assert len(regions) == 4
    # the four maps of relu(x0 - x1) + 2 relu(x0 + x1): every pattern a different slope
    slopes = {tuple(tuple(row) for row in r.jacobian_exact) for r in regions}
    assert len(slopes) == 4
    for r in regions:
        x = r.point_exact
        exact_out = net.output(x)
        mapped = [sum(a * b for a, b in zip(row, x)) + c for row, c in zip(r.jacobian_exact, r.offset_exact)]
        assert mapped == exact_out
        # the point is strictly inside every inequality, exactly
        for ineq in r.inequalities:
            assert sum(a * b for a, b in zip(ineq.a_exact, x)) < ineq.b_exact


def test_json_text_and_file_agree():
    text = SEED.read_text()
    assert Network.from_json(text).count() == Network.from_json(SEED).count()


@pytest.mark.parametrize("name,box", [
    ("seed.json", None),
    ("deep2d.json", None),
    ("bench/torch32-2-16-16.json", None),
    ("bench/net-2-16-16.json", None),
    ("bench/braid5.json", None),
    ("bench/generic-12-4.json", "-1:1,-1:1,-1:1,-1:1"),
    ("bench/torch32-3-10-10.json", "-1:1,-1:1,-1:1"),
])
def test_counts_equal_the_cli(cli, name, box):
    path = FIXTURES / name
    args = ["count", path, "--json", "--threads", "1"] + (["--box", box] if box else [])
    expected = cli(*args)
    got = Network.from_json(path).count(box=box, threads=1)
    assert got == expected


def test_graph_equals_the_cli_json(cli):
    path = FIXTURES / "deep2d.json"
    expected = cli("graph", path, "--format", "json")
    g = Network.from_json(path).graph()
    assert sorted(g.nodes) == [n["id"] for n in expected["nodes"]]
    assert sorted(tuple(sorted(e)) for e in g.edges) == sorted((e["source"], e["target"]) for e in expected["edges"])
    assert g.graph["pieces"] == expected["pieces"] and g.graph["complete"]
    for node in expected["nodes"]:
        assert g.nodes[node["id"]]["pattern_strings"] == node["pattern"]
    # one representation of patterns: a graph node's equals its Region's
    regions = {r.id: r for r in Network.from_json(path).regions(threads=1)}
    for i, data in g.nodes(data=True):
        assert (data["pattern"] == regions[i].pattern).all() and data["pattern"].dtype == bool


def test_regions_stream_equals_cli_jsonl(cli):
    path = FIXTURES / "deep2d.json"
    lines = cli("regions", path, "--jsonl", "--threads", "1", parse=False).splitlines()
    expected = [json.loads(line) for line in lines[:-1]]
    stream = Network.from_json(path).regions(threads=1)
    got = [r.to_dict() for r in stream]
    assert got == expected
    assert stream.complete is True
    # one writer for the wire form: the summary line is the CLI's, byte for byte
    assert stream.summary_line == lines[-1]
    assert stream.summary == json.loads(lines[-1])["summary"]


def test_answers_do_not_depend_on_the_thread_count():
    net = Network.from_json(FIXTURES / "bench" / "net-2-16-16.json")
    one = [r.to_dict() for r in net.regions(threads=1)]
    two = [r.to_dict() for r in net.regions(threads=2)]
    assert one == two


def test_box_forms_are_equivalent():
    net = Network.from_json(SEED)
    forms = ["-1:1,-1/2:1", [(-1, 1), (Fraction(-1, 2), 1)], [("-1", "1"), (-0.5, 1.0)], [(-1, 1), ("-0.5", "1")]]
    counts = [net.count(box=b) for b in forms]
    assert all(c["regions"] == counts[0]["regions"] == 4 for c in counts)
    assert all(c["bounded"] == 4 for c in counts)
    polytope = {"polytope": {"A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": [1, 1, 1, "1/2"]}}
    assert net.count(domain=polytope)["regions"] == 4


def test_exact_lp_gives_the_same_answer():
    net = Network.from_json(FIXTURES / "deep2d.json")
    a, b = net.count(), net.count(lp="exact")
    for key in ("regions", "pieces", "edges", "bounded"):
        assert a[key] == b[key]


def test_partition_areas_add_up_to_the_box():
    net = Network.from_json(FIXTURES / "deep2d.json")
    part = net.partition(box="-2:2,-1:3")
    total = 0.0
    for r in part["regions"]:
        pts = r["polygon"]
        total += 0.5 * sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(pts, pts[1:] + pts[:1]))
    assert math.isclose(total, 16.0, rel_tol=1e-9)
    assert len(part["regions"]) == net.count(box="-2:2,-1:3")["regions"]


def test_plot_draws_every_region():
    import matplotlib

    matplotlib.use("Agg")
    net = Network.from_json(SEED)
    ax = net.plot()  # all of R^2: clipped to a window
    (collection,) = ax.collections
    assert len(collection.get_paths()) == 4
    assert "4 regions" in ax.get_title()


@pytest.mark.parametrize("text,where", [
    ('{"input_dim": 2, "layers": [{"weights": [["1", "x"]], "activation": "relu"}]}', "layers[0].weights[0][1]"),
    ('{"input_dim": 2, "layers": [{"weights": [["1"]], "activation": "relu"}]}', "layers[0].weights[0]"),
    ('{"input_dim": 2, "layers": [', "<text>"),
])
def test_bad_networks_raise_with_the_rust_message(text, where):
    with pytest.raises(NetworkError) as e:
        Network.from_json(text)
    assert where in str(e.value)


def test_bad_files_and_options_raise(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00\x01 not a protobuf")
    with pytest.raises(NetworkError, match="junk.onnx"):
        Network.from_onnx(junk)
    with pytest.raises(NetworkError, match="missing.json"):
        Network.from_json(tmp_path / "missing.json")
    net = Network.from_json(SEED)
    with pytest.raises(NetworkError, match="box"):
        net.count(box="0:1")  # one interval for two inputs
    with pytest.raises(NetworkError, match="box"):
        net.count(box=[(1, 0), (0, 1)])  # lo > hi
    with pytest.raises(NetworkError):
        net.count(lp="cplex")
    with pytest.raises(NetworkError):
        net.count(time_limit=-1)
    with pytest.raises(NetworkError, match="2-input networks; this one has 3 inputs"):
        Network.from_json(FIXTURES / "bench" / "torch32-3-10-10.json").partition()
    assert issubclass(NetworkError, ValueError) and issubclass(InternalError, RuntimeError)


def test_max_regions_gives_a_partial_result():
    net = Network.from_json(FIXTURES / "deep2d.json")
    full = net.count()["regions"]
    part = net.count(max_regions=3)
    assert part["regions"] == 3 < full and part["complete"] is False and part["stopped"] == "MaxRegions"
    stream = net.regions(max_regions=3)
    assert len(list(stream)) == 3 and stream.complete is False


def _interrupt_after(seconds):
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


SLOW = FIXTURES / "bench" / "torch32-5-20-20.json"  # minutes of work (over 70,000 regions a minute)


def test_ctrl_c_stops_a_count_with_the_partial_result():
    net = Network.from_json(SLOW)
    start = time.monotonic()
    _interrupt_after(0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = net.count(graph=False, threads=1)
    assert time.monotonic() - start < 5
    assert counts["complete"] is False and counts["stopped"] == "Cancelled"
    assert 0 < counts["regions"]
    assert any("interrupted" in str(w.message) for w in caught)


def test_ctrl_c_stops_a_region_stream():
    net = Network.from_json(SLOW)
    _interrupt_after(0.5)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        stream = net.regions(threads=1)
        regions = list(stream)
    assert stream.complete is False and stream.interrupted
    assert [r.id for r in regions] == list(range(len(regions)))


def test_ctrl_c_between_two_regions_cancels_the_run():
    # the press comes while the loop's body runs, not inside the stream's own code: it raises
    # there, as in any Python loop, and the run is cancelled too (so it ends even where that
    # exception would be lost, raised inside a finalizer)
    net = Network.from_json(SLOW)
    stream = net.regions(threads=1)
    seen = []
    before = signal.getsignal(signal.SIGINT)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            for region in stream:
                seen.append(region.id)
                if region.id == 3:
                    signal.raise_signal(signal.SIGINT)
                    time.sleep(0.1)
    assert seen == [0, 1, 2, 3]
    assert stream.complete is False
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_raises_after_streams_read_in_turn():
    # two streams read side by side end in the other order than they began: afterwards a press
    # is a KeyboardInterrupt again, not swallowed by a handler left behind
    net = Network.from_json(FIXTURES / "deep2d.json")
    for a, b in zip(net.regions(max_regions=3), net.regions()):
        assert a.id == b.id
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
        time.sleep(0.1)


def test_leaving_a_stream_early_stops_the_run():
    net = Network.from_json(SLOW)
    start = time.monotonic()
    for region in net.regions(threads=1):
        if region.id == 5:
            break
    # the next job starts at once: the abandoned one was cancelled, not left running
    assert net.count(max_regions=10, graph=False)["regions"] == 10
    assert time.monotonic() - start < 5
