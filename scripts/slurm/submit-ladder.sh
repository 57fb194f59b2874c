#!/usr/bin/env bash
# Submits one SLURM job per size of a ladder, each sized from `ladder dry-run SIZE --json`
# (num_devices ranks: on GPUs whole nodes of --gpus-per-node, one task per GPU; on the
# CPU --tasks-per-node tasks per node, no GPUs requested), skipping sizes whose final
# planned checkpoint already exists. Jobs requeue themselves when preempted or timed out
# (see ladder.sbatch).
#
# Usage: scripts/slurm/submit-ladder.sh [--gpus-per-node N | --cpu] [--tasks-per-node N] [--dry-run] CONFIG [SIZE...] [-- SBATCH_ARGS...]
#   SIZE...           sizes to train (default: every size of the ladder)
#   --gpus-per-node   GPUs per node (default 8, or $LADDER_GPUS_PER_NODE); 0: CPU jobs
#   --cpu             CPU jobs, no GPU (GRES) request: the same as --gpus-per-node 0
#   --tasks-per-node  ranks per node of a CPU job (default: every rank on one node)
#   --dry-run         print the sbatch commands instead of running them
#   SBATCH_ARGS       passed to sbatch (partition, account, time, ...)
# Environment: LADDER_BIN (default: build/ladder beside this script's repository),
# LADDER_ARGS (extra `ladder train` arguments for every job, split like a shell command
# line: quotes and backslashes group words, nothing is expanded; they apply to the skip
# check and the sizing too, and reach the job as ladder.sbatch's arguments, unchanged).
# python3 reads the JSON and splits LADDER_ARGS.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
usage="usage: $0 [--gpus-per-node N | --cpu] [--tasks-per-node N] [--dry-run] CONFIG [SIZE...] [-- SBATCH_ARGS...]"
gpus_per_node="${LADDER_GPUS_PER_NODE:-8}"
tasks_per_node=""
dry_run=false
positional=()
sbatch_args=()
fail_usage() { echo "submit-ladder.sh: $1" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --gpus-per-node) [ $# -ge 2 ] || fail_usage "--gpus-per-node needs a value"; gpus_per_node="$2"; shift 2 ;;
        --gpus-per-node=*) gpus_per_node="${1#*=}"; shift ;;
        --cpu) gpus_per_node=0; shift ;;
        --tasks-per-node) [ $# -ge 2 ] || fail_usage "--tasks-per-node needs a value"; tasks_per_node="$2"; shift 2 ;;
        --tasks-per-node=*) tasks_per_node="${1#*=}"; shift ;;
        --dry-run) dry_run=true; shift ;;
        --) shift; sbatch_args=("$@"); break ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) fail_usage "unknown option '$1' (sbatch options go after --)" ;;
        *) positional+=("$1"); shift ;;
    esac
done
[ ${#positional[@]} -ge 1 ] || { echo "$usage" >&2; exit 2; }
[[ "$gpus_per_node" =~ ^(0|[1-9][0-9]*)$ ]] || fail_usage "--gpus-per-node: expected a non-negative integer, got '$gpus_per_node'"
cpu=false
[ "$gpus_per_node" -eq 0 ] && cpu=true
if [ -n "$tasks_per_node" ]; then
    $cpu || fail_usage "--tasks-per-node is for CPU jobs (--cpu); GPU jobs run one task per GPU"
    [[ "$tasks_per_node" =~ ^[1-9][0-9]*$ ]] || fail_usage "--tasks-per-node: expected a positive integer, got '$tasks_per_node'"
fi
config="$(cd "$(dirname "${positional[0]}")" && pwd)/$(basename "${positional[0]}")"
[ -f "$config" ] || fail_usage "config file '${positional[0]}' not found"
sizes=("${positional[@]:1}")
ladder="${LADDER_BIN:-$here/../../build/ladder}"
[ -x "$ladder" ] || fail_usage "no ladder executable at '$ladder' (set LADDER_BIN)"
ladder="$(cd "$(dirname "$ladder")" && pwd)/$(basename "$ladder")"

# LADDER_ARGS as words, without eval: Python's shlex splits it the way a shell would
# (quotes, backslashes) but expands nothing, and hands the words over NUL-separated.
ladder_args=()
if [ -n "${LADDER_ARGS:-}" ]; then
    mapfile -d '' -t ladder_args < <(python3 -c '
import os, shlex, sys
try:
    words = shlex.split(os.environ["LADDER_ARGS"])
except ValueError as e:
    sys.exit(f"submit-ladder.sh: LADDER_ARGS: {e}")
sys.stdout.write("".join(word + "\0" for word in words))
')
    wait $! || exit 2
fi
# The jobs get them as arguments (exactly these words); ladder.sbatch refuses LADDER_ARGS.
unset LADDER_ARGS

# Runs ladder with the jobs' extra arguments: the skip check and the sizing see the same
# ladder (its dir, max_devices, ...) as the jobs will. A failure ends the script with
# ladder's exit code, after its one line.
run_ladder() {
    "$ladder" "$@" --config "$config" "${ladder_args[@]}"
}

# One line per size: "<size> <done: 0|1>", sizes in ladder order.
checkpoints="$(run_ladder checkpoints --all --json)" || exit $?
status="$(python3 -c '
import json, sys
for size, checkpoints in json.load(sys.stdin).items():
    print(size, int(bool(checkpoints) and checkpoints[-1]["exists"]))
' <<<"$checkpoints")"
if [ ${#sizes[@]} -eq 0 ]; then
    mapfile -t sizes < <(cut -d' ' -f1 <<<"$status")
fi

for size in "${sizes[@]}"; do
    done_flag="$(awk -v s="$size" '$1 == s {print $2}' <<<"$status")"
    [ -n "$done_flag" ] || fail_usage "size '$size' is not in the ladder"
    if [ "$done_flag" = 1 ]; then
        echo "$size: final checkpoint exists; skipped"
        continue
    fi
    plan="$(run_ladder dry-run "$size" --json)" || exit $?
    devices="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["num_devices"])' <<<"$plan")"
    if $cpu; then
        per_node="${tasks_per_node:-$devices}"
    else
        per_node="$gpus_per_node"
    fi
    per_node=$(( devices < per_node ? devices : per_node ))
    nodes=$(( (devices + per_node - 1) / per_node ))
    command=(sbatch --job-name "ladder-$size" --nodes "$nodes" --ntasks-per-node "$per_node")
    # A CPU job asks for no GRES at all: a partition without GPUs rejects any GPU request.
    $cpu || command+=(--gpus-per-node "$per_node")
    command+=(--export "ALL,LADDER_BIN=$ladder,LADDER_CONFIG=$config,LADDER_SIZE=$size"
        "${sbatch_args[@]}" "$here/ladder.sbatch" "${ladder_args[@]}")
    if $cpu; then
        echo "$size: $devices CPU rank(s) on $nodes node(s)"
    else
        echo "$size: $devices GPU(s) on $nodes node(s)"
    fi
    if $dry_run; then
        printf '%q ' "${command[@]}"
        echo
    else
        "${command[@]}"
    fi
done
