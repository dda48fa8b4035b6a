#!/usr/bin/env bash
# Engine ops vs PyTorch: µs per forward + backward of add, mul, matmul, layerNorm, softmax, crossEntropy and
# attention at a small (64) and a medium (768-wide) size, Carpathia and PyTorch CPU side by side in one run.
#
#   bench/engine-ops.sh [--only op,op] [--rounds N] [--quick]
#
# Run from anywhere; builds the project first when its sources are newer than the last build. Needs a JDK 17+,
# Debian's python3-torch and apt-get (to fetch OpenBLAS for PyTorch without installing it). Output and caches go to
# bench-out/ (the JSON lines, the table, and a Markdown copy of it for BENCHMARKS.md).
#
# What each side runs on, and why:
# - Carpathia: ND4J's bundled OpenBLAS 0.3.19. It predates Zen 4/5 and newer Intel cores and falls back to slow
#   kernels there, so when OPENBLAS_CORETYPE is unset this script picks SkylakeX on CPUs with AVX-512, else Haswell
#   on CPUs with AVX2. An OPENBLAS_CORETYPE you set is kept.
# - PyTorch: Debian's python3-torch calls whatever libblas.so.3 the system provides, by default the reference BLAS
#   (about 6 GFLOP/s): a meaningless target. This script downloads libopenblas0-pthread's package into bench-out/
#   (apt-get download; nothing is installed) and puts it first on LD_LIBRARY_PATH for Python only, with
#   OPENBLAS_NUM_THREADS=1 (torch runs its own 2 threads) and OPENBLAS_CORETYPE unset (OpenBLAS 0.3.21 detects
#   these cores itself). glibc's malloc is tuned so freed blocks stay in the process: in this kind of VM a first
#   touch of a fresh page costs ~12 µs, and with glibc's defaults PyTorch gives its large tensors back to the kernel
#   and touches fresh pages every iteration (add at [8, 128, 768]: about 25 ms instead of 0.2). Set
#   TORCH_GLIBC_TUNABLES= (empty) to measure PyTorch with glibc's defaults, TORCH_OPENBLAS_NUM_THREADS to change its
#   BLAS threads.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT="$ROOT/bench-out"
mkdir -p "$OUT"

ONLY=""
ROUNDS=2
BENCH_ARGS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --only) ONLY="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --quick) BENCH_ARGS+=(--reps 3 --rep-ms 60 --warmup-ms 150); shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "engine-ops.sh: unknown argument '$1' (expected --only op,op, --rounds N, --quick)" >&2; exit 2 ;;
    esac
done
[[ -n "$ONLY" ]] && BENCH_ARGS+=(--only "$ONLY")

# ---------------------------------------------------------------------------------------------- build if needed
CLASSPATH_FILE="test/target/runtime-classpath.txt"
if [[ ! -f "$CLASSPATH_FILE" ]] || [[ -n "$(find . -path ./bench-out -prune -o \
        \( -name pom.xml -o -path '*/src/main/*' \) -newer "$CLASSPATH_FILE" -print -quit)" ]]; then
    echo "Building (./mvnw -q -B -DskipTests package -pl test -am) ..."
    ./mvnw -q -B -DskipTests package -pl test -am
fi
JAVA_CP="$ROOT/test/target/classes:$(cat "$CLASSPATH_FILE")"

# the JVM as the carpathia launcher starts it
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVA_FLAGS=(-Xss8m -XX:+UseParallelGC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn --add-modules jdk.incubator.vector)
if "$JAVA" --enable-native-access=ALL-UNNAMED -version >/dev/null 2>&1; then
    JAVA_FLAGS+=(--enable-native-access=ALL-UNNAMED)
fi
if "$JAVA" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
    JAVA_FLAGS+=(--sun-misc-unsafe-memory-access=allow)
fi

# ---------------------------------------------------------------------------------------------- Carpathia's BLAS
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
    if grep -qw avx512f /proc/cpuinfo; then
        JAVA_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then
        JAVA_CORETYPE=Haswell
    else
        JAVA_CORETYPE=""
    fi
else
    JAVA_CORETYPE="$OPENBLAS_CORETYPE"
fi

# ---------------------------------------------------------------------------------------------- PyTorch's BLAS
source "$(dirname "$0")/torch-openblas.sh"
TORCH_TUNABLES="${TORCH_GLIBC_TUNABLES-glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184}"

# ---------------------------------------------------------------------------------------------- run, alternating
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS="$OUT/engine-ops-$STAMP.jsonl"
JAVA_LOG="$OUT/engine-ops-$STAMP.java-stderr.log"
: >"$RESULTS"
: >"$JAVA_LOG"

run_java() {
    # OPENBLAS_VERBOSE=2 makes OpenBLAS print the core whose kernels it chose ("Core: SkylakeX") to stderr
    env ${JAVA_CORETYPE:+OPENBLAS_CORETYPE=$JAVA_CORETYPE} OPENBLAS_VERBOSE=2 \
        "$JAVA" "${JAVA_FLAGS[@]}" -cp "$JAVA_CP" io.carpathia.bench.EngineOpsBench \
        --round "$1" --json "$RESULTS" ${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"} 2> >(tee -a "$JAVA_LOG" >&2)
}

run_torch() {
    env -u OPENBLAS_CORETYPE LD_LIBRARY_PATH="$OB_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        OPENBLAS_NUM_THREADS="${TORCH_OPENBLAS_NUM_THREADS:-1}" ${TORCH_TUNABLES:+GLIBC_TUNABLES=$TORCH_TUNABLES} \
        /usr/bin/python3 bench/engine_ops_torch.py --round "$1" --json "$RESULTS" --threads 2 \
        ${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}
}

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs;" \
     "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
    echo; run_java "$round"
    echo; run_torch "$round"
done
echo
echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: compare within one run)"
# before the run the load is other work only; at its end it includes this run's own ~2 busy threads
if awk -v n="$(nproc)" -v start="$LOAD_START" '{ exit !(start > n / 2 || $1 > n * 1.5) }' /proc/loadavg; then
    echo "WARNING: other work kept the CPUs busy during the run; both sides use 2 threads and a descheduled worker"
    echo "         stalls every parallel op (PyTorch's OpenMP most): rerun on an idle machine before quoting figures."
fi
echo
python3 bench/engine_ops_table.py "$RESULTS" --markdown "$OUT/engine-ops-$STAMP.md" --java-blas-log "$JAVA_LOG"
echo
echo "Results: $RESULTS, table: $OUT/engine-ops-$STAMP.md"
