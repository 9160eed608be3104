"""relu_regions.distributed on a 2-process LocalCluster: the merged answers are the
single-machine ones, also when a worker is killed mid-run; the parts match the CLI's."""

import os
import signal
import time

import pytest

distributed = pytest.importorskip("distributed")

from relu_regions import Network, NetworkError  # noqa: E402
from relu_regions import distributed as rd  # noqa: E402
from relu_regions import _native  # noqa: E402
from conftest import FIXTURES  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_count_regions_and_graph_equal_one_machine(client):
    net = Network.from_json(FIXTURES / "bench" / "net-2-16-16.json")
    assert rd.count(net, client=client, shards=6) == net.count(threads=1)
    assert rd.count(net, client=client, shards=3, graph=False) == net.count(graph=False, threads=1)
    many = [r.to_dict() for r in rd.regions(net, client=client, shards=5)]
    one = net.graph_json()
    assert [r["id"] for r in many] == [n["id"] for n in one["nodes"]]
    assert [r["piece"] for r in many] == [n["piece"] for n in one["nodes"]]
    g = rd.graph(net, client=client, shards=4)
    assert sorted(map(sorted, g.edges)) == sorted([e["source"], e["target"]] for e in one["edges"])


def test_box_and_domain_keywords(client):
    net = Network.from_json(FIXTURES / "bench" / "generic-12-4.json")
    box = [(-1, 1)] * 4
    assert rd.count(net, client=client, shards=4, box=box) == net.count(box=box, threads=1)


def test_a_worker_killed_mid_run_is_survived(client):
    net = Network.from_json(FIXTURES / "bench" / "torch32-4-8-8-8.json")  # about 2 s of work
    expected_regions = net.count(graph=False, threads=2)["regions"]
    plan_text = rd.plan(net, 24, per_shard=4, descents=1)
    pids = list(client.run(os.getpid).values())
    assert len(pids) == 2
    futures = [client.submit(rd._run_shard, i, plan_text, 1, True, key=f"kill-test-{i}") for i in range(24)]
    # wait until some, but not all, shards are done, then kill a worker process
    while sum(f.done() for f in futures) < 2:
        time.sleep(0.05)
    assert sum(f.done() for f in futures) < 24
    os.kill(pids[0], signal.SIGKILL)
    parts = client.gather(futures)
    merged = rd.json.loads(_native.merge_parts(plan_text, parts, "count"))
    assert merged["regions"] == expected_regions and merged["complete"] is True
    client.wait_for_workers(2, timeout=60)


def test_parts_are_the_cli_parts(cli, tmp_path):
    path = FIXTURES / "deep2d.json"
    net = Network.from_json(path)
    plan_text = rd.plan(net, 3, threads=1)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan_text)
    parts = []
    for i in range(3):
        part = tmp_path / f"part{i}.jsonl"
        cli("shard", "run", plan_file, "--index", i, "-o", part, parse=False)
        assert part.read_text() == _native.run_shard(plan_text, i, 1, False)
        parts.append(part)
    assert cli("merge", plan_file, *parts) == rd.json.loads(
        _native.merge_parts(plan_text, [p.read_text() for p in parts], "count"))


def test_bad_parts_raise():
    net = Network.from_json(FIXTURES / "deep2d.json")
    plan_text = rd.plan(net, 2)
    part0 = _native.run_shard(plan_text, 0)
    with pytest.raises(NetworkError, match="missing part"):
        _native.merge_parts(plan_text, [part0], "count")
    with pytest.raises(NetworkError, match="given twice"):
        _native.merge_parts(plan_text, [part0, part0], "count")
    with pytest.raises(NetworkError, match="no shard 5"):
        _native.run_shard(plan_text, 5)
