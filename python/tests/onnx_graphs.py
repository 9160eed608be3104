"""A seeded generator of small random ONNX graphs over the operators the ONNX reader supports,
for the differential tests (test_differential.py).

Every weight is a small dyadic rational (k/4, k/8), exact in float32, so that a float evaluator
of the graph is accurate to a few ulps and any real disagreement with the exact network shows.
A graph is a chain of random steps on the data tensor, whose full ONNX shape (the leading axis
included) is tracked; the steps cover the affine operators (Gemm, MatMul, Conv, ConvTranspose,
pools, reductions, BatchNormalization, Pad, Transpose, Reshape, ...), the piecewise-linear
units (Relu, LeakyRelu, PRelu, Clip, Abs, Max/Min against constants and between data tensors,
MaxPool, ReduceMax/Min), joins of two branches (residual Add/Sub, Max, Concat) and, at the end,
output selections and permutations (a MatMul or Gemm by columns of the identity). Degenerate
units are drawn on purpose: LeakyRelu/PRelu of slope 1, Clip with min = max, duplicated and
dead neurons, Max of a tensor with itself. Inputs may have a leading axis that is not a batch
of 1 (`leading > 1`).

Each graph carries `tags`: the features it used (for messages and for recognising the known
reader bugs) and `unsupported`: the documented-unsupported constructs it contains (an operator
the reader does not read on the data path), for which a refusal is the right answer.
"""

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass
class Graph:
    """A generated model with what it exercises."""

    model: onnx.ModelProto
    input_shape: list
    # the full shape of each graph output, in order
    output_shapes: list
    tags: set = field(default_factory=set)
    # documented-unsupported constructs: (node name, why)
    unsupported: list = field(default_factory=list)

    def describe(self):
        """The graph's operators and shapes, one node a line (for failure messages)."""
        g = self.model.graph
        names = [o.name for o in g.output]
        lines = [f"input {list(self.input_shape)} -> outputs {names} of shapes {self.output_shapes}, "
                 f"opset {self.model.opset_import[0].version}, tags {sorted(self.tags)}"]
        inits = {t.name: list(t.dims) for t in g.initializer}
        for n in g.node:
            ins = [f"{i}{inits[i]}" if i in inits else i for i in n.input]
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            lines.append(f"  {n.name}: {n.op_type}({', '.join(ins)}) -> {list(n.output)} {attrs or ''}")
        return "\n".join(lines)


class Builder:
    """Emits nodes on the current data tensor and tracks its full shape."""

    def __init__(self, rng, opset, input_shape, small=False):
        self.rng = rng
        # only the operators of onnx_patterns.py's exact evaluator, no refused unit
        self.small = small
        self.opset = opset
        self.nodes = []
        self.inits = []
        self.cur = "x"
        self.shape = list(input_shape)
        self.tags = set()
        self.unsupported = []
        self.count = 0
        # the data tensors computed so far (name, full shape), for extra graph outputs
        self.history = []
        self.extra_outputs = []
        # the op after which the pending map of the reader is the identity on the last ReLU
        self.last = None

    # -- numbers and constants ------------------------------------------------------------------

    def dyadic(self, shape, lo=-4, hi=4, den=4):
        """Random multiples of 1/den in [lo/den, hi/den], as float32 (exact)."""
        return (self.rng.integers(lo, hi + 1, size=shape) / den).astype(np.float32)

    def const(self, values, dtype=np.float32):
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def ints(self, values):
        return self.const(np.asarray(values, dtype=np.int64), dtype=np.int64)

    def node(self, op, inputs, shape, **attrs):
        """A node on `inputs` whose output becomes the current tensor, of full shape `shape`."""
        self.count += 1
        name = f"{op.lower()}{self.count}"
        out = f"t{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        self.history.append((out, list(shape)))
        self.cur, self.shape, self.last = out, list(shape), op
        self.tags.add(op)
        return name

    def choice(self, options):
        return options[int(self.rng.integers(len(options)))]

    def coin(self, p=0.5):
        return bool(self.rng.random() < p)

    @property
    def rank(self):
        return len(self.shape)

    def width(self):
        return int(np.prod(self.shape))

    # -- affine operators ---------------------------------------------------------------------------

    def gemm(self):
        n, m = self.shape[1], int(self.rng.integers(1, 6))
        w = self.dyadic((m, n))
        self.degenerate_rows(w)
        trans_b = self.coin()
        b = self.const(w if trans_b else w.T.copy())
        inputs = [self.cur, b]
        attrs = {"transB": int(trans_b)}
        if self.coin(0.3):
            attrs["alpha"] = float(self.choice([0.5, 2.0, -1.0]))
        if self.coin(0.8):
            c_shape = self.choice([(m,), (1, m), (1,)])
            inputs.append(self.const(self.dyadic(c_shape)))
            if self.coin(0.3):
                attrs["beta"] = float(self.choice([0.5, 2.0]))
        self.node("Gemm", inputs, [self.shape[0], m], **attrs)

    def degenerate_rows(self, w):
        """Sometimes a duplicated neuron (two equal rows) or a dead one (a zero row)."""
        if w.shape[0] >= 2 and self.coin(0.3):
            i, j = self.rng.choice(w.shape[0], size=2, replace=False)
            w[j] = w[i]
            self.tags.add("duplicated-neuron")
        if self.coin(0.1):
            w[int(self.rng.integers(w.shape[0]))] = 0
            self.tags.add("dead-neuron")

    def matmul(self):
        n, m = self.shape[-1], int(self.rng.integers(1, 6))
        w = self.dyadic((m, n))
        self.degenerate_rows(w)
        if self.rank > 2 and int(np.prod(self.shape[1:-1])) > 1:
            self.tags.add("matmul-over-last-axis")
        self.node("MatMul", [self.cur, self.const(w.T.copy())], self.shape[:-1] + [m])

    def matmul_left(self):
        """`W @ x` with the data a column [k, 1] (its leading axis is not a batch)."""
        k, m = self.shape[0], int(self.rng.integers(1, 5))
        self.node("MatMul", [self.const(self.dyadic((m, k))), self.cur], [m, self.shape[1]])
        self.tags.add("constant-first-matmul")

    def elementwise_affine(self):
        op = self.choice(["Add", "Sub", "Mul"] if self.small else ["Add", "Sub", "Mul", "Div"])
        shape = self.broadcast_shape()
        if op == "Div":
            c = self.choice([0.5, 2.0, 4.0, -0.25]) * np.ones(shape, dtype=np.float32)
        elif op == "Mul":
            c = self.dyadic(shape, -8, 8, 4)
        else:
            c = self.dyadic(shape)
        first = op in ("Sub", "Add") and self.coin(0.3)
        inputs = [self.const(c), self.cur] if first else [self.cur, self.const(c)]
        self.node(op, inputs, self.shape)

    def broadcast_shape(self):
        """A constant shape broadcasting to the data: scalar, the last axis, per channel, full."""
        options = [(), (1,), (self.shape[-1],)]
        if self.rank >= 3:
            options.append((self.shape[1],) + (1,) * (self.rank - 2))
        if self.rank >= 2:
            options.append(tuple([1] + self.shape[1:]))
        return self.choice(options)

    def conv(self):
        c, spatial = self.shape[1], self.shape[2:]
        group = self.choice([g for g in (1, 2, 3) if c % g == 0])
        cout = group * int(self.rng.integers(1, 3))
        kernel = [int(self.rng.integers(1, min(3, s) + 1)) for s in spatial]
        pads = [int(self.rng.integers(0, 2)) for _ in spatial] * 2 if self.coin(0.5) else [0] * (2 * len(spatial))
        strides = [int(self.rng.integers(1, 3)) for _ in spatial]
        out, dil = [], []
        for i, s in enumerate(spatial):
            room = s + pads[i] + pads[len(spatial) + i]
            d = 2 if kernel[i] > 1 and room >= 2 * kernel[i] - 1 and self.coin(0.3) else 1
            dil.append(d)
            out.append((room - d * (kernel[i] - 1) - 1) // strides[i] + 1)
        w = self.dyadic([cout, c // group] + kernel)
        inputs = [self.cur, self.const(w)]
        if self.coin(0.7):
            inputs.append(self.const(self.dyadic((cout,))))
        attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads, "dilations": dil}
        if group > 1:
            attrs["group"] = group
        self.node("Conv", inputs, [self.shape[0], cout] + out, **attrs)

    def conv_transpose(self):
        c, spatial = self.shape[1], self.shape[2:]
        group = self.choice([g for g in (1, 2) if c % g == 0])
        cout = group * int(self.rng.integers(1, 3))
        kernel = [int(self.rng.integers(1, 4)) for _ in spatial]
        strides = [int(self.rng.integers(1, 3)) for _ in spatial]
        pads = [int(self.rng.integers(0, k)) for k in kernel] * 2 if self.coin(0.5) else [0] * (2 * len(spatial))
        outpad = [int(self.rng.integers(0, s)) if self.coin(0.3) else 0 for s in strides]
        out = [st * (s - 1) + op + k - p0 - p1
               for s, st, op, k, p0, p1 in zip(spatial, strides, outpad, kernel, pads[:len(spatial)],
                                                pads[len(spatial):])]
        if min(out) < 1:
            return self.conv()
        w = self.dyadic([c, cout // group] + kernel)
        inputs = [self.cur, self.const(w)]
        if self.coin(0.5):
            inputs.append(self.const(self.dyadic((cout,))))
        attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads}
        if any(outpad):
            attrs["output_padding"] = outpad
        if group > 1:
            attrs["group"] = group
        self.node("ConvTranspose", inputs, [self.shape[0], cout] + out, **attrs)

    def pool(self):
        op = self.choice(["AveragePool", "MaxPool", "GlobalAveragePool", "GlobalMaxPool"])
        spatial = self.shape[2:]
        if op.startswith("Global"):
            name = self.node(op, [self.cur], self.shape[:2] + [1] * len(spatial))
            if op == "GlobalMaxPool":
                self.max_unit_size(name, int(np.prod(spatial)))
            return
        kernel = [int(self.rng.integers(1, min(3, s) + 1)) for s in spatial]
        strides = [int(self.rng.integers(1, 3)) for _ in spatial]
        pads = ([int(self.rng.integers(0, k)) for k in kernel] * 2 if self.coin(0.4)
                else [0] * (2 * len(spatial)))
        out = [(s + pads[i] + pads[len(spatial) + i] - kernel[i]) // strides[i] + 1
               for i, s in enumerate(spatial)]
        attrs = {"kernel_shape": kernel, "strides": strides, "pads": pads}
        if op == "AveragePool" and any(pads) and self.coin():
            attrs["count_include_pad"] = 1
        self.node(op, [self.cur], self.shape[:2] + out, **attrs)

    def batch_norm(self):
        c = self.shape[1]
        scale, bias, mean = self.dyadic((c,)), self.dyadic((c,)), self.dyadic((c,))
        # var + eps a square of a rational (exact) or, with the default eps, a rounded root
        var = np.array([self.choice([1.0, 4.0, 0.25, 2.25]) for _ in range(c)], dtype=np.float32)
        attrs = {"epsilon": 0.0} if self.coin(0.6) else {}
        names = [self.const(v) for v in (scale, bias, mean, var)]
        self.node("BatchNormalization", [self.cur, *names], self.shape, **attrs)

    def reduce(self):
        op = self.choice(["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"])
        lo = 0 if self.shape[0] > 1 and self.coin(0.3) else 1
        candidates = list(range(lo, self.rank))
        k = int(self.rng.integers(1, len(candidates) + 1))
        axes = sorted(int(a) for a in self.rng.choice(candidates, size=k, replace=False))
        if self.coin(0.2):
            axes = [a - self.rank for a in axes]
        keep = self.coin(0.6)
        full = [a % self.rank for a in axes]
        shape = [1 if i in full else s for i, s in enumerate(self.shape)] if keep else \
            [s for i, s in enumerate(self.shape) if i not in full]
        if not shape:
            shape = []
        as_input = self.opset >= 18 or (op == "ReduceSum" and self.opset >= 13)
        attrs = {"keepdims": int(keep)}
        group = int(np.prod([self.shape[a] for a in full]))
        if as_input:
            name = self.node(op, [self.cur, self.ints(axes)], shape, **attrs)
        else:
            name = self.node(op, [self.cur], shape, axes=axes, **attrs)
        if op in ("ReduceMax", "ReduceMin"):
            self.max_unit_size(name, group)
        if self.shape == []:
            # a scalar: back to one value with the batch axis
            self.reshape_to([1, 1])

    def max_unit_size(self, name, k):
        """A max unit over more than 36 values is documented as refused."""
        if k > 36:
            self.unsupported.append((name, "a max unit of more than 36 candidates"))

    def transpose(self):
        rest = list(range(1, self.rank))
        perm = [0] + [int(a) for a in self.rng.permutation(rest)]
        if perm == list(range(self.rank)) and self.rank > 2:
            perm[1], perm[2] = perm[2], perm[1]
        self.node("Transpose", [self.cur], [self.shape[p] for p in perm], perm=perm)
        self.tags.add("permutation")

    def reshape_to(self, target, written=None):
        self.node("Reshape", [self.cur, self.ints(written or target)], target)

    def reshape(self):
        w = int(np.prod(self.shape[1:]))
        options = [([self.shape[0], w], [0, -1])]
        divisors = [d for d in range(2, w) if w % d == 0]
        if divisors:
            d = self.choice(divisors)
            options.append(([self.shape[0], d, w // d], [self.shape[0], d, -1]))
        target, written = self.choice(options)
        self.reshape_to(target, written if self.coin() else target)

    def flatten(self):
        self.node("Flatten", [self.cur], [self.shape[0], int(np.prod(self.shape[1:]))], axis=1)

    def unsqueeze_squeeze(self):
        axis = int(self.rng.integers(1, self.rank + 1))
        shape = self.shape[:axis] + [1] + self.shape[axis:]
        if self.opset >= 13:
            self.node("Unsqueeze", [self.cur, self.ints([axis])], shape)
            self.node("Squeeze", [self.cur, self.ints([axis])], shape[:axis] + shape[axis + 1:])
        else:
            self.node("Unsqueeze", [self.cur], shape, axes=[axis])
            self.node("Squeeze", [self.cur], shape[:axis] + shape[axis + 1:], axes=[axis])

    def pad(self):
        before = [0] + [int(self.rng.integers(0, 2)) for _ in self.shape[1:]]
        after = [0] + [int(self.rng.integers(0, 2)) for _ in self.shape[1:]]
        value = float(self.choice([0.0, 0.0, 0.5, -1.0]))
        shape = [s + a + b for s, a, b in zip(self.shape, before, after)]
        if self.opset >= 11:
            inputs = [self.cur, self.ints(before + after)]
            if value != 0 or self.coin():
                inputs.append(self.const(np.array(value, dtype=np.float32)))
            self.node("Pad", inputs, shape, mode="constant")
        else:
            self.node("Pad", [self.cur], shape, pads=before + after, value=value)

    # -- piecewise-linear units -----------------------------------------------------------------

    def relu(self):
        self.node("Relu", [self.cur], self.shape)

    def leaky_relu(self):
        alpha = float(self.choice([0.5, 0.25, -0.5, 2.0, 0.0, 1.0]))
        if alpha == 1.0:
            self.tags.add("slope-1")
        self.node("LeakyRelu", [self.cur], self.shape, alpha=alpha)

    def prelu(self):
        shape = self.choice([(1,), (self.shape[1],) + (1,) * (self.rank - 2)] if self.rank >= 2 else [(1,)])
        slope = self.dyadic(shape, -2, 4, 4)
        if self.coin(0.4):
            slope[...] = 1.0
        if (slope == 1).any():
            self.tags.add("slope-1")
        self.node("PRelu", [self.cur, self.const(slope)], self.shape)

    def clip(self):
        kind = self.choice(["both", "both", "min", "max"] + ([] if self.small else ["equal"]))
        lo, hi = sorted(float(v) for v in self.dyadic((2,), -4, 4, 4))
        if kind == "equal":
            hi = lo
            self.tags.add("clip-min-eq-max")
        elif lo == hi:
            hi = lo + 0.5
        if self.opset >= 11:
            none = ""
            inputs = [self.cur,
                      self.const(np.array(lo, np.float32)) if kind in ("both", "min", "equal") else none,
                      self.const(np.array(hi, np.float32)) if kind in ("both", "max", "equal") else none]
            while inputs[-1] == "":
                inputs.pop()
            self.node("Clip", inputs, self.shape)
        else:
            attrs = {}
            if kind in ("both", "min", "equal"):
                attrs["min"] = lo
            if kind in ("both", "max", "equal"):
                attrs["max"] = hi
            self.node("Clip", [self.cur], self.shape, **attrs)

    def abs(self):
        self.node("Abs", [self.cur], self.shape)

    def max_min_constant(self):
        op = self.choice(["Max", "Min"])
        inputs = [self.cur, self.const(self.dyadic(self.broadcast_shape()))]
        if self.coin(0.3):
            inputs.append(self.const(self.dyadic(())))
        self.node(op, list(self.rng.permutation(inputs)), self.shape)

    def max_of_itself(self):
        self.node(self.choice(["Max", "Min"]), [self.cur, self.cur], self.shape)
        self.tags.add("max-of-itself")

    # -- joins of two branches ------------------------------------------------------------------

    def branch(self):
        """`join(x, f(x))` for a shape-keeping `f` of one or two steps."""
        skip, shape = self.cur, self.shape
        for _ in range(int(self.rng.integers(1, 3))):
            self.choice([self.relu, self.leaky_relu, self.abs, self.elementwise_affine, self.clip,
                         self.batch_norm if self.rank >= 2 and not self.small else self.relu])()
        join = self.choice(["Add", "Sub", "Max", "Min"] + (["Concat"] if self.rank >= 2 else []))
        if join == "Concat":
            axis = int(self.rng.integers(1, self.rank))
            out = list(shape)
            out[axis] *= 2
            inputs = [self.cur, skip] if self.coin() else [skip, self.cur]
            self.node("Concat", inputs, out, axis=axis if self.coin() else axis - self.rank)
        else:
            inputs = [self.cur, skip] if self.coin() else [skip, self.cur]
            self.node(join, inputs, shape)
        self.tags.add("branch")

    def concat_constant(self):
        axis = int(self.rng.integers(1, self.rank))
        c_shape = list(self.shape)
        c_shape[axis] = int(self.rng.integers(1, 3))
        out = list(self.shape)
        out[axis] += c_shape[axis]
        inputs = [self.cur, self.const(self.dyadic(c_shape))]
        if self.coin():
            inputs.reverse()
        self.node("Concat", inputs, out, axis=axis)

    # -- outputs --------------------------------------------------------------------------------

    def select(self):
        """A final MatMul or Gemm by columns of the identity: a subset of the outputs (the first
        ones or any), a permutation, or a repetition."""
        n = self.shape[-1]
        kind = self.choice(["prefix", "subset", "permutation", "repeat"])
        if kind == "prefix":
            cols = list(range(int(self.rng.integers(1, n + 1))))
        elif kind == "subset":
            cols = sorted(int(c) for c in self.rng.choice(n, size=int(self.rng.integers(1, n + 1)),
                                                          replace=False))
        elif kind == "permutation":
            cols = [int(c) for c in self.rng.permutation(n)]
        else:
            cols = [int(c) for c in self.rng.integers(0, n, size=int(self.rng.integers(1, n + 2)))]
        eye = np.eye(n, dtype=np.float32)[:, cols]
        identity_prefix = cols == list(range(len(cols)))
        if identity_prefix and len(cols) < n:
            self.tags.add("select-prefix")
            if self.last == "Relu":
                self.tags.add("select-prefix-after-relu")
        self.tags.add(f"select-{kind}")
        if self.rank == 2 and self.coin(0.3):
            self.node("Gemm", [self.cur, self.const(eye.T.copy())], [self.shape[0], len(cols)], transB=1)
        else:
            self.node("MatMul", [self.cur, self.const(eye)], self.shape[:-1] + [len(cols)])

    def gather_or_slice(self):
        """`Gather` or `Slice` of the data: documented as unsupported on the data path."""
        n = self.shape[-1]
        axis = self.rank - 1
        if self.coin():
            idx = [int(i) for i in self.rng.integers(0, n, size=int(self.rng.integers(1, n + 1)))]
            name = self.node("Gather", [self.cur, self.ints(idx)], self.shape[:-1] + [len(idx)], axis=axis)
        else:
            start = int(self.rng.integers(0, n))
            end = int(self.rng.integers(start + 1, n + 1))
            name = self.node("Slice", [self.cur, self.ints([start]), self.ints([end]), self.ints([axis])],
                             self.shape[:-1] + [end - start])
        self.unsupported.append((name, "Gather and Slice are read only in shape arithmetic"))

    def partial_outputs(self, kind):
        """Graph outputs that are not the last node's tensor: `several` declares an earlier data
        tensor as an output too (the model's value is both, in their order); `dead` adds a node
        after the output that no output reads (the model's value does not depend on it)."""
        if kind == "several":
            earlier = self.history[:-1]
            if not earlier:
                return
            name, shape = earlier[int(self.rng.integers(len(earlier)))]
            first = self.coin()
            self.extra_outputs.append((name, shape, first))
            self.tags.add("several-outputs")
        else:
            out, shape, last = self.cur, self.shape, self.last
            n = self.shape[-1]
            w = self.dyadic((n, n + 1))
            self.node("MatMul", [self.cur, self.const(w)], self.shape[:-1] + [n + 1])
            self.cur, self.shape, self.last = out, shape, last
            self.tags.add("dead-node-after-output")

    def finish(self, input_shape):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)
        outputs = [helper.make_tensor_value_info(self.cur, TensorProto.FLOAT, self.shape)]
        for name, shape, first in self.extra_outputs:
            info = helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
            outputs.insert(0 if first else len(outputs), info)
        graph = helper.make_graph(self.nodes, "random", [x], outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="relu-regions differential tests")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        shapes = [[d.dim_value for d in o.type.tensor_type.shape.dim] for o in outputs]
        return Graph(model, list(input_shape), shapes, self.tags, self.unsupported)


def steps_for(b):
    """The steps applicable to the current shape, with their weights."""
    r = b.rank
    steps = [(b.relu, 4), (b.leaky_relu, 1), (b.prelu, 1), (b.clip, 1), (b.abs, 1),
             (b.max_min_constant, 1), (b.elementwise_affine, 2), (b.branch, 1.5), (b.max_of_itself, 0.3)]
    if r == 2:
        steps += [(b.gemm, 4), (b.matmul, 3), (b.batch_norm, 0.5), (b.concat_constant, 0.5)]
    if r >= 2:
        steps += [(b.reduce, 0.7), (b.pad, 0.5), (b.unsqueeze_squeeze, 0.3)]
    if r >= 3:
        steps += [(b.conv, 3), (b.conv_transpose, 1), (b.pool, 2), (b.batch_norm, 1), (b.transpose, 1),
                  (b.reshape, 0.5), (b.concat_constant, 0.5), (b.flatten, 0.5)]
    if b.width() > 40:
        # keep the graphs small: shrink first
        steps = [(s, w) for s, w in steps if s in (b.conv, b.pool, b.reduce, b.relu, b.gemm, b.matmul)]
    return steps


def random_graph(seed, leading=None, unsupported=0.05, partial=0.05):
    """The graph of `seed`: a random input (a vector, a 1-D or 2-D image; a leading axis of
    `leading`, by default a batch of 1), 2 to 6 random steps, then an output selection or
    flattening, sometimes a documented-unsupported operator (with probability `unsupported`)
    and partial outputs (`partial`)."""
    rng = np.random.default_rng(seed)
    opset = int(rng.choice([11, 13, 17, 18]))
    kind = ["vector", "vector", "image1d", "image2d"][int(rng.integers(4))]
    n0 = leading or 1
    if kind == "vector":
        input_shape = [n0, int(rng.integers(1, 5))]
    elif kind == "image1d":
        input_shape = [n0, int(rng.integers(1, 3)), int(rng.integers(2, 6))]
    else:
        input_shape = [n0, int(rng.integers(1, 3)), int(rng.integers(2, 4)), int(rng.integers(2, 4))]
    b = Builder(rng, opset, input_shape)
    if leading and leading > 1:
        b.tags.add("leading-axis")
    for _ in range(int(rng.integers(2, 7))):
        steps = steps_for(b)
        weights = np.array([w for _, w in steps], dtype=float)
        step = steps[int(rng.choice(len(steps), p=weights / weights.sum()))][0]
        step()
    if b.rank > 2 and b.coin(0.7):
        b.flatten()
    if b.rank >= 2 and b.shape[-1] > 1 and b.coin(0.5):
        if b.coin(0.5):
            b.relu()
        b.select()
    if b.rank >= 2 and b.coin(unsupported):
        b.gather_or_slice()
    if b.coin(partial):
        b.partial_outputs(b.choice(["several", "dead"]))
    return b.finish(input_shape)


def tiny(nodes, initializers, input_shape, outputs, opset=13):
    """A hand-written model: `nodes` as (op, inputs, output, attributes), `initializers` by
    name, the input `x` of `input_shape`, the graph outputs by name (shapes left to inference)."""
    inits = [numpy_helper.from_array(np.asarray(v, dtype=np.int64 if k.startswith("i") else np.float32), k)
             for k, v in initializers.items()]
    made = [helper.make_node(op, list(ins), [out], name=f"{op.lower()}{k}", **attrs)
            for k, (op, ins, out, attrs) in enumerate(nodes)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    model = helper.make_model(helper.make_graph(made, "tiny", [x], outs, inits),
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    shapes = [[d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output]
    tags = {op for op, *_ in nodes}
    if len(outputs) > 1:
        tags.add("several-outputs")
    elif outputs[0] != nodes[-1][2]:
        tags.add("dead-node-after-output")
    return Graph(model, list(input_shape), shapes, tags)


def small_graph(seed, d):
    """A graph on `d` inputs (shape [1, d]) for the brute-force region counts: 1 to 3 affine maps
    (Gemm, MatMul) of width up to 4 with units between them (Relu, LeakyRelu and PRelu, slope 1
    among them, Clip, Abs, Max/Min with constants, joins of two branches), then 1 or 2 outputs."""
    rng = np.random.default_rng(seed)
    b = Builder(rng, 13, [1, d], small=True)
    for _ in range(int(rng.integers(1, 4))):
        b.choice([b.gemm, b.matmul])()
        for _ in range(int(rng.integers(1, 3))):
            b.choice([b.relu, b.relu, b.leaky_relu, b.prelu, b.clip, b.abs, b.max_min_constant, b.branch,
                      b.elementwise_affine, b.max_of_itself])()
        if b.shape[-1] > 4:
            b.gemm()
    w = b.dyadic((int(rng.integers(1, 3)), b.shape[-1]))
    b.node("Gemm", [b.cur, b.const(w)], [1, w.shape[0]], transB=1)
    return b.finish([1, d])
