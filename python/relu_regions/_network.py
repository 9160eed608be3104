"""The :class:`Network` and how its jobs run: on a Rust thread, waited for with the GIL released;
Ctrl-C (``KeyboardInterrupt``) cancels the run and the partial result comes back marked
incomplete (``complete`` false), with a warning."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import warnings
from fractions import Fraction
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._analyses import Analyses
from ._plot import Plotting
from ._region import Region

Number = Union[int, float, Fraction, str]
Box = Union[str, Sequence[Tuple[Number, Number]]]

#: Seconds between two looks at Ctrl-C while Rust works.
_POLL = 0.1


@contextlib.contextmanager
def _ctrl_c_cancels(job: Any, passes_on: Any = None) -> Iterator[List[int]]:
    """While the block runs, the first Ctrl-C cancels ``job`` and counts in the yielded flag
    instead of raising ``KeyboardInterrupt`` wherever Python happens to be (between taking lines
    and keeping them, say); a second Ctrl-C raises ``KeyboardInterrupt`` (for a job that does not
    stop). Where ``passes_on()`` is true when a press arrives, the job is cancelled and the
    press is passed on too (to the handler installed before: a ``KeyboardInterrupt`` by
    default). Only the main thread receives signals; elsewhere the block runs as it is."""
    hit = [0]
    if threading.current_thread() is not threading.main_thread():
        yield hit
        return

    active = [True]

    def cancel(signum: int, frame: Any) -> None:
        if not active[0]:  # left installed by blocks that ended out of order: pass it on
            _pass_on(previous, signum, frame)
            return
        hit[0] += 1
        job.cancel()
        if passes_on is not None and passes_on():
            _pass_on(previous, signum, frame)
            return
        if hit[0] >= 2:
            raise KeyboardInterrupt("a second Ctrl-C: the job was asked to stop and is left to end")

    previous = signal.signal(signal.SIGINT, cancel)
    try:
        yield hit
    finally:
        active[0] = False
        # restore only our own handler: a block that ended out of order (two streams read in
        # turn) leaves the other's in place, and ours, now inactive, passes presses on
        if (previous is not None and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is cancel):
            signal.signal(signal.SIGINT, previous)


def _pass_on(handler: Any, signum: int, frame: Any) -> None:
    """Runs the SIGINT handler that was installed before ours."""
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:
        raise KeyboardInterrupt


def _second_press(hit: List[int]) -> None:
    """Raises ``KeyboardInterrupt`` when Ctrl-C came twice (the native wait may have swallowed
    the handler's exception while it looked at signals)."""
    if hit[0] >= 2:
        raise KeyboardInterrupt("a second Ctrl-C: the job was asked to stop and is left to end")


def exact_text(value: Number) -> str:
    """An exact string for a number: ints and Fractions as they are, floats as the exact dyadic
    rational they hold (``0.1`` is 3602879701896397/36028797018963968), strings as written
    (``"0.1"`` is 1/10)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} is not a finite number")
        p, q = value.as_integer_ratio()
        return f"{p}/{q}" if q != 1 else str(p)
    if isinstance(value, str):
        return value.strip()
    # numpy scalars and the like
    if hasattr(value, "item"):
        return exact_text(value.item())
    raise TypeError(f"cannot read {value!r} as an exact number")


def box_text(box: Box) -> str:
    """The CLI's ``"lo:hi,..."`` form of a box given as pairs or as that string."""
    if isinstance(box, str):
        return box
    parts = []
    for i, pair in enumerate(box):
        try:
            lo, hi = pair
        except (TypeError, ValueError):
            raise ValueError(f"box interval {i}: {pair!r} is not a (lo, hi) pair") from None
        parts.append(f"{exact_text(lo)}:{exact_text(hi)}")
    return ",".join(parts)


def _domain_json(domain: Any) -> str:
    if isinstance(domain, str):
        return domain
    return json.dumps(_jsonable(domain))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return exact_text(value)


class RegionStream:
    """The regions of a run, streamed from Rust as they are found (with their facets).

    Iterate over it (once). After the end, ``complete`` says whether every region was found
    (false after ``max_regions``, ``time_limit``, Ctrl-C or ``close()``) and ``summary`` holds the
    run's summary (the last line of ``regions --jsonl``; ``summary_line`` is that line, the same
    bytes as the CLI's). The run stops at once when the loop is left early (``break``, an
    exception), on ``close()``, at the end of a ``with`` block and when the stream is
    garbage-collected; Ctrl-C ends the stream at once (the regions already yielded are what was
    found; a second Ctrl-C raises ``KeyboardInterrupt``). In a ``for`` loop, a press while the
    loop's body runs raises ``KeyboardInterrupt`` there, as in any Python loop, and cancels the
    run too.
    """

    def __init__(self, job: Any, progress: Any = None):
        self._job = job
        self._buffer: List[str] = []
        self._progress = progress
        self._yielded = 0
        self.summary: Optional[dict] = None
        self.summary_line: Optional[str] = None
        self.interrupted = False
        self._hit: Optional[List[int]] = None
        self._inside = False

    @property
    def complete(self) -> Optional[bool]:
        """Whether every region was found (None until the stream has ended)."""
        return None if self.summary is None else bool(self.summary["complete"])

    def __iter__(self) -> Iterator[Region]:
        # a generator: leaving the loop early drops it, and its ``finally`` stops the run. Its
        # Ctrl-C handler stays installed for the whole loop: a press while the loop's body runs
        # cancels the run and is passed on (a ``KeyboardInterrupt`` there, as Python's own
        # handler does), so the run ends even where that exception is lost (raised inside a
        # finalizer, which CPython prints and drops)
        outside = lambda: not self._inside  # noqa: E731
        watch = _ctrl_c_cancels(self._job, outside) if self._job is not None else contextlib.nullcontext([0])
        try:
            with watch as hit:
                self._hit = hit
                while True:
                    try:
                        region = self._step(hit)
                    except StopIteration:
                        return
                    yield region
        finally:
            self._hit = None
            if self.summary is None:
                self.close()

    def __next__(self) -> Region:
        if self._hit is not None:  # inside ``__iter__``: its handler is already installed
            return self._step(self._hit)
        with _ctrl_c_cancels(self._job) if self._job is not None else contextlib.nullcontext([0]) as hit:
            return self._step(hit)

    def _step(self, hit: List[int]) -> Region:
        """The next region, or ``StopIteration`` at the end or once Ctrl-C was pressed (counted
        in ``hit``)."""
        self._inside = True
        try:
            region = self._next(hit)
        finally:
            self._inside = False
            if hit[0] and not self.interrupted:
                self._interrupt()
            _second_press(hit)
        if hit[0]:
            raise StopIteration
        self._yielded += 1
        return region

    def _interrupt(self) -> None:
        self.interrupted = True
        warnings.warn("interrupted: the regions yielded so far are what was found (marked incomplete)",
                      stacklevel=3)
        self._end("Cancelled")

    def _end(self, why: str) -> None:
        """Ends the stream now: the run is cancelled and dropped (its thread ends)."""
        if self._job is not None:
            self._job.cancel()
        self._job = None
        self._buffer.clear()
        if self.summary is None:
            self.summary = {"regions": self._yielded, "complete": False, "stopped": why}
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    def _next(self, hit: List[int]) -> Region:
        while not self._buffer:
            if self.summary is not None or self._job is None:
                raise StopIteration
            if hit[0]:
                raise StopIteration
            try:
                lines, doc, interrupted = self._job.take(_POLL, 1024)
            except KeyboardInterrupt:  # off the main thread, or before the handler was set
                hit[0] += 1
                raise StopIteration from None
            if interrupted:
                hit[0] += 1
                raise StopIteration
            self._buffer.extend(reversed(lines))
            if self._progress is not None:
                self._progress.update(len(lines))
            if doc is not None:
                self.summary_line = doc
                self.summary = json.loads(doc)["summary"]
                self._job = None
                if self._progress is not None:
                    self._progress.close()
                    self._progress = None
        return Region(json.loads(self._buffer.pop()))

    def close(self) -> None:
        """Stops the run at once (also done on ``break``, at the end of a ``with`` block and when
        the stream is garbage-collected); the stream then ends, marked incomplete."""
        if self.summary is None or self._job is not None:
            self._end("Closed")

    def __enter__(self) -> "RegionStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        job = getattr(self, "_job", None)
        if job is not None:
            job.cancel()

    def to_json(self) -> str:
        """Not available: a stream is read once; collect it (``list(stream)``) and save the
        regions with :func:`relu_regions.save_regions`."""
        raise TypeError("a stream is read once: save list(stream) with relu_regions.save_regions")


def _wait(job: Any, progress: Any = None) -> dict:
    """Waits for a job's final document, watching Ctrl-C; returns the parsed document."""
    interrupted = False
    shown = 0
    with _ctrl_c_cancels(job) as cancelled:
        while True:
            try:
                _, doc, hit = job.take(_POLL, 1 << 30)
            except KeyboardInterrupt:  # off the main thread
                doc, hit = None, True
                job.cancel()
            _second_press(cancelled)
            if (hit or cancelled[0]) and not interrupted:
                interrupted = True
                warnings.warn("interrupted: the partial result is returned, marked incomplete", stacklevel=3)
            if progress is not None:
                found = job.regions_found
                progress.update(found - shown)
                shown = found
            if doc is not None:
                if progress is not None:
                    progress.close()
                return json.loads(doc)


def _networkx(doc: dict) -> Any:
    """A networkx graph of a ``graph --format json`` document."""
    import networkx as nx

    g = nx.Graph(pieces=doc["pieces"], complete=doc["complete"], provenance=doc.get("provenance"))
    for node in doc["nodes"]:
        attrs = dict(node)
        # one representation of a pattern everywhere, as on a Region: ``pattern`` the on/off bits
        # (numpy bool array), ``pattern_strings`` the CLI's strings
        attrs["pattern_strings"] = list(attrs["pattern"])
        attrs["pattern"] = np.array([c == "1" for c in "".join(attrs["pattern_strings"])], dtype=bool)
        g.add_node(attrs.pop("id"), **attrs)
    for edge in doc["edges"]:
        attrs = dict(edge)
        g.add_edge(attrs.pop("source"), attrs.pop("target"), **attrs)
    return g


def _progress_bar(progress: Any, what: str, total: Optional[int] = None) -> Any:
    if not progress:
        return None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("progress=True needs tqdm (pip install tqdm)") from e
        return tqdm(desc=what, unit=f" {what}", total=total)
    return progress


class Network(Analyses, Plotting):
    """A piecewise-linear network with exact rational weights, and its input domain.

    Make one with :meth:`from_json`, :meth:`from_onnx`, :meth:`from_nnet` or
    :meth:`from_torch`. Every method that enumerates takes the domain keywords ``box`` (pairs
    ``(lo, hi)`` of ints, floats, Fractions or exact strings such as ``"1/3"``, or the CLI's
    ``"lo:hi,..."`` string) and ``domain`` (a ``{"box": ...}`` or ``{"polytope": {"A": ...,
    "b": ...}}`` object), and the run keywords ``threads`` (default: every core; the answer is
    the same for every count), ``max_regions``, ``time_limit`` (seconds), ``lp`` (``"simplex"``,
    ``"good_lp"`` or the float-free ``"exact"``) and ``progress`` (True for a tqdm bar, or a
    tqdm-like object).
    """

    def __init__(self, native: Any):
        self._native = native

    # ----- readers -----
    @classmethod
    def from_json(cls, path_or_text: Union[str, os.PathLike]) -> "Network":
        """Reads our JSON format from a file, or from the text itself (a string starting with ``{``)."""
        if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
            return cls(_native.NativeNetwork.from_json_text(path_or_text, "<text>"))
        return cls(_native.NativeNetwork.load(os.fspath(path_or_text), "json"))

    @classmethod
    def from_onnx(cls, path: Union[str, os.PathLike]) -> "Network":
        """Reads an ONNX model (float32/float64/float16/bfloat16 weights taken exactly)."""
        return cls(_native.NativeNetwork.load(os.fspath(path), "onnx"))

    @classmethod
    def from_nnet(cls, path: Union[str, os.PathLike], coords: str = "raw") -> "Network":
        """Reads a ``.nnet`` file; ``coords`` is ``"raw"`` (physical units, normalisation folded
        in exactly) or ``"normalized"``."""
        return cls(_native.NativeNetwork.load(os.fspath(path), "nnet", coords))

    @classmethod
    def load(cls, path: Union[str, os.PathLike], format: Optional[str] = None, coords: str = "raw") -> "Network":
        """Reads a network file in the format its extension (or ``format``) names."""
        return cls(_native.NativeNetwork.load(os.fspath(path), format, coords))

    @classmethod
    def from_torch(cls, module: Any, input_dim: Optional[int] = None,
                   input_shape: Optional[Sequence[int]] = None) -> "Network":
        """Converts a torch module. Chains of ``Linear``, ``ReLU``, ``Flatten``, ``Identity`` and
        ``Dropout`` (an ``nn.Sequential`` or a module ``torch.fx`` can trace) are read directly;
        anything else (convolutions, pooling, batch normalisation, LeakyReLU, ReLU6/Hardtanh, a
        trailing softmax) goes through ``torch.onnx.export`` in eval mode and the ONNX reader,
        which needs the shape of one input sample: ``input_shape`` (e.g. ``(1, 28, 28)``; without
        the batch axis) or ``input_dim``. Weights are taken as the exact dyadic values they are."""
        from ._torch import NotPiecewiseLinear, UnsupportedModule, network_json, onnx_bytes

        try:
            if input_shape is None:
                text, name = network_json(module, input_dim)
                return cls(_native.NativeNetwork.from_json_text(text, name))
        except NotPiecewiseLinear:
            raise  # no other path helps
        except UnsupportedModule as e:
            if input_dim is None:
                raise UnsupportedModule(f"{e}; for other layers give input_shape= (one sample's shape, "
                                        f"e.g. (1, 28, 28)) and the module goes through ONNX") from e
        shape = tuple(input_shape) if input_shape is not None else (int(input_dim),)
        data, notes = onnx_bytes(module, shape)
        import tempfile

        name = f"torch module {type(module).__name__} (exported to ONNX)"
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"{type(module).__name__}.onnx")
            with open(path, "wb") as f:
                f.write(data)
            try:
                native = _native.NativeNetwork.load(path, "onnx")
            except _native.NetworkError as e:  # name the module, not the temporary file
                raise UnsupportedModule(str(e).replace(path, name)) from None
        if notes:  # the exporter's doings join the reader's notes
            doc = json.loads(native.to_json())
            doc["notes"] = notes + list(doc.get("notes", []))
            native = _native.NativeNetwork.from_json_text(json.dumps(doc), name)
        return cls(native)

    # ----- facts -----
    @property
    def input_dim(self) -> int:
        return self._native.input_dim

    @property
    def output_dim(self) -> int:
        return self._native.output_dim

    @property
    def hidden_neurons(self) -> int:
        return self._native.hidden_neurons

    @property
    def notes(self) -> List[str]:
        """What the reader approximated or left out (e.g. a batch normalisation's square root,
        a trailing softmax); empty when the network was read exactly as it is."""
        return list(self._native.notes)

    def to_json(self) -> str:
        """The network and its domain in our exact JSON format."""
        return self._native.to_json()

    def output(self, x: Sequence[Number]) -> List[Fraction]:
        """The exact outputs at ``x`` (floats are taken as the exact values they hold)."""
        return [Fraction(v) for v in self._native.output([exact_text(v) for v in x])]

    def with_domain(self, box: Optional[Box] = None, domain: Any = None) -> "Network":
        """The same network on another domain (``box`` or ``domain``; neither: unchanged)."""
        if box is not None and domain is not None:
            raise ValueError("give box or domain, not both")
        if box is not None:
            return Network(self._native.with_domain(box_text=box_text(box)))
        if domain is not None:
            return Network(self._native.with_domain(domain_json=_domain_json(domain)))
        return self

    def _start(self, kind: str, box: Optional[Box], domain: Any, threads: Optional[int],
               max_regions: Optional[int], time_limit: Optional[float], lp: str) -> Any:
        net = self.with_domain(box=box, domain=domain)
        if threads is not None and threads < 0:
            raise ValueError("threads must be at least 0")
        return net._native.start(kind, threads or 0, max_regions, time_limit, lp)

    # ----- jobs -----
    def count(self, domain: Any = None, box: Optional[Box] = None, graph: bool = True,
              threads: Optional[int] = None, max_regions: Optional[int] = None,
              time_limit: Optional[float] = None, lp: str = "simplex", progress: Any = False) -> dict:
        """The counts, as ``count --json`` prints them: ``regions``, ``pieces``, ``edges``,
        ``bounded``, ``input_dim``, ``complete``, ... (``graph=False``: no ``pieces``/``edges``,
        like ``--no-graph``, and faster)."""
        job = self._start("count" if graph else "count_no_graph", box, domain, threads, max_regions, time_limit, lp)
        return _wait(job, _progress_bar(progress, "regions"))

    def count_many(self, boxes: Any = None, centers: Any = None, radius: Any = None, norm: str = "linf",
                   graph: bool = False, threads: Optional[int] = None, time_limit: Optional[float] = None,
                   box_time_limit: Optional[float] = None, max_regions: Optional[int] = None,
                   lp: str = "simplex", progress: Any = False) -> dict:
        """Local complexity: one count per box, many boxes at once (each box on one thread, the
        boxes in parallel on ``threads`` threads; default every core).

        Give ``boxes`` (shape ``(n, input_dim, 2)``: a ``(lo, hi)`` pair per input) or
        ``centers`` (shape ``(n, *input_shape)``, e.g. a batch of images) and ``radius``: the
        L_inf balls ``centers[i] +- radius`` (``norm="linf"``, the only norm whose balls are
        boxes). Floats are taken as the exact values they hold; pass ``radius="0.05"`` (or a
        ``Fraction``) for an exact decimal. Each box replaces the network's domain, so a count
        is that of ``count(box=...)``: the full-dimensional regions meeting the box.

        Returns a dict of numpy arrays in the boxes' order: ``regions``, ``bounded``,
        ``complete`` (per box), ``stopped`` (why a box stopped, or None), ``lps``, ``seconds``,
        and with ``graph=True`` ``pieces``, ``edges``, ``distinct_maps``; plus ``boxes``,
        ``input_dim``, ``all_complete``, ``total_seconds`` and ``provenance``.
        ``time_limit`` holds for the whole batch (boxes not reached are marked incomplete with
        0 regions), ``box_time_limit`` and ``max_regions`` for each box; Ctrl-C stops the batch
        and returns what was counted."""
        from ._batch import count_many

        return count_many(self, boxes, centers, radius, norm, graph, threads, time_limit, box_time_limit,
                          max_regions, lp, progress)

    def regions(self, domain: Any = None, box: Optional[Box] = None, threads: Optional[int] = None,
                max_regions: Optional[int] = None, time_limit: Optional[float] = None,
                lp: str = "simplex", progress: Any = False, sizes: bool = False, samples: int = 0) -> Any:
        """Every region, streamed as found (an iterable of :class:`Region`; see
        :class:`RegionStream` for ``complete``). With ``sizes=True`` (``regions --sizes``) a
        :class:`RegionList` instead, each region with its exact ``size`` (``area``/``volume``,
        ``inradius``, ``ball_center``; ``samples`` random points for a volume estimate)."""
        if sizes:
            net = self.with_domain(box=box, domain=domain)
            return net._regions_with_sizes(samples, self._opts(threads, max_regions, time_limit, lp))
        job = self._start("regions", box, domain, threads, max_regions, time_limit, lp)
        return RegionStream(job, _progress_bar(progress, "regions"))

    def graph_json(self, domain: Any = None, box: Optional[Box] = None, threads: Optional[int] = None,
                   max_regions: Optional[int] = None, time_limit: Optional[float] = None,
                   lp: str = "simplex", progress: Any = False) -> dict:
        """The adjacency graph as ``graph --format json`` prints it (parsed)."""
        job = self._start("graph", box, domain, threads, max_regions, time_limit, lp)
        return _wait(job, _progress_bar(progress, "regions"))

    def graph(self, domain: Any = None, box: Optional[Box] = None, threads: Optional[int] = None,
              max_regions: Optional[int] = None, time_limit: Optional[float] = None,
              lp: str = "simplex", progress: Any = False) -> Any:
        """The adjacency graph as a ``networkx.Graph``: the nodes and edges of ``graph --format
        json``, node attributes ``pattern`` (numpy bool array, as ``Region.pattern``) and
        ``pattern_strings`` (the CLI's strings), ``piece``, ``bounded``, ``point``, ``jacobian``,
        ``offset`` (exact strings) and their ``_f64`` twins; edge attributes ``neurons``,
        ``same_map``, ``point``; graph attributes ``pieces``, ``complete``, ``provenance``."""
        return _networkx(self.graph_json(domain, box, threads, max_regions, time_limit, lp, progress))

    def faces(self, dim: Optional[int] = None, domain: Any = None, box: Optional[Box] = None,
              threads: Optional[int] = None, time_limit: Optional[float] = None, lp: str = "simplex") -> dict:
        """Every face of the complex (all dimensions), as ``faces --json`` with each face listed
        (only those of dimension ``dim`` when given); see :func:`relu_regions._complex.faces`."""
        from . import _complex

        net = self.with_domain(box=box, domain=domain)
        return _complex.faces(net._native, dim, threads or 0, time_limit, lp)

    def boundary(self, output: int = 0, level: Number = 0, classes: bool = False, domain: Any = None,
                 box: Optional[Box] = None, threads: Optional[int] = None, time_limit: Optional[float] = None,
                 lp: str = "simplex") -> dict:
        """The level set ``{y_output = level}`` (or the argmax ties) with its Betti numbers under
        the three conventions at infinity and the decision regions' components, as
        ``boundary --json``; see :func:`relu_regions._complex.boundary`."""
        from . import _complex

        net = self.with_domain(box=box, domain=domain)
        return _complex.boundary(net._native, output, level, classes, threads or 0, time_limit, lp)

    def __repr__(self) -> str:
        return f"Network(input_dim={self.input_dim}, output_dim={self.output_dim}, hidden_neurons={self.hidden_neurons})"
