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
