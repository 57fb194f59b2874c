#!/usr/bin/env bash
# How fast `ladder dry-run` answers, as whole processes, against the 50 ms target.
#
# The Python peer (OLMo-core's `dry_run` in src/scripts/train/ladder/olmo3_ladder.py)
# imports torch and olmo_core before planning anything. It cannot be installed here, so
# the table gives a lower bound for it: a bare `python3 -c 'import torch'` when torch is
# importable, else plain interpreter start-up. Both are measured in this same run.
#
# Usage: scripts/bench/dry_run_latency.sh [RUNS]   (default 30 runs per command)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-30}"
ladder="${LADDER_BUILD_DIR:-build}/ladder"
[ -x "$ladder" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT

# Median wall time of a command in milliseconds over $runs runs.
median_ms() {
    local times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

peer_label="python3 start-up (peer lower bound)"
peer=(python3 -c pass)
if python3 -c 'import torch' >/dev/null 2>&1; then
    peer_label="python3 -c 'import torch' (peer lower bound)"
    peer=(python3 -c 'import torch')
fi

no_plot=$(median_ms "$ladder" dry-run 190M --no-plot)
json=$(median_ms "$ladder" dry-run 190M --json)
with_plot=$(median_ms "$ladder" dry-run 190M --output-dir "$out_dir")
peer_ms="n/a"
command -v python3 >/dev/null && peer_ms=$(median_ms "${peer[@]}")

printf '%-50s %10s %12s %14s\n' "command (median of $runs runs)" "ms" "vs 50 ms" "peer / ours"
row() {
    local ratio="n/a"
    [ "$peer_ms" != "n/a" ] && ratio=$(awk -v p="$peer_ms" -v o="$2" 'BEGIN {printf "%.1fx", p/o}')
    printf '%-50s %10s %12s %14s\n' "$1" "$2" "$(awk -v o="$2" 'BEGIN {printf "%.2fx", o/50}')" "$ratio"
}
row "ladder dry-run 190M --no-plot" "$no_plot"
row "ladder dry-run 190M --json" "$json"
row "ladder dry-run 190M (writes the PNG)" "$with_plot"
printf '%-50s %10s\n' "$peer_label" "$peer_ms"
