#!/bin/sh
# bench/wasm/run.sh BUILD_DIR — umbra's Wasm engine against native code and V8 (node).
#
# Each kernel in bench/wasm/kernels/ (built by cmake/wasm_guests.cmake: gcc -O2 native,
# clang-19 -O2 wasm32-wasi) runs in the same session on: native, `umbra run`, and node's
# WASI (bench/wasm/node_wasi.mjs). The checksums printed by the three must agree. Times are
# for the whole process (so they include module compile/instantiate and, for node, its
# start-up of ~40 ms): wall clock, and CPU time (user+sys, via GNU time) which is far less
# disturbed when other jobs share the machine.
#
# Then: fuel metering overhead (--fuel vs none) on three kernels, and the embedding API
# micro numbers (compile, instantiate, reset, call round trips) from bench_wasm_embed.
#
# Env: KERNELS="fib sieve" to select, REPS=N for best-of-N (default 1), FUEL_KERNELS,
# FUEL_REPS (default 2), UMBRA_BENCH_TIMEOUT (s, default 120 per run).
set -u
BUILD=$(CDPATH= cd -- "${1:-build}" && pwd)
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
UMBRA="$BUILD/umbra"
K="$BUILD/bench_wasm"
KERNELS=${KERNELS:-"fib sieve nbody matmul sha256 lz waf json"}
REPS=${REPS:-1}
FUEL_REPS=${FUEL_REPS:-2}
TMO=${UMBRA_BENCH_TIMEOUT:-120}
NODE=$(command -v node || true)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ ! -x "$UMBRA" ] || [ ! -f "$K/fib.wasm" ]; then
    echo "bench/wasm: need $UMBRA and $K/*.wasm (cmake --build $BUILD --target umbra wasm_guests)" >&2
    exit 1
fi

now_ns() { date +%s%N; }

GTIME=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %U -o /dev/null true 2>/dev/null; then GTIME=/usr/bin/time; fi

# run_timed OUTFILE CMD... : best of $REPS runs; prints "WALL CPU" in seconds ("fail fail"
# when a run fails or times out; CPU "-" without GNU time). Stdout goes to OUTFILE.
run_timed() {
    out=$1
    shift
    best=""
    bcpu="-"
    r=0
    while [ "$r" -lt "$REPS" ]; do
        t0=$(now_ns)
        if [ -n "$GTIME" ]; then
            $GTIME -f "%U %S" -o "$TMP/cpu" timeout "$TMO" "$@" >"$out" 2>"$TMP/stderr"
        else
            timeout "$TMO" "$@" >"$out" 2>"$TMP/stderr"
        fi
        rc=$?
        t1=$(now_ns)
        if [ "$rc" -ne 0 ]; then
            echo "fail fail"
            return
        fi
        dt=$((t1 - t0))
        cpu="-"
        [ -n "$GTIME" ] && cpu=$(awk 'END { printf "%.2f", $1 + $2 }' "$TMP/cpu")
        if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
            best=$dt
            bcpu=$cpu
        fi
        r=$((r + 1))
    done
    awk -v ns="$best" -v c="$bcpu" 'BEGIN { printf "%.3f %s", ns / 1e9, c }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
overhead() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "fail" || b == "fail" || a == "-" || b == "-" || a + 0 == 0) print "-"; else printf "%+.1f%%", (b / a - 1) * 100 }'; }

echo "umbra Wasm engine vs native (gcc -O2) and V8 (node $([ -n "$NODE" ] && node --version || echo missing))"
echo "kernels: clang-19 -O2 --target=wasm32-wasi; whole-process seconds, best of $REPS"
echo
fmt="%-8s %7s %7s %7s %7s %7s %7s  %7s %7s  %s\n"
printf "$fmt" "" "wall" "wall" "wall" "cpu" "cpu" "cpu" "umbra/" "umbra/" ""
printf "$fmt" kernel native umbra node native umbra node native V8 checksum
status=0
: >"$TMP/ratios"
for k in $KERNELS; do
    set -- $(run_timed "$TMP/n.out" "$K/$k")
    tn=$1 cn=$2
    set -- $(run_timed "$TMP/u.out" "$UMBRA" run "$K/$k.wasm")
    tu=$1 cu=$2
    if [ "$tu" = fail ]; then echo "  $k on umbra: $(head -c 300 "$TMP/stderr")" >&2; fi
    if [ -n "$NODE" ]; then
        set -- $(run_timed "$TMP/v.out" node --no-warnings "$HERE/node_wasi.mjs" "$K/$k.wasm")
        tv=$1 cv=$2
    else
        tv="-" cv="-"
        cp "$TMP/n.out" "$TMP/v.out"
    fi
    ok=agree
    if ! cmp -s "$TMP/n.out" "$TMP/u.out" || ! cmp -s "$TMP/n.out" "$TMP/v.out"; then
        ok="MISMATCH"
        status=1
    fi
    # Ratios from CPU time when available (robust on a shared machine), else wall time.
    if [ "$cu" != "-" ] && [ "$cu" != fail ]; then
        rn=$(ratio "$cu" "$cn") rv=$(ratio "$cu" "$cv")
    else
        rn=$(ratio "$tu" "$tn") rv=$(ratio "$tu" "$tv")
    fi
    printf "$fmt" "$k" "$tn" "$tu" "$tv" "$cn" "$cu" "$cv" "$rn" "$rv" "$ok"
    echo "$rn $rv $(ratio "$tu" "$tn") $(ratio "$tu" "$tv")" >>"$TMP/ratios"
done
awk 'function g(s, n) { return n ? sprintf("%.2f", exp(s / n)) : "-" }
     { for (i = 1; i <= 4; i++) if ($i != "-") { s[i] += log($i); n[i]++ } }
     END { printf "%-8s %7s %7s %7s %7s %7s %7s  %7s %7s\n", "geomean", "", "", "", "", "", "", g(s[1], n[1]), g(s[2], n[2])
           printf "(ratios from CPU seconds where measured; from wall seconds: umbra/native %s, umbra/V8 %s)\n", g(s[3], n[3]), g(s[4], n[4]) }' "$TMP/ratios"

echo
echo "fuel metering overhead (umbra run --fuel 10^15 vs unlimited; best of $FUEL_REPS)"
fmt2="%-8s %8s %8s %9s %8s %8s %9s\n"
printf "$fmt2" kernel "wall off" "wall on" overhead "cpu off" "cpu on" overhead
for k in ${FUEL_KERNELS:-fib sieve sha256}; do
    set -- $(REPS=$FUEL_REPS run_timed "$TMP/a.out" "$UMBRA" run "$K/$k.wasm")
    t0=$1 c0=$2
    set -- $(REPS=$FUEL_REPS run_timed "$TMP/b.out" "$UMBRA" run --fuel 1000000000000000 "$K/$k.wasm")
    t1=$1 c1=$2
    cmp -s "$TMP/a.out" "$TMP/b.out" || status=1
    printf "$fmt2" "$k" "$t0" "$t1" "$(overhead "$t0" "$t1")" "$c0" "$c1" "$(overhead "$c0" "$c1")"
done

if [ -x "$BUILD/bench_wasm_embed" ]; then
    echo
    echo "embedding API (bench_wasm_embed)"
    "$BUILD/bench_wasm_embed" "$K/sha256.wasm" || status=1
fi
if [ -x "$BUILD/bench_wasm_engine_micro" ]; then
    echo
    echo "engine instance micro numbers (bench_wasm_engine_micro instance)"
    timeout "$TMO" "$BUILD/bench_wasm_engine_micro" instance || status=1
fi
exit $status
