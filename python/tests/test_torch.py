"""Network.from_torch: exact weights, the torch model's own activation patterns and outputs, and
the same network as through ONNX."""

import warnings
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from relu_regions import Network  # noqa: E402
from torch_modules import Bounded, Cat, OpsetZoo, Pooled, SignedSkip, Unflat, Upsampled  # noqa: E402


def model(widths, seed=0):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).eval()


def assert_maps_reproduce(module, regions, shape=None):
    """Each region's map at its point equals the module's output there (torch in float64); the
    points reshaped to ``(-1, *shape)`` when the module takes a tensor of that shape."""
    points = torch.tensor(np.array([r.point for r in regions]))
    if shape is not None:
        points = points.reshape(-1, *shape)
    with torch.no_grad():
        ys = module.double()(points).numpy()
    module.float()
    for r, y in zip(regions, ys):
        np.testing.assert_allclose(r.map(r.point), y, rtol=1e-9, atol=1e-9)


def hidden_patterns(module, x):
    """The on/off pattern of every ReLU input at the rows of x, from torch in float64, with the
    rows some preactivation is too near 0 for float64 to be sure of dropped."""
    pre = []
    hooks = [m.register_forward_hook(lambda m, inp, out: pre.append(inp[0])) for m in module if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        module.double()(x.double())
    for h in hooks:
        h.remove()
    module.float()
    h = torch.cat(pre, dim=1)
    clear = (h.abs() > 1e-9).all(dim=1)
    return (h > 0)[clear].numpy(), int((~clear).sum())


def test_weights_are_taken_exactly():
    m = model([2, 3, 1])
    net = Network.from_torch(m)
    x = [Fraction(1, 3), Fraction(-2, 7)]
    w1, b1 = m[0].weight.detach().double().numpy(), m[0].bias.detach().double().numpy()
    w2, b2 = m[2].weight.detach().double().numpy(), m[2].bias.detach().double().numpy()
    # the exact output, from the exact float32 values as Fractions
    h = [max(Fraction(0), sum(Fraction(float(w1[i, j])) * x[j] for j in range(2)) + Fraction(float(b1[i])))
         for i in range(3)]
    y = sum(Fraction(float(w2[0, i])) * h[i] for i in range(3)) + Fraction(float(b2[0]))
    assert net.output(x) == [y]


def test_sampled_patterns_all_appear_among_the_regions():
    m = model([2, 12, 12, 1], seed=1)
    net = Network.from_torch(m)
    patterns = {tuple(r.pattern) for r in net.regions(box=[(-2, 2), (-2, 2)])}
    x = torch.rand(4000, 2, dtype=torch.float64) * 4 - 2
    sampled, _ = hidden_patterns(m, x)
    missing = {tuple(p) for p in sampled} - patterns
    assert not missing
    assert len(patterns) > 10


def test_each_region_map_reproduces_the_module_at_its_point():
    m = model([3, 10, 10, 2], seed=2)
    net = Network.from_torch(m)
    regions = list(net.regions(box="-1:1,-1:1,-1:1"))
    assert_maps_reproduce(m, regions)
    for r in regions:
        # and the exact map gives the network's exact output
        assert [sum(a * b for a, b in zip(row, r.point_exact)) + c
                for row, c in zip(r.jacobian_exact, r.offset_exact)] == net.output(r.point_exact)


def test_from_torch_equals_from_onnx_of_its_export(tmp_path):
    m = model([2, 8, 8, 2], seed=3)
    path = tmp_path / "m.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(m, (torch.zeros(1, 2),), str(path), dynamo=False)
        except Exception as e:  # an exporter that needs what is not installed
            pytest.skip(f"torch.onnx.export failed here: {e}")
    a, b = Network.from_torch(m), Network.from_onnx(path)
    assert a.to_json() == b.to_json()
    ca, cb = a.count(box="-1:1,-1:1"), b.count(box="-1:1,-1:1")
    for key in ("regions", "pieces", "edges", "bounded"):
        assert ca[key] == cb[key]


def test_fx_traced_modules_and_functional_relu():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(2, 6), nn.Linear(6, 1)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    torch.manual_seed(4)
    custom = Net()
    seq = nn.Sequential(custom.fc1, nn.ReLU(), custom.fc2)
    assert Network.from_torch(custom).to_json() == Network.from_torch(seq).to_json()


def test_half_precision_weights_are_exact():
    m = model([2, 4, 1], seed=5).half()
    net = Network.from_torch(m)
    w = m[0].weight.detach().float().numpy()
    text = net.to_json()
    # every float16 weight, as its exact rational, appears in the JSON
    for v in w.flatten():
        p, q = float(v).as_integer_ratio()
        assert (f'"{p}/{q}"' if q != 1 else f'"{p}"') in text


def test_unsupported_modules_are_refused_by_name():
    with pytest.raises(ValueError, match="Conv2d"):
        Network.from_torch(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU()))
    # a Sigmoid before other layers is refused by name (a trailing one is left out with a note,
    # as the ONNX path does: tests/test_conversion.py)
    with pytest.raises(ValueError, match="Sigmoid"):
        Network.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1)))

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return x + torch.relu(self.fc(x))

    with pytest.raises(ValueError, match="chain"):
        Network.from_torch(Residual())
    bad = model([2, 2, 1])
    with torch.no_grad():
        bad[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="finite"):
        Network.from_torch(bad)


def test_the_example_trains_counts_and_draws(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "train_and_count.py"
    out = tmp_path / "regions.png"
    run = subprocess.run([sys.executable, str(example), "--epochs", "20", "--width", "8", "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "after training:" in run.stdout and out.stat().st_size > 1000


def test_conv_batchnorm_pooling_and_leaky_relu_through_onnx():
    """Modules beyond Linear/ReLU go through torch's ONNX exporter and the exact ONNX reader:
    every region's exact map reproduces the module at its point, and the regions tile the box
    (the CLI-equivalent count is complete)."""
    torch.manual_seed(7)
    m = nn.Sequential(
        nn.Conv2d(1, 2, 2, padding=1), nn.BatchNorm2d(2), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(8, 3), nn.ReLU6(), nn.Linear(3, 2), nn.Softmax(dim=1),
    )
    with torch.no_grad():  # a trained-looking normalisation: running statistics not 0/1
        m[1].running_mean.copy_(torch.tensor([0.1, -0.2]))
        m[1].running_var.copy_(torch.tensor([0.5, 2.0]))
    m.eval()
    try:
        net = Network.from_torch(m, input_shape=(1, 3, 3))
    except ValueError as e:
        if "torch.onnx.export failed" in str(e):
            pytest.skip(str(e))
        raise
    assert net.input_dim == 9 and net.output_dim == 2
    # torch's exporter folds the batch normalisation into the convolution (in float32);
    # the trailing softmax is left out, with a note
    assert any("Softmax" in n for n in net.notes)
    box = ",".join(["-1/2:1/2"] * 9)
    regions = list(net.regions(box=box))
    assert len(regions) > 1
    logits = nn.Sequential(*list(m.children())[:-1]).double()  # the softmax is left out
    points = torch.tensor(np.array([r.point for r in regions]))
    with torch.no_grad():
        ys = logits(points.reshape(-1, 1, 3, 3)).numpy()
    for r, y in zip(regions, ys):
        np.testing.assert_allclose(r.map(r.point), y, rtol=1e-6, atol=1e-6)
    counted = net.count(box=box)
    assert counted["regions"] == len(regions) and counted["complete"]
    # without a shape, the refusal says how to get through
    with pytest.raises(ValueError, match="input_shape"):
        Network.from_torch(m)


def test_concatenated_branches():
    """torch.cat of a ReLU output and a linear branch: every region's exact map gives the
    module's output at its point."""
    torch.manual_seed(6)
    m = Cat().eval()
    net = Network.from_torch(m, input_dim=2)
    regions = list(net.regions(box="-2:2,-2:2"))
    assert len(regions) > 1
    assert_maps_reproduce(m, regions)


def test_unflatten_and_view_read_from_the_legacy_export():
    """The legacy export's shape arithmetic is folded: every region's exact map gives the
    module's output at its point."""
    torch.manual_seed(9)
    m = Unflat().eval()
    net = Network.from_torch(m, input_dim=2)
    regions = list(net.regions(box="-2:2,-2:2"))
    assert len(regions) > 1
    assert_maps_reproduce(m, regions)


def test_max_and_min_with_constants():
    """Max/Min of the data and constants: exact two-piece units; every region's map gives the
    module's output at its point."""
    torch.manual_seed(10)
    m = Bounded().eval()
    net = Network.from_torch(m, input_dim=2)
    regions = list(net.regions(box="-3:3,-3:3"))
    assert len(regions) > 2
    assert_maps_reproduce(m, regions)


def test_max_pooling_and_max_of_branches():
    """Max units over data values: one piece per argmax; every region's map gives the module's
    output at its point, and the pattern names each max unit's piece by a digit."""
    torch.manual_seed(11)
    m = Pooled().eval()
    net = Network.from_torch(m, input_dim=2)
    regions = list(net.regions(box="-3:3,-3:3"))
    assert len(regions) > 2
    assert_maps_reproduce(m, regions)
    # relu bits (8); the pool's 2 units (pieces 0-3) with the 8 relu outputs riding along (read
    # again by self.b, each a unit of equal candidates: piece 0); the max of branches' 2 units
    strings = [r.pattern_strings for r in regions]
    assert all([len(s) for s in p] == [8, 10, 2] for p in strings)
    assert {c for p in strings for c in p[1][:2]} <= set("0123") and all(p[1][2:] == "0" * 8 for p in strings)
    assert {c for p in strings for c in p[2]} <= set("01")


def test_transposed_convolution():
    """ConvTranspose: every region's exact map gives the module's output at its point."""
    torch.manual_seed(12)
    m = Upsampled().eval()
    net = Network.from_torch(m, input_dim=2)
    regions = list(net.regions(box="-3:3,-3:3"))
    assert len(regions) > 2
    assert_maps_reproduce(m, regions)


def test_the_dynamo_exporter_gives_the_same_network(tmp_path):
    """torch.onnx.export(dynamo=True) (torch.export based; needs onnxscript) and the legacy
    exporter give the same exact network: dense chains, LeakyReLU, concatenated branches,
    convolution with average and max pooling, transposed convolution, a residual block on the
    raw input, and global average pooling."""
    pytest.importorskip("onnxscript")

    torch.manual_seed(8)
    cases = [
        (nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1), nn.Linear(8, 1)), (1, 2)),
        (Cat(), (1, 2)),
        (Unflat(), (1, 2)),
        (nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                       nn.Linear(8, 3), nn.Hardtanh(), nn.Linear(3, 1)), (1, 1, 4, 4)),
        (nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                       nn.Linear(8, 1)), (1, 1, 4, 4)),
        (nn.Sequential(nn.ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                       nn.Flatten(), nn.Linear(32, 1)), (1, 1, 2, 2)),
        # a skip from the raw input; global average pooling (ReduceMean from the dynamo exporter)
        (SignedSkip(), (1, 1, 4, 4)),
        (nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                       nn.Linear(3, 1)), (1, 1, 5, 5)),
    ]
    for k, (m, shape) in enumerate(cases):
        m.eval()
        paths = []
        for dynamo in (False, True):
            path = tmp_path / f"m{k}-{dynamo}.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(m, (torch.zeros(*shape),), str(path), dynamo=dynamo)
            paths.append(path)
        legacy, dynamo = (Network.from_onnx(p) for p in paths)
        assert legacy.to_json() == dynamo.to_json(), f"case {k}"
        if isinstance(m, SignedSkip):
            regions = list(legacy.regions(box=",".join(["-1/8:1/8"] * 16)))
            assert len(regions) > 1
            assert_maps_reproduce(m, regions, shape=(1, 4, 4))


def test_every_opset_from_9_to_21_gives_the_same_network(tmp_path):
    """The legacy exporter at opsets 9 to 20 and the dynamo exporter at 18 and 21 (where torch
    can write them) give the same exact network, whose regions' maps reproduce the module."""
    torch.manual_seed(9)
    m = OpsetZoo().eval()
    x = torch.zeros(1, 1, 3, 3)
    nets, failed = {}, {}
    attempts = [(v, False) for v in (9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)]
    if __import__("importlib").util.find_spec("onnxscript"):
        attempts += [(18, True), (21, True)]
    for opset, dynamo in attempts:
        path = tmp_path / f"zoo-{opset}-{dynamo}.onnx"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(m, (x,), str(path), opset_version=opset, dynamo=dynamo)
        except Exception as e:  # an opset this torch cannot write
            failed[(opset, dynamo)] = repr(e)[:200]
            continue
        nets[(opset, dynamo)] = Network.from_onnx(path)
    # the forms that changed must all have been read: opsets 9 (attributes), 13 and 18 (inputs)
    assert {(9, False), (13, False), (18, False)} <= nets.keys(), failed
    first = nets[(9, False)]
    for key, net in nets.items():
        assert net.to_json() == first.to_json(), f"opset {key}"
    regions = list(first.regions(box=",".join(["-1/8:1/8"] * 9)))
    assert len(regions) > 1
    assert_maps_reproduce(m, regions, shape=(1, 3, 3))
