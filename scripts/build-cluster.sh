#!/usr/bin/env bash
# Builds ladder on a cluster without root, into build-cluster/ (or $LADDER_BUILD_DIR).
#
# LibTorch comes from an existing PyTorch install (the CUDA build brings CUDA and NCCL,
# so data-parallel training uses NCCL); every other dependency from a user prefix:
#   - a conda environment (the default when $CONDA_PREFIX is set), e.g.
#       conda install -c conda-forge cmake ninja pkg-config yaml-cpp cli11 nlohmann_json \
#           spdlog 'catch2<3' cairo sentencepiece zlib
#   - or, on a Debian/Ubuntu host, --fetch-debs: the -dev packages and everything they
#     need that the host lacks, fetched with `apt-get download` and unpacked with
#     `dpkg -x` into third_party/prefix/ (git-ignored; no root needed).
#   - or, on a node that cannot install packages, a folder made by scripts/pack-deps.sh on a
#     Debian/Ubuntu machine and copied over: --prefix DIR.
#
# Usage: scripts/build-cluster.sh [--python PY] [--torch-cmake-prefix DIR] [--prefix DIR]
#                                 [--fetch-debs] [-- CMAKE_ARGS...]
#   --python PY               the Python whose torch to build against (default python3)
#   --torch-cmake-prefix DIR  a LibTorch CMake prefix instead (holds Torch/TorchConfig.cmake)
#   --prefix DIR              where the other dependencies are (default $CONDA_PREFIX)
set -euo pipefail
cd "$(dirname "$0")/.."

python=python3
torch_prefix=""
prefix="${CONDA_PREFIX:-}"
fetch_debs=false
cmake_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --python) python="$2"; shift 2 ;;
        --torch-cmake-prefix) torch_prefix="$2"; shift 2 ;;
        --prefix) prefix="$2"; shift 2 ;;
        --fetch-debs) fetch_debs=true; shift ;;
        --) shift; cmake_args=("$@"); break ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-cluster.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

if [ -z "$torch_prefix" ]; then
    torch_prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)" || {
        echo "build-cluster.sh: '$python' cannot import torch (use --python or --torch-cmake-prefix)" >&2
        exit 2
    }
    abi="$("$python" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
    if [ "$abi" != 1 ]; then
        echo "build-cluster.sh: this PyTorch uses the pre-C++11 string ABI, which the other" \
            "C++ libraries do not; use a PyTorch built with the C++11 ABI (2.7 or later from pip)" >&2
        exit 2
    fi
fi
[ -f "$torch_prefix/Torch/TorchConfig.cmake" ] || {
    echo "build-cluster.sh: no Torch/TorchConfig.cmake under '$torch_prefix' (this PyTorch ships no CMake package)" >&2
    exit 2
}

if $fetch_debs; then
    if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
        echo "build-cluster.sh: --fetch-debs needs apt-get and dpkg (a Debian or Ubuntu host)" >&2
        exit 2
    fi
    prefix="$PWD/third_party/prefix"
    wanted=(cmake ninja-build pkg-config libcli11-dev libyaml-cpp-dev nlohmann-json3-dev
        libspdlog-dev catch2 libcairo2-dev libsentencepiece-dev zlib1g-dev fonts-dejavu-core)
    # The packages' dependency closure, less what the host already has.
    mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances "${wanted[@]}" |
        grep -v '^ ' | grep -v '^<' | sort -u)
    fetch=()
    for package in "${closure[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            fetch+=("$package")
    done
    mkdir -p "$prefix/debs"
    if [ ${#fetch[@]} -gt 0 ]; then
        echo "build-cluster.sh: fetching ${#fetch[@]} package(s) into $prefix"
        (cd "$prefix/debs" && apt-get download "${fetch[@]}")
        for deb in "$prefix"/debs/*.deb; do dpkg -x "$deb" "$prefix"; done
    fi
    # A fetched pkgconf needs its library from there too (same release as this host).
    LD_LIBRARY_PATH="$prefix/usr/lib/$(gcc -print-multiarch):${LD_LIBRARY_PATH:-}"
    export LD_LIBRARY_PATH
fi

if [ -n "$prefix" ] && [ -d "$prefix/usr/lib" ]; then
    # Debian's layout (--fetch-debs, or a folder made by scripts/pack-deps.sh elsewhere):
    # its pkg-config files say /usr, so point them at where the folder lies now.
    prefix="$(cd "$prefix" && pwd)"
    multiarch="$(gcc -print-multiarch)"
    for pc in "$prefix"/usr/lib/"$multiarch"/pkgconfig/*.pc "$prefix"/usr/share/pkgconfig/*.pc; do
        if [ -f "$pc" ]; then
            sed -i -E "s#(=|-I|-L)/usr(/|\$|[[:space:]])#\1$prefix/usr\2#g" "$pc"
        fi
    done
    export PATH="$prefix/usr/bin:$PATH"
    export PKG_CONFIG_PATH="$prefix/usr/lib/$multiarch/pkgconfig:$prefix/usr/share/pkgconfig:${PKG_CONFIG_PATH:-}"
    # The executable finds the folder's libraries, and theirs, without LD_LIBRARY_PATH: an
    # RPATH (not RUNPATH) is searched for indirect dependencies too.
    cmake_args=(-DCMAKE_BUILD_RPATH="$prefix/usr/lib/$multiarch"
        "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags" "${cmake_args[@]}")
elif [ -n "$prefix" ]; then
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/share/pkgconfig:${PKG_CONFIG_PATH:-}"
fi

build_dir="${LADDER_BUILD_DIR:-build-cluster}"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix" ${prefix:+-DLADDER_DEPS_PREFIX="$prefix"} \
    "${cmake_args[@]}"
cmake --build "$build_dir" --parallel "$(nproc)"
echo "build-cluster.sh: built $build_dir/ladder; check it with: $build_dir/ladder env"
