#!/usr/bin/env bash
# Installs dependencies, builds, prepares the demo data (State of the Union addresses,
# tokenized with an 8k SentencePiece BPE; cached in data/demo/), then shows the demo
# ladder's plan and LR schedules (ladder-output/), trains its smallest rung on the CPU up to
# its first post-decay checkpoint (a couple of minutes on 2 cores; metrics.jsonl and
# TensorBoard files beside its checkpoints) and draws its loss curves.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ladder=build/ladder
[ -n "${LADDER_BUILD_DIR:-}" ] && ladder="$LADDER_BUILD_DIR/ladder"

scripts/prepare_demo_data.sh

set -x
"$ladder" dry-run 140K --config configs/demo.yaml --show-model
"$ladder" plot-lr 140K 2M 5M --config configs/demo.yaml
set +x
first_post_decay=$("$ladder" dry-run 140K --config configs/demo.yaml --json 2>/dev/null |
    awk '/"step":/ {step = $2} /post-decay/ {sub(",", "", step); print step; exit}')
set -x
"$ladder" train 140K --config configs/demo.yaml \
    --trainer.hard_stop="{value: $first_post_decay, unit: steps}" \
    --trainer.callbacks.console_logger.log_interval=50 \
    --trainer.callbacks.tensorboard.enabled=true
"$ladder" plot-metrics 140K --config configs/demo.yaml
