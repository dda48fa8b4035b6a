#!/bin/sh
# Checks every Carpathia CUDA kernel against its CPU reference on this machine's GPU, then benchmarks them against
# cuBLAS (PyTorch) in the same run. Needs an NVIDIA driver; brings its own Java. Prints Markdown tables.
#   ./run.sh                 checks, then benchmarks
#   ./run.sh --checks-only   or --bench-only, --seed N
# Exit status: 0 all checks passed, 1 a check failed, 2 no GPU.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
rm -f "$HERE/torch.properties"
if command -v python3 > /dev/null 2>&1; then
    python3 "$HERE/bench_torch.py" --out "$HERE/torch.properties" || echo "(no PyTorch comparison)"
fi
exec "$HERE/jre/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
    -Dorg.bytedeco.javacpp.cachedir="$HERE/.javacpp-cache" -cp "$HERE/lib/*" \
    io.carpathia.kernels.bench.GpuCheck --torch "$HERE/torch.properties" "$@"
