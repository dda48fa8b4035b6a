# Sourced by the benchmark scripts: makes sure OpenBLAS 0.3.21 for Debian's python3-torch is unpacked under
# $OUT/openblas (apt-get download; nothing is installed) and sets OB_LIB to its library folder. Needs OUT.
mkdir -p "$OUT"
OB_CACHE="$(cd "$OUT" && pwd)/openblas"
OB_LIB="$OB_CACHE/root/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [[ ! -f "$OB_LIB/libblas.so.3" ]]; then
    echo "Fetching OpenBLAS for PyTorch (apt-get download libopenblas0-pthread; nothing is installed) ..."
    mkdir -p "$OB_CACHE"
    (cd "$OB_CACHE" && rm -f libopenblas0-pthread_*.deb \
        && apt-get download libopenblas0-pthread >"$OB_CACHE/apt.log" 2>&1) || {
        echo "apt-get download libopenblas0-pthread failed (see $OB_CACHE/apt.log)" >&2; exit 1; }
    rm -rf "$OB_CACHE/root"
    dpkg-deb -x "$OB_CACHE"/libopenblas0-pthread_*.deb "$OB_CACHE/root"
    [[ -f "$OB_LIB/libblas.so.3" ]] || { echo "no libblas.so.3 in $OB_LIB after extraction" >&2; exit 1; }
fi
