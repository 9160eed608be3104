"""The Kubernetes Indexed Job manifest in deploy/ runs a shard with the CLI as written."""

import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, cli_binary

yaml = pytest.importorskip("yaml")


def test_the_indexed_job_command_runs_a_shard(cli, tmp_path):
    job = yaml.safe_load((ROOT / "deploy" / "k8s-indexed-job.yaml").read_text())
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    assert command[:3] == ["relu-regions", "shard", "run"]
    plan = tmp_path / "plan" / "plan.json"
    plan.parent.mkdir()
    cli("shard", "plan", FIXTURES / "deep2d.json", "--shards", job["spec"]["completions"] // 16, "-o", plan, parse=False)
    parts = tmp_path / "parts"
    parts.mkdir()
    args = [cli_binary()] + [a.replace("/plan/", f"{plan.parent}/").replace("/parts/", f"{parts}/") for a in command[1:]]
    run = subprocess.run(args, env={"JOB_COMPLETION_INDEX": "2"}, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    direct = tmp_path / "direct.jsonl"
    cli("shard", "run", plan, "--index", 2, "-o", direct, parse=False)
    assert (parts / "part-2.jsonl").read_text() == direct.read_text()
