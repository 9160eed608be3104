"""Train a small 2-D classifier with torch, then count and draw its exact linear regions.

    python examples/train_and_count.py [--epochs 300] [--out regions.png]

A ReLU network is piecewise linear; training moves its hyperplanes to where the data are. This
script counts the regions of the same network before and after training on a box around the
data, checks a few regions' maps against the model, and draws the trained partition coloured by
linear piece (regions joined across facets where the map does not change).
"""

import argparse
import math

import numpy as np
import torch
from torch import nn

from relu_regions import Network


def two_spirals(n, rng):
    t = rng.uniform(0.5, 3.5, size=n)
    label = rng.integers(0, 2, size=n)
    angle = t + math.pi * label
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / 3.5
    return x + rng.normal(scale=0.03, size=x.shape), label


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--out", default="regions.png")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    x, y = two_spirals(512, rng)
    xs, ys = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    model = nn.Sequential(nn.Linear(2, args.width), nn.ReLU(), nn.Linear(args.width, args.width), nn.ReLU(),
                          nn.Linear(args.width, 1))
    box = [(-1.25, 1.25), (-1.25, 1.25)]
    before = Network.from_torch(model).count(box=box)

    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(args.epochs):
        optimiser.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(xs).squeeze(1), ys)
        loss.backward()
        optimiser.step()
    accuracy = ((model(xs).squeeze(1) > 0).float() == ys).float().mean().item()

    net = Network.from_torch(model)  # the trained float32 weights, exactly
    after = net.count(box=box)
    print(f"training: loss {loss.item():.3f}, accuracy {accuracy:.1%}")
    for name, c in (("before", before), ("after", after)):
        print(f"{name} training: {c['regions']} regions, {c['pieces']} linear pieces, {c['edges']} edges")

    # every region's exact map is the model on that region
    for region in net.regions(box=box, max_regions=5):
        with torch.no_grad():
            y_torch = model(torch.tensor(region.point, dtype=torch.float32)).numpy()
        assert np.allclose(region.map(region.point), y_torch, rtol=1e-4, atol=1e-5)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 6))
    net.plot(ax=ax, box=box, linewidth=0.3)
    ax.scatter(x[:, 0], x[:, 1], c=y, s=3, cmap="coolwarm")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
