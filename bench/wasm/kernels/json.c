/* json.c — bench kernel: a small JSON parser (RFC 8259 grammar: objects, arrays, strings
 * with escapes incl. \uXXXX, numbers, literals) into a flat node array, run over a
 * generated document many times; prints node counts and a checksum of keys and values. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

struct node {
    uint8_t type;
    uint32_t len;   /* string bytes / child count */
    double num;
    uint32_t hash;  /* FNV-1a of the decoded string */
};

struct parser {
    const char *p, *end;
    struct node *nodes;
    size_t n, cap;
    int depth, err;
};

static void ws(struct parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) ps->p++;
}

static struct node *add(struct parser *ps, uint8_t type) {
    if (ps->n == ps->cap) {
        ps->err = 1;
        return NULL;
    }
    struct node *nd = &ps->nodes[ps->n++];
    memset(nd, 0, sizeof *nd);
    nd->type = type;
    return nd;
}

static int hex4(const char *p, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

static void string(struct parser *ps) {
    struct node *nd = add(ps, J_STR);
    if (!nd) return;
    uint32_t h = 2166136261u, len = 0;
    ps->p++; /* opening quote */
    while (ps->p < ps->end && *ps->p != '"') {
        uint32_t c = (uint8_t)*ps->p++;
        if (c < 0x20) {
            ps->err = 1;
            return;
        }
        if (c == '\\') {
            if (ps->p >= ps->end) break;
            char e = *ps->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case '/': case '\\': case '"': c = (uint32_t)e; break;
            case 'u':
                if (ps->end - ps->p < 4 || hex4(ps->p, &c)) {
                    ps->err = 1;
                    return;
                }
                ps->p += 4;
                break;
            default: ps->err = 1; return;
            }
        }
        h = (h ^ c) * 16777619u;
        len++;
    }
    if (ps->p >= ps->end) {
        ps->err = 1;
        return;
    }
    ps->p++;
    nd->hash = h;
    nd->len = len;
}

static void number(struct parser *ps) {
    struct node *nd = add(ps, J_NUM);
    if (!nd) return;
    int neg = 0;
    double v = 0, scale = 1;
    if (*ps->p == '-') neg = 1, ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
        ps->err = 1;
        return;
    }
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') v = v * 10 + (*ps->p++ - '0');
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') scale /= 10, v += (*ps->p++ - '0') * scale;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        int eneg = 0, ex = 0;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) eneg = *ps->p++ == '-';
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ex = ex * 10 + (*ps->p++ - '0');
        while (ex-- > 0) v = eneg ? v / 10 : v * 10;
    }
    nd->num = neg ? -v : v;
}

static void value(struct parser *ps);

static void container(struct parser *ps, int obj) {
    size_t me = ps->n;
    if (!add(ps, obj ? J_OBJ : J_ARR)) return;
    if (++ps->depth > 64) {
        ps->err = 1;
        return;
    }
    ps->p++;
    ws(ps);
    uint32_t count = 0;
    if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
        ps->p++;
    } else {
        for (;;) {
            ws(ps);
            if (obj) {
                if (ps->p >= ps->end || *ps->p != '"') {
                    ps->err = 1;
                    return;
                }
                string(ps);
                ws(ps);
                if (ps->err || ps->p >= ps->end || *ps->p != ':') {
                    ps->err = 1;
                    return;
                }
                ps->p++;
            }
            value(ps);
            if (ps->err) return;
            count++;
            ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
                ps->p++;
                break;
            }
            ps->err = 1;
            return;
        }
    }
    ps->nodes[me].len = count;
    ps->depth--;
}

static void literal(struct parser *ps, const char *w, uint8_t type) {
    size_t l = strlen(w);
    if ((size_t)(ps->end - ps->p) < l || memcmp(ps->p, w, l)) {
        ps->err = 1;
        return;
    }
    ps->p += l;
    add(ps, type);
}

static void value(struct parser *ps) {
    ws(ps);
    if (ps->p >= ps->end) {
        ps->err = 1;
        return;
    }
    switch (*ps->p) {
    case '{': container(ps, 1); break;
    case '[': container(ps, 0); break;
    case '"': string(ps); break;
    case 't': literal(ps, "true", J_TRUE); break;
    case 'f': literal(ps, "false", J_FALSE); break;
    case 'n': literal(ps, "null", J_NULL); break;
    default: number(ps); break;
    }
}

int main(void) {
    /* Generate a document: an array of records like an API response. */
    size_t cap = 1 << 20, n = 0;
    char *doc = malloc(cap);
    if (!doc) return 1;
    uint32_t s = 1234567u;
    n += (size_t)sprintf(doc + n, "{\"items\": [");
    for (int i = 0; i < 2500; i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        n += (size_t)sprintf(doc + n,
                             "%s{\"id\": %d, \"name\": \"user\\u00e9%u\", \"score\": %u.%02u, \"active\": %s, "
                             "\"tags\": [\"a\", \"b\\n\", \"c\\\"q\"], \"ratio\": -%ue-%u, \"parent\": null, "
                             "\"geo\": {\"lat\": %u.5, \"lon\": -%u.25}}",
                             i ? ", " : "", i, s % 1000, s % 97, s % 100, (s & 1) ? "true" : "false",
                             s % 9 + 1, s % 3, s % 90, s % 180);
    }
    n += (size_t)sprintf(doc + n, "], \"count\": 2500}");
    struct parser ps = {0};
    ps.cap = 64000;
    ps.nodes = malloc(sizeof(struct node) * ps.cap);
    if (!ps.nodes) return 1;
    uint32_t check = 0;
    double nsum = 0;
    for (int r = 0; r < 300; r++) {
        ps.p = doc, ps.end = doc + n, ps.n = 0, ps.err = 0, ps.depth = 0;
        value(&ps);
        if (ps.err) {
            printf("json parse error\n");
            return 1;
        }
        for (size_t i = 0; i < ps.n; i++) {
            check = check * 31 + ps.nodes[i].type + ps.nodes[i].len + ps.nodes[i].hash;
            if (ps.nodes[i].type == J_NUM) nsum += ps.nodes[i].num;
        }
    }
    printf("json checksum %zu bytes %zu nodes %08x %.4f\n", n, ps.n, check, nsum);
    free(doc);
    free(ps.nodes);
    return 0;
}
