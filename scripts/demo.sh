#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the demo ladder: its plan and
# LR schedules. Outputs go to ladder-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ladder=build/ladder
[ -n "${LADDER_BUILD_DIR:-}" ] && ladder="$LADDER_BUILD_DIR/ladder"

set -x
"$ladder" dry-run 14M --config configs/demo.yaml --show-model
"$ladder" plot-lr 1M 14M 30M --config configs/demo.yaml
"$ladder" dry-run 190M --no-plot
