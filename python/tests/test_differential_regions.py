"""Region and piece counts of small ONNX graphs against a brute force over the graph's own
activation patterns (onnx_patterns.py evaluates the model's operators exactly, apart from the
CLI), and degenerate units against counts found by reasoning."""

import json
from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
# the float side: onnx.reference alone is not enough (onnx 1.23's gives BatchNormalization on
# [N, C] other values than onnxruntime and numpy, and fails on a grouped ConvTranspose), so it
# only stands in for models that onnxruntime cannot load
pytest.importorskip("onnxruntime")

from differential import ReaderBug, compare, exact_output, judge, named_params, params, run_cli  # noqa: E402
from onnx_graphs import small_graph, tiny  # noqa: E402
from onnx_patterns import Evaluator  # noqa: E402


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("differential")


def interval(region):
    """A 1-D region's [lo, hi] from its inequalities a x <= b."""
    lo, hi = Fraction(-10**9), Fraction(10**9)
    for ineq in region["inequalities"]:
        a, b = Fraction(ineq["a"][0]), Fraction(ineq["b"])
        if a > 0:
            hi = min(hi, b / a)
        elif a < 0:
            lo = max(lo, b / a)
    return lo, hi


def count_regions(graph, path, cli_path, d):
    """The CLI's regions and pieces of the graph on [-2, 2]^d against the graph's own activation
    patterns (onnx_patterns.py, exact): every pattern met on a grid is some region's, no two
    regions have one pattern, and in 1-D the pieces are the runs of regions with one map."""
    onnx.save(graph.model, path)
    box = ",".join(["-2:2"] * d)
    out = run_cli(cli_path, "regions", path, "--box", box, "--json", "--threads", "1")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["complete"]
    regions = doc["regions"]
    evaluate = Evaluator(graph.model)
    points = [[Fraction(v) for v in r["point"]] for r in regions]
    values, patterns = evaluate(points)
    # the graph evaluated exactly from its own operators equals the CLI's network exactly
    net = json.loads(run_cli(cli_path, "convert", path).stdout)
    for p, y in zip(points, values):
        assert y == exact_output(net, p), f"at {p}\n{graph.describe()}"
    # a grid whose coordinates have the large primes 10007 and 10009 in their denominators: no
    # hyperplane of these small dyadic weights passes through a grid point (unless constant)
    n = 128 if d == 1 else 16
    axes = [[Fraction(-2) + 4 * (k + Fraction(r, p)) / n for k in range(n)] for r, p in ((3337, 10007), (5003, 10009))]
    grid = [[a] for a in axes[0]] if d == 1 else [[a, b] for a in axes[0] for b in axes[1]]
    seen = set(evaluate(grid)[1])
    missing = seen - set(patterns)
    assert not missing, f"patterns of the graph that no region has: {sorted(missing)[:3]}\n{graph.describe()}"
    counted = run_cli(cli_path, "count", path, "--box", box, "--json", "--threads", "1")
    assert counted.returncode == 0, counted.stderr
    counts = json.loads(counted.stdout)
    assert counts["regions"] == len(regions)
    if d == 1:
        # each region's exact map from the graph at two of its points (they must have its
        # pattern); a piece ends where the map changes
        maps = []
        for r, pattern in sorted(zip(regions, patterns), key=lambda rp: Fraction(rp[0]["point"][0])):
            lo, hi = interval(r)
            lo, hi = max(lo, Fraction(-2)), min(hi, Fraction(2))
            a, b = lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3
            (ya, yb), (pa, pb) = evaluate([[a], [b]])
            assert pa == pb == pattern, f"region {r['id']} is not inside one activation set of the graph"
            slopes = tuple((v - u) / (b - a) for u, v in zip(ya, yb))
            maps.append((slopes, tuple(u - s * a for u, s in zip(ya, slopes))))
        pieces = 1 + sum(m != k for m, k in zip(maps, maps[1:]))
        assert counts["pieces"] == pieces, (counts, pieces)
    split = len(patterns) - len(set(patterns))
    if split:
        bug = "slope-1-splits" if "slope-1" in graph.tags else None
        message = f"{split} regions more than the graph's {len(set(patterns))} activation sets\n{graph.describe()}"
        if bug is None:
            raise AssertionError(message)
        raise ReaderBug(f"[{bug}] {message}")
    return len(regions)


COUNT_SEEDS = range(100)
COUNT_XFAIL = {"slope-1-splits": {49, 56, 62, 70, 96}}


@pytest.mark.parametrize("seed,bug", params(COUNT_SEEDS, COUNT_XFAIL))
def test_regions_and_pieces_equal_the_brute_force(seed, bug, cli_path, workdir):
    d = 1 + seed % 2
    count_regions(small_graph(seed, d), workdir / f"small-{seed}.onnx", cli_path, d)


# degenerate units on R^2 after h = W x (W invertible), read out by V: (regions, pieces) by
# reasoning: a unit that is linear or constant has no hyperplane; duplicated neurons share one
W_INV = [[1.0, -0.5], [0.5, 1.0]]
DEGENERATE = {
    "leaky-relu-slope-1": ("slope-1-splits", ("LeakyRelu", ["h"], "u", {"alpha": 1.0}), {}, (1, 1)),
    "prelu-slopes-1": ("slope-1-splits", ("PRelu", ["h", "s"], "u", {}), {"s": [1.0, 1.0]}, (1, 1)),
    # one bending unit: its line cuts R^2 in two, and the slope differs on the two sides
    "prelu-one-slope-1": ("slope-1-splits", ("PRelu", ["h", "s"], "u", {}), {"s": [1.0, 0.5]}, (2, 2)),
    # two bending units: four quadrants of h, four maps
    "prelu-no-slope-1": (None, ("PRelu", ["h", "s"], "u", {}), {"s": [0.25, 0.5]}, (4, 4)),
    "clip-min-eq-max": ("clip-min-eq-max", ("Clip", ["h", "c", "c"], "u", {}), {"c": 0.5}, (1, 1)),
    # h = (t, t) for t = x0 - x1 / 2: two ReLUs on one line, y = 3 relu(t)
    "duplicated-neurons": (None, ("Relu", ["h"], "u", {}), {"W": [[1.0, 1.0], [-0.5, -0.5]]}, (2, 2)),
    "max-of-itself": (None, ("Max", ["h", "h"], "u", {}), {}, (1, 1)),
    "min-of-itself": (None, ("Min", ["h", "h"], "u", {}), {}, (1, 1)),
}


@pytest.mark.parametrize("name,bug", named_params(DEGENERATE))
def test_degenerate_units_do_not_split_regions(name, bug, cli_path, workdir):
    _, unit, inits, expected = DEGENERATE[name]
    nodes = [("MatMul", ["x", "W"], "h", {}), unit, ("MatMul", ["u", "V"], "y", {})]
    graph = tiny(nodes, {"W": W_INV, "V": [[1.0], [2.0]], **inits}, [1, 2], ["y"])
    path = workdir / f"degenerate-{name}.onnx"
    onnx.save(graph.model, path)
    # the values first: the same function as onnxruntime's
    judge(graph, compare(cli_path, path, graph.model, [1, 2], np.random.default_rng(3)), path)
    out = run_cli(cli_path, "count", path, "--json", "--threads", "1")
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    got = (counts["regions"], counts["pieces"])
    if got != expected:
        raise ReaderBug(f"{got} regions and pieces, {expected} by reasoning\n{graph.describe()}")


