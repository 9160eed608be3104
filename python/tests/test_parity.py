"""The CLI's analyses from Python (issue 33, point 3): ``locate`` (many points), ``range`` with
the Lipschitz constants, ``slice``, ``regions(sizes=True)``, ``vnnlib`` and ``check`` give the
CLI's JSON documents (the same keys and values; times aside); ``restrict(plane=...)`` is the
exact network on the plane; ``plot(plane=..., color=..., boundary=...)`` draws it."""

import json
import math
import random
from fractions import Fraction

import numpy as np
import pytest

from relu_regions import Network, NetworkError, RegionList, from_json, to_json
from conftest import FIXTURES

DEEP = FIXTURES / "deep2d.json"
NET3 = FIXTURES / "bench" / "torch32-3-10-10.json"


def test_locate_many_points_equals_the_cli(cli):
    net = Network.from_json(DEEP)
    points = [("1/3", "-1/7"), (0, 0), ("0.25", "2"), (Fraction(-3, 2), Fraction(1, 5))]
    got = net.locate(points)
    assert len(got) == len(points)
    for p, doc in zip(points, got):
        want = cli("locate", DEEP, "--point", ",".join(str(v) for v in p), "--json")
        assert doc == want
    # one point alone: its document
    assert net.locate(points[0]) == got[0]


def test_locate_names_a_point_outside_the_domain():
    net = Network.from_json(DEEP).with_domain(box=[(0, 1), (0, 1)])
    with pytest.raises(NetworkError, match=r"points\[1\]: the point lies outside"):
        net.locate([(0.5, 0.5), (2, 0.5)])
    with pytest.raises(NetworkError, match=r"points\[0\]: 3 coordinates"):
        net.locate([(0, 0, 0)])


def test_range_with_lipschitz_equals_the_cli(cli):
    net = Network.from_json(NET3)
    box = "-1:1,-1:1,-1:1"
    assert net.with_domain(box=box).range(lipschitz=True) == cli("range", NET3, "--box", box, "--lipschitz", "--json")
    assert net.with_domain(box=box).range() == cli("range", NET3, "--box", box, "--json")


def test_slice_equals_the_cli(cli):
    net = Network.from_json(NET3)
    got = net.slice(["-1", "0", "1/2"], [1, "1/3", 0])
    assert got == cli("slice", NET3, "--line", "-1,0,1/2;1,1/3,0", "--json")
    assert got["breakpoints"] == sorted(got["breakpoints"], key=Fraction)


def test_regions_with_sizes_equal_the_cli(cli):
    got = Network.from_json(DEEP).regions(box="-2:2,-1:3", sizes=True)
    want = cli("regions", DEEP, "--box", "-2:2,-1:3", "--json", "--sizes")
    assert isinstance(got, RegionList) and got.complete is True
    assert [r.to_dict() for r in got] == want["regions"]
    # the exact areas add up to the box's
    assert sum(Fraction(r.size["area"]) for r in got) == 16


def test_vnnlib_equals_the_cli(cli, tmp_path):
    net = Network.from_json(DEEP)
    for bound, expected in (("-1000", "unsat"), ("0", None)):
        prop = tmp_path / f"p{bound}.vnnlib"
        prop.write_text("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
                        "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 -1))\n(assert (<= X_1 1))\n"
                        f"(assert (<= Y_0 {bound}))\n")
        got, want = net.vnnlib(prop), cli("vnnlib", DEEP, prop, "--json")
        got.pop("seconds"), want.pop("seconds")
        assert got == want
        if expected:
            assert got["result"] == expected
        if got["result"] == "sat":  # the counterexample is exact and satisfies the property
            x = got["counterexample"]["input"]
            assert net.output(x) == [Fraction(v) for v in got["counterexample"]["output"]]
            assert Fraction(got["counterexample"]["output"][0]) <= Fraction(bound)


def test_check_proves_an_answer_and_finds_a_forgery(cli):
    net = Network.from_json(DEEP)
    doc = cli("regions", DEEP, "--box", "-2:2,-1:3", "--json")
    boxed = net.with_domain(box="-2:2,-1:3")
    ok = boxed.check(doc)
    assert ok["ok"] and ok["failures"] == [] and ok["regions"] == len(doc["regions"])
    graph = cli("graph", DEEP, "--box", "-2:2,-1:3", "--format", "json")
    assert boxed.check(doc, graph)["edges"] > 0
    forged = json.loads(json.dumps(doc))
    forged["regions"][0]["point"] = forged["regions"][1]["point"]
    bad = boxed.check(forged)
    assert not bad["ok"] and bad["failures"]
    # an answer for another domain is refused before any work
    with pytest.raises(NetworkError, match="does not belong"):
        net.check(doc)
    # the Python regions check too, saved and loaded
    mine = boxed.regions(sizes=True)
    assert boxed.check(RegionList.from_json(mine.to_json()))["ok"]


def test_restrict_to_a_plane_is_the_exact_network_there():
    net = Network.from_json(NET3)
    p, u, v = ["1/10", 0, "-1/5"], [1, "1/2", 0], [0, "1/3", 1]
    flat = net.restrict(plane=(p, u, v), box=[(-1, 1), (-1, 1)])
    assert flat.input_dim == 2 and flat.output_dim == net.output_dim
    rng = random.Random(4)
    for _ in range(20):
        s, t = Fraction(rng.randint(-50, 50), 50), Fraction(rng.randint(-50, 50), 50)
        x = [Fraction(a) + s * Fraction(b) + t * Fraction(c) for a, b, c in zip(p, u, v)]
        assert flat.output([s, t]) == net.output(x)
    # three points: s, t in [0, 1] reach them
    through = net.restrict(through=([0, 0, 0], [1, 0, 0], [0, 1, 0]), box=[(0, 1), (0, 1)])
    assert through.output([1, 0]) == net.output([1, 0, 0]) and through.output([0, 1]) == net.output([0, 1, 0])
    with pytest.raises(NetworkError):
        net.restrict(plane=([0, 0], [1, 0], [0, 1]))  # 2 coordinates for 3 inputs


def polygon_area(pts):
    pts = np.asarray(pts)
    return 0.5 * abs(np.dot(pts[:, 0], np.roll(pts[:, 1], -1)) - np.dot(pts[:, 1], np.roll(pts[:, 0], -1)))


def test_plot_a_plane_coloured_by_class_with_its_boundary():
    import matplotlib

    matplotlib.use("Agg")
    from relu_regions._plot import _class_cells, boundary_segments

    net = Network.from_json(NET3)
    plane = ([0, 0, 0], [1, 0, 0], [0, 1, 0])
    ax = net.plot(plane=plane, box=[(-1, 1), (-1, 1)], color="output", boundary=True)
    assert ax.get_xlabel() == "s" and "regions" in ax.get_title()
    part = net.restrict(plane=plane, box=[(-1, 1), (-1, 1)]).partition()
    total = 0.0
    for r in part["regions"]:
        poly = np.asarray(r["polygon"])
        cells = list(_class_cells(r, poly))
        # the class cells tile the region
        assert math.isclose(sum(polygon_area(c) for _, c in cells), polygon_area(poly), rel_tol=1e-9, abs_tol=1e-12)
        total += polygon_area(poly)
    assert math.isclose(total, 4.0, rel_tol=1e-9)
    # a one-output network's boundary is its zero level: the output vanishes along each segment
    for seg in boundary_segments(part):
        for s, t in seg:
            y = float(net.output([Fraction(s), Fraction(t), 0])[0])
            assert abs(y) < 1e-6
    with pytest.raises(ValueError, match="color"):
        net.plot(plane=plane, color="rainbow")


def test_analyses_save_and_load(tmp_path):
    net = Network.from_json(DEEP)
    regions = net.regions(box="-2:2,-1:3", sizes=True)
    back = from_json(to_json(regions))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in regions] and back.provenance == regions.provenance
    counts = net.count_many(centers=np.zeros((3, 2)), radius="1/2", graph=True)
    again = from_json(to_json(counts))
    assert np.array_equal(again["regions"], counts["regions"]) and again["provenance"] == counts["provenance"]
    pytest.importorskip("networkx")
    g = net.graph(box="-2:2,-1:3")
    h = from_json(to_json(g))
    assert sorted(h.nodes) == sorted(g.nodes) and sorted(map(sorted, h.edges)) == sorted(map(sorted, g.edges))
    assert h.graph["provenance"] == g.graph["provenance"]
    path = tmp_path / "c.json"
    counts = net.count()
    path.write_text(to_json(counts))
    assert from_json(path) == counts


def test_region_rows_are_scaled_to_unit_length_with_the_exact_rows_kept():
    # weights from 1e-7 to 1e20: the exact rows span 27 orders of magnitude
    net = Network.from_json('{"input_dim": 2, "layers": [{"weights": [["1e20", "1"], ["1e-7", "-3e-7"], '
                            '["2", "-1e19"]], "bias": ["1", "1e-8", "-5"], "activation": "relu"}, '
                            '{"weights": [[1, 2, 3]], "activation": "linear"}]}')
    regions = list(net.regions(box=[(-1, 1), (-1, 1)]))
    assert len(regions) > 1
    for r in regions:
        assert np.allclose(np.linalg.norm(r.A, axis=1), 1.0)
        assert np.all(r.A @ r.point < r.b)  # the interior point, strictly inside in floats too
        for row, b, exact_row, exact_b in zip(r.A, r.b, r.A_exact, r.b_exact):
            # the same halfspace: a positive multiple of the exact row
            k = max(range(2), key=lambda j: abs(exact_row[j]))
            scale = row[k] / float(exact_row[k])
            assert scale > 0
            assert np.allclose(row, [float(v) * scale for v in exact_row], rtol=1e-12, atol=1e-300)
            assert math.isclose(b, float(exact_b) * scale, rel_tol=1e-9, abs_tol=1e-12)
