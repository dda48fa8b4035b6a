#!/usr/bin/env bash
# all-MiniLM-L6-v2 inference, Carpathia's BertModel (weights imported from the ONNX file) against ONNX Runtime 1.22
# on the same file, batch 32 x 128 tokens, 1 and 2 threads, medians of alternating runs in one JVM per thread count.
#   bench/bert-vs-onnxruntime.sh [rounds]        (default 7)
# Run it when the machine is otherwise idle; it prints the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-7}"
./mvnw -q -B -DskipTests test-compile dependency:build-classpath -pl test -am \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
CP="test/target/test-classes:test/target/classes:$(cat test/target/test-classpath.txt)"
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
    if grep -qw avx512f /proc/cpuinfo; then CORE=SkylakeX; elif grep -qw avx2 /proc/cpuinfo; then CORE=Haswell; fi
else
    CORE="$OPENBLAS_CORETYPE"
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in 1 2; do
    env ${CORE:+OPENBLAS_CORETYPE=$CORE} OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads \
        java -Xmx4g -XX:+UseParallelGC --add-modules jdk.incubator.vector -Dcarpathia.threads=$threads -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -cp "$CP" io.carpathia.test.bert.BertInferenceBenchmark "$threads" "$ROUNDS" | grep '^{'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
