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
from onnx_steps import AffineSteps, UnitSteps


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
    # the model a float evaluator runs, when not `model` (a trailing smooth operator, which the
    # reader leaves out with a note, left out here too)
    reference: onnx.ModelProto = None

    @property
    def oracle_model(self):
        return self.reference if self.reference is not None else self.model

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


class Builder(AffineSteps, UnitSteps):
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
        # the last node's operator
        self.last = None
        # how float constants are stored: initializers, Constant nodes, or float16 initializers
        # cast to float (the reader folds the Cast)
        self.storage = "initializer"

    # -- numbers and constants ------------------------------------------------------------------

    def dyadic(self, shape, lo=-4, hi=4, den=4):
        """Random multiples of 1/den in [lo/den, hi/den], as float32 (exact)."""
        return (self.rng.integers(lo, hi + 1, size=shape) / den).astype(np.float32)

    def const(self, values, dtype=np.float32):
        self.count += 1
        name = f"c{self.count}"
        storage = self.storage if dtype == np.float32 else "initializer"
        if storage == "constant-node":
            tensor = numpy_helper.from_array(np.asarray(values, dtype=dtype), name + "v")
            self.nodes.append(helper.make_node("Constant", [], [name], name=f"constant{self.count}", value=tensor))
        elif storage == "float16":
            self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.float16), name + "h"))
            self.nodes.append(helper.make_node("Cast", [name + "h"], [name], name=f"cast{self.count}",
                                               to=TensorProto.FLOAT))
        else:
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

    def unsupported_step(self):
        """A construct docs/format.md documents as unsupported: Gather or Slice of the data (read
        only in shape arithmetic), Gemm with transA, AveragePool with ceil_mode, Conv with
        auto_pad SAME_UPPER."""
        kinds = ["gather", "slice"] + (["gemm-trans-a"] if self.rank == 2 else [])
        if self.rank >= 3:
            kinds += ["ceil-mode", "same-upper"]
        kind = self.choice(kinds)
        n, axis = self.shape[-1], self.rank - 1
        if kind == "gather":
            idx = [int(i) for i in self.rng.integers(0, n, size=int(self.rng.integers(1, n + 1)))]
            name = self.node("Gather", [self.cur, self.ints(idx)], self.shape[:-1] + [len(idx)], axis=axis)
            why = "Gather is read only in shape arithmetic"
        elif kind == "slice":
            start = int(self.rng.integers(0, n))
            end = int(self.rng.integers(start + 1, n + 1))
            name = self.node("Slice", [self.cur, self.ints([start]), self.ints([end]), self.ints([axis])],
                             self.shape[:-1] + [end - start])
            why = "Slice is read only in shape arithmetic"
        elif kind == "gemm-trans-a":
            m = int(self.rng.integers(1, 4))
            b = self.const(self.dyadic((self.shape[0], m)))
            name = self.node("Gemm", [self.cur, b], [self.shape[1], m], transA=1)
            why = "Gemm with transA = 1"
        elif kind == "ceil-mode":
            spatial = self.shape[2:]
            kernel = [min(2, s) for s in spatial]
            out = [-(-(s - k) // 2) + 1 for s, k in zip(spatial, kernel)]
            name = self.node("AveragePool", [self.cur], self.shape[:2] + out, kernel_shape=kernel,
                             strides=[2] * len(spatial), ceil_mode=1)
            why = "AveragePool with ceil_mode = 1"
        else:
            spatial = self.shape[2:]
            c = self.shape[1]
            w = self.dyadic([1, c] + [3] * len(spatial))
            name = self.node("Conv", [self.cur, self.const(w)], self.shape[:1] + [1] + spatial,
                             kernel_shape=[3] * len(spatial), auto_pad="SAME_UPPER")
            why = "Conv with auto_pad SAME_UPPER"
        self.unsupported.append((name, why))

    def smooth_tail(self):
        """A trailing smooth operator, which the reader leaves out with a note: the float
        evaluator runs the graph without it."""
        self.tail = (self.cur, self.shape, len(self.nodes))
        op = self.choice(["Softmax", "Sigmoid", "Tanh", "LogSoftmax"])
        self.node(op, [self.cur], self.shape, **({"axis": -1} if "Softmax" in op else {}))
        self.tags.add("smooth-tail")

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
        reference = None
        if getattr(self, "tail", None):
            cur, shape, k = self.tail
            tailless = Builder(self.rng, self.opset, input_shape)
            tailless.nodes, tailless.inits, tailless.cur, tailless.shape = self.nodes[:k], self.inits, cur, shape
            reference = tailless.finish(input_shape).model
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
        return Graph(model, list(input_shape), shapes, self.tags, self.unsupported, reference)


def steps_for(b):
    """The steps applicable to the current shape, with their weights."""
    r = b.rank
    steps = [(b.relu, 4), (b.leaky_relu, 1), (b.prelu, 1), (b.clip, 1), (b.abs, 1),
             (b.max_min_constant, 1), (b.elementwise_affine, 2), (b.branch, 1.5), (b.max_of_itself, 0.3),
             (b.no_op, 0.3)]
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
    b.storage = b.choice(["initializer"] * 6 + ["constant-node", "float16"])
    if b.storage != "initializer":
        b.tags.add(b.storage)
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
        b.unsupported_step()
    if b.coin(partial):
        b.partial_outputs(b.choice(["several", "dead"]))
    elif b.coin(0.05):
        b.smooth_tail()
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
