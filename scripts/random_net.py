#!/usr/bin/env python3
"""Writes a random fully connected ReLU network as exact JSON, initialised like PyTorch's
nn.Linear default (weights and biases uniform in +-1/sqrt(fan_in)), rounded to 6 decimals so
that the file's exact decimals are the network, or with --float32 rounded to float32 and written
as the exact decimal of that float32 value (what a PyTorch model holds). Deterministic for a
given seed.

usage: random_net.py INPUT_DIM WIDTH[,WIDTH...] SEED [--box HALF] [--float32] > net.json
"""
import decimal
import json
import random
import struct
import sys

FLOAT32 = "--float32" in sys.argv


def number(x):
    if FLOAT32:
        # float32 -> float64 is exact, and Decimal(float) is the exact value
        return str(decimal.Decimal(struct.unpack("f", struct.pack("f", x))[0]))
    return f"{x:.6f}"


def layer(rng, fan_in, fan_out, activation):
    bound = 1.0 / fan_in ** 0.5
    draw = lambda: number(rng.uniform(-bound, bound))
    return {
        "weights": [[draw() for _ in range(fan_in)] for _ in range(fan_out)],
        "bias": [draw() for _ in range(fan_out)],
        "activation": activation,
    }


def main():
    d = int(sys.argv[1])
    widths = [int(w) for w in sys.argv[2].split(",")]
    rng = random.Random(int(sys.argv[3]))
    layers, fan_in = [], d
    for w in widths:
        layers.append(layer(rng, fan_in, w, "relu"))
        fan_in = w
    layers.append(layer(rng, fan_in, 1, "linear"))
    net = {"input_dim": d, "layers": layers}
    if "--box" in sys.argv:
        half = sys.argv[sys.argv.index("--box") + 1]
        net["domain"] = {"box": [[f"-{half}", half] for _ in range(d)]}
    json.dump(net, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
