/* waf.c — bench kernel: a string scanner shaped like WAF rules. Generated HTTP request
 * lines and headers are URL-decoded and lower-cased (the usual WAF transformations), then
 * scanned for a rule set of attack substrings (SQL injection, XSS, path traversal, command
 * injection) with a first-byte dispatch table; each rule that fires adds its score. Prints
 * the number of blocked requests and a score checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule {
    const char *pat;
    int score;
};

static const struct rule rules[] = {
    {"union select", 5}, {"select ", 2}, {" or 1=1", 5}, {"' or '", 5}, {"sleep(", 4},
    {"benchmark(", 4}, {"information_schema", 5}, {"drop table", 5}, {"--", 1}, {"/*", 2},
    {"<script", 5}, {"javascript:", 5}, {"onerror=", 4}, {"onload=", 4}, {"<iframe", 4},
    {"document.cookie", 5}, {"../", 3}, {"..\\", 3}, {"/etc/passwd", 5}, {"cmd.exe", 5},
    {";cat ", 4}, {"|nc ", 4}, {"$(", 3}, {"`", 2}, {"base64_decode(", 4}, {"eval(", 4},
    {"%00", 3}, {"\x00", 3}, {"wget http", 4}, {"curl http", 4}};
#define NRULES (sizeof rules / sizeof rules[0])

static uint8_t first[256][NRULES + 1]; /* per first byte: rule indexes, 0xff-terminated */
static size_t rlen[NRULES];

static void build(void) {
    size_t cnt[256] = {0};
    for (size_t r = 0; r < NRULES; r++) {
        rlen[r] = strlen(rules[r].pat);
        if (rlen[r] == 0) rlen[r] = 1; /* the NUL rule */
        uint8_t c = (uint8_t)rules[r].pat[0];
        first[c][cnt[c]++] = (uint8_t)r;
    }
    for (int c = 0; c < 256; c++) first[c][cnt[c]] = 0xff;
}

static int hexv(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* URL-decode + lower-case, in place into out; returns the length. */
static size_t normalize(const uint8_t *in, size_t n, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        if (c == '%' && i + 2 < n && hexv(in[i + 1]) >= 0 && hexv(in[i + 2]) >= 0) {
            c = (uint8_t)(hexv(in[i + 1]) * 16 + hexv(in[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c >= 'A' && c <= 'Z') c += 32;
        out[o++] = c;
    }
    return o;
}

static int scan(const uint8_t *s, size_t n) {
    int score = 0;
    uint32_t fired = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *cand = first[s[i]];
        for (; *cand != 0xff; cand++) {
            size_t r = *cand, l = rlen[r];
            if ((fired >> r) & 1 || i + l > n) continue;
            if (memcmp(s + i, rules[r].pat, l) == 0) {
                fired |= 1u << r;
                score += rules[r].score;
            }
        }
    }
    return score;
}

int main(void) {
    static const char *paths[] = {"/index.html", "/api/v1/users", "/search", "/static/app.js",
                                  "/login", "/cart/checkout", "/images/logo.png"};
    static const char *vals[] = {"hello+world", "42", "alice%40example.com", "%27%20OR%20%271",
                                 "1%20UNION%20SELECT%20password%20FROM%20users", "..%2F..%2Fetc%2Fpasswd",
                                 "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "red", "2026-11-22", "sleep(5)",
                                 "Mozilla/5.0+(X11;+Linux+x86_64)", "a%00b", "$(id)", "shoes"};
    static const char *hdrs[] = {"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101",
                                 "Accept: text/html,application/xhtml+xml", "Cookie: session=abc123; theme=dark",
                                 "Referer: https://example.com/search?q=javascript:void(0)",
                                 "X-Forwarded-For: 10.0.0.1", "Accept-Language: en-US,en;q=0.5"};
    build();
    uint8_t req[2048], norm[2048];
    uint32_t s = 88172645u;
    long blocked = 0;
    uint32_t check = 0;
    for (int r = 0; r < 200000; r++) {
        size_t n = 0;
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        n += (size_t)sprintf((char *)req + n, "GET %s?", paths[s % 7]);
        for (int q = 0; q < 3; q++) {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            /* Mostly benign: attack values only one time in eight. */
            const char *v = (s >> 8) % 8 == 0 ? vals[s % 14] : vals[(s % 3 == 0) ? 0 : (s % 2 ? 1 : 7)];
            n += (size_t)sprintf((char *)req + n, "p%d=%s&", q, v);
        }
        n += (size_t)sprintf((char *)req + n, " HTTP/1.1\r\n");
        for (int h = 0; h < 4; h++) {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            n += (size_t)sprintf((char *)req + n, "%s\r\n", hdrs[s % 6]);
        }
        size_t m = normalize(req, n, norm);
        int score = scan(norm, m);
        if (score >= 5) blocked++;
        check = check * 31 + (uint32_t)score;
    }
    printf("waf checksum blocked %ld score %08x\n", blocked, check);
    return 0;
}
