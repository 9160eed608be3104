"""Differential tests of the ONNX reader: every model is evaluated at random rational points by
the exact network the CLI reads from it and by onnxruntime (onnx.reference where onnxruntime
cannot load a model), and they must agree to float tolerance (differential.py says how).

The models: seeded random graphs (onnx_graphs.py: the operators the reader supports, output
selections and permutations, partial outputs, degenerate units, inputs whose leading axis is not
a batch of 1), the ONNX fixtures, and minimal models of every disagreement found.

A model the CLI refuses (exit 2) passes only when it contains a construct documented as
unsupported (docs/format.md) and the message names the file and that node. Every other
refusal, crash or disagreement is a reader bug; the known ones are marked
`xfail(strict=True, raises=ReaderBug)` with the bug's description (BUGS), so that a marked case
fails only for its bug and the marker must go once the fix lands.
"""

import json
import re
from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
# the float side: onnx.reference alone is not enough (onnx 1.23's gives BatchNormalization on
# [N, C] other values than onnxruntime and numpy, and fails on a grouped ConvTranspose), so it
# only stands in for models that onnxruntime cannot load
pytest.importorskip("onnxruntime")

from conftest import FIXTURES, cli_binary  # noqa: E402
from differential import compare  # noqa: E402
from onnx_graphs import random_graph  # noqa: E402


class ReaderBug(AssertionError):
    """The exact network and the model disagree, or a valid model is refused or crashes the CLI."""


BUGS = {
    "selection-dropped":
        "reader bug: a last map keeping the first k of the n values of the last ReLU layer (a "
        "MatMul or Gemm by the first k columns of the identity after Relu, or a trailing "
        "LeakyRelu with alpha 0) is taken for the identity and dropped (rows::is_identity does "
        "not compare the row count with the width): the network outputs all n values",
    "clip-min-eq-max":
        "reader bug: Clip with min = max (a constant unit) is refused ('min is not below max'), "
        "valid ONNX not documented as unsupported",
    "matmul-last-axis":
        "reader bug: MatMul of a tensor with several rows ([1, ..., k, n] @ [n, m], as nn.Linear "
        "on a 3-D tensor) is refused ('weight expects n inputs but the data has width k n'), "
        "not documented as unsupported",
    "outputs-ignored":
        "reader bug: the graph's declared outputs are ignored and the network's output is the "
        "last node's tensor (several outputs: only the last node's; a node after the output: "
        "its tensor)",
    "leading-axis":
        "reader bug: an input whose leading axis is not a batch of 1 (shape [N, ...], N > 1) has "
        "its first axis dropped as a batch while the width keeps all N samples: panics "
        "(build.rs scale_shift, activations.rs piecewise), inputs lost (ReduceSum), wrong "
        "outputs, refusals of Gemm/MatMul/Reshape",
}

# the seeds of the random graphs that show each known bug (found by this module); a listed seed
# xfails only with a known bug: any other failure of it is reported
MAIN_SEEDS = range(400)
MAIN_XFAIL = {
    "selection-dropped": {23, 35, 60, 70, 88, 98, 192, 225, 235, 244, 245, 255, 270, 324, 325, 346, 353,
                          356, 369},
    "outputs-ignored": {45, 49, 59, 90, 117, 143, 168, 188, 201, 215, 227, 233, 282, 302, 350, 361, 389},
    "clip-min-eq-max": {7, 33, 53, 65, 82, 84, 89, 91, 102, 103, 113, 116, 220, 228, 237, 247, 263, 303,
                        308, 327, 330},
    "matmul-last-axis": {6, 15, 16, 119, 140, 163, 205, 300},
}
# nearly every graph with a leading axis of 2 or 3 fails today
LEADING_SEEDS = range(40)
LEADING_XFAIL = {"leading-axis": set(LEADING_SEEDS) - {4, 35}}

@pytest.fixture(scope="module")
def binary():
    b = cli_binary()
    if b is None:
        pytest.skip("the relu-regions binary is not built (cargo build --release)")
    return b


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("differential")


def classify(graph, outcome):
    """The known bug an outcome shows, by its signature, or None."""
    message = outcome.message
    if outcome.status == "agree":
        return None
    if "leading-axis" in graph.tags:
        return "leading-axis"
    if outcome.status == "refused" and "min is not below max" in message:
        return "clip-min-eq-max"
    if outcome.status == "refused" and re.search(r"operator MatMul\): weight expects \d+ inputs but the data", message):
        return "matmul-last-axis"
    if outcome.status == "disagree" and graph.tags & {"several-outputs", "dead-node-after-output"}:
        return "outputs-ignored"
    if outcome.status == "disagree" and outcome.prefix_agrees:
        return "selection-dropped"
    return None


def documented_refusal(graph, outcome, path):
    """Whether a refusal is of a documented-unsupported node of the graph, with a message naming
    the file and the node."""
    if outcome.status != "refused":
        return False
    named = [name for name, _ in graph.unsupported if f"node `{name}`" in outcome.message]
    return bool(named) and outcome.message.startswith(f"error: {path}")


def judge(graph, outcome, path):
    """Returns when the outcome is an agreement or a documented refusal; raises ReaderBug for a
    known bug, AssertionError for any other failure."""
    if outcome.status == "agree" or documented_refusal(graph, outcome, path):
        return
    bug = classify(graph, outcome)
    report = (f"{outcome.status} {outcome.message}\n" + "\n".join(outcome.details[:3]) + "\n"
              + graph.describe())
    if bug is None:
        raise AssertionError(f"a disagreement of no known bug: {report}")
    raise ReaderBug(f"[{bug}] {report}")


def check(graph, path, binary, rng, points=4):
    onnx.save(graph.model, path)
    outcome = compare(binary, path, graph.oracle_model, graph.input_shape, rng, points=points)
    judge(graph, outcome, path)
    return outcome


_outcomes = {}


def outcome_of(seed, leading, binary, workdir):
    """The random graph of `seed` and its comparison (computed once a session)."""
    if (seed, leading) not in _outcomes:
        graph = random_graph(seed, leading=leading)
        path = workdir / f"random-{seed}-{leading}.onnx"
        onnx.save(graph.model, path)
        outcome = compare(binary, path, graph.oracle_model, graph.input_shape, np.random.default_rng(seed))
        _outcomes[(seed, leading)] = (graph, path, outcome)
    return _outcomes[(seed, leading)]


def check_seed(seed, leading, binary, workdir):
    graph, path, outcome = outcome_of(seed, leading, binary, workdir)
    judge(graph, outcome, path)


def params(seeds, known):
    out = []
    for seed in seeds:
        bug = next((b for b, s in known.items() if seed in s), None)
        marks = [pytest.mark.xfail(strict=True, raises=ReaderBug, reason=BUGS[bug])] if bug else []
        out.append(pytest.param(seed, bug, marks=marks, id=str(seed)))
    return out


@pytest.mark.parametrize("seed,bug", params(MAIN_SEEDS, MAIN_XFAIL))
def test_random_graph_agrees_with_onnxruntime(seed, bug, binary, workdir):
    check_seed(seed, None, binary, workdir)


@pytest.mark.parametrize("seed,bug", params(LEADING_SEEDS, LEADING_XFAIL))
def test_random_graph_with_a_leading_axis_agrees_with_onnxruntime(seed, bug, binary, workdir):
    check_seed(seed, 2 + seed % 2, binary, workdir)


# minimal models: each known bug's smallest case, and beside it a close model that is read right
W2 = [[1.0, -0.5], [0.5, 1.0]]
MINIMAL = {
    # Relu on 2 values, then keep the first: the network outputs both
    "relu-then-keep-first": ("selection-dropped", [
        ("MatMul", ["x", "W"], "h", {}), ("Relu", ["h"], "r", {}), ("MatMul", ["r", "S"], "y", {})],
        {"W": W2, "S": [[1.0], [0.0]]}, [1, 2], ["y"]),
    "relu-then-keep-second": (None, [
        ("MatMul", ["x", "W"], "h", {}), ("Relu", ["h"], "r", {}), ("MatMul", ["r", "S"], "y", {})],
        {"W": W2, "S": [[0.0], [1.0]]}, [1, 2], ["y"]),
    "relu-then-gemm-keep-first": ("selection-dropped", [
        ("MatMul", ["x", "W"], "h", {}), ("Relu", ["h"], "r", {}), ("Gemm", ["r", "S"], "y", {"transB": 1})],
        {"W": W2, "S": [[1.0, 0.0]]}, [1, 2], ["y"]),
    # LeakyRelu(0) = relu(x) - 0 relu(-x): its combination is the first half of the identity
    "leaky-relu-alpha-0-last": ("selection-dropped", [("LeakyRelu", ["x"], "y", {"alpha": 0.0})], {}, [1, 2], ["y"]),
    "leaky-relu-alpha-half-last": (None, [("LeakyRelu", ["x"], "y", {"alpha": 0.5})], {}, [1, 2], ["y"]),
    "clip-min-eq-max": ("clip-min-eq-max", [("Clip", ["x", "lo", "lo"], "y", {})], {"lo": 0.5}, [1, 2], ["y"]),
    "clip-min-below-max": (None, [("Clip", ["x", "lo", "hi"], "y", {})], {"lo": 0.5, "hi": 1.0}, [1, 2], ["y"]),
    "matmul-on-rows": ("matmul-last-axis", [("MatMul", ["x", "W"], "y", {})], {"W": W2}, [1, 3, 2], ["y"]),
    "matmul-on-one-row": (None, [("MatMul", ["x", "W"], "y", {})], {"W": W2}, [1, 1, 2], ["y"]),
    "output-before-last-node": ("outputs-ignored", [
        ("MatMul", ["x", "W"], "h", {}), ("Relu", ["h"], "r", {}), ("MatMul", ["r", "V"], "y", {})],
        {"W": W2, "V": [[1.0], [1.0]]}, [1, 2], ["r"]),
    "two-outputs": ("outputs-ignored", [
        ("MatMul", ["x", "W"], "h", {}), ("Relu", ["h"], "r", {}), ("MatMul", ["r", "V"], "y", {})],
        {"W": W2, "V": [[1.0], [1.0]]}, [1, 2], ["r", "y"]),
    "output-of-a-side-branch": ("outputs-ignored", [
        ("MatMul", ["x", "W"], "h", {}), ("Relu", ["h"], "r", {}), ("MatMul", ["h", "V"], "y", {})],
        {"W": W2, "V": [[1.0], [1.0]]}, [1, 2], ["r"]),
    # ReduceSum over every axis of [2, 2]: two of the four inputs are lost
    "leading-2-reduce-sum": ("leading-axis", [("ReduceSum", ["x"], "y", {"keepdims": 0})], {}, [2, 2], ["y"]),
    "leading-1-reduce-sum": (None, [("ReduceSum", ["x"], "y", {"keepdims": 0})], {}, [1, 4], ["y"]),
    # a per-value constant (PRelu slopes, Add) is read for one sample and indexed for two: a panic
    "leading-2-prelu": ("leading-axis", [("PRelu", ["x", "s"], "y", {})], {"s": [0.5, 0.25, 2.0]}, [2, 3], ["y"]),
    "leading-2-leaky-relu": (None, [("LeakyRelu", ["x"], "y", {"alpha": 0.5})], {}, [2, 3], ["y"]),
    "leading-2-add": ("leading-axis", [("Add", ["x", "c"], "y", {})], {"c": [1.0, -1.0, 0.5]}, [2, 3], ["y"]),
    "leading-2-matmul": ("leading-axis", [("MatMul", ["x", "W"], "y", {})], {"W": W2}, [2, 2], ["y"]),
    "leading-2-relu": (None, [("Relu", ["x"], "y", {})], {}, [2, 3], ["y"]),
}


def minimal_params():
    out = []
    for name, (bug, *_) in MINIMAL.items():
        marks = [pytest.mark.xfail(strict=True, raises=ReaderBug, reason=BUGS[bug])] if bug else []
        out.append(pytest.param(name, bug, marks=marks, id=name))
    return out


@pytest.mark.parametrize("name,bug", minimal_params())
def test_minimal_model_agrees_with_onnxruntime(name, bug, binary, workdir):
    from onnx_graphs import tiny

    _, nodes, inits, shape, outputs = MINIMAL[name]
    graph = tiny(nodes, inits, shape, outputs)
    if shape[0] > 1:
        graph.tags.add("leading-axis")
    check(graph, workdir / f"{name}.onnx", binary, np.random.default_rng(0), points=6)


# the operators of the data path that docs/format.md lists and the generator draws
SUPPORTED = {"Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Conv", "ConvTranspose", "AveragePool",
             "GlobalAveragePool", "MaxPool", "GlobalMaxPool", "ReduceSum", "ReduceMean", "ReduceMax",
             "ReduceMin", "BatchNormalization", "Pad", "Transpose", "Reshape", "Flatten", "Squeeze",
             "Unsqueeze", "Concat", "Relu", "LeakyRelu", "PRelu", "Clip", "Abs", "Max", "Min"}


def test_random_graphs_are_read_and_cover_every_operator(binary, workdir):
    """Most random graphs agree (a refusal is counted, never enough by itself), and every
    supported operator and generator feature occurs in some graph that agrees."""
    results = [outcome_of(seed, None, binary, workdir) for seed in MAIN_SEEDS]
    counts = {s: sum(o.status == s for _, _, o in results) for s in ("agree", "refused", "disagree", "crash")}
    documented = sum(documented_refusal(g, o, p) for g, p, o in results)
    assert counts["agree"] >= 0.6 * len(results), counts
    assert documented <= 0.1 * len(results), (documented, counts)
    covered = set().union(*(g.tags for g, _, o in results if o.status == "agree"))
    features = {"branch", "duplicated-neuron", "dead-neuron", "slope-1", "max-of-itself", "permutation",
                "select-subset", "select-permutation", "select-repeat", "select-prefix", "smooth-tail",
                "constant-node", "float16", "Identity", "Dropout"}
    assert SUPPORTED | features <= covered, sorted((SUPPORTED | features) - covered)
    # the exact side was checked at every point of every agreeing graph, through locate too
    assert all(o.points == 4 for _, _, o in results if o.status == "agree")


@pytest.mark.parametrize("path", sorted((FIXTURES / "onnx").glob("*.onnx")), ids=lambda p: p.name)
def test_fixture_model_agrees_with_onnxruntime(path, binary):
    from differential import input_shape

    model = onnx.load(path)
    outcome = compare(binary, path, model, input_shape(model), np.random.default_rng(1), points=8)
    assert outcome.status == "agree", f"{outcome.status} {outcome.message}\n" + "\n".join(outcome.details[:3])
    assert outcome.points == 8


def torch_cases():
    """Modules whose ONNX export the tests read (test_torch.py's, with the softmax left out), and
    two real-world forms of known bugs: nn.Linear on a 3-D tensor, an export with a batch of 2."""
    torch = pytest.importorskip("torch")
    from torch_modules import Bounded, Cat, OpsetZoo, Pooled, SignedSkip, Unflat, Upsampled

    nn = torch.nn
    bn = nn.BatchNorm2d(2)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.1, -0.2]))
        bn.running_var.copy_(torch.tensor([0.5, 2.0]))
    return {
        "dense-leaky": (lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1),
                                              nn.Linear(8, 1)), (1, 2)),
        "cat": (Cat, (1, 2)),
        "unflatten-view": (Unflat, (1, 2)),
        "max-min-constants": (Bounded, (1, 2)),
        "max-pool-max-of-branches": (Pooled, (1, 2)),
        "conv-transpose-1d": (Upsampled, (1, 2)),
        "signed-skip": (SignedSkip, (1, 1, 4, 4)),
        "conv-avgpool-hardtanh": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                                                        nn.Flatten(), nn.Linear(8, 3), nn.Hardtanh(),
                                                        nn.Linear(3, 1)), (1, 1, 4, 4)),
        "conv-maxpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                               nn.Flatten(), nn.Linear(8, 1)), (1, 1, 4, 4)),
        "conv-transpose-2d": (lambda: nn.Sequential(nn.ConvTranspose2d(1, 2, 3, stride=2, padding=1,
                                                                       output_padding=1), nn.ReLU(),
                                                    nn.Flatten(), nn.Linear(32, 1)), (1, 1, 2, 2)),
        "global-avgpool": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                                 nn.Flatten(), nn.Linear(3, 1)), (1, 1, 5, 5)),
        "conv-bn-leaky-relu6-prelu": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2, padding=1), bn, nn.LeakyReLU(0.1),
                                                            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3),
                                                            nn.ReLU6(), nn.PReLU(3), nn.Linear(3, 2)), (1, 1, 3, 3)),
        "opset-zoo": (OpsetZoo, (1, 1, 3, 3)),
        "linear-on-rows": (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(9, 1)),
                           (1, 3, 2)),
        "batch-of-2": (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), (2, 2)),
    }


TORCH_XFAIL = {"linear-on-rows": "matmul-last-axis", "batch-of-2": "leading-axis"}
# (name, opset, dynamo): the legacy exporter at its default opset, older and newer ones for the
# operators that changed form, and the dynamo exporter (torch.export) on a few
TORCH_EXPORTS = ([(name, None, False) for name in (
    "dense-leaky", "cat", "unflatten-view", "max-min-constants", "max-pool-max-of-branches",
    "conv-transpose-1d", "signed-skip", "conv-avgpool-hardtanh", "conv-maxpool", "conv-transpose-2d",
    "global-avgpool", "conv-bn-leaky-relu6-prelu", "linear-on-rows", "batch-of-2")]
    + [("opset-zoo", v, False) for v in (9, 11, 13, 18)]
    + [(name, None, True) for name in ("dense-leaky", "signed-skip", "global-avgpool", "opset-zoo")])


def torch_params():
    out = []
    for name, opset, dynamo in TORCH_EXPORTS:
        bug = TORCH_XFAIL.get(name)
        marks = [pytest.mark.xfail(strict=True, raises=ReaderBug, reason=BUGS[bug])] if bug else []
        ident = f"{name}-{'dynamo' if dynamo else 'legacy'}" + (f"-{opset}" if opset else "")
        out.append(pytest.param(name, opset, dynamo, marks=marks, id=ident))
    return out


@pytest.mark.parametrize("name,opset,dynamo", torch_params())
def test_torch_export_agrees_with_onnxruntime(name, opset, dynamo, binary, workdir):
    """The exports of torch modules (random float32 weights) against the exact network."""
    import warnings

    torch = pytest.importorskip("torch")
    if dynamo:
        pytest.importorskip("onnxscript")
    from onnx_graphs import Graph

    make, shape = torch_cases()[name]
    torch.manual_seed(len(name))
    module = make().eval()
    path = workdir / f"torch-{name}-{opset}-{dynamo}.onnx"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = {"opset_version": opset} if opset else {}
            torch.onnx.export(module, (torch.zeros(*shape),), str(path), dynamo=dynamo, **kwargs)
    except Exception as e:  # noqa: BLE001 - an exporter this torch lacks
        pytest.skip(f"torch.onnx.export failed here: {e!r:.200}")
    model = onnx.load(path)
    graph = Graph(model, list(shape), [], {op.op_type for op in model.graph.node})
    if shape[0] > 1:
        graph.tags.add("leading-axis")
    outcome = compare(binary, path, model, list(shape), np.random.default_rng(2), points=4)
    judge(graph, outcome, path)
    assert outcome.oracle and outcome.points == 4


BUGS["slope-1-splits"] = (
    "reader bug: a LeakyRelu or PRelu of slope 1 (the identity) is written as two ReLUs that cut "
    "the input's hyperplane, so a region of the graph is split in two (same map on both sides)")


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


def count_regions(graph, path, binary, d):
    """The CLI's regions and pieces of the graph on [-2, 2]^d against the graph's own activation
    patterns (onnx_patterns.py, exact): every pattern met on a grid is some region's, no two
    regions have one pattern, and in 1-D the pieces are the runs of regions with one map."""
    from differential import exact_output, run_cli
    from onnx_patterns import Evaluator

    onnx.save(graph.model, path)
    box = ",".join(["-2:2"] * d)
    out = run_cli(binary, "regions", path, "--box", box, "--json", "--threads", "1")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["complete"]
    regions = doc["regions"]
    evaluate = Evaluator(graph.model)
    points = [[Fraction(v) for v in r["point"]] for r in regions]
    values, patterns = evaluate(points)
    # the graph evaluated exactly from its own operators equals the CLI's network exactly
    net = json.loads(run_cli(binary, "convert", path).stdout)
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
    counted = run_cli(binary, "count", path, "--box", box, "--json", "--threads", "1")
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
def test_regions_and_pieces_equal_the_brute_force(seed, bug, binary, workdir):
    from onnx_graphs import small_graph

    d = 1 + seed % 2
    count_regions(small_graph(seed, d), workdir / f"small-{seed}.onnx", binary, d)


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
    "max-of-itself": (None, ("Max", ["h", "h"], "u", {}), {}, (1, 1)),
    "min-of-itself": (None, ("Min", ["h", "h"], "u", {}), {}, (1, 1)),
}


def degenerate_params():
    out = []
    for name, (bug, *_) in DEGENERATE.items():
        marks = [pytest.mark.xfail(strict=True, raises=ReaderBug, reason=BUGS[bug])] if bug else []
        out.append(pytest.param(name, bug, marks=marks, id=name))
    return out


@pytest.mark.parametrize("name,bug", degenerate_params())
def test_degenerate_units_do_not_split_regions(name, bug, binary, workdir):
    from differential import run_cli
    from onnx_graphs import tiny

    _, unit, inits, expected = DEGENERATE[name]
    nodes = [("MatMul", ["x", "W"], "h", {}), unit, ("MatMul", ["u", "V"], "y", {})]
    graph = tiny(nodes, {"W": W_INV, "V": [[1.0], [2.0]], **inits}, [1, 2], ["y"])
    path = workdir / f"degenerate-{name}.onnx"
    onnx.save(graph.model, path)
    # the values first: the same function as onnxruntime's
    judge(graph, compare(binary, path, graph.model, [1, 2], np.random.default_rng(3)), path)
    out = run_cli(binary, "count", path, "--json", "--threads", "1")
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    got = (counts["regions"], counts["pieces"])
    if got != expected:
        raise ReaderBug(f"{got} regions and pieces, {expected} by reasoning\n{graph.describe()}")


def test_the_generator_is_deterministic():
    """A seed gives the same model bytes every time (the xfail lists above name seeds)."""
    from onnx_graphs import small_graph

    for seed in (0, 1, 2, 23):
        assert random_graph(seed).model.SerializeToString() == random_graph(seed).model.SerializeToString()
        assert random_graph(seed, leading=2).model.SerializeToString() == \
            random_graph(seed, leading=2).model.SerializeToString()
        assert small_graph(seed, 2).model.SerializeToString() == small_graph(seed, 2).model.SerializeToString()
    assert random_graph(0).model.SerializeToString() != random_graph(1).model.SerializeToString()
