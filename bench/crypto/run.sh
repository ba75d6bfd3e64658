#!/bin/sh
# bench/crypto/run.sh BUILD_DIR — crypto benchmarks (~30 s of CPU on an idle machine).
# AEAD: umbra's uc_aead_seal (one context, in place, 13-byte AAD, fresh nonce, tag) against
# `openssl speed -evp <alg> -bytes N -seconds 1` measured in the same run.
# Then ops/s of X-Wing, composite signatures and their components.
# All rates are per CPU second (openssl speed's default divisor is user CPU time; the
# umbra bench uses process CPU time), so other load on a shared machine does not skew the
# ratio; each AEAD cell is the best of 2 runs.
# Note: `openssl speed -evp` times EVP_EncryptUpdate on 1-KiB/16-KiB chunks of one stream
# (no per-message nonce, AAD or tag), while uc_aead_seal does a whole AEAD message each
# time; for ChaCha20-Poly1305 OpenSSL's per-message setup dominates at 1 KiB.
# `openssl speed -aead` is printed for reference only.
set -eu
BUILD=${1:-build}
BIN="$BUILD/bench_crypto_crypto"
[ -x "$BIN" ] || { echo "bench/crypto: $BIN not built" >&2; exit 1; }

ossl() { # alg bytes [extra flag] -> MB/s (10^6 bytes/s); "n/a" when openssl fails
    out=$(openssl speed $3 -evp "$1" -bytes "$2" -seconds 1 2>/dev/null | tail -1) || { echo n/a; return; }
    echo "$out" | awk '{v=$NF; sub(/k$/,"",v); if (v+0 > 0) printf "%.1f", v*1000/1e6; else print "n/a"}'
}

best() { # runs "$@" twice, prints the larger number
    for _ in 1 2; do "$@"; echo; done | awk '$1+0 > m { m = $1+0 } END { if (m > 0) printf "%.1f", m; else print "n/a" }'
}

echo "AEAD seal throughput, MB/s (10^6 bytes per CPU second, best of 2); ratio = umbra / openssl speed -evp"
printf "%-18s %7s %12s %14s %7s %16s\n" cipher bytes umbra "openssl -evp" ratio "openssl -aead"
for alg in aes-256-gcm chacha20-poly1305; do
    for n in 1024 16384; do
        u=$(best "$BIN" aead "$alg" "$n" 0.4)
        o=$(best ossl "$alg" "$n" "")
        oa=$(ossl "$alg" "$n" "-aead")
        r=$(awk -v u="$u" -v o="$o" 'BEGIN { if (o+0 > 0) printf "%.2f", u/o; else print "n/a" }')
        printf "%-18s %7s %12s %14s %7s %16s\n" "$alg" "$n" "$u" "$o" "$r" "$oa"
    done
done
echo
echo "Operations per CPU second (0.5 s each; X-Wing decaps re-expands the 32-byte seed, the"
echo "expanded_dk line uses a pre-expanded key; composite sign re-derives ML-DSA from its seed,"
echo "the expanded_sk line signs with a pre-expanded key (ML-DSA A-hat and NTT(s1/s2/t0) cached);"
echo "the expanded_pk line verifies against a pre-expanded pinned key; identity_* use the node identity,"
echo "which keeps both keys expanded)"
"$BIN" ops 0.5
