"""torch modules to our exact JSON: ``nn.Sequential`` walked directly, other modules through
``torch.fx``. Every float32/float64/float16/bfloat16 weight is a dyadic rational, written
exactly (``float.as_integer_ratio``): no rounding anywhere."""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

SUPPORTED = "Linear, ReLU (module or function), Flatten, Identity and Dropout"


from ._native import NetworkError


class ConversionError(NetworkError):
    """A torch module that cannot be converted as it is (a :class:`NetworkError`)."""


class UnsupportedModule(ConversionError):
    """A module or operation the Rust side does not support yet."""


class NotPiecewiseLinear(UnsupportedModule):
    """A layer that is not piecewise linear in the middle of the network: no exact regions
    exist, whatever the path of conversion (the message names the nearest supported layer)."""


#: Layers that are not piecewise linear (no exact regions exist), with the nearest supported
#: alternative; refused at once, without sending the user through ONNX to a second error.
NOT_PIECEWISE_LINEAR = {
    "GELU": "ReLU or LeakyReLU",
    "SiLU": "ReLU or LeakyReLU",
    "Mish": "ReLU or LeakyReLU",
    "ELU": "LeakyReLU",
    "CELU": "LeakyReLU",
    "SELU": "LeakyReLU",
    "Softplus": "ReLU",
    "Tanh": "Hardtanh",
    "Sigmoid": "Hardtanh (scaled) or ReLU",
    "Hardswish": "ReLU6 / Hardtanh",
    "Softsign": "Hardtanh",
    "LogSigmoid": "-ReLU(-x)",
    "LayerNorm": "BatchNorm (folded exactly in eval mode) or no normalisation: LayerNorm divides by a "
                 "data-dependent standard deviation",
    "GroupNorm": "BatchNorm (folded exactly in eval mode): GroupNorm divides by a data-dependent deviation",
    "InstanceNorm1d": "BatchNorm1d (eval mode)",
    "InstanceNorm2d": "BatchNorm2d (eval mode)",
    "MultiheadAttention": "no exact equivalent: attention multiplies inputs together",
}

#: Smooth layers accepted last (left out, with the ONNX reader's note).
TRAILING_SMOOTH = ("Softmax", "LogSoftmax", "Sigmoid", "Tanh", "Softplus", "Softsign")


def smooth_tail_note(kind: str) -> str:
    """The ONNX reader's note for a trailing smooth layer, word for word."""
    return (f"the outputs are taken before the trailing {kind} (smooth and applied after the last "
            f"piecewise-linear operator, they do not change the regions)")


def not_piecewise_linear(where: str, kind: str) -> NotPiecewiseLinear:
    """The refusal of a layer that is not piecewise linear, with the nearest supported one."""
    advice = NOT_PIECEWISE_LINEAR.get(kind, "ReLU")
    return NotPiecewiseLinear(f"{where}: {kind} is not piecewise linear, so a network with it before other "
                              f"layers has no exact linear regions; the nearest supported layer: {advice}")


def refuse_smooth(modules: Any) -> None:
    """Raises :class:`UnsupportedModule` for the first layer that is not piecewise linear (a
    trailing smooth one aside), naming it and its nearest supported alternative."""
    items = list(modules)
    last = len(items) - 1
    while last >= 0 and type(items[last][1]).__name__ in TRAILING_SMOOTH + ("Dropout", "Identity"):
        last -= 1
    for k, (where, child) in enumerate(items[: last + 1]):
        kind = type(child).__name__
        if kind in NOT_PIECEWISE_LINEAR:
            raise not_piecewise_linear(where, kind)


def conversion_notes(module: Any) -> List[str]:
    """What a conversion does to the module that the user should know: Dropout in train mode
    (converted as in eval mode), BatchNorm folded by the ONNX exporter in float32."""
    from torch import nn

    notes = []
    for where, child in module.named_modules():
        if isinstance(child, nn.modules.dropout._DropoutNd) and child.training and child.p > 0:
            notes.append(f"{where or type(module).__name__}: Dropout(p={child.p}) is in train mode (random); "
                         f"it is converted as in eval mode, the identity (call module.eval() to silence this)")
    return notes


def _exact(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ConversionError(f"the weights hold {value}: not a finite number")
    p, q = float(value).as_integer_ratio()
    return str(p) if q == 1 else f"{p}/{q}"


def _tensor_texts(t: Any) -> Any:
    # float64 holds every float32/float16/bfloat16 value exactly
    values = t.detach().cpu().double().tolist()
    if isinstance(values, list) and values and isinstance(values[0], list):
        return [[_exact(v) for v in row] for row in values]
    return [_exact(v) for v in values]


def _steps(module: Any) -> List[Tuple[str, Any, str]]:
    """The module as a chain of (kind, module-or-None, where) steps."""
    import torch
    from torch import nn

    if isinstance(module, nn.Sequential):
        steps: List[Tuple[str, Any, str]] = []
        for name, child in module.named_children():
            if isinstance(child, nn.Sequential):
                steps.extend((k, m, f"{name}.{w}") for k, m, w in _steps(child))
            else:
                steps.append(_classify(child, name))
        return steps
    leaves = (nn.Linear, nn.ReLU, nn.Flatten, nn.Identity, nn.Dropout)
    if isinstance(module, leaves):
        return [_classify(module, type(module).__name__)]
    try:
        import torch.fx as fx

        traced = fx.symbolic_trace(module)
    except Exception as e:  # tracing failures come in many types
        raise UnsupportedModule(f"{type(module).__name__}: cannot be traced with torch.fx ({e}); "
                                f"give an nn.Sequential of {SUPPORTED}") from e
    steps = []
    value = None  # the node holding the running value
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            if value is not None:
                raise UnsupportedModule(f"{type(module).__name__}: more than one input")
            value = node
            continue
        if node.op == "output":
            if node.args[0] is not value:
                raise UnsupportedModule(f"{type(module).__name__}: the output is not the last operation's value")
            continue
        args = [a for a in node.args if isinstance(a, fx.Node)]
        if args != [value]:
            raise UnsupportedModule(f"{type(module).__name__}: operation {node.name} is not part of a plain chain "
                                    f"(residual and branching graphs come through ONNX)")
        if node.op == "call_module":
            steps.append(_classify(traced.get_submodule(node.target), str(node.target)))
        elif node.op in ("call_function", "call_method") and node.target in (
            torch.relu, torch.nn.functional.relu, "relu",
        ):
            steps.append(("relu", None, node.name))
        elif node.op in ("call_function", "call_method") and node.target in (torch.flatten, "flatten", "view", "reshape"):
            steps.append(("flatten", None, node.name))
        else:
            raise UnsupportedModule(f"{type(module).__name__}: operation {node.name} ({node.target}) is not supported; "
                                    f"supported: {SUPPORTED}")
        value = node
    return steps


def _classify(child: Any, where: str) -> Tuple[str, Any, str]:
    from torch import nn

    if isinstance(child, nn.Linear):
        return ("linear", child, where)
    if isinstance(child, nn.ReLU):
        return ("relu", None, where)
    if isinstance(child, (nn.Flatten, nn.Identity, nn.Dropout)):
        return ("flatten" if isinstance(child, nn.Flatten) else "identity", None, where)
    if type(child).__name__ in TRAILING_SMOOTH:
        return ("smooth", child, where)
    if type(child).__name__ in NOT_PIECEWISE_LINEAR:
        raise not_piecewise_linear(where, type(child).__name__)
    raise UnsupportedModule(f"{where}: {type(child).__name__} is not supported; supported: {SUPPORTED}")


def network_json(module: Any, input_dim: Optional[int] = None) -> Tuple[str, str]:
    """Our JSON for a torch module, and a name for it in messages."""
    name = f"torch module {type(module).__name__}"
    layers: List[dict] = []
    notes: List[str] = []
    width = input_dim
    steps = _steps(module)
    for k, (kind, child, where) in enumerate(steps):
        if kind == "smooth":
            if any(s[0] in ("linear", "relu") for s in steps[k + 1:]):
                raise not_piecewise_linear(where, type(child).__name__)
            notes.append(smooth_tail_note(type(child).__name__))
            continue
        if kind == "linear":
            if width is not None and child.in_features != width:
                raise ConversionError(f"{where}: Linear takes {child.in_features} inputs but receives {width}")
            layer = {"weights": _tensor_texts(child.weight), "activation": "linear"}
            if child.bias is not None:
                layer["bias"] = _tensor_texts(child.bias)
            layers.append(layer)
            width = child.out_features
        elif kind == "relu":
            if layers and layers[-1]["activation"] == "linear":
                layers[-1]["activation"] = "relu"
            elif not layers:
                if width is None:
                    raise ConversionError(f"{where}: ReLU comes first; give input_dim")
                layers.append(_identity(width, "relu"))
            # else relu(relu(x)) = relu(x): nothing to add
        # flatten/identity/dropout: the identity on the vectors this reader takes
    if not layers:
        raise ConversionError(f"{name}: no Linear layer")
    if input_dim is None:
        input_dim = len(layers[0]["weights"][0]) if layers[0]["weights"] else 0
    doc: dict = {"input_dim": input_dim, "layers": layers}
    notes = conversion_notes(module) + notes
    if notes:
        doc["notes"] = notes
    return json.dumps(doc), name


def _identity(n: int, activation: str) -> dict:
    return {"weights": [["1" if i == j else "0" for j in range(n)] for i in range(n)], "activation": activation}



def onnx_bytes(module: Any, input_shape: Tuple[int, ...]) -> Tuple[bytes, List[str]]:
    """The module exported to ONNX (TorchScript exporter, eval mode, batch of one), and the notes
    on what the export did: a data-dependent branch traced one way, BatchNorm folded in float32."""
    import io
    import warnings

    import torch
    from torch import nn

    refuse_smooth(module.named_modules())
    notes = conversion_notes(module)
    was_training = module.training
    module.eval()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.onnx.export(module, torch.zeros(1, *input_shape), buffer, dynamo=False)
    except Exception as e:  # the exporter raises many types
        raise UnsupportedModule(f"{type(module).__name__}: torch.onnx.export failed ({e})") from e
    finally:
        module.train(was_training)
    branches = [w for w in caught if "TracerWarning" in type(w.message).__name__
                and ("boolean" in str(w.message) or "Python" in str(w.message))]
    if branches:
        first = str(branches[0].message).split("\n")[0]
        notes.append(f"{type(module).__name__}: the export traced one path through data-dependent Python code "
                     f"(the branch taken at the zero input); other inputs may take another branch in torch "
                     f"({len(branches)} such place(s); the first: {first})")
    norms = [where for where, m in module.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if norms:
        notes.append(f"BatchNorm ({', '.join(norms[:3])}{', ...' if len(norms) > 3 else ''}): folded into the "
                     f"neighbouring weights by torch.onnx.export in float32 (the network read is that rounded fold)")
    return buffer.getvalue(), notes
