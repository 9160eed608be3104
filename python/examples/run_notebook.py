#!/usr/bin/env python3
"""Runs a notebook's code cells in order, headless, in one namespace (no Jupyter kernel needed:
CI runs python/examples/research_loop.ipynb with it), in a scratch directory; a failing cell
fails the run with its index and traceback.

usage: run_notebook.py NOTEBOOK.ipynb
"""
import json
import os
import sys
import tempfile
import time
import traceback


def main() -> int:
    path = os.path.abspath(sys.argv[1])
    with open(path) as f:
        notebook = json.load(f)
    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        for k, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            start = time.monotonic()
            try:
                exec(compile(source, f"{os.path.basename(path)}[cell {k}]", "exec"), namespace)
            except Exception:
                traceback.print_exc()
                print(f"FAILED: cell {k} of {path}", file=sys.stderr)
                return 1
            print(f"-- cell {k} ran in {time.monotonic() - start:.1f} s", file=sys.stderr)
    print(f"{path}: every cell ran", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
