#!/usr/bin/env bash
# How fast `ladder fit` gets through large metrics tables: rows per second at 10k, 100k and
# 1M rows, as CSV and as JSON Lines, whole processes.
#
# The tables follow Chinchilla's law (E 1.69, A 406.4, alpha 0.34, B 410.7, beta 0.28)
# with 0.3% noise: 20 sizes from 10M to 1B parameters, each with rows/20 token counts from
# 2x to 80x its parameters, in the columns `ladder metrics` writes.
#
# There is no peer program. LADDER_BASELINE=path/to/an/older/ladder also times that
# binary, on the tables of at most BASELINE_MAX_ROWS rows (default 10000: before the grid
# search ran on a sample, 10k rows took minutes and 1M would take hours), and prints
# the speed-up.
#
# Usage: scripts/bench/fit_rows.sh [ROWS...]   (default 10000 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/../.."
ladder="${LADDER_BUILD_DIR:-build}/ladder"
[ -x "$ladder" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
baseline="${LADDER_BASELINE:-}"
baseline_max_rows="${BASELINE_MAX_ROWS:-10000}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# write_table ROWS FORMAT FILE
write_table() {
    awk -v rows="$1" -v format="$2" 'BEGIN {
        sizes = 20; steps = int(rows / sizes); state = 42;
        if (format == "csv") print "name,step,tokens,size,num_params,eval/lm/held/CE loss";
        for (s = 1; s <= sizes; s++) {
            n = 1e7 * exp(log(100) * (s - 1) / (sizes - 1));
            for (k = 1; k <= steps; k++) {
                d = n * 2 * exp(log(40) * k / steps);
                state = (state * 16807) % 2147483647;  # Park-Miller: exact in doubles
                loss = (1.69 + 406.4 / n^0.34 + 410.7 / d^0.28) * (1 + 0.006 * (state / 2147483647 - 0.5));
                if (format == "csv")
                    printf "\"period %d, post-decay\",%d,%.0f,s%d,%.0f,%.6f\n", k, k, d, s, n, loss;
                else
                    printf "{\"name\": \"period %d, post-decay\", \"step\": %d, \"tokens\": %.0f, \"size\": \"s%d\", \"num_params\": %.0f, \"eval/lm/held/CE loss\": %.6f}\n", k, k, d, s, n, loss;
            }
        }
    }' > "$3"
}

# Wall seconds of one run of `$@`, which must succeed.
seconds() {
    local start end
    start=$(date +%s%N)
    "$@" > "$work/out" 2> "$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN {printf "%.2f", ns / 1e9}'
}

per_second() { awk -v rows="$1" -v s="$2" 'BEGIN {printf "%.0f", rows / s}'; }

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf '%-10s %-6s %10s %12s %12s %14s %10s\n' rows format "ladder s" "rows/s" "baseline s" \
    "baseline rows/s" "speed-up"
for rows in "${sizes[@]}"; do
    for format in csv jsonl; do
        file="$work/metrics_$rows.$format"
        write_table "$rows" "$format" "$file"
        ours=$(seconds "$ladder" fit "$file" --json)
        base="-" base_rate="-" ratio="-"
        if [ -n "$baseline" ] && [ "$format" = csv ] && [ "$rows" -le "$baseline_max_rows" ]; then
            base=$(seconds "$baseline" fit "$file" --json)
            base_rate=$(per_second "$rows" "$base")
            ratio=$(awk -v b="$base" -v o="$ours" 'BEGIN {printf "%.0fx", b / o}')
        fi
        printf '%-10s %-6s %10s %12s %12s %14s %10s\n' "$rows" "$format" "$ours" \
            "$(per_second "$rows" "$ours")" "$base" "$base_rate" "$ratio"
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
