"""The steps of onnx_graphs.py's random graphs, as mixins of its Builder: the affine operators
(`AffineSteps`) and the piecewise-linear units and joins of two branches (`UnitSteps`). Each step
reads the current tensor's full shape (`self.shape`, the leading axis included) and emits its
nodes with `self.node`, which makes the output current."""

import numpy as np


class AffineSteps:
    """Gemm, MatMul, elementwise arithmetic with constants, Conv, ConvTranspose, pools,
    BatchNormalization, reductions, Transpose, Reshape, Flatten, Squeeze/Unsqueeze, Pad."""

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


class UnitSteps:
    """Relu, Identity/Dropout, LeakyRelu, PRelu, Clip, Abs, Max/Min with constants and of a tensor
    with itself; joins of two branches (residual Add/Sub, Max/Min, Concat) and Concat with a
    constant."""

    def relu(self):
        self.node("Relu", [self.cur], self.shape)

    def no_op(self):
        op = self.choice(["Identity", "Dropout"])
        self.node(op, [self.cur], self.shape)

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
