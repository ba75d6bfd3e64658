/* fuzz_session_frag.c — HandshakeFragment parser and reassembly (PROTOCOL.md §2.6): no
 * crash, no over-read; a fragment that parses re-encodes to the same datagram; the
 * server's table never holds more than its cap; a single reassembly never reports more
 * bytes than the message has. The input is split into datagrams by a 2-byte length prefix;
 * the first byte of each picks one of four spoofed source addresses. */
#include <stdint.h>
#include <string.h>

#include "session_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static us__reasm r;
    us__reasm_table t;
    if (us__reasm_table_init(&t, 4) != 0) return 0;
    memset(&r, 0, sizeof r);
    uint64_t now = 1;
    while (size >= 3) {
        size_t n = ((size_t)data[0] << 8 | data[1]) % 1300;
        uint8_t src = data[2];
        data += 3;
        size -= 3;
        if (n > size) n = size;
        const uint8_t *p = data;
        data += n;
        size -= n;
        now += (uint64_t)src * 10000000ull; /* up to 2.5 s per step: entries expire */
        us__frag f;
        if (us__frag_decode(&f, p, n) == 0) {
            /* re-encoding the same bytes from the same offset gives the same datagram when
             * the data runs to the 1180-byte limit or to the end of the message (and does not
             * overlap the type / cid fields the encoder takes from the message) */
            if (f.offset >= 13 && (f.len == US_FRAG_DATA_MAX || (size_t)f.offset + f.len == f.total)) {
                static uint8_t whole[US_SERVER_HELLO_LEN];
                uint8_t out[US_FRAG_DGRAM_MAX];
                memset(whole, 0, sizeof whole);
                whole[0] = f.msg;
                memcpy(whole + 5, f.cid, US_CID_LEN);
                memcpy(whole + f.offset, f.data, f.len);
                int k = us__frag_encode(out, sizeof out, whole, f.total, f.offset, n);
                if (k != (int)n || memcmp(out, p, n) != 0) __builtin_trap();
            }
            if (!r.used || r.msg != f.msg || r.total != f.total || memcmp(r.cid, f.cid, US_CID_LEN))
                us__reasm_start(&r, &f, now);
            int rc = us__reasm_add(&r, &f);
            if (rc < 0 || r.have > r.total) __builtin_trap();
            if (rc == 1) r.used = 0;
        }
        const uint8_t *m;
        size_t ml;
        uint8_t addr[2] = {'a', (uint8_t)(src & 3)};
        int rc = us__reasm_table_input(&t, p, n, addr, sizeof addr, now, &m, &ml, NULL);
        if (rc == 1 && (ml < US_CLIENT_HELLO_MIN || ml > US_HELLO_MAX)) __builtin_trap();
        if (us__reasm_table_live(&t, now) > 4) __builtin_trap();
    }
    us__reasm_table_free(&t);
    return 0;
}
