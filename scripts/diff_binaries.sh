#!/usr/bin/env bash
# Runs two relu-regions binaries on the bundled fixtures and diffs their answers: `count --json`,
# `regions --json`, `graph --format json` and `vnnlib --json`. Run-dependent figures (times,
# the tool version, LP statistics) are removed before comparing; everything else must be
# byte-identical unless a change meant it. Used to show that a restructuring changes no output.
#
# usage: scripts/diff_binaries.sh OLD_BINARY NEW_BINARY [OUT_DIR]
# exit 0 when every output agrees, 1 when one differs (the diffs are printed).
set -uo pipefail
cd "$(dirname "$0")/.."
old="$1"; new="$2"; out="${3:-$(mktemp -d)}"
mkdir -p "$out/old" "$out/new"

# name | arguments
cases=(
  "seed-count|count fixtures/seed.json --json"
  "seed-regions|regions fixtures/seed.json --json"
  "seed-graph|graph fixtures/seed.json --format json"
  "deep2d-count|count fixtures/deep2d.json --json"
  "deep2d-regions|regions fixtures/deep2d.json --json"
  "deep2d-graph|graph fixtures/deep2d.json --format json"
  "fc223-regions|regions fixtures/nnet/fc_2-2-3.nnet --json"
  "braid5-count|count fixtures/bench/braid5.json --json"
  "net2-16-16-regions|regions fixtures/bench/net-2-16-16.json --json"
  "torch32-3-10-10-graph|graph fixtures/bench/torch32-3-10-10.json --format json"
  "acas-box-count|count fixtures/nnet/ACASXU_run2a_1_1_batch_2000.nnet --coords normalized --box -0.01:0.01,0.09:0.11,-0.11:-0.09,0.19:0.21,-0.21:-0.19 --json"
  "acas-onnx-regions|regions fixtures/onnx/ACASXU_run2a_1_1_batch_2000.onnx --box -0.01:0.01,0.09:0.11,-0.11:-0.09,0.19:0.21,-0.21:-0.19 --json"
)

# Drops the keys that differ from run to run (times, LP statistics, version strings).
normalise() {
  python3 -c '
import json, sys
VOLATILE = {"seconds", "elapsed", "elapsed_seconds", "time", "wall_seconds", "version", "lp_stats",
            "lps", "bound_lps", "exact_lps", "statistics", "stats"}
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
text = sys.stdin.read()
try:
    print(json.dumps(strip(json.loads(text)), indent=1, sort_keys=True))
except ValueError:
    print(text)
'
}

# A small ACAS Xu property (the box above; "output 0 is not the minimum"): written here, as no
# property file is bundled.
prop="$out/acas.vnnlib"
{
  for i in 0 1 2 3 4; do echo "(declare-const X_$i Real)"; done
  for i in 0 1 2 3 4; do echo "(declare-const Y_$i Real)"; done
  lo=(-0.01 0.09 -0.11 0.19 -0.21); hi=(0.01 0.11 -0.09 0.21 -0.19)
  for i in 0 1 2 3 4; do echo "(assert (>= X_$i ${lo[$i]}))"; echo "(assert (<= X_$i ${hi[$i]}))"; done
  echo "(assert (<= Y_0 Y_1))"; echo "(assert (<= Y_0 Y_2))"; echo "(assert (<= Y_0 Y_3))"; echo "(assert (<= Y_0 Y_4))"
} > "$prop"
cases+=("acas-vnnlib|vnnlib fixtures/nnet/ACASXU_run2a_1_1_batch_2000.nnet $prop --coords normalized --json")

status=0
for c in "${cases[@]}"; do
  name="${c%%|*}"; args="${c#*|}"
  # shellcheck disable=SC2086
  "$old" $args 2>"$out/old/$name.err" | normalise > "$out/old/$name.json"
  # shellcheck disable=SC2086
  "$new" $args 2>"$out/new/$name.err" | normalise > "$out/new/$name.json"
  if cmp -s "$out/old/$name.json" "$out/new/$name.json"; then
    echo "same     $name"
  else
    echo "DIFFERS  $name"; diff "$out/old/$name.json" "$out/new/$name.json" | head -20; status=1
  fi
done
echo "outputs in $out"
exit $status
