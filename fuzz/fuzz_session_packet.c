/* fuzz_session_packet.c — the connection state machine after the handshake. A client and
 * a server are connected once in-process; each input is a sequence of records
 *   [kind:1][len:2][bytes]
 * kind 0: raw packet to the server (exercises header parsing, key choice, AEAD rejection);
 * kind 1: authenticated plaintext in space 0 (frames: ACK, flow control, path, close ...);
 * kind 2: authenticated plaintext in a stream space (STREAM / RESET frames);
 * kind 3: let the server produce packets and run its timers.
 * The connected server is kept across inputs (a handshake per input would make the target
 * ~100x slower) and rebuilt when it closed, so runs are not fully independent. No crash,
 * no leak, no unbounded memory. */
#include <stdint.h>
#include <string.h>

#include "session_internal.h"
#include "umbra/identity.h"

static umbra_identity *g_id;
static umbra_peer_key g_pk;

static us_conn *connect_pair(uint64_t *now) {
    us_config sc, cc;
    us_config_default(&sc);
    us_config_default(&cc);
    sc.identity = g_id;
    cc.peer = &g_pk;
    us_conn *cli = NULL, *srv = NULL;
    uint8_t buf[US_MAX_PACKET], to[US_ADDR_MAX];
    size_t len, tl;
    if (us_conn_new_client(&cc, "s", 1, *now, &cli) != 0) __builtin_trap();
    if (us_conn_send(cli, buf, sizeof buf, &len, to, &tl, *now) != 1) __builtin_trap();
    if (us_conn_accept(&sc, buf, len, "c", 1, *now, &srv, NULL, 0, NULL) != 0) __builtin_trap();
    if (us_conn_send(srv, buf, sizeof buf, &len, to, &tl, *now) != 1) __builtin_trap();
    us_conn_recv(cli, buf, len, "s", 1, *now);
    while (us_conn_send(cli, buf, sizeof buf, &len, to, &tl, *now) == 1) us_conn_recv(srv, buf, len, "c", 1, *now);
    if (us_conn_state(srv) != US_STATE_CONNECTED) __builtin_trap();
    us_conn_free(cli);
    return srv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_id) {
        uint8_t s1[64], s2[32];
        memset(s1, 3, sizeof s1);
        memset(s2, 5, sizeof s2);
        uc_init();
        if (umbra_identity_from_seeds(s1, s2, &g_id) != 0) __builtin_trap();
        umbra_identity_public(g_id, &g_pk);
    }
    static uint64_t now = 1000000000ull;
    static us_conn *srv;
    if (srv && us_conn_state(srv) == US_STATE_CLOSED) {
        us_conn_free(srv);
        srv = NULL;
    }
    if (!srv) srv = connect_pair(&now);
    size_t off = 0;
    uint8_t out[US_MAX_PACKET], to[US_ADDR_MAX];
    size_t len, tl;
    while (off + 3 <= size && us_conn_state(srv) != US_STATE_CLOSED) {
        uint8_t kind = data[off] % 4;
        size_t n = ((size_t)data[off + 1] << 8) | data[off + 2];
        off += 3;
        if (n > size - off) n = size - off;
        const uint8_t *p = data + off;
        off += n;
        now += 1000000;
        switch (kind) {
        case 0:
            us_conn_recv(srv, p, n, (n & 1) ? "c" : "d", 1, now);
            break;
        case 1:
            if (n) us__conn_recv_plain(srv, 0, p, n > US_MAX_PAYLOAD ? US_MAX_PAYLOAD : n, "c", 1, now);
            break;
        case 2:
            if (n > 1) us__conn_recv_plain(srv, 1 + 2u * (p[0] % 4), p + 1, n - 1 > US_MAX_PAYLOAD ? US_MAX_PAYLOAD : n - 1, "c", 1, now);
            break;
        default:
            for (int i = 0; i < 64 && us_conn_send(srv, out, sizeof out, &len, to, &tl, now) == 1; i++) {}
            now += (uint64_t)(n + 1) * 10000000ull;
            us_conn_on_timeout(srv, now);
            break;
        }
    }
    return 0;
}
