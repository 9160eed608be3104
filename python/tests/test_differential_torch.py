"""Differential tests of the ONNX reader on torch's exports (test_differential.py's comparison):
the modules test_torch.py reads, through the legacy exporter at several opsets and the dynamo
exporter, evaluated by the exact network and by onnxruntime."""

import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
# the float side: onnx.reference alone is not enough (onnx 1.23's gives BatchNormalization on
# [N, C] other values than onnxruntime and numpy, and fails on a grouped ConvTranspose), so it
# only stands in for models that onnxruntime cannot load
pytest.importorskip("onnxruntime")

torch = pytest.importorskip("torch")

from differential import compare, judge, marks  # noqa: E402
from onnx_graphs import Graph  # noqa: E402
from torch_modules import Bounded, Cat, OpsetZoo, Pooled, SignedSkip, Unflat, Upsampled  # noqa: E402


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("differential")


def torch_cases():
    """Modules whose ONNX export the tests read (test_torch.py's, with the softmax left out), and
    two real-world forms of known bugs: nn.Linear on a 3-D tensor, an export with a batch of 2."""
    nn = torch.nn
    bn = nn.BatchNorm2d(2)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.1, -0.2]))
        bn.running_var.copy_(torch.tensor([0.5, 2.0]))
    return {
        "dense-leaky": (lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.LeakyReLU(0.1),
                                              nn.Linear(8, 1)), (1, 2)),
        "cat": (Cat, (1, 2)),
        "unflatten-view": (Unflat, (1, 2)),
        "max-min-constants": (Bounded, (1, 2)),
        "max-pool-max-of-branches": (Pooled, (1, 2)),
        "conv-transpose-1d": (Upsampled, (1, 2)),
        "signed-skip": (SignedSkip, (1, 1, 4, 4)),
        "conv-avgpool-hardtanh": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                                                        nn.Flatten(), nn.Linear(8, 3), nn.Hardtanh(),
                                                        nn.Linear(3, 1)), (1, 1, 4, 4)),
        "conv-maxpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                               nn.Flatten(), nn.Linear(8, 1)), (1, 1, 4, 4)),
        "conv-transpose-2d": (lambda: nn.Sequential(nn.ConvTranspose2d(1, 2, 3, stride=2, padding=1,
                                                                       output_padding=1), nn.ReLU(),
                                                    nn.Flatten(), nn.Linear(32, 1)), (1, 1, 2, 2)),
        "global-avgpool": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                                 nn.Flatten(), nn.Linear(3, 1)), (1, 1, 5, 5)),
        "conv-bn-leaky-relu6-prelu": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2, padding=1), bn, nn.LeakyReLU(0.1),
                                                            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 3),
                                                            nn.ReLU6(), nn.PReLU(3), nn.Linear(3, 2)), (1, 1, 3, 3)),
        "opset-zoo": (OpsetZoo, (1, 1, 3, 3)),
        "linear-on-rows": (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(9, 1)),
                           (1, 3, 2)),
        "batch-of-2": (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), (2, 2)),
    }


TORCH_XFAIL = {"linear-on-rows": "matmul-last-axis", "batch-of-2": "leading-axis"}
# (name, opset, dynamo): the legacy exporter at its default opset, older and newer ones for the
# operators that changed form, and the dynamo exporter (torch.export) on a few
TORCH_EXPORTS = ([(name, None, False) for name in (
    "dense-leaky", "cat", "unflatten-view", "max-min-constants", "max-pool-max-of-branches",
    "conv-transpose-1d", "signed-skip", "conv-avgpool-hardtanh", "conv-maxpool", "conv-transpose-2d",
    "global-avgpool", "conv-bn-leaky-relu6-prelu", "linear-on-rows", "batch-of-2")]
    + [("opset-zoo", v, False) for v in (9, 11, 13, 18)]
    + [(name, None, True) for name in ("dense-leaky", "signed-skip", "global-avgpool", "opset-zoo")])


def torch_params():
    out = []
    for name, opset, dynamo in TORCH_EXPORTS:
        ident = f"{name}-{'dynamo' if dynamo else 'legacy'}" + (f"-{opset}" if opset else "")
        out.append(pytest.param(name, opset, dynamo, marks=marks(TORCH_XFAIL.get(name)), id=ident))
    return out


@pytest.mark.parametrize("name,opset,dynamo", torch_params())
def test_torch_export_agrees_with_onnxruntime(name, opset, dynamo, cli_path, workdir):
    """The exports of torch modules (random float32 weights) against the exact network."""
    if dynamo:
        pytest.importorskip("onnxscript")
    make, shape = torch_cases()[name]
    torch.manual_seed(len(name))
    module = make().eval()
    path = workdir / f"torch-{name}-{opset}-{dynamo}.onnx"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = {"opset_version": opset} if opset else {}
            torch.onnx.export(module, (torch.zeros(*shape),), str(path), dynamo=dynamo, **kwargs)
    except Exception as e:  # noqa: BLE001 - an exporter this torch lacks
        pytest.skip(f"torch.onnx.export failed here: {e!r:.200}")
    model = onnx.load(path)
    graph = Graph(model, list(shape), [], {op.op_type for op in model.graph.node})
    if shape[0] > 1:
        graph.tags.add("leading-axis")
    outcome = compare(cli_path, path, model, list(shape), np.random.default_rng(2), points=4)
    judge(graph, outcome, path)
    assert outcome.oracle and outcome.points == 4


