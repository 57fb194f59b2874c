#!/usr/bin/env bash
# Configures and builds ladder (Release) into build/ (or $LADDER_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${LADDER_BUILD_DIR:-build}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
fi
cmake --build "$build_dir" --parallel "$(nproc)"
