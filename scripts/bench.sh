#!/usr/bin/env bash
# Benchmark suite: regions, LPs, exact fallbacks, wall time, regions/s and peak memory for each
# network, printed as a Markdown table. Speed is measured here, never in unit tests.
#
# usage: scripts/bench.sh [--full] [--threads N] [--graph] [--torch32]
#   --full      also ACAS Xu and MNIST width 0.1 (about half a minute each)
#   --torch32   only the float32 PyTorch-default-initialised networks, each on all of R^d, a box
#               and a simplex (issue 12's workload; 60 s limit each)
#   --threads N worker threads (default 1)
#   --graph     count with facets, graph and pieces (default: --no-graph, regions only)
set -euo pipefail
cd "$(dirname "$0")/.."
full=0; threads=1; graph="--no-graph"; torch32=0
while [ $# -gt 0 ]; do
  case "$1" in
    --full) full=1 ;;
    --threads) threads="$2"; shift ;;
    --graph) graph="" ;;
    --torch32) torch32=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
cargo build --release -q
bin=target/release/relu-regions
acas=fixtures/nnet/ACASXU_run2a_1_1_batch_2000.nnet
acas_box() { python3 -c "
c=[0,0.1,-0.1,0.2,-0.2];h=$1/2
print(','.join(f'{x-h:.6g}:{x+h:.6g}' for x in c))"; }

run() { # name, args...
  local name="$1"; shift
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out.time" "$bin" count "$@" --json $graph --threads "$threads" > "$out" || true
  python3 - "$name" "$out" "$out.time" <<'PY'
import json, sys
name, out, tm = sys.argv[1:]
c = json.load(open(out)); wall, kb = open(tm).read().split()[-2:]
wall = float(wall)
extra = f" {c['edges']} | {c['pieces']} |" if 'edges' in c else " - | - |"
print(f"| {name} | {c['regions']} | {c['bounded']} |{extra} {c['lps']} | {c['exact_fallbacks']} | {wall:.2f} | {c['regions']/max(wall,1e-3):.0f} | {int(kb)//1024} |")
PY
  rm -f "$out" "$out.time"
}

echo "threads: $threads, mode: ${graph:-with graph}, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| network | regions | bounded | edges | pieces | LPs | exact fallbacks | wall s | regions/s | peak MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
if [ "$torch32" = 1 ]; then
  # each network on all of R^d, on the box [-20, 20]^d and on the simplex x_i >= -20,
  # sum x_i <= 20 d (which holds that box)
  domains=$(mktemp -d)
  for net in torch32-2-16-16 torch32-2-32-32 torch32-2-16-16-16 torch32-3-10-10 torch32-4-8-8-8 torch32-5-20-20; do
    d=$(python3 -c "import json; print(json.load(open('fixtures/bench/$net.json'))['input_dim'])")
    python3 - "$d" "$domains" <<'PY'
import json, sys
d, out = int(sys.argv[1]), sys.argv[2]
json.dump({"box": [["-20", "20"]] * d}, open(f"{out}/box{d}.json", "w"))
rows = [[-1 if j == i else 0 for j in range(d)] for i in range(d)] + [[1] * d]
json.dump({"polytope": {"A": rows, "b": [20] * d + [20 * d]}}, open(f"{out}/simplex{d}.json", "w"))
PY
    run "$net (R^d)" "fixtures/bench/$net.json" --time-limit 60
    run "$net (box)" "fixtures/bench/$net.json" --time-limit 60 --domain "$domains/box$d.json"
    run "$net (simplex)" "fixtures/bench/$net.json" --time-limit 60 --domain "$domains/simplex$d.json"
  done
  rm -rf "$domains"
  exit 0
fi
for net in net-2-16-16 net-2-32-32 net-2-16-16-16 net-4-8-8-8 net-5-20-20; do
  run "$net" "fixtures/bench/$net.json"
done
run "braid5 (R^5)" fixtures/bench/braid5.json
run "generic 12 in R^4" fixtures/bench/generic-12-4.json
for w in 0.01 0.02 0.05; do
  run "ACAS Xu 1_1, width $w" "$acas" --coords normalized --box "$(acas_box $w)"
done
mnist=fixtures/nnet/mnist10x10.nnet
mnist_box() { python3 -c "
h=$1/2
print(','.join([f'{0.5-h:.6g}:{0.5+h:.6g}'] * 784))"; }
run "MNIST 10x10 (784 inputs), width 0.02" "$mnist" --box "$(mnist_box 0.02)"
if [ -n "$graph" ] || [ "$full" = 1 ]; then
  run "MNIST 10x10 (784 inputs), width 0.05" "$mnist" --box "$(mnist_box 0.05)"
fi
if [ "$full" = 1 ]; then
  run "ACAS Xu 1_1, width 0.1" "$acas" --coords normalized --box "$(acas_box 0.1)"
  if [ -n "$graph" ]; then
    run "MNIST 10x10 (784 inputs), width 0.1" "$mnist" --box "$(mnist_box 0.1)"
  fi
fi
