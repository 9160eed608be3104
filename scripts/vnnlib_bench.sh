#!/usr/bin/env bash
# ACAS Xu VNN-LIB benchmark: every network (.nnet, --coords normalized) against the given
# properties, one line per instance: network, property, answer, seconds, regions visited, subtrees pruned.
# Usage: scripts/vnnlib_bench.sh DATA_DIR [PROPS...] (DATA_DIR holds ACASXU_run2a_*_batch_2000.nnet and vnnlib/prop_N.vnnlib)
# Environment: LIMIT (seconds per instance, default 120), THREADS (default 2).
set -euo pipefail
data=${1:?usage: scripts/vnnlib_bench.sh DATA_DIR [PROPS...]}
shift
props=${*:-3 4}
bin=${RELU_REGIONS_BIN:-target/release/relu-regions}
limit=${LIMIT:-120}
threads=${THREADS:-2}
printf 'network\tproperty\tresult\tseconds\tregions_visited\tsubtrees_pruned\n'
for p in $props; do
  for a in 1 2 3 4 5; do
    for b in 1 2 3 4 5 6 7 8 9; do
      net="$data/ACASXU_run2a_${a}_${b}_batch_2000.nnet"
      [ -f "$net" ] || continue
      out=$("$bin" vnnlib "$net" "$data/vnnlib/prop_$p.vnnlib" --coords normalized --json \
        --time-limit "$limit" --threads "$threads" 2>/dev/null || true)
      python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("\t".join(str(x) for x in [sys.argv[2], sys.argv[3], d["result"], "%.2f" % d["seconds"], d["regions_visited"], d.get("subtrees_pruned", 0)]))' \
        "$out" "${a}_${b}" "$p"
    done
  done
done
