/* fuzz_session_handshake.c — ClientHello / ServerHello parsers and us_conn_accept() on
 * arbitrary input, with a fixed server identity: no crash, no leak; an accepted hello
 * yields a connection whose first packet is a ServerHello. The fuzzer can mutate a valid
 * ClientHello (built once from a real client) to reach the deep paths. */
#include <stdint.h>
#include <string.h>

#include "session_internal.h"
#include "umbra/identity.h"

static umbra_identity *g_id;
static us_config g_cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_id) {
        uint8_t s1[64], s2[32];
        memset(s1, 7, sizeof s1);
        memset(s2, 9, sizeof s2);
        uc_init();
        if (umbra_identity_from_seeds(s1, s2, &g_id) != 0) __builtin_trap();
        us_config_default(&g_cfg);
        g_cfg.identity = g_id;
    }
    us__client_hello ch;
    (void)us__client_hello_decode(&ch, data, size);
    us__server_hello sh;
    (void)us__server_hello_decode(&sh, data, size);
    /* the first byte picks whether the rest is fed as a hello with the real key id */
    if (size > 1 && data[0] & 1) {
        uint8_t buf[US_CLIENT_HELLO_MIN + US_TOKEN_MAX];
        size_t n = size - 1 < sizeof buf ? size - 1 : sizeof buf;
        memcpy(buf, data + 1, n);
        if (n >= 77) {
            buf[0] = US_PT_CLIENT_HELLO;
            us__put32(buf + 1, US_VERSION);
            us_key_id(buf + 45, umbra_identity_xwing_pk(g_id), umbra_identity_compsig_pk(g_id));
        }
        us_conn *c = NULL;
        uint8_t reply[64];
        size_t rl;
        if (us_conn_accept(&g_cfg, buf, n, "a", 1, 1, &c, reply, sizeof reply, &rl) == 0) {
            uint8_t out[US_MAX_PACKET], to[US_ADDR_MAX];
            size_t len, tl;
            if (us_conn_send(c, out, sizeof out, &len, to, &tl, 2) != 1 || out[0] != US_PT_SERVER_HELLO)
                __builtin_trap();
            us_conn_free(c);
        }
    }
    return 0;
}
