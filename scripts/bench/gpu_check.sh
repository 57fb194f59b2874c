#!/usr/bin/env bash
# Everything a GPU machine is needed for, in one run: build against its PyTorch's CUDA
# LibTorch, check the CUDA kernels (`ctest -L cuda`), then measure (gpu_train.sh).
#
# Usage: scripts/bench/gpu_check.sh [STEPS] [-- BUILD_CLUSTER_ARGS...]
#   e.g. scripts/bench/gpu_check.sh 30 -- --prefix third_party/prefix
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=40
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    steps="$1"
    shift
fi
[ "${1:-}" = "--" ] && shift
build_dir="${LADDER_BUILD_DIR:-build-cluster}"
LADDER_BUILD_DIR="$build_dir" scripts/build-cluster.sh "$@"
ctest --test-dir "$build_dir" -L cuda --output-on-failure --no-tests=error
LADDER_BUILD_DIR="$build_dir" scripts/bench/gpu_train.sh "$steps"
