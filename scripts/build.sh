#!/usr/bin/env bash
# Configures and builds ladder (Release) into build/ (or $LADDER_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${LADDER_BUILD_DIR:-build}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# The CUDA kernels build wherever nvcc is, on PATH or where the toolkit installs it.
if ! command -v nvcc >/dev/null && [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
    export CUDACXX=/usr/local/cuda/bin/nvcc
fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
fi
cmake --build "$build_dir" --parallel "$(nproc)"
