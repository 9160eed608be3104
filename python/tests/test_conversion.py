"""torch conversion says what it did (issue 33, point 5): Dropout in train mode, a traced
data-dependent branch and BatchNorm folded by the exporter are notes; layers that are not
piecewise linear are refused at once, naming the layer and the nearest supported one (no second
error through ONNX); a trailing Softmax is left out with the same note on both paths; every
failure is a NetworkError."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
from torch import nn  # noqa: E402

from relu_regions import (ConversionError, InternalError, Network, NetworkError,  # noqa: E402
                          NotPiecewiseLinear, UnsupportedModule)


def mlp(*tail):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3), *tail)


def test_one_exception_hierarchy():
    for e in (ConversionError, UnsupportedModule, NotPiecewiseLinear):
        assert issubclass(e, NetworkError) and issubclass(e, ValueError)
    assert not issubclass(InternalError, NetworkError)


def test_dropout_in_train_mode_is_a_note():
    net = mlp(nn.Dropout(0.3))
    assert any("Dropout(p=0.3) is in train mode" in n for n in Network.from_torch(net).notes)
    net.eval()
    assert Network.from_torch(net).notes == []
    net.train()  # the ONNX path says it too
    assert any("train mode" in n for n in Network.from_torch(net, input_shape=(2,)).notes)


@pytest.mark.parametrize("layer,name,advice", [
    (nn.GELU(), "GELU", "ReLU"),
    (nn.Tanh(), "Tanh", "Hardtanh"),
    (nn.LayerNorm(6), "LayerNorm", "BatchNorm"),
    (nn.SiLU(), "SiLU", "ReLU"),
])
def test_layers_that_are_not_piecewise_linear_are_refused_once(layer, name, advice):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 6), layer, nn.Linear(6, 1))
    for kwargs in ({}, {"input_shape": (2,)}, {"input_dim": 2}):
        with pytest.raises(NotPiecewiseLinear) as e:
            Network.from_torch(net, **kwargs)
        text = str(e.value)
        assert f"{name} is not piecewise linear" in text and advice in text and "input_shape" not in text
        assert "/tmp" not in text and ".onnx" not in text


def test_a_trailing_softmax_is_the_same_note_on_both_paths():
    net = mlp(nn.Softmax(dim=1))
    direct = Network.from_torch(net)
    exported = Network.from_torch(net, input_shape=(2,))
    assert direct.notes == exported.notes and len(direct.notes) == 1 and "Softmax" in direct.notes[0]
    assert direct.count(box=[(-1, 1), (-1, 1)])["regions"] == exported.count(box=[(-1, 1), (-1, 1)])["regions"]
    # in the middle it is refused, naming it
    torch.manual_seed(0)
    middle = nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1), nn.Linear(3, 1))
    with pytest.raises(NotPiecewiseLinear, match="Softmax"):
        Network.from_torch(middle)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b = nn.Linear(2, 4), nn.Linear(4, 1)

    def forward(self, x):
        h = torch.relu(self.a(x))
        if h.sum() > 0:  # data-dependent: a trace keeps one branch
            h = h * 2
        return self.b(h)


def test_a_traced_data_dependent_branch_is_a_note():
    with pytest.raises(UnsupportedModule, match="input_shape"):
        Network.from_torch(Branchy())  # torch.fx cannot trace it
    net = Network.from_torch(Branchy(), input_shape=(2,))
    assert any("data-dependent" in n for n in net.notes), net.notes


def test_batchnorm_folded_by_the_exporter_is_a_note():
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 3 * 3, 2))
    cnn.eval()
    net = Network.from_torch(cnn, input_shape=(1, 5, 5))
    assert any("BatchNorm" in n and "float32" in n for n in net.notes), net.notes


def test_an_onnx_refusal_names_the_module_not_a_temporary_file():
    class Odd(nn.Module):
        def forward(self, x):
            return torch.sin(x)

    with pytest.raises(NetworkError) as e:
        Network.from_torch(Odd(), input_shape=(2,))
    assert "Odd" in str(e.value) and "/tmp" not in str(e.value)
