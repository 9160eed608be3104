"""``Network.count_many`` (issue 33, point 2): closed forms, the CLI's count of each box, order,
thread counts, limits per box and per batch, exact radii and bad input."""

import json
from fractions import Fraction

import numpy as np
import pytest

from relu_regions import Network, NetworkError
from conftest import FIXTURES


def grid(k):
    """The lines x = 0..k-1 and y = 0..k-1 (one ReLU neuron each) on all of R^2."""
    rows, bias = [], []
    for i in range(k):
        rows += [[1, 0], [0, 1]]
        bias += [-i, -i]
    return Network.from_json(json.dumps({"input_dim": 2, "layers": [
        {"weights": rows, "bias": bias, "activation": "relu"},
        {"weights": [list(range(1, 2 * k + 1))], "activation": "linear"}]}))


def cells(lo, hi, k):
    return 1 + sum(1 for i in range(k) if lo < i < hi)


def test_each_ball_counts_the_grid_cells_it_meets():
    k = 5
    net = grid(k)
    rng = np.random.default_rng(3)
    centers = rng.uniform(-1, k, size=(60, 2))
    radius = Fraction(3, 4)
    got = net.count_many(centers=centers, radius=radius, graph=True)
    assert got["regions"].dtype == np.int64 and got["regions"].shape == (60,)
    for c, n, e, done in zip(centers, got["regions"], got["edges"], got["complete"]):
        cx, cy = (Fraction(float(v)) for v in c)  # the exact values the floats hold
        nx, ny = cells(cx - radius, cx + radius, k), cells(cy - radius, cy + radius, k)
        assert n == nx * ny and e == (nx - 1) * ny + nx * (ny - 1) and done
    assert got["all_complete"] and got["boxes"] == 60 and got["input_dim"] == 2


def test_each_box_equals_the_cli_count_on_that_box(cli):
    path = FIXTURES / "bench" / "torch32-2-16-16.json"
    net = Network.from_json(path)
    boxes = [[("-1/2", "1/4"), ("0", "1")], [(-1, 1), (-1, 1)], [(Fraction(1, 3), 2), ("0.1", "0.3")]]
    got = net.count_many(boxes=boxes, graph=True, threads=2)
    for i, b in enumerate(boxes):
        text = ",".join(f"{lo}:{hi}" for lo, hi in b)
        want = cli("count", path, "--json", "--box", text)
        for key in ("regions", "pieces", "edges", "bounded", "distinct_maps"):
            assert got[key][i] == want[key], (i, key)
    plain = net.count_many(boxes=boxes)
    assert "pieces" not in plain and list(plain["regions"]) == list(got["regions"])


def test_order_and_answers_do_not_depend_on_threads():
    net = Network.from_json(FIXTURES / "bench" / "torch32-2-16-16.json")
    centers = np.random.default_rng(0).uniform(-1, 1, size=(30, 2))
    one = net.count_many(centers=centers, radius=0.1, threads=1)
    many = net.count_many(centers=centers, radius=0.1, threads=3)
    assert np.array_equal(one["regions"], many["regions"]) and np.array_equal(one["bounded"], many["bounded"])
    # the boxes reversed: the answers reversed
    back = net.count_many(centers=centers[::-1], radius=0.1, threads=3)
    assert np.array_equal(back["regions"], one["regions"][::-1])


def test_a_radius_string_is_exact_and_images_are_flattened():
    # one neuron x0 + x1 - 1/5: the ball around 0 of radius exactly 1/10 only touches its
    # hyperplane at a corner; the float 0.1 is a hair above 1/10 and crosses it
    net = Network.from_json('{"input_dim": 4, "layers": [{"weights": [[1, 1, 0, 0]], "bias": ["-1/5"], '
                            '"activation": "relu"}, {"weights": [[1]], "activation": "linear"}]}')
    zero = np.zeros((1, 2, 2))  # "images" of shape (2, 2)
    assert net.count_many(centers=zero, radius="1/10")["regions"][0] == 1
    assert net.count_many(centers=zero, radius=0.1)["regions"][0] == 2
    assert net.count_many(centers=zero, radius="0.11")["regions"][0] == 2


def test_limits_mark_the_boxes_they_stopped():
    net = grid(6)
    boxes = np.array([[[0.25, 0.5], [0.25, 0.5]], [[-1, 6], [-1, 6]]])
    capped = net.count_many(boxes=boxes, max_regions=5)
    assert list(capped["regions"]) == [1, 5] and list(capped["complete"]) == [True, False]
    assert list(capped["stopped"]) == [None, "MaxRegions"] and not capped["all_complete"]
    late = net.count_many(boxes=boxes, time_limit=0)
    assert not late["complete"].any() and set(late["stopped"]) == {"TimeLimit"}


def test_bad_input_names_the_box():
    net = grid(2)
    with pytest.raises(NetworkError, match=r"boxes\[1\]\[0\]"):
        net.count_many(boxes=[[(0, 1), (0, 1)], [(1, 1), (0, 1)]])
    with pytest.raises(NetworkError, match=r"expected \(n, 2, 2\)"):
        net.count_many(boxes=[[(0, 1)]])
    with pytest.raises(NetworkError, match="3 values"):
        net.count_many(centers=np.zeros((2, 3)), radius=1)
    with pytest.raises(NetworkError, match="finite"):
        net.count_many(centers=[[0.0, float("nan")]], radius=1)
    with pytest.raises(NetworkError, match="radius"):
        net.count_many(centers=[[0, 0]], radius=0)
    with pytest.raises(ValueError, match="linf"):
        net.count_many(centers=[[0, 0]], radius=1, norm="l2")
