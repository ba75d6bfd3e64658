#!/bin/sh
# bench/wasm/run.sh BUILD_DIR — umbra's Wasm engine against native code and V8 (node).
#
# Each kernel in bench/wasm/kernels/ (built by cmake/wasm_guests.cmake: gcc -O2 native,
# clang-19 -O2 wasm32-wasi) runs in the same session on: native, `umbra run`, and node's
# WASI (bench/wasm/node_wasi.mjs). The checksums printed by the three must agree. Times are
# wall-clock for the whole process (so they include module compile/instantiate and, for
# node, its start-up of ~40 ms); each run is done once, best of REPS (default 1).
#
# Then: fuel metering overhead (--fuel vs none) on three kernels, and the embedding API
# micro numbers (instantiate, reset, host-call round trip) from bench_wasm_embed.
#
# Env: KERNELS="fib sieve" to select, REPS=N for best-of-N (FUEL_REPS for the fuel rows,
# default 2), FUEL_KERNELS, UMBRA_BENCH_TIMEOUT (s, default 120 per run).
set -u
BUILD=$(CDPATH= cd -- "${1:-build}" && pwd)
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
UMBRA="$BUILD/umbra"
K="$BUILD/bench_wasm"
KERNELS=${KERNELS:-"fib sieve nbody matmul sha256 lz waf json"}
REPS=${REPS:-1}
TMO=${UMBRA_BENCH_TIMEOUT:-120}
NODE=$(command -v node || true)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$UMBRA" ] || [ ! -f "$K/fib.wasm" ]; then
    echo "bench/wasm: need $UMBRA and $K/*.wasm (cmake --build $BUILD --target umbra wasm_guests)" >&2
    exit 1
fi

# now_ns: monotonic-enough wall clock in ns (GNU date).
now_ns() { date +%s%N; }

# run_timed OUTFILE CMD... : runs best-of-REPS, prints seconds (or "fail"), stdout in OUTFILE.
run_timed() {
    out=$1
    shift
    best=""
    r=0
    while [ $r -lt "$REPS" ]; do
        t0=$(now_ns)
        if ! timeout "$TMO" "$@" >"$out" 2>"$TMP/stderr"; then
            echo fail
            return
        fi
        t1=$(now_ns)
        dt=$((t1 - t0))
        if [ -z "$best" ] || [ $dt -lt "$best" ]; then best=$dt; fi
        r=$((r + 1))
    done
    awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || b == "-" || a == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

echo "umbra Wasm engine vs native (gcc -O2) and V8 (node $( [ -n "$NODE" ] && node --version || echo missing))"
echo "kernels: clang-19 -O2 --target=wasm32-wasi; times in seconds, whole process, best of $REPS"
echo
printf "%-8s %9s %9s %9s %13s %11s  %s\n" kernel native umbra node umbra/native umbra/V8 checksum
status=0
: >"$TMP/ratios"
for k in $KERNELS; do
    tn=$(run_timed "$TMP/n.out" "$K/$k")
    tu=$(run_timed "$TMP/u.out" "$UMBRA" run "$K/$k.wasm")
    if [ "$tu" = fail ]; then echo "  $k on umbra: $(head -c 300 "$TMP/stderr")" >&2; fi
    if [ -n "$NODE" ]; then
        tv=$(run_timed "$TMP/v.out" node --no-warnings "$HERE/node_wasi.mjs" "$K/$k.wasm")
    else
        tv="-"
        cp "$TMP/n.out" "$TMP/v.out"
    fi
    ok=agree
    if ! cmp -s "$TMP/n.out" "$TMP/u.out" || ! cmp -s "$TMP/n.out" "$TMP/v.out"; then
        ok="MISMATCH"
        status=1
    fi
    rn=$(ratio "$tu" "$tn")
    rv=$(ratio "$tu" "$tv")
    printf "%-8s %9s %9s %9s %13s %11s  %s\n" "$k" "$tn" "$tu" "$tv" "$rn" "$rv" "$ok"
    echo "$rn $rv" >>"$TMP/ratios"
done
awk '{ if ($1 != "-") { a += log($1); na++ } if ($2 != "-") { b += log($2); nb++ } }
     END { printf "%-8s %9s %9s %9s %13s %11s\n", "geomean", "", "", "",
                  na ? sprintf("%.2f", exp(a / na)) : "-", nb ? sprintf("%.2f", exp(b / nb)) : "-" }' "$TMP/ratios"

echo
FUEL_REPS=${FUEL_REPS:-2}
echo "fuel metering overhead (umbra run --fuel 10^15 vs unlimited; best of $FUEL_REPS)"
printf "%-8s %9s %9s %9s\n" kernel off on overhead
for k in ${FUEL_KERNELS:-fib sieve sha256}; do
    t0=$(REPS=$FUEL_REPS run_timed "$TMP/a.out" "$UMBRA" run "$K/$k.wasm")
    t1=$(REPS=$FUEL_REPS run_timed "$TMP/b.out" "$UMBRA" run --fuel 1000000000000000 "$K/$k.wasm")
    cmp -s "$TMP/a.out" "$TMP/b.out" || status=1
    oh=$(awk -v a="$t0" -v b="$t1" 'BEGIN { if (a == "fail" || b == "fail" || a + 0 == 0) print "-"; else printf "%+.1f%%", (b / a - 1) * 100 }')
    printf "%-8s %9s %9s %9s\n" "$k" "$t0" "$t1" "$oh"
done

if [ -x "$BUILD/bench_wasm_embed" ]; then
    echo
    "$BUILD/bench_wasm_embed" "$K/sha256.wasm" || status=1
fi
exit $status
