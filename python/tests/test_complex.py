"""Issue 34 from Python: net.faces() and net.boundary() against closed forms and the CLI's
documents, their exact views, and net.plot(boundary=True)."""

import json
from fractions import Fraction

import pytest

from relu_regions import Network, NetworkError

DIAMOND = json.dumps({"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"]], "activation": "relu"},
    {"weights": [["1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]})


def test_faces_of_two_lines_through_the_origin():
    net = Network.from_json(DIAMOND)
    doc = net.faces()
    # x = 0 and y = 0: one vertex, four rays, four quadrants
    assert doc["f_vector"] == [1, 4, 4]
    assert doc["euler_characteristic"] == 1
    assert len(doc["faces"]) == 9 and doc["points"].shape == (9, 2)
    vertex = [f for f in doc["faces"] if f["dim"] == 0][0]
    assert vertex["point_exact"] == (Fraction(0), Fraction(0))
    assert [f["dim"] for f in net.faces(dim=1)["faces"]] == [1, 1, 1, 1]


def test_boundary_diamond_is_a_loop_with_exact_points():
    net = Network.from_json(DIAMOND)
    b = net.boundary(level=Fraction(1, 2), box=[(-3, 3), (-3, 3)])
    assert b["betti"]["set"] == [1, 1]
    assert b["f_vector"][0] - b["f_vector"][1] == b["euler_characteristic"]
    for cell in b["cells"]:
        x, y = cell["point_exact"]
        assert abs(x) + abs(y) == Fraction(3, 2)
    inside = b["components"][1]
    assert len(inside["components"]) == 1
    assert len(b["segments"]) == b["f_vector"][1]


def test_boundary_refuses_a_missing_output():
    net = Network.from_json(DIAMOND)
    with pytest.raises(NetworkError):
        net.boundary(output=2)
    with pytest.raises(NetworkError):
        net.boundary(classes=True)


def test_plot_draws_the_boundary():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    net = Network.from_json(DIAMOND)
    ax = net.plot(box=[(-2, 2), (-2, 2)], boundary=True)
    assert len(ax.collections) == 2


def test_plot_boundary_colour_width_and_classes():
    pytest.importorskip("matplotlib")
    import matplotlib
    from matplotlib.colors import to_rgba
    matplotlib.use("Agg")
    net = Network.from_json(DIAMOND)
    ax = net.plot(box=[(-2, 2), (-2, 2)], boundary=True, color="class", boundary_color="blue", boundary_width=2.5)
    lines = ax.collections[-1]
    assert len(lines.get_segments()) == 4
    assert tuple(lines.get_colors()[0]) == to_rgba("blue")
    assert list(lines.get_linewidths()) == [2.5]
    # the class fills: inside the diamond (y < 0) one colour, outside another
    fills = {tuple(c) for c in ax.collections[0].get_facecolors()}
    assert len(fills) == 2


OCTAHEDRON = json.dumps({"input_dim": 3, "layers": [
    {"weights": [["1", "0", "0"], ["-1", "0", "0"], ["0", "1", "0"], ["0", "-1", "0"], ["0", "0", "1"], ["0", "0", "-1"]],
     "activation": "relu"},
    {"weights": [["1", "1", "1", "1", "1", "1"]], "bias": ["-1"], "activation": "linear"}]})

# outputs x, y and relu(-x - y) + 1/2: their argmax ties on bent lines
THREE = json.dumps({"input_dim": 2, "layers": [
    {"weights": [["1", "0"], ["-1", "0"], ["0", "1"], ["0", "-1"], ["-1", "-1"]], "activation": "relu"},
    {"weights": [["1", "-1", "0", "0", "0"], ["0", "0", "1", "-1", "0"], ["0", "0", "0", "0", "1"]],
     "bias": ["0", "0", "1/2"], "activation": "linear"}]})


def _boundary_lines(ax):
    """The segments of the last line collection (the boundary), as float 2 x 2 arrays."""
    from matplotlib.collections import LineCollection

    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    return [s for s in lines[-1].get_segments()] if lines else []


def test_plot_any_level_set_exactly():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    net = Network.from_json(DIAMOND)
    # |x| + |y| = 3/2: a square cut at its corners by the axes, endpoints exact in floats
    segs = _boundary_lines(net.plot(box=[(-2, 2), (-2, 2)], boundary=True, level=Fraction(1, 2)))
    assert len(segs) == 4
    assert all(abs(x) + abs(y) == 1.5 for s in segs for x, y in s)
    # on all of R^2 the drawn window clips it; the segments agree with net.boundary's
    segs = _boundary_lines(net.plot(boundary=True, level="1/4"))
    assert segs and all(abs(abs(x) + abs(y) - 1.25) < 1e-12 for s in segs for x, y in s)
    # a level no region reaches draws nothing
    assert len(_boundary_lines(net.plot(box=[(-2, 2), (-2, 2)], boundary=True, level=-2))) == 0


def test_plot_level_on_a_plane_and_classes():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    net = Network.from_json(OCTAHEDRON)
    # the plane z = 1/4 meets |x| + |y| + |z| = 5/4 in |s| + |t| = 1
    ax = net.plot(plane=([0, 0, Fraction(1, 4)], [1, 0, 0], [0, 1, 0]), box=[(-2, 2), (-2, 2)],
                  boundary=True, level=Fraction(1, 4))
    segs = _boundary_lines(ax)
    assert len(segs) == 4 and all(abs(s) + abs(t) == 1.0 for seg in segs for s, t in seg)
    three = Network.from_json(THREE)
    segs = _boundary_lines(three.plot(box=[(-2, 2), (-2, 2)], boundary=True, classes=True))
    doc = three.boundary(classes=True, box=[(-2, 2), (-2, 2)])
    assert len(segs) == doc["f_vector"][1] > 0
    for seg in segs:
        for x, y in list(seg) + [(seg[0] + seg[1]) / 2]:
            v = sorted([x, y, max(-x - y, 0.0) + 0.5])
            assert abs(v[2] - v[1]) < 1e-12


def test_plot_refuses_bad_level_options():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    net = Network.from_json(DIAMOND)
    box = [(-2, 2), (-2, 2)]
    with pytest.raises(ValueError, match="output"):
        net.plot(box=box, boundary=True, output=1)
    with pytest.raises(ValueError, match="classes"):
        net.plot(box=box, boundary=True, classes=True)
    with pytest.raises(ValueError, match="classes"):
        Network.from_json(THREE).plot(box=box, boundary=True, classes=True, level=1)
    with pytest.raises((ValueError, TypeError)):
        net.plot(box=box, boundary=True, level="x/0")
