#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir "${LADDER_BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)"
