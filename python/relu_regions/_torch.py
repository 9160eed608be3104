"""torch modules to our exact JSON: ``nn.Sequential`` walked directly, other modules through
``torch.fx``. Every float32/float64/float16/bfloat16 weight is a dyadic rational, written
exactly (``float.as_integer_ratio``): no rounding anywhere."""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

SUPPORTED = "Linear, ReLU (module or function), Flatten, Identity and Dropout"


class UnsupportedModule(ValueError):
    """A module or operation the Rust side does not support yet."""


def _exact(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"the weights hold {value}: not a finite number")
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
    raise UnsupportedModule(f"{where}: {type(child).__name__} is not supported; supported: {SUPPORTED}")


def network_json(module: Any, input_dim: Optional[int] = None) -> Tuple[str, str]:
    """Our JSON for a torch module, and a name for it in messages."""
    name = f"torch module {type(module).__name__}"
    layers: List[dict] = []
    width = input_dim
    for kind, child, where in _steps(module):
        if kind == "linear":
            if width is not None and child.in_features != width:
                raise ValueError(f"{where}: Linear takes {child.in_features} inputs but receives {width}")
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
                    raise ValueError(f"{where}: ReLU comes first; give input_dim")
                layers.append(_identity(width, "relu"))
            # else relu(relu(x)) = relu(x): nothing to add
        # flatten/identity/dropout: the identity on the vectors this reader takes
    if not layers:
        raise ValueError(f"{name}: no Linear layer")
    if input_dim is None:
        input_dim = len(layers[0]["weights"][0]) if layers[0]["weights"] else 0
    return json.dumps({"input_dim": input_dim, "layers": layers}), name


def _identity(n: int, activation: str) -> dict:
    return {"weights": [["1" if i == j else "0" for j in range(n)] for i in range(n)], "activation": activation}



def onnx_bytes(module: Any, input_shape: Tuple[int, ...]) -> bytes:
    """The module exported to ONNX (TorchScript exporter, eval mode, batch of one)."""
    import io
    import warnings

    import torch

    was_training = module.training
    module.eval()
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, torch.zeros(1, *input_shape), buffer, dynamo=False)
    except Exception as e:  # the exporter raises many types
        raise UnsupportedModule(f"{type(module).__name__}: torch.onnx.export failed ({e})") from e
    finally:
        module.train(was_training)
    return buffer.getvalue()
