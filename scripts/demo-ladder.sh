#!/usr/bin/env bash
# The OLMo ladder's two-step method (arXiv 2412.04403) end to end on one CPU, on the demo
# corpus: plan four tiny sizes (configs/demo-ladder.yaml), train each to 1xC with the
# validation loss and a downstream task (the true next sentence among four, made from
# held-out speeches by scripts/prepare_demo_task.sh) evaluated at every planned checkpoint,
# collect the metrics, then fit with the largest size held out: the loss law on the task's
# BPB, then the sigmoid from BPB to accuracy, printing the held-out size's predicted and
# actual accuracy and saving the figures in ladder-output/demo-ladder/.
#
# Usage: scripts/demo-ladder.sh [--quick] [--no-setup] [--dir DIR] [--output-dir DIR]
#   --quick       4 tokens per parameter instead of 20 (the same ladder, 5x shorter): a check
#                 of the whole path in a couple of minutes, not a ladder's result
#   --no-setup    skip scripts/setup.sh and scripts/build.sh (the build must exist)
#   --dir         where the runs go (default: the config's, model-ladders/demo-ladder)
#   --output-dir  where the metrics table, the fit and its figures go
#                 (default ladder-output/demo-ladder)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false setup=true dir="" out=ladder-output/demo-ladder
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=true ;;
    --no-setup) setup=false ;;
    --dir) dir="${2:?--dir needs a folder}"; shift ;;
    --output-dir) out="${2:?--output-dir needs a folder}"; shift ;;
    *) echo "usage: scripts/demo-ladder.sh [--quick] [--no-setup] [--dir DIR] [--output-dir DIR]" >&2; exit 2 ;;
    esac
    shift
done

if $setup; then
    scripts/setup.sh
    scripts/build.sh
fi
ladder=build/ladder
[ -n "${LADDER_BUILD_DIR:-}" ] && ladder="$LADDER_BUILD_DIR/ladder"
scripts/prepare_demo_data.sh
scripts/prepare_demo_task.sh

config=(--config configs/demo-ladder.yaml)
[ -n "$dir" ] && config+=(--dir="$dir")
$quick && config+=(--run.tokens_per_param=4)
mkdir -p "$out"
set -x
"$ladder" dry-run --all "${config[@]}"
for size in 70K 95K 140K 210K; do
    "$ladder" train "$size" "${config[@]}" --trainer.callbacks.console_logger.log_interval=200
done
"$ladder" metrics --all "${config[@]}" -o "$out/metrics.csv"
"$ladder" fit "$out/metrics.csv" --rows post-decay --holdout largest \
    --loss 'eval/downstream/sotu_next (BPB)' \
    --accuracy 'eval/downstream/sotu_next (length-normalized accuracy)' \
    --plot "$out" -o "$out/fit.json"
