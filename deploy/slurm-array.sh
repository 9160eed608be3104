#!/bin/bash
# A sharded relu-regions run as a Slurm job array: one array task per shard, then a merge.
#
#   relu-regions shard plan NET.nnet --coords normalized --box "..." --shards 256 -o plan.json
#   sbatch --array=0-255 deploy/slurm-array.sh plan.json parts/
#   relu-regions merge plan.json parts/part-*.jsonl --output count > counts.json
#
# Each task reads its index from SLURM_ARRAY_TASK_ID. A part is written atomically and a rerun
# gives the same bytes, so failed tasks can simply be resubmitted (sbatch --array=<ids>);
# `merge` names any shard that is missing, duplicated, partial or from another plan.
#SBATCH --job-name=relu-regions
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=logs/relu-regions-%A_%a.out
set -euo pipefail
plan="${1:?usage: sbatch --array=0-(K-1) slurm-array.sh PLAN.json PARTS_DIR}"
parts="${2:?usage: sbatch --array=0-(K-1) slurm-array.sh PLAN.json PARTS_DIR}"
mkdir -p "$parts"
# --counts-only keeps memory flat (merges to the `count --no-graph` figures); drop it for
# regions and the graph.
exec relu-regions shard run "$plan" --threads "${SLURM_CPUS_PER_TASK:-1}" \
  -o "$parts/part-{index}.jsonl" ${COUNTS_ONLY:+--counts-only}
