#!/usr/bin/env bash
# One training step of nanoGPT's CPU "baby GPT" (n_layer 4, n_head 4, n_embd 128, block 64, batch 12, vocab 65,
# dropout 0, AdamW), and its generation speed with a key/value cache, Carpathia against PyTorch on the same machine
# in the same run, alternating A B A B.
#   bench/baby-gpt.sh [steps]        (default 130 steps per run, the first 30 left out as warm-up; 2 rounds)
# PyTorch is Debian's python3-torch on OpenBLAS 0.3.21 (fetched into bench-out/, nothing installed) with
# OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2), as ENGINE-NOTES.md describes; Carpathia picks OpenBLAS's
# SkylakeX or Haswell kernels unless OPENBLAS_CORETYPE is set.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out
mkdir -p "$OUT"
STEPS="${1:-130}"
source bench/torch-openblas.sh
./mvnw -q -B -DskipTests package -pl test -am >&2
CP="test/target/classes:$(cat test/target/runtime-classpath.txt)"
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
    if grep -qw avx512f /proc/cpuinfo; then CORE=SkylakeX; elif grep -qw avx2 /proc/cpuinfo; then CORE=Haswell; fi
else
    CORE="$OPENBLAS_CORETYPE"
fi
TUNABLES="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
    env ${CORE:+OPENBLAS_CORETYPE=$CORE} java -XX:+UseParallelGC --add-modules jdk.incubator.vector -cp "$CP" io.carpathia.bench.BabyGptStepProbe "$STEPS" \
        | grep carpathia
    env -u OPENBLAS_CORETYPE LD_LIBRARY_PATH="$OB_LIB" OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES="$TUNABLES" \
        /usr/bin/python3 bench/baby_gpt_torch.py "$STEPS"
    env ${CORE:+OPENBLAS_CORETYPE=$CORE} java -XX:+UseParallelGC --add-modules jdk.incubator.vector -cp "$CP" io.carpathia.bench.BabyGptGenerateProbe 30 \
        | grep carpathia
    env -u OPENBLAS_CORETYPE LD_LIBRARY_PATH="$OB_LIB" OPENBLAS_NUM_THREADS=1 GLIBC_TUNABLES="$TUNABLES" \
        PYTHONPATH=bench /usr/bin/python3 bench/baby_gpt_generate_torch.py 30
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
