# Locates every dependency as an installed package (Debian's by default) or under
# LADDER_DEPS_PREFIX. No source is vendored here: this file is the only glue.
#
# Each dependency names the Debian package that provides it, so a missing one fails
# at configure time with the exact `apt-get install` to run (scripts/setup.sh does it).

if(LADDER_DEPS_PREFIX)
    list(PREPEND CMAKE_PREFIX_PATH "${LADDER_DEPS_PREFIX}" "${LADDER_DEPS_PREFIX}/usr")
endif()

function(ladder_require found_var package debian_package)
    if(NOT ${found_var})
        message(FATAL_ERROR
            "ladder: dependency '${package}' not found. Install it with "
            "`sudo apt-get install ${debian_package}` (or run scripts/setup.sh), or pass "
            "-DLADDER_DEPS_PREFIX=<prefix> where it is installed.")
    endif()
endfunction()

find_package(yaml-cpp QUIET)
ladder_require(yaml-cpp_FOUND yaml-cpp libyaml-cpp-dev)

find_package(CLI11 QUIET)
ladder_require(CLI11_FOUND CLI11 libcli11-dev)

find_package(nlohmann_json 3 QUIET)
ladder_require(nlohmann_json_FOUND nlohmann_json nlohmann-json3-dev)

find_package(spdlog QUIET)
ladder_require(spdlog_FOUND spdlog libspdlog-dev)

find_package(PkgConfig QUIET)
ladder_require(PKG_CONFIG_FOUND pkg-config pkg-config)
pkg_check_modules(CAIRO QUIET IMPORTED_TARGET cairo)
ladder_require(CAIRO_FOUND cairo libcairo2-dev)
pkg_check_modules(SENTENCEPIECE QUIET IMPORTED_TARGET sentencepiece)
ladder_require(SENTENCEPIECE_FOUND sentencepiece libsentencepiece-dev)
pkg_check_modules(NLOPT QUIET IMPORTED_TARGET nlopt)
ladder_require(NLOPT_FOUND nlopt libnlopt-dev)
pkg_check_modules(PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
ladder_require(PCRE2_FOUND pcre2 libpcre2-dev)
pkg_check_modules(ZLIB QUIET IMPORTED_TARGET zlib)
ladder_require(ZLIB_FOUND zlib zlib1g-dev)

if(LADDER_BUILD_TESTS)
    find_package(Catch2 2 QUIET)
    ladder_require(Catch2_FOUND Catch2 catch2)
endif()

if(LADDER_WITH_TORCH)
    # Debian's libtorch-dev, or the LibTorch inside a PyTorch install (pass its
    # `torch.utils.cmake_prefix_path` as CMAKE_PREFIX_PATH).
    find_package(Torch QUIET)
    ladder_require(Torch_FOUND LibTorch "libtorch-dev libgloo-dev")
    # LibTorch 1.x (Debian's) has no fused attention: ladder's CPU kernels stand in
    # (LADDER_CPU_KERNELS). Their attention and linear layers call the BLAS that LibTorch
    # calls, found by its run-time name so that no -dev package is needed, and they need
    # OpenMP like LibTorch's own: without it, at::parallel_for in our code runs on one thread.
    if(Torch_VERSION VERSION_LESS 2)
        set(LADDER_CPU_KERNELS ON)
        find_library(LADDER_BLAS_LIBRARY NAMES libblas.so.3 blas)
        ladder_require(LADDER_BLAS_LIBRARY "BLAS (libblas.so.3)" libopenblas0-openmp)
        find_package(OpenMP QUIET)
        ladder_require(OpenMP_CXX_FOUND "OpenMP" "g++")
    endif()
endif()

# yaml-cpp's exported target name differs between releases.
if(TARGET yaml-cpp::yaml-cpp)
    set(LADDER_YAML_TARGET yaml-cpp::yaml-cpp)
else()
    set(LADDER_YAML_TARGET yaml-cpp)
endif()
