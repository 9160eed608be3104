"""relu_regions: the exact activation regions of ReLU networks, from Python.

Every region comes with an exact rational interior point, its non-redundant inequalities and its
affine map ``y = J x + c``, all certified in rational arithmetic by the Rust library; floats
only propose. Numbers are given twice: as numpy float64 arrays (for plotting and numerics) and as
exact :class:`fractions.Fraction` values.

>>> from relu_regions import Network
>>> net = Network.from_json('''{"input_dim": 2, "layers": [
...     {"weights": [["1", "-1"], ["1", "1"]], "activation": "relu"},
...     {"weights": [["1", "2"]], "activation": "linear"}]}''')
>>> net.count()["regions"]
4

Errors: every problem with a network, a domain, an option or a conversion raises
:class:`NetworkError` (a ``ValueError``) or one of its subclasses (:class:`ConversionError`,
:class:`UnsupportedModule`, :class:`NotPiecewiseLinear`); :class:`InternalError` is a bug.
"""

from ._native import InternalError, NetworkError
from ._native import version as _native_version
from ._analyses import RegionList
from ._network import Network, RegionStream
from ._region import Inequality, Region
from ._saved import from_json, to_json
from ._torch import ConversionError, NotPiecewiseLinear, UnsupportedModule

__version__ = _native_version()

__all__ = [
    "Network",
    "Region",
    "Inequality",
    "RegionStream",
    "RegionList",
    "NetworkError",
    "ConversionError",
    "UnsupportedModule",
    "NotPiecewiseLinear",
    "InternalError",
    "to_json",
    "from_json",
    "__version__",
]
