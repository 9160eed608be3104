"""The comparison behind the differential tests (test_differential*.py): an ONNX model evaluated at
random rational points by the exact network the reader builds and by onnxruntime (onnx.reference
where onnxruntime cannot load the model), and the judging of the outcome: the known reader bugs
(`BUGS`) recognised by their signatures and raised as `ReaderBug`, which the tests' strict
xfail markers expect.

The exact side: `relu-regions convert MODEL` writes the network the reader built as exact JSON
layers (docs/format.md: `relu`, `linear` and `max` layers), which `exact_output` evaluates in
rational arithmetic; at one point per model `relu-regions locate --json` gives the region's exact
affine map, whose value there must equal that evaluation exactly (so the CLI's own evaluation is
checked too). The float side runs the model at the points rounded to float32; the two must agree
to `RTOL` relative to the outputs' size.
"""

import json
import re
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import onnx
import pytest

# float32 evaluation of small graphs with dyadic weights: a few ulps per operator
RTOL = 1e-4


def run_cli(binary, *args):
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=120)


def fraction(text):
    return Fraction(text)


def fmt(x):
    return f"{x.numerator}/{x.denominator}" if x.denominator != 1 else str(x.numerator)


def exact_output(net, x):
    """The exact network's output at the rational point `x` (docs/format.md's layer semantics:
    a `max` layer passes each unit's winner, the lowest index among equal candidates, and zeros
    its other candidates)."""
    h = list(x)
    for layer in net["layers"]:
        w = layer["weights"]
        b = layer.get("bias") or ["0"] * len(w)
        z = [sum((fraction(a) * v for a, v in zip(row, h) if a != "0"), fraction(c)) for row, c in zip(w, b)]
        act = layer["activation"]
        if act == "relu":
            h = [v if v > 0 else Fraction(0) for v in z]
        elif act == "linear":
            h = z
        elif act == "max":
            k = layer["pieces"]
            h = [Fraction(0)] * len(z)
            for u in range(0, len(z), k):
                winner = max(range(u, u + k), key=lambda i: (z[i], -i))
                h[winner] = z[winner]
        else:
            raise AssertionError(f"unknown activation {act}")
    return h


def random_points(rng, d, count):
    """`count` random rational points of R^d: p/q with q odd (so that they miss the hyperplanes of
    dyadic weights but by chance) and |p/q| <= 3."""
    points = []
    for _ in range(count):
        x = []
        for _ in range(d):
            q = int(rng.choice([3, 5, 7, 9, 11, 13, 15]))
            x.append(Fraction(int(rng.integers(-3 * q, 3 * q + 1)), q))
        points.append(x)
    return points


def data_input(model):
    """The graph input that is not an initializer (old models list the weights as inputs too)."""
    weights = {t.name for t in model.graph.initializer}
    return next(i for i in model.graph.input if i.name not in weights)


def input_shape(model):
    """The data input's shape, an unknown dimension taken as 1 (a batch)."""
    return [d.dim_value or 1 for d in data_input(model).type.tensor_type.shape.dim]


def flat(outputs):
    return np.concatenate([np.asarray(o, dtype=np.float64).reshape(-1) for o in outputs])


class Oracle:
    """A float evaluator of a model: onnxruntime, or onnx.reference where onnxruntime cannot load
    it. `run` gives the model's outputs flattened and concatenated in the graph's order (a model
    with several outputs is the function giving all of them)."""

    def __init__(self, model):
        self.name, self.run = None, None
        try:
            import onnxruntime as ort

            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            feed = data_input(model).name
            self.name, self.run = "onnxruntime", lambda x: flat(session.run(None, {feed: x}))
        except Exception:  # noqa: BLE001 - any failure to load: try the reference evaluator
            from onnx.reference import ReferenceEvaluator

            ref = ReferenceEvaluator(model)
            feed = data_input(model).name
            self.name, self.run = "onnx.reference", lambda x: flat(ref.run(None, {feed: x}))


@dataclass
class Outcome:
    """What a model's comparison found: `agree`, `refused` (exit 2, with the message) or
    `disagree` (with what differed)."""

    status: str
    message: str = ""
    oracle: str = ""
    points: int = 0
    details: list = field(default_factory=list)
    # with more exact outputs than the model's: whether the model's are the first exact ones
    prefix_agrees: object = None


def compare(binary, path, model, input_shape, rng, points=4, locate=True):
    """Compares the exact network of the model file `path` (the ONNX `model`) with the float
    oracle at `points` random rational points; `locate` also checks the CLI's region map at the
    first point."""
    out = run_cli(binary, "convert", path)
    if out.returncode == 2:
        return Outcome("refused", out.stderr.strip())
    if out.returncode != 0:
        return Outcome("crash", f"convert exited {out.returncode}: {out.stderr.strip()[:2000]}")
    net = json.loads(out.stdout)
    d = int(np.prod(input_shape)) if input_shape else 1
    if net["input_dim"] != d:
        return Outcome("disagree", f"the exact network has {net['input_dim']} inputs, the model {d}")
    oracle = Oracle(model)
    result = Outcome("agree", oracle=oracle.name)
    for k, x in enumerate(random_points(rng, d, points)):
        exact = exact_output(net, x)
        floats = oracle.run(np.array([float(v) for v in x], dtype=np.float32).reshape(input_shape))
        scale = 1 + max((float(abs(v)) for v in exact), default=0)
        result.points += 1
        if len(exact) != floats.size:
            # a count mismatch; whether the model's outputs are the first exact ones (as when a
            # selection of the first outputs is lost) tells the known bug
            m = min(len(exact), floats.size)
            prefix = all(abs(float(e) - f) <= RTOL * scale for e, f in zip(exact[:m], floats[:m]))
            result.prefix_agrees = (result.prefix_agrees is not False) and prefix and len(exact) > m
            result.status = "disagree"
            result.details.append(f"{len(exact)} exact outputs, {floats.size} from {oracle.name}")
            continue
        err = max((abs(float(e) - f) for e, f in zip(exact, floats)), default=0.0)
        if not err <= RTOL * scale:
            result.status = "disagree"
            result.details.append(
                f"at x = [{', '.join(map(fmt, x))}]: exact {[float(v) for v in exact]}, "
                f"{oracle.name} {floats.tolist()} (error {err:.3g})")
        if locate and k == 0:
            mapped = region_map_value(binary, path, x)
            if mapped != exact:
                result.status = "disagree"
                result.details.append(
                    f"at x = [{', '.join(map(fmt, x))}]: locate's map gives {[float(v) for v in mapped]}, "
                    f"the converted layers {[float(v) for v in exact]}")
    return result


def region_map_value(binary, path, x):
    """`J x + c` for the map of a region containing `x`, from `locate --json` (every region
    touching `x` must give the same value: the network is continuous)."""
    out = run_cli(binary, "locate", path, "--point", ",".join(map(fmt, x)), "--json", "--threads", "1")
    assert out.returncode == 0, f"locate exited {out.returncode}: {out.stderr}"
    values = set()
    for region in json.loads(out.stdout)["regions"]:
        jac = [[fraction(a) for a in row] for row in region["jacobian"]]
        off = [fraction(c) for c in region["offset"]]
        values.add(tuple(sum((a * v for a, v in zip(row, x)), c) for row, c in zip(jac, off)))
    assert len(values) == 1, f"the regions at the point give {len(values)} different values"
    return list(values.pop())


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
    "slope-1-splits":
        "reader bug: a LeakyRelu or PRelu of slope 1 (the identity) is written as two ReLUs that cut "
        "the input's hyperplane, so a region of the graph is split in two (same map on both sides)",
}


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
    the file and the node. (Should the fix of the leading-axis bug refuse such inputs instead of
    reading them, documented, its message names the input `x`: that counts too.)"""
    if outcome.status != "refused" or not outcome.message.startswith(f"error: {path}"):
        return False
    named = [name for name, _ in graph.unsupported if f"node `{name}`" in outcome.message]
    # several declared outputs are refused as a whole (docs/format.md): the message names them
    several = "several-outputs" in graph.tags and re.search(r"the graph has \d+ outputs \(", outcome.message)
    return bool(named) or bool(several) or ("leading-axis" in graph.tags and "input `x`" in outcome.message)


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
    """Saves the graph's model at `path`, compares and judges."""
    onnx.save(graph.model, path)
    outcome = compare(binary, path, graph.oracle_model, graph.input_shape, rng, points=points)
    judge(graph, outcome, path)
    return outcome


# The bugs above that the reader no longer has: their cases run unmarked and must agree (a
# return of one fails as a ReaderBug naming it). Every bug this module found is fixed; the
# table stays as the record of what each seed was chosen to show.
FIXED = set(BUGS)


def marks(bug):
    """The marks of a case that shows the known, not yet fixed `bug` (None: none)."""
    if bug is None or bug in FIXED:
        return []
    return [pytest.mark.xfail(strict=True, raises=ReaderBug, reason=BUGS[bug])]


def params(seeds, known):
    """`(seed, bug)` parameters, each seed listed in `known` (bug -> seeds) marked."""
    out = []
    for seed in seeds:
        bug = next((b for b, s in known.items() if seed in s), None)
        out.append(pytest.param(seed, bug, marks=marks(bug), id=str(seed)))
    return out


def named_params(table):
    """`(name, bug)` parameters of a table whose values start with the bug (or None)."""
    return [pytest.param(name, row[0], marks=marks(row[0]), id=name) for name, row in table.items()]
