"""Shared helpers: the repository's fixtures and the CLI binary built by `cargo build --release`."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def cli_binary():
    """The relu-regions binary: $RELU_REGIONS_BIN, else target/release, else the PATH."""
    for candidate in (os.environ.get("RELU_REGIONS_BIN"), ROOT / "target" / "release" / "relu-regions",
                      shutil.which("relu-regions")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


@pytest.fixture(scope="session")
def cli():
    binary = cli_binary()
    if binary is None:
        pytest.skip("the relu-regions binary is not built (cargo build --release)")

    def run(*args, parse=True):
        out = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
        assert out.returncode in (0, 3), out.stderr
        return json.loads(out.stdout) if parse else out.stdout

    return run


@pytest.fixture(scope="session")
def cli_path():
    """The CLI binary's path (the test skips when it is not built)."""
    binary = cli_binary()
    if binary is None:
        pytest.skip("the relu-regions binary is not built (cargo build --release)")
    return binary
