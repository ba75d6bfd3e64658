/* test_vectors.c — known-answer vectors for the key schedule, packet sealing and wire
 * encodings (tests/session/vectors/ JSON files, PROTOCOL.md §11).
 *
 * The JSON files were generated ONCE by this program with UMBRA_GEN_VECTORS=1 (it then
 * writes them into $UMBRA_SOURCE_DIR/tests/session/vectors/ instead of checking) and are
 * committed. Every normal run recomputes each value and compares. When node is installed,
 * tests/session/xcheck.mjs recomputes the key schedule and the AES-256-GCM packets with
 * node:crypto (an independent HKDF / AES-GCM implementation) from the same files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_internal.h"
#include "testutil.h"

static int gen_mode(void) {
    const char *e = getenv("UMBRA_GEN_VECTORS");
    return e && *e == '1';
}

static char *hex(const uint8_t *p, size_t n) {
    static char bufs[8][US_MAX_PACKET * 2 + 1];
    static int k;
    char *b = bufs[k++ % 8];
    umbra_hex_encode(b, sizeof bufs[0], p, n);
    return b;
}

static void pattern(uint8_t *p, size_t n, uint8_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + i * 7);
}

static const char *vec_path(const char *name) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/tests/session/vectors/%s", tu_source_dir(), name);
    return path;
}

static void save(json_t *root, const char *name) {
    assert_int_equal(json_dump_file(root, vec_path(name), JSON_INDENT(2) | JSON_SORT_KEYS), 0);
    printf("wrote %s\n", vec_path(name));
}

static json_t *load(const char *name) {
    json_error_t e;
    json_t *j = json_load_file(vec_path(name), 0, &e);
    if (!j) fail_msg("cannot load %s: %s", vec_path(name), e.text);
    return j;
}

static void check_hex(json_t *o, const char *key, const uint8_t *got, size_t n, int *ok) {
    size_t len;
    uint8_t *want = tu_hex_member(o, key, &len);
    if (len != n || memcmp(want, got, n) != 0) {
        printf("mismatch in %s\n", key);
        *ok = 0;
    }
    free(want);
}

/* ---- key schedule ---- */

typedef struct ks {
    uint8_t ss_s[32], ss_e[32], th[32], hs[32], c_ap[32], s_ap[32], res[32];
    uint8_t c_key[32], c_iv[12], s_key[32], s_iv[12], c_ap1[32], c_ap2[32], c1_key[32], c1_iv[12];
} ks;

static void compute_ks(ks *k) {
    us__handshake_secret(k->hs, k->ss_s, k->ss_e);
    assert_int_equal(us__traffic_secrets(k->hs, k->th, k->c_ap, k->s_ap, k->res), 0);
    assert_int_equal(us__key_iv(k->c_ap, k->c_key, k->c_iv), 0);
    assert_int_equal(us__key_iv(k->s_ap, k->s_key, k->s_iv), 0);
    assert_int_equal(us__next_secret(k->c_ap1, k->c_ap), 0);
    assert_int_equal(us__next_secret(k->c_ap2, k->c_ap1), 0);
    assert_int_equal(us__key_iv(k->c_ap1, k->c1_key, k->c1_iv), 0);
}

#define KS_FIELDS(X)                                                                            \
    X(hs, 32) X(c_ap, 32) X(s_ap, 32) X(res, 32) X(c_key, 32) X(c_iv, 12) X(s_key, 32)          \
    X(s_iv, 12) X(c_ap1, 32) X(c_ap2, 32) X(c1_key, 32) X(c1_iv, 12)

static void test_key_schedule(void **st) {
    (void)st;
    assert_int_equal(uc_init(), 0);
    if (gen_mode()) {
        json_t *arr = json_array();
        for (int i = 0; i < 3; i++) {
            ks k;
            memset(&k, 0, sizeof k);
            pattern(k.ss_s, 32, (uint8_t)(0x10 + i));
            pattern(k.ss_e, 32, (uint8_t)(0x80 + i));
            pattern(k.th, 32, (uint8_t)(0xc0 + i));
            compute_ks(&k);
            json_t *o = json_object();
            json_object_set_new(o, "ss_s", json_string(hex(k.ss_s, 32)));
            json_object_set_new(o, "ss_e", json_string(hex(k.ss_e, 32)));
            json_object_set_new(o, "th", json_string(hex(k.th, 32)));
#define X(f, n) json_object_set_new(o, #f, json_string(hex(k.f, n)));
            KS_FIELDS(X)
#undef X
            json_array_append_new(arr, o);
        }
        json_t *root = json_pack("{s:s,s:o}", "description",
                                 "umbra session v1 key schedule (PROTOCOL.md 4.2): HS = HKDF-Extract("
                                 "\"umbra-session v1\", ss_s||ss_e); c_ap/s_ap/res = Expand-Label(HS, "
                                 "label, th); key/iv from each secret; c_ap1/c_ap2 = ku steps",
                                 "cases", arr);
        save(root, "key_schedule.json");
        json_decref(root);
        return;
    }
    json_t *root = load("key_schedule.json");
    json_t *cases = json_object_get(root, "cases"), *o;
    size_t i;
    int passed = 0, total = 0;
    json_array_foreach(cases, i, o) {
        ks k;
        size_t n;
        uint8_t *p;
        p = tu_hex_member(o, "ss_s", &n); memcpy(k.ss_s, p, 32); free(p);
        p = tu_hex_member(o, "ss_e", &n); memcpy(k.ss_e, p, 32); free(p);
        p = tu_hex_member(o, "th", &n); memcpy(k.th, p, 32); free(p);
        compute_ks(&k);
        int ok = 1;
#define X(f, len) check_hex(o, #f, k.f, len, &ok);
        KS_FIELDS(X)
#undef X
        passed += ok;
        total++;
    }
    json_decref(root);
    assert_true(total >= 3);
    tu_report("session key_schedule", passed, total);
}

/* ---- packet sealing ---- */

typedef struct pcase {
    int alg;
    uint8_t secret[32];
    us__hdr h;
    uint8_t payload[64];
    size_t plen;
} pcase;

static void make_case(pcase *c, int i) {
    memset(c, 0, sizeof *c);
    c->alg = i % 2 ? US_AEAD_CHACHA20POLY1305 : US_AEAD_AES256GCM;
    pattern(c->secret, 32, (uint8_t)(0x33 + i));
    c->h.type = US_PT_DATA;
    c->h.path = (uint8_t)(i * 3);
    c->h.epoch = (uint16_t)(i * 257);
    pattern(c->h.dcid, 8, (uint8_t)(0xa0 + i));
    c->h.stream = (uint32_t)(i * 0x01020305u);
    c->h.seq = (uint64_t)i * 0x0102030405ull & US_SEQ_MAX;
    c->plen = (size_t)(1 + i * 9);
    pattern(c->payload, c->plen, (uint8_t)(0x55 + i));
}

static void test_packet_seal(void **st) {
    (void)st;
    assert_int_equal(uc_init(), 0);
    json_t *root = NULL, *cases = NULL;
    int gen = gen_mode();
    if (gen) cases = json_array();
    else {
        root = load("packet.json");
        cases = json_object_get(root, "cases");
    }
    int passed = 0, total = 0;
    for (int i = 0; i < 6; i++) {
        pcase c;
        make_case(&c, i);
        us__keys k;
        assert_int_equal(us__keys_init(&k, c.alg, c.secret, c.h.epoch), 0);
        uint8_t hdr[US_HDR_LEN], nonce[12], pkt[256], back[256];
        assert_int_equal(us__hdr_encode(hdr, &c.h), 0);
        us__nonce(nonce, k.iv, &c.h);
        int n = us__seal(&k, &c.h, c.payload, c.plen, pkt, sizeof pkt);
        assert_int_equal(n, (int)(US_HDR_LEN + c.plen + US_TAG_LEN));
        /* round trip through the parser and open */
        us__hdr h2;
        assert_int_equal(us__hdr_decode(&h2, pkt, (size_t)n), 0);
        assert_int_equal(us__open(&k, &h2, pkt, (size_t)n, back, sizeof back), (int)c.plen);
        assert_memory_equal(back, c.payload, c.plen);
        uint8_t key[32], iv[12];
        us__key_iv(c.secret, key, iv);
        if (gen) {
            json_t *o = json_object();
            json_object_set_new(o, "aead", json_string(c.alg == US_AEAD_AES256GCM ? "AES-256-GCM" : "ChaCha20-Poly1305"));
            json_object_set_new(o, "secret", json_string(hex(c.secret, 32)));
            json_object_set_new(o, "key", json_string(hex(key, 32)));
            json_object_set_new(o, "iv", json_string(hex(iv, 12)));
            json_object_set_new(o, "path", json_integer(c.h.path));
            json_object_set_new(o, "epoch", json_integer(c.h.epoch));
            json_object_set_new(o, "dcid", json_string(hex(c.h.dcid, 8)));
            json_object_set_new(o, "stream", json_integer(c.h.stream));
            json_object_set_new(o, "seq", json_integer((json_int_t)c.h.seq));
            json_object_set_new(o, "payload", json_string(hex(c.payload, c.plen)));
            json_object_set_new(o, "header", json_string(hex(hdr, US_HDR_LEN)));
            json_object_set_new(o, "nonce", json_string(hex(nonce, 12)));
            json_object_set_new(o, "packet", json_string(hex(pkt, (size_t)n)));
            json_array_append_new(cases, o);
        } else {
            json_t *o = json_array_get(cases, (size_t)i);
            assert_non_null(o);
            int ok = 1;
            check_hex(o, "key", key, 32, &ok);
            check_hex(o, "iv", iv, 12, &ok);
            check_hex(o, "header", hdr, US_HDR_LEN, &ok);
            check_hex(o, "nonce", nonce, 12, &ok);
            check_hex(o, "packet", pkt, (size_t)n, &ok);
            passed += ok;
            total++;
        }
        us__keys_clear(&k);
    }
    if (gen) {
        root = json_pack("{s:s,s:o}", "description",
                         "umbra session v1 data packets (PROTOCOL.md 2.4): key/iv = Expand-Label(secret, "
                         "\"key\"/\"iv\"); nonce = iv XOR (epoch:2||path:1||stream:4||seq:5); AAD = header",
                         "cases", cases);
        save(root, "packet.json");
    } else {
        tu_report("session packet", passed, total);
    }
    json_decref(root);
}

/* ---- wire encodings of frames ---- */

static void test_frames(void **st) {
    (void)st;
    uint8_t buf[512];
    struct { const char *name; int len; uint8_t b[128]; } f[8];
    int nf = 0;
    uint8_t data[5] = {1, 2, 3, 4, 5}, chal[32];
    pattern(chal, 32, 0x42);
    us__ack_range r[2] = {{100, 120}, {3, 50}};
#define ADD(nm, expr) do { f[nf].name = nm; f[nf].len = (expr); assert_true(f[nf].len > 0); memcpy(f[nf].b, buf, (size_t)f[nf].len); nf++; } while (0)
    ADD("stream", us__frame_stream(buf, sizeof buf, 7, 0x1122334455ull, data, 5, 1));
    ADD("ack", us__frame_ack(buf, sizeof buf, 3, 250, r, 2));
    ADD("max_data", us__frame_u64(buf, sizeof buf, US_FT_MAX_DATA, 1ull << 33));
    ADD("max_stream_data", us__frame_stream_u64(buf, sizeof buf, US_FT_MAX_STREAM_DATA, 9, 123456789));
    ADD("path_challenge", us__frame_path(buf, sizeof buf, US_FT_PATH_CHALLENGE, chal));
    ADD("close", us__frame_close(buf, sizeof buf, 303, "bye"));
    ADD("reset_stream", us__frame_reset(buf, sizeof buf, 5, 7, 4096));
#undef ADD
    /* every encoding parses back to one frame of the same length */
    for (int i = 0; i < nf; i++) {
        us__frame fr;
        assert_int_equal(us__frame_decode(&fr, f[i].b, (size_t)f[i].len), f[i].len);
        /* truncations never parse */
        for (int t = 0; t < f[i].len; t++) assert_true(us__frame_decode(&fr, f[i].b, (size_t)t) < 0);
    }
    if (gen_mode()) {
        json_t *o = json_object();
        for (int i = 0; i < nf; i++) json_object_set_new(o, f[i].name, json_string(hex(f[i].b, (size_t)f[i].len)));
        json_t *root = json_pack("{s:s,s:o}", "description", "umbra session v1 frame encodings (PROTOCOL.md 3)",
                                 "frames", o);
        save(root, "frames.json");
        json_decref(root);
        return;
    }
    json_t *root = load("frames.json");
    json_t *o = json_object_get(root, "frames");
    int passed = 0;
    for (int i = 0; i < nf; i++) {
        int ok = 1;
        check_hex(o, f[i].name, f[i].b, (size_t)f[i].len, &ok);
        passed += ok;
    }
    json_decref(root);
    tu_report("session frames", passed, nf);
}

/* ---- HandshakeFragment datagrams (§2.6) ---- */

/* Patterned hellos: a plain ClientHello, one with a 24-byte token, a ServerHello. */
static size_t frag_case(int i, uint8_t *msg) {
    static const size_t len[3] = {US_CLIENT_HELLO_MIN, US_CLIENT_HELLO_MIN + 24, US_SERVER_HELLO_LEN};
    pattern(msg, len[i], (uint8_t)(0x30 + i));
    msg[0] = i < 2 ? US_PT_CLIENT_HELLO : US_PT_SERVER_HELLO;
    return len[i];
}

static void test_fragments(void **st) {
    (void)st;
    static uint8_t msg[US_SERVER_HELLO_LEN], d[8][US_FRAG_DGRAM_MAX], back[US_SERVER_HELLO_LEN];
    json_t *root = NULL, *cases = NULL;
    int gen = gen_mode(), passed = 0, total = 0;
    if (gen) cases = json_array();
    else {
        root = load("fragments.json");
        cases = json_object_get(root, "cases");
        assert_int_equal(json_array_size(cases), 3);
    }
    for (int i = 0; i < 3; i++) {
        size_t n = frag_case(i, msg);
        size_t nfr = 0, dl[8];
        int pad = msg[0] == US_PT_CLIENT_HELLO ? US_FRAG_DGRAM_MAX : 0;
        for (size_t off = 0; off < n; off += US_FRAG_DATA_MAX, nfr++) {
            int k = us__frag_encode(d[nfr], sizeof d[nfr], msg, n, off, (size_t)pad);
            assert_true(k > 0 && k <= US_FRAG_DGRAM_MAX);
            dl[nfr] = (size_t)k;
        }
        /* the fragments, parsed and reassembled last-first, give the message back */
        us__reasm r;
        memset(&r, 0, sizeof r);
        int done = 0;
        for (size_t j = nfr; j-- > 0;) {
            us__frag f;
            assert_int_equal(us__frag_decode(&f, d[j], dl[j]), 0);
            if (!r.used) us__reasm_start(&r, &f, 0);
            done = us__reasm_add(&r, &f);
        }
        assert_int_equal(done, 1);
        memcpy(back, r.buf, n);
        assert_memory_equal(back, msg, n);
        if (gen) {
            json_t *o = json_object(), *arr = json_array();
            json_object_set_new(o, "message", json_string(hex(msg, n)));
            for (size_t j = 0; j < nfr; j++) json_array_append_new(arr, json_string(hex(d[j], dl[j])));
            json_object_set_new(o, "fragments", arr);
            json_array_append_new(cases, o);
            continue;
        }
        json_t *o = json_array_get(cases, (size_t)i);
        json_t *arr = json_object_get(o, "fragments");
        int ok = json_array_size(arr) == nfr;
        for (size_t j = 0; ok && j < nfr; j++) {
            const char *want = json_string_value(json_array_get(arr, j));
            ok = want && strcmp(want, hex(d[j], dl[j])) == 0;
        }
        const char *wm = json_string_value(json_object_get(o, "message"));
        ok = ok && wm && strcmp(wm, hex(msg, n)) == 0;
        if (!ok) printf("fragments case %d differs\n", i);
        passed += ok;
        total++;
    }
    if (gen) {
        root = json_pack("{s:s,s:o}", "description",
                         "umbra session v1 HandshakeFragment datagrams of patterned hellos (PROTOCOL.md 2.6)",
                         "cases", cases);
        save(root, "fragments.json");
        json_decref(root);
        return;
    }
    json_decref(root);
    tu_report("session fragments", passed, total);
    assert_int_equal(passed, total);
}

/* Independent cross-check with node:crypto (skipped when node is missing). */
static void test_node_crosscheck(void **st) {
    (void)st;
    if (gen_mode()) return;
    if (system("node --version >/dev/null 2>&1") != 0) {
        printf("node not installed: cross-check skipped\n");
        skip();
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "node %s/tests/session/xcheck.mjs %s/tests/session/vectors", tu_source_dir(),
             tu_source_dir());
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_schedule),
        cmocka_unit_test(test_packet_seal),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_node_crosscheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
