#!/usr/bin/env bash
# Submits one SLURM job per size of a ladder, each sized from `ladder dry-run SIZE --json`
# (num_devices GPUs: whole nodes of --gpus-per-node, one task per GPU), skipping sizes
# whose final planned checkpoint already exists. Jobs requeue themselves when preempted
# or timed out (see ladder.sbatch).
#
# Usage: scripts/slurm/submit-ladder.sh [--gpus-per-node N] [--dry-run] CONFIG [SIZE...] [-- SBATCH_ARGS...]
#   SIZE...          sizes to train (default: every size of the ladder)
#   --gpus-per-node  GPUs per node (default 8, or $LADDER_GPUS_PER_NODE)
#   --dry-run        print the sbatch commands instead of running them
#   SBATCH_ARGS      passed to sbatch (partition, account, time, ...)
# Environment: LADDER_BIN (default: build/ladder beside this script's repository),
# LADDER_ARGS (extra `ladder train` arguments, passed to every job); python3 reads the JSON.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
gpus_per_node="${LADDER_GPUS_PER_NODE:-8}"
dry_run=false
positional=()
sbatch_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --gpus-per-node) gpus_per_node="$2"; shift 2 ;;
        --gpus-per-node=*) gpus_per_node="${1#*=}"; shift ;;
        --dry-run) dry_run=true; shift ;;
        --) shift; sbatch_args=("$@"); break ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) positional+=("$1"); shift ;;
    esac
done
[ ${#positional[@]} -ge 1 ] || { echo "usage: $0 [--gpus-per-node N] [--dry-run] CONFIG [SIZE...] [-- SBATCH_ARGS...]" >&2; exit 2; }
[[ "$gpus_per_node" =~ ^[1-9][0-9]*$ ]] || { echo "submit-ladder.sh: --gpus-per-node: expected a positive integer, got '$gpus_per_node'" >&2; exit 2; }
config="$(cd "$(dirname "${positional[0]}")" && pwd)/$(basename "${positional[0]}")"
[ -f "$config" ] || { echo "submit-ladder.sh: config file '${positional[0]}' not found" >&2; exit 2; }
sizes=("${positional[@]:1}")
ladder="${LADDER_BIN:-$here/../../build/ladder}"
[ -x "$ladder" ] || { echo "submit-ladder.sh: no ladder executable at '$ladder' (set LADDER_BIN)" >&2; exit 2; }
ladder="$(cd "$(dirname "$ladder")" && pwd)/$(basename "$ladder")"

# One line per size: "<size> <done: 0|1>", sizes in ladder order.
status="$("$ladder" checkpoints --all --json --config "$config" | python3 -c '
import json, sys
for size, checkpoints in json.load(sys.stdin).items():
    print(size, int(bool(checkpoints) and checkpoints[-1]["exists"]))
')"
if [ ${#sizes[@]} -eq 0 ]; then
    mapfile -t sizes < <(cut -d' ' -f1 <<<"$status")
fi

for size in "${sizes[@]}"; do
    done_flag="$(awk -v s="$size" '$1 == s {print $2}' <<<"$status")"
    [ -n "$done_flag" ] || { echo "submit-ladder.sh: size '$size' is not in the ladder" >&2; exit 2; }
    if [ "$done_flag" = 1 ]; then
        echo "$size: final checkpoint exists; skipped"
        continue
    fi
    devices="$("$ladder" dry-run "$size" --json --config "$config" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["num_devices"])')"
    per_node=$(( devices < gpus_per_node ? devices : gpus_per_node ))
    nodes=$(( (devices + gpus_per_node - 1) / gpus_per_node ))
    command=(sbatch --job-name "ladder-$size" --nodes "$nodes" --ntasks-per-node "$per_node"
        --gpus-per-node "$per_node"
        --export "ALL,LADDER_BIN=$ladder,LADDER_CONFIG=$config,LADDER_SIZE=$size"
        "${sbatch_args[@]}" "$here/ladder.sbatch")
    echo "$size: $devices GPU(s) on $nodes node(s)"
    if $dry_run; then
        printf '%q ' "${command[@]}"
        echo
    else
        "${command[@]}"
    fi
done
