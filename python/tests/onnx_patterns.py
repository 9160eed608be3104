"""An exact evaluator of small ONNX graphs on vectors (shape [1, n]) and the activation pattern of
their piecewise-linear units at a rational point, for the brute-force region counts of
test_differential.py. It reads the model itself (not the CLI's network), in Fractions.

The units and their states: Relu, Abs, LeakyRelu, PRelu: the input's sign (none for a slope
of 1, which is linear); Clip: whether the input exceeds each bound (none when min = max, a
constant); Max/Min of the data and constants: which operand wins. Points sharing a pattern form
one convex set (every unit's input is affine there), so the activation regions of the graph
are the full-dimensional sets of one pattern.
"""

from fractions import Fraction

import numpy as np
from onnx import helper, numpy_helper

SUPPORTED = {"Gemm", "MatMul", "Add", "Sub", "Mul", "Relu", "Abs", "LeakyRelu", "PRelu", "Clip", "Max",
             "Min", "Concat", "Identity"}


def exact(a):
    """An array of floats as Fractions (each float exactly)."""
    return np.vectorize(lambda v: Fraction(float(v)), otypes=[object])(np.asarray(a))


def attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Evaluator:
    """The exact evaluator of one model (its constants converted once) on a batch of points: the
    data input's leading axis of 1 becomes the batch."""

    def __init__(self, model):
        g = model.graph
        self.model = model
        self.constants = {t.name: exact(numpy_helper.to_array(t)) for t in g.initializer}
        data = next(i for i in g.input if i.name not in self.constants)
        self.input = data.name
        self.shape = [d.dim_value for d in data.type.tensor_type.shape.dim]
        assert self.shape[0] == 1, "a batch of 1"
        self.nodes = [(node, attributes(node)) for node in g.node]
        for node, _ in self.nodes:
            assert node.op_type in SUPPORTED, node.op_type

    def __call__(self, points):
        """The graph's outputs at the rational points (each the flat input), exactly, and their
        patterns: per point, one tuple per unit-bearing node, in node order."""
        values = dict(self.constants)
        values[self.input] = np.array([list(x) for x in points], dtype=object).reshape([-1] + self.shape[1:])
        n = len(points)
        units = []  # per unit-bearing node: an array [points, states]
        for node, att in self.nodes:
            ins = [values[i] if i else None for i in node.input]
            values[node.output[0]] = apply(node.op_type, att, ins, units, list(node.input), n)
        outputs = np.concatenate([values[o.name].reshape(n, -1) for o in self.model.graph.output], axis=1)
        patterns = [tuple(tuple(u[k].tolist()) for u in units) for k in range(n)]
        return [list(row) for row in outputs], patterns

    def one(self, x):
        """The outputs and pattern at one point."""
        outputs, patterns = self([x])
        return outputs[0], patterns[0]


def apply(op, att, ins, units, names, n):
    """One node on the batch of `n` points (inputs `ins` named `names`); a unit-bearing node
    appends its states to `units`."""
    z = ins[0]
    if op == "Gemm":
        b = ins[1].T if att.get("transB") else ins[1]
        y = Fraction(att.get("alpha", 1.0)) * (z @ b)
        if len(ins) > 2 and ins[2] is not None:
            y = y + Fraction(att.get("beta", 1.0)) * ins[2]
        return y
    if op == "MatMul":
        return z @ ins[1]
    if op in ("Add", "Sub", "Mul"):
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](ins[0], ins[1])
    if op in ("Relu", "Abs"):
        units.append((z > 0).reshape(n, -1))
        return np.where(z > 0, z, 0 if op == "Relu" else -z)
    if op in ("LeakyRelu", "PRelu"):
        slope = (np.full(z.shape[1:], Fraction(att.get("alpha", 0.01)), dtype=object) if op == "LeakyRelu"
                 else np.broadcast_to(ins[1], z.shape[1:]))
        bends = (slope != 1).reshape(-1)
        units.append((z > 0).reshape(n, -1)[:, bends])
        return np.where(z > 0, z, slope * z)
    if op == "Clip":
        lo = ins[1].flat[0] if len(ins) > 1 and ins[1] is not None else None
        hi = ins[2].flat[0] if len(ins) > 2 and ins[2] is not None else None
        if lo is not None and lo == hi:
            units.append(np.zeros((n, 0), dtype=bool))
        else:
            bounds = [b for b in (lo, hi) if b is not None]
            units.append(np.concatenate([(z > b).reshape(n, -1) for b in bounds], axis=1))
        y = z
        if lo is not None:
            y = np.where(y > lo, y, lo)
        if hi is not None:
            y = np.where(y < hi, y, hi)
        return y
    if op in ("Max", "Min"):
        parts = np.broadcast_arrays(*ins)
        signed = np.stack(parts) if op == "Max" else -np.stack(parts)
        # the winner: the largest, the lowest index among equal ones (one input given twice is
        # one operand: it never splits)
        first = [names.index(name) for name in names]
        winners = np.zeros(parts[0].shape, dtype=np.int64)
        for k in range(1, len(parts)):
            better = signed[k] > np.choose(winners, signed)
            winners = np.where(better, k, winners)
        units.append(np.vectorize(lambda w: first[w])(winners).reshape(n, -1))
        return np.choose(winners, parts)
    if op == "Concat":
        return np.concatenate(ins, axis=att["axis"])
    return z
