#!/bin/sh
# bench/session/run.sh BUILD_DIR — session transport benchmarks (about a minute).
# bench_session_session (umbra's hybrid handshake and streams over loopback TCP/UDP) prints
# its numbers beside an OpenSSL TLS 1.3 and raw-TCP baseline measured in the same run; when
# it is not built, only the baseline (bench_session_tls) runs. bench_session_lossy then moves
# a stream between two us_conn endpoints over a simulated lossy, reordering link (virtual
# time, a few CPU seconds).
# BENCH_SECONDS (default 1.5) sets the length of each measurement; LOSSY_MIB (default 64)
# the data per lossy-link row.
set -eu
BUILD=${1:?usage: run.sh BUILD_DIR}
SECS=${BENCH_SECONDS:-1.5}
if [ -x "$BUILD/bench_session_session" ]; then
    "$BUILD/bench_session_session" -t "$SECS"
elif [ -x "$BUILD/bench_session_tls" ]; then
    "$BUILD/bench_session_tls" -t "$SECS"
    echo "  (bench_session_session not built: umbra's own numbers missing)"
else
    echo "session bench: $BUILD/bench_session_tls not built" >&2
    exit 1
fi
if [ -x "$BUILD/bench_session_lossy" ]; then
    echo
    "$BUILD/bench_session_lossy" -m "${LOSSY_MIB:-64}"
else
    echo "  (bench_session_lossy not built: lossy-link rows missing)"
fi
