#!/usr/bin/env bash
# Builds the GPU bundle: a self-contained archive (< 64 MiB) that checks and benchmarks the CUDA kernels on a Linux
# x86-64 machine with an NVIDIA driver and no Java. It holds a Temurin 25 runtime made with jlink (needs only
# glibc >= 2.17), the kernels jar (with the JNI library and the fatbin inside), the JavaCPP jars, run.sh and
# bench_torch.py. No ND4J: the checks and benchmarks need only the kernels module.
#
#   kernels/bundle/build-bundle.sh            writes kernels/target/bundle/carpathia-kernels-gpu.tar.xz
#   JLINK_JDK=/path/to/jdk-25 kernels/bundle/build-bundle.sh
#
# On the GPU machine: tar xJf carpathia-kernels-gpu.tar.xz && carpathia-kernels-gpu/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/kernels/target/bundle"
NAME=carpathia-kernels-gpu
STAGE="$OUT/$NAME"
LIMIT=$((64 * 1024 * 1024))

JDK="${JLINK_JDK:-}"
if [[ -z "$JDK" ]]; then
    for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /opt/java/jdk-25*; do
        if [[ -x "$candidate/bin/jlink" ]]; then JDK="$candidate"; break; fi
    done
fi
if [[ -z "$JDK" || ! -x "$JDK/bin/jlink" ]]; then
    echo "no Temurin 25 JDK found: set JLINK_JDK to one" >&2
    exit 1
fi
if ! "$JDK/bin/java" -version 2>&1 | grep -q 'version "25'; then
    echo "$JDK is not a Java 25 JDK" >&2
    exit 1
fi

MVN=(mvn)
command -v mvn > /dev/null 2>&1 || MVN=("$ROOT/mvnw")
echo "[bundle] building the kernels jar"
(cd "$ROOT" && "${MVN[@]}" -q -B -pl kernels -am package -DskipTests)
rm -rf "$OUT"
mkdir -p "$STAGE/lib"
(cd "$ROOT" && "${MVN[@]}" -q -B -pl kernels dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$STAGE/lib")
for jar in "$ROOT"/kernels/target/carpathia-kernels-*.jar; do
    [[ "$jar" == *-tests.jar ]] || cp "$jar" "$STAGE/lib/"    # the main jar, not the test-jar
done

echo "[bundle] jlink from $JDK"
"$JDK/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging,java.management --strip-debug \
    --no-header-files --no-man-pages --compress=zip-0 --output "$STAGE/jre"
find "$STAGE/jre" -name '*.so' -exec strip --strip-unneeded {} +

cp "$ROOT/kernels/bundle/run.sh" "$ROOT/kernels/bundle/bench_torch.py" "$STAGE/"
chmod +x "$STAGE/run.sh" "$STAGE/bench_torch.py"

echo "[bundle] compressing"
tar -C "$OUT" -cJf "$OUT/$NAME.tar.xz" "$NAME"
size=$(stat -c %s "$OUT/$NAME.tar.xz")
echo "[bundle] $OUT/$NAME.tar.xz: $((size / 1024)) KiB (unpacked $(du -sk "$STAGE" | cut -f1) KiB)"
ls -l "$STAGE/lib"
if (( size >= LIMIT )); then
    echo "[bundle] the archive is over 64 MiB" >&2
    exit 1
fi
