#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages. Idempotent: does
# nothing when everything is already installed. Runs apt as root, or through sudo.
set -euo pipefail

# shellcheck disable=SC2207 # the npm line is meant to expand to nothing or to one word
packages=(
    build-essential cmake ninja-build pkg-config clang-format
    libtorch-dev libgloo-dev
    libopenblas0-openmp  # becomes the selected libblas.so.3: the reference BLAS is ~60x slower
    libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev catch2
    libcairo2-dev fonts-dejavu-core
    libnlopt-dev  # the L-BFGS of `ladder fit`
    libsentencepiece-dev sentencepiece zlib1g-dev nodejs
    python3  # scripts/slurm/submit-ladder.sh reads JSON and splits LADDER_ARGS with it
    procps   # pgrep, for the tests that stop one worker of a launch
    python3-torch  # torchrun, for the tests that launch ladder under it
    $(command -v npm >/dev/null || echo npm)  # NodeSource's nodejs bundles npm, conflicting with Debian's
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
    sudo=(sudo)
fi
echo "Installing: ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
