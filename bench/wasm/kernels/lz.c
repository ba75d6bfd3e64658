/* lz.c — bench kernel: an LZ77-style compressor (hash-chain match finder, 64 KiB window,
 * byte-oriented token format written here) and its decompressor, round-tripping generated
 * text-like data; verifies the round trip and prints sizes and a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN 65536
#define HBITS 15
#define MINM 4
#define MAXM 258
#define CHAIN 16

static uint32_t hash4(const uint8_t *p) {
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HBITS);
}

/* Tokens: 0x00-0x7f literal run of (b+1) bytes; 0x80|len-4 (len 4..131), then 2-byte
 * distance; 0xff, 1-byte extra length (132..387 → capped at MAXM), then 2-byte distance. */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out) {
    static int32_t head[1 << HBITS];
    static int32_t prev[WIN];
    memset(head, -1, sizeof head);
    size_t o = 0, lit_start = 0, i = 0;
    while (i < n) {
        size_t best = 0, bdist = 0;
        if (i + MINM <= n) {
            uint32_t h = hash4(in + i);
            int32_t cand = head[h];
            int chain = CHAIN;
            while (cand >= 0 && i - (size_t)cand < WIN && chain--) {
                size_t l = 0, maxl = n - i < MAXM ? n - i : MAXM;
                while (l < maxl && in[cand + l] == in[i + l]) l++;
                if (l > best) best = l, bdist = i - (size_t)cand;
                cand = prev[cand % WIN];
            }
            prev[i % WIN] = head[h];
            head[h] = (int32_t)i;
        }
        if (best >= MINM) {
            while (lit_start < i) {
                size_t run = i - lit_start > 128 ? 128 : i - lit_start;
                out[o++] = (uint8_t)(run - 1);
                memcpy(out + o, in + lit_start, run);
                o += run, lit_start += run;
            }
            if (best <= 131) {
                out[o++] = (uint8_t)(0x80 | (best - 4));
            } else {
                out[o++] = 0xff;
                out[o++] = (uint8_t)(best - 132);
            }
            out[o++] = (uint8_t)bdist, out[o++] = (uint8_t)(bdist >> 8);
            for (size_t k = 1; k < best && i + k + MINM <= n; k++) {
                uint32_t h = hash4(in + i + k);
                prev[(i + k) % WIN] = head[h];
                head[h] = (int32_t)(i + k);
            }
            i += best;
            lit_start = i;
        } else {
            i++;
        }
    }
    while (lit_start < n) {
        size_t run = n - lit_start > 128 ? 128 : n - lit_start;
        out[o++] = (uint8_t)(run - 1);
        memcpy(out + o, in + lit_start, run);
        o += run, lit_start += run;
    }
    return o;
}

static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t t = in[i++];
        if (t < 0x80) {
            size_t run = (size_t)t + 1;
            if (o + run > cap || i + run > n) return 0;
            memcpy(out + o, in + i, run);
            i += run, o += run;
            continue;
        }
        size_t len = t == 0xff ? (size_t)in[i++] + 132 : (size_t)(t & 0x7f) + 4;
        size_t dist = (size_t)in[i] | (size_t)in[i + 1] << 8;
        i += 2;
        if (dist == 0 || dist > o || o + len > cap) return 0;
        for (size_t k = 0; k < len; k++, o++) out[o] = out[o - dist];
    }
    return o;
}

int main(void) {
    static const char *words[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog",
                                  "edge", "runtime", "wasm", "module", "request", "header",
                                  "GET /index.html HTTP/1.1", "Content-Type: text/html", "\n",
                                  "{\"id\":", "}", ", ", "0123456789"};
    size_t n = 3u << 20;
    uint8_t *in = malloc(n), *z = malloc(n + n / 64 + 16), *back = malloc(n);
    if (!in || !z || !back) return 1;
    uint32_t s = 2463534242u;
    size_t k = 0;
    while (k < n) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        const char *w = words[s % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        if (s % 11 == 0) { /* some noise so not everything matches */
            in[k++] = (uint8_t)(s >> 24);
            continue;
        }
        for (size_t j = 0; j < wl && k < n; j++) in[k++] = (uint8_t)w[j];
        if (k < n) in[k++] = ' ';
    }
    uint32_t check = 0;
    size_t zn = 0;
    for (int r = 0; r < 4; r++) {
        zn = compress(in, n, z);
        size_t bn = decompress(z, zn, back, n);
        if (bn != n || memcmp(in, back, n) != 0) {
            printf("lz round trip failed\n");
            return 1;
        }
        for (size_t j = 0; j < zn; j++) check = check * 16777619u ^ z[j];
        in[r * 977] ^= 0x55;
    }
    printf("lz checksum %zu -> %zu %08x\n", n, zn, check);
    free(in), free(z), free(back);
    return 0;
}
