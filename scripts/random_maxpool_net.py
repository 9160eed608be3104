#!/usr/bin/env python3
"""Writes a random ReLU + max-pooling network as exact JSON, and VNN-LIB properties for it: the
inputs go through a ReLU layer of WIDTH, then UNITS max units of K candidates each (affine in the
ReLU outputs), then a linear layer of two outputs that reads each unit through equal columns.
Weights are uniform in [-1, 1] with 3 decimals (the file's decimals are the network), inputs in
the box [-0.5, 0.5]^DIM. Deterministic for a given seed. The properties `Y_0 >= t` for each
threshold t given are written as OUT_t.vnnlib.

usage: random_maxpool_net.py DIM WIDTH UNITS K SEED OUT [t ...]   (writes OUT.json)
"""
import json
import random
import sys


def main():
    dim, width, units, k, seed = (int(v) for v in sys.argv[1:6])
    out, thresholds = sys.argv[6], sys.argv[7:]
    rng = random.Random(seed)
    draw = lambda scale=1.0: f"{rng.uniform(-scale, scale):.3f}"
    matrix = lambda rows, cols: [[draw() for _ in range(cols)] for _ in range(rows)]
    outputs = []
    for _ in range(2):
        row = []
        for _ in range(units):
            row += [draw()] * k
        outputs.append(row)
    net = {
        "input_dim": dim,
        "layers": [
            {"weights": matrix(width, dim), "bias": [draw(0.3) for _ in range(width)], "activation": "relu"},
            {
                "weights": matrix(units * k, width),
                "bias": [draw(0.3) for _ in range(units * k)],
                "activation": "max",
                "pieces": k,
            },
            {"weights": outputs, "activation": "linear"},
        ],
    }
    with open(f"{out}.json", "w") as f:
        json.dump(net, f)
    declare = "".join(f"(declare-const X_{i} Real)" for i in range(dim)) + "(declare-const Y_0 Real)(declare-const Y_1 Real)"
    box = "".join(f"(assert (<= X_{i} 0.5))(assert (>= X_{i} -0.5))" for i in range(dim))
    for t in thresholds:
        with open(f"{out}_{t}.vnnlib", "w") as f:
            f.write(declare + box + f"(assert (>= Y_0 {t}))\n")


if __name__ == "__main__":
    main()
