"""torch modules shared by the tests that export them to ONNX (test_torch.py reads them with the
Python package, test_differential.py compares their exports with the exact network): a branch
concatenated (torch.cat), nn.Unflatten and view, a residual block on the raw input, Max/Min with
constants, max pooling and the max of two branches, a transposed convolution, and the operators
whose ONNX form changed between opsets."""

import torch

nn = torch.nn


class Cat(nn.Module):
    """A ReLU output concatenated with a linear branch of it (torch.cat), then a read-out."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(2, 5), nn.Linear(5, 3), nn.Linear(8, 1)

    def forward(self, x):
        y = torch.relu(self.a(x))
        return self.out(torch.relu(torch.cat([y, self.b(y)], dim=1)))


class Unflat(nn.Module):
    """nn.Unflatten and x.view(x.size(0), -1): the legacy exporter computes both reshape targets
    with Shape/Slice/Concat/Gather arithmetic."""

    def __init__(self):
        super().__init__()
        self.a, self.u, self.c = nn.Linear(2, 8), nn.Unflatten(1, (2, 2, 2)), nn.Conv2d(2, 2, 2)
        self.out = nn.Linear(2, 1)

    def forward(self, x):
        h = self.c(torch.relu(self.u(self.a(x))))
        return self.out(torch.relu(h.view(x.size(0), -1)))


class SignedSkip(nn.Module):
    """A residual block whose skip is the raw input (it may be negative)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1), nn.Linear(16, 1)

    def forward(self, x):
        return self.out(torch.relu(x + self.b(torch.relu(self.a(x)))).flatten(1))


class Bounded(nn.Module):
    """torch.maximum with a constant tensor and torch.clamp with tensor bounds (Max/Min)."""

    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(2, 4), nn.Linear(4, 1)
        self.register_buffer("lo", torch.tensor([0.25, -0.5, 0.0, -1.0]))
        self.register_buffer("hi", torch.tensor([1.0, 2.0, 0.5, 0.75]))

    def forward(self, x):
        h = torch.maximum(self.a(x), self.lo)
        return self.out(torch.clamp(h, max=self.hi))


class Pooled(nn.Module):
    """A max pool after a ReLU layer, and the max of two branches (MaxPool, Max of tensors)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(2, 8), nn.Linear(8, 2), nn.Linear(2, 1)

    def forward(self, x):
        h = torch.relu(self.a(x))
        p = nn.functional.max_pool2d(h.view(-1, 2, 2, 2), 2).flatten(1)
        return self.out(torch.maximum(p, self.b(h)))


class Upsampled(nn.Module):
    """A transposed 1-D convolution (stride 2) on a 2-value input, then ReLU and a readout."""

    def __init__(self):
        super().__init__()
        self.up, self.out = nn.ConvTranspose1d(1, 2, 3, stride=2), nn.Linear(10, 1)

    def forward(self, x):
        return self.out(torch.relu(self.up(x.view(-1, 1, 2))).flatten(1))


class OpsetZoo(nn.Module):
    """Operators whose ONNX form changed between opsets 9 and 21: Pad (pads an attribute, an
    input from 11), Clip (min/max attributes, inputs from 11), Squeeze/Unsqueeze (axes an
    attribute, an input from 13), ReduceMax (axes an attribute, an input from 18), Dropout."""

    def __init__(self):
        super().__init__()
        self.conv, self.drop, self.out = nn.Conv2d(1, 2, 2), nn.Dropout(0.3), nn.Linear(6, 1)

    def forward(self, x):
        h = self.conv(torch.nn.functional.pad(x, (1, 0, 0, 1)))  # 1x1x3x3 -> 4x4 -> 2x3x3
        h = torch.clamp(h, -0.5, 0.75).amax(dim=3)  # 1x2x3
        h = h.unsqueeze(1).squeeze(1)
        return self.out(self.drop(h.flatten(1)))
