"""The comparison behind test_differential.py: an ONNX model evaluated at random rational points by
the exact network the reader builds and by onnxruntime (onnx.reference where onnxruntime cannot
run the model).

The exact side: `relu-regions convert MODEL` writes the network the reader built as exact JSON
layers (docs/format.md: `relu`, `linear` and `max` layers), which `exact_output` evaluates in
rational arithmetic; at one point per model `relu-regions locate --json` gives the region's exact
affine map, whose value there must equal that evaluation exactly (so the CLI's own evaluation is
checked too). The float side runs the model at the points rounded to float32; the two must agree
to `RTOL` relative to the outputs' size.
"""

import json
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

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
