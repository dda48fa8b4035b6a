#!/usr/bin/env bash
# Compiles the CUDA kernels into one fatbin (sm_80 and sm_90a machine code plus compute_90 PTX for newer GPUs) and the
# PTX text, and records the SHA-256 of every source beside them.
#
#   kernels/src/main/cuda/build.sh              regenerate the committed files under
#                                               kernels/src/main/resources/io/carpathia/kernels/cuda/
#   kernels/src/main/cuda/build.sh --into DIR   what the Maven build runs: when nvcc is on PATH and the sources differ
#                                               from the committed manifest, compile into DIR (target/classes/...) so
#                                               the jar carries kernels built from the current sources
#
# The manifest (carpathia_kernels.sha256) is in `sha256sum` format with paths relative to the kernels module, so
#   cd kernels && sha256sum -c src/main/resources/io/carpathia/kernels/cuda/carpathia_kernels.sha256
# checks the committed files by hand; FatbinMatchesSourcesTest checks them in every build.
# This script is itself one of the hashed sources: changing a flag here makes the committed fatbin stale too.
set -euo pipefail

NAME=carpathia_kernels
CUDA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODULE_DIR="$(cd "$CUDA_DIR/../../.." && pwd)"
RESOURCE_DIR="$MODULE_DIR/src/main/resources/io/carpathia/kernels/cuda"
MANIFEST="$RESOURCE_DIR/$NAME.sha256"

# -compress-mode=size: a fatbin ~5x smaller than with the default compression (1.3 MB); read by the r580+ drivers
# that CUDA 13 code needs anyway.
NVCC_FLAGS=(-std=c++17 -O3 -compress-mode=size
            -gencode arch=compute_80,code=sm_80
            -gencode arch=compute_90a,code=sm_90a
            -gencode arch=compute_90,code=compute_90)

# "<sha256>  src/main/cuda/<file>" for every source file, sorted by name (bytewise, as Java's String order).
source_hashes() {
    (cd "$MODULE_DIR" && LC_ALL=C find src/main/cuda -maxdepth 1 -type f -print | LC_ALL=C sort | xargs sha256sum)
}

# compile OUT_DIR: writes OUT_DIR/$NAME.fatbin and OUT_DIR/$NAME.ptx
compile() {
    local out="$1"
    mkdir -p "$out"
    echo "[kernels] nvcc $(nvcc --version | tail -n 2 | head -n 1)"
    echo "[kernels] compiling $NAME.fatbin (sm_80, sm_90a, compute_90 PTX): about a minute"
    nvcc "${NVCC_FLAGS[@]}" -fatbin -o "$out/$NAME.fatbin" "$CUDA_DIR/$NAME.cu"
    nvcc -std=c++17 -O3 -ptx -arch=compute_90 -o "$out/$NAME.ptx" "$CUDA_DIR/$NAME.cu"
}

if [[ "${1:-}" == "--into" ]]; then
    target="${2:?--into needs a directory}"
    mkdir -p "$target"
    # The committed files go in first, even though the resources plugin copied them already: it skips files that are
    # older than their copies, and the copies may be from an earlier build of other sources.
    cp "$RESOURCE_DIR/$NAME.fatbin" "$RESOURCE_DIR/$NAME.ptx" "$target/"
    if ! command -v nvcc > /dev/null 2>&1; then
        echo "[kernels] nvcc is not on PATH: the jar carries the committed fatbin"
        exit 0
    fi
    current="$(source_hashes)"
    if [[ -f "$MANIFEST" && "$current" == "$(grep '  src/main/cuda/' "$MANIFEST" || true)" ]]; then
        echo "[kernels] the committed fatbin was built from the current sources: not recompiling"
        exit 0
    fi
    # Cache one build per state of the sources, so repeated builds of unchanged (but uncommitted) sources are quick.
    cache="$MODULE_DIR/target/cuda/$(printf '%s' "$current" | sha256sum | cut -c1-16)"
    if [[ ! -f "$cache/$NAME.fatbin" ]]; then
        compile "$cache.partial"
        rm -rf "$cache"
        mv "$cache.partial" "$cache"
    fi
    cp "$cache/$NAME.fatbin" "$cache/$NAME.ptx" "$target/"
    echo "[kernels] WARNING: the CUDA sources changed since the committed fatbin was built. The jar carries a fresh" \
         "build; run kernels/src/main/cuda/build.sh to update the committed files (FatbinMatchesSourcesTest fails" \
         "until then)."
    exit 0
fi

if [[ $# -gt 0 ]]; then
    echo "usage: $0 [--into DIR]" >&2
    exit 2
fi
command -v nvcc > /dev/null 2>&1 || { echo "nvcc is not on PATH" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
compile "$work"
mkdir -p "$RESOURCE_DIR"
cp "$work/$NAME.fatbin" "$work/$NAME.ptx" "$RESOURCE_DIR/"
{
    source_hashes
    cd "$MODULE_DIR" && sha256sum "src/main/resources/io/carpathia/kernels/cuda/$NAME.fatbin" \
                                  "src/main/resources/io/carpathia/kernels/cuda/$NAME.ptx"
} > "$MANIFEST"
for file in "$NAME.fatbin" "$NAME.ptx" "$NAME.sha256"; do
    echo "[kernels] wrote $RESOURCE_DIR/$file ($(stat -c %s "$RESOURCE_DIR/$file") bytes)"
done
