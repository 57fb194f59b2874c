#!/usr/bin/env bash
# Packs ladder's build dependencies (everything but LibTorch) from this Debian/Ubuntu host
# into one folder, for a machine that cannot install packages (an offline cluster node):
# the -dev packages' headers, pkg-config and CMake files, the shared libraries they need,
# and pkgconf itself, in the host's /usr layout. Copy the folder over and build with
#   scripts/build-cluster.sh --prefix DIR
# The target needs a glibc and libstdc++ at least as new as this host's.
#
# Usage: scripts/pack-deps.sh [DIR]     (default third_party/prefix; run scripts/setup.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-third_party/prefix}"
multiarch="$(gcc -print-multiarch)"
# The packages ladder builds against directly; pkg-config's Requires add the rest.
direct=(libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev catch2
    libcairo2-dev libsentencepiece-dev libnlopt-dev zlib1g-dev pkgconf pkgconf-bin libpkgconf3)
modules=(cairo sentencepiece nlopt zlib)

for package in "${direct[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || {
        echo "pack-deps.sh: package '$package' is not installed (run scripts/setup.sh)" >&2
        exit 2
    }
done

# Every package owning a .pc file that `pkg-config --cflags` of our modules will read.
declare -A seen_module=()
packages=("${direct[@]}")
pending=("${modules[@]}")
while [ ${#pending[@]} -gt 0 ]; do
    module="${pending[0]}"
    pending=("${pending[@]:1}")
    [ -n "${seen_module[$module]:-}" ] && continue
    seen_module[$module]=1
    pc="$(pkg-config --variable=pcfiledir "$module")/$module.pc"
    packages+=("$(dpkg -S "$pc" | head -1 | cut -d: -f1)")
    while read -r required _; do
        [ -n "$required" ] && pending+=("$required")
    done < <(pkg-config --print-requires --print-requires-private "$module")
done
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

rm -rf "$out.tmp"
mkdir -p "$out.tmp"

# Copies a file to the same place under $out.tmp, following a chain of symlinks
# (libfoo.so -> libfoo.so.1 -> libfoo.so.1.2) and copying each link on the way.
copy_path() {
    local path="$1"
    while :; do
        if [ -e "$out.tmp$path" ] || [ -L "$out.tmp$path" ]; then return 0; fi
        mkdir -p "$out.tmp$(dirname "$path")"
        cp -a "$path" "$out.tmp$path"
        [ -L "$path" ] || return 0
        local target
        target="$(readlink "$path")"
        case "$target" in /*) path="$target" ;; *) path="$(dirname "$path")/$target" ;; esac
    done
}

# Headers, libraries and build metadata; no documentation, no static archives.
for package in "${packages[@]}"; do
    dpkg -L "$package" | while read -r path; do
        [ -f "$path" ] || continue
        case "$path" in
            /usr/include/* | /usr/lib/"$multiarch"/* | /usr/lib/cmake/* | /usr/share/cmake/* | \
                /usr/share/pkgconfig/* | /usr/bin/pkg-config | /usr/bin/pkgconf) ;;
            *) continue ;;
        esac
        case "$path" in *.a) continue ;; esac
        copy_path "$path"
    done
done

# The shared libraries those need at run time, except the C and C++ runtimes.
for lib in "$out.tmp/usr/lib/$multiarch"/*.so* "$out.tmp/usr/bin/pkgconf"; do
    [ -f "$lib" ] || continue
    ldd "$lib" 2>/dev/null | awk '$3 ~ /^\// {print $3}'
done | sort -u | while read -r needed; do
    case "$(basename "$needed")" in
        libc.so* | libm.so* | libstdc++.so* | libgcc_s.so* | ld-linux* | libpthread.so* | libdl.so* | \
            librt.so*) continue ;;
    esac
    # Into our lib folder, wherever the host keeps it (/lib or /usr/lib).
    name="$(basename "$needed")"
    [ -e "$out.tmp/usr/lib/$multiarch/$name" ] && continue
    copy_path "/usr/lib/$multiarch/$name"
done

# pkgconf needs its library from the folder; a wrapper finds it wherever the folder lies.
rm -f "$out.tmp/usr/bin/pkg-config"
cat >"$out.tmp/usr/bin/pkg-config" <<SH
#!/bin/sh
here="\$(dirname "\$(readlink -f "\$0")")"
LD_LIBRARY_PATH="\$here/../lib/$multiarch\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/pkgconf" "\$@"
SH
chmod +x "$out.tmp/usr/bin/pkg-config"

rm -rf "$out"
mv "$out.tmp" "$out"
echo "pack-deps.sh: packed ${#packages[@]} packages into $out ($(du -sh "$out" | cut -f1))"
