/* encoding.c — hex, base32, base58btc, base64 and unsigned varint.
 *
 * Every decoder is strict: exactly one textual form is accepted for a given byte string
 * (except hex and base32, which also accept upper-case letters), so that decode → encode
 * round-trips and nothing ambiguous slips through identifiers. Decoders never read past
 * (in, n) and never write past (out, out_cap); a too-small output gives UMBRA_ENOSPACE
 * before anything is written. */
#include "umbra/base.h"

#include <string.h>

/* Character classification without branches on the character: hex and base64 carry
 * secrets (keys in JSON files, tickets), so the decoders' lookups must not leak them
 * through timing (the per-character validity checks only tell apart inputs that are
 * rejected anyway). 1 when lo <= x <= hi, else 0; x, lo, hi < 256, so x - lo wraps (top
 * bit set) exactly when x < lo, and hi - x exactly when x > hi. */
static unsigned ct_in(unsigned x, unsigned lo, unsigned hi) { return (((x - lo) | (hi - x)) >> 31) ^ 1u; }

/* Adds (x - lo + base) to *v when lo <= x <= hi; returns that membership bit. */
static unsigned ct_range(unsigned x, unsigned lo, unsigned hi, unsigned base, unsigned *v) {
    unsigned m = ct_in(x, lo, hi);
    *v |= (0u - m) & (x - lo + base);
    return m;
}

/* Returns 0 when the encoder output of `len` characters plus its NUL fits in out_cap. */
static int check_out(char *out, size_t out_cap, size_t len) {
    if (!out || out_cap == 0 || len > out_cap - 1) return UMBRA_ENOSPACE;
    if (len > (size_t)INT32_MAX) return UMBRA_ETOOBIG;
    return 0;
}

/* ---- hex (RFC 4648 §8, "base16") ------------------------------------------------------- */

size_t umbra_hex_len(size_t n) { return n > SIZE_MAX / 2 ? SIZE_MAX : n * 2; }

int umbra_hex_encode(char *out, size_t out_cap, const uint8_t *in, size_t n) {
    static const char digits[] = "0123456789abcdef";
    size_t len = umbra_hex_len(n);
    int rc = check_out(out, out_cap, len);
    if (rc) return rc;
    if (n && !in) return UMBRA_EINVAL;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[len] = 0;
    return (int)len;
}

/* The value of a hex digit (either case), or -1; constant time for valid digits. */
static int hex_nibble(unsigned char c) {
    unsigned v = 0, ok = ct_range(c, '0', '9', 0, &v) | ct_range(c, 'a', 'f', 10, &v) | ct_range(c, 'A', 'F', 10, &v);
    return ok ? (int)v : -1;
}

int umbra_hex_decode(uint8_t *out, size_t out_cap, const char *in, size_t n) {
    if (n && !in) return UMBRA_EINVAL;
    if (n % 2) return UMBRA_EMALFORMED;
    if (n / 2 > (size_t)INT32_MAX) return UMBRA_ETOOBIG;
    for (size_t i = 0; i < n; i++)
        if (hex_nibble((unsigned char)in[i]) < 0) return UMBRA_EMALFORMED;
    if (n / 2 > out_cap || (n && !out)) return UMBRA_ENOSPACE;
    for (size_t i = 0; i < n / 2; i++)
        out[i] = (uint8_t)(hex_nibble((unsigned char)in[2 * i]) << 4 | hex_nibble((unsigned char)in[2 * i + 1]));
    return (int)(n / 2);
}

/* ---- base32 (RFC 4648 §6, lower case, no padding — multibase 'b') ------------------------ */

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Characters needed for the final 0..4 bytes of a 5-byte group (RFC 4648 §6 cases). */
static const uint8_t b32_tail_chars[5] = {0, 2, 4, 5, 7};

size_t umbra_base32_len(size_t n) {
    if (n / 5 > SIZE_MAX / 8 - 1) return SIZE_MAX;
    return n / 5 * 8 + b32_tail_chars[n % 5];
}

int umbra_base32_encode(char *out, size_t out_cap, const uint8_t *in, size_t n) {
    size_t len = umbra_base32_len(n), o = 0;
    int rc = check_out(out, out_cap, len);
    if (rc) return rc;
    if (n && !in) return UMBRA_EINVAL;
    uint32_t acc = 0; /* at most 12 pending bits */
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32_alphabet[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits) out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = 0;
    return (int)o;
}

static int b32_value(unsigned char c) {
    unsigned v = 0, ok = ct_range(c, 'a', 'z', 0, &v) | ct_range(c, 'A', 'Z', 0, &v) | ct_range(c, '2', '7', 26, &v);
    return ok ? (int)v : -1;
}

int umbra_base32_decode(uint8_t *out, size_t out_cap, const char *in, size_t n) {
    if (n && !in) return UMBRA_EINVAL;
    /* Lengths 1, 3 and 6 mod 8 cannot come from any whole number of bytes. */
    size_t rem = n % 8;
    if (rem == 1 || rem == 3 || rem == 6) return UMBRA_EMALFORMED;
    size_t len = n / 8 * 5 + (rem * 5) / 8;
    if (len > (size_t)INT32_MAX) return UMBRA_ETOOBIG;
    for (size_t i = 0; i < n; i++)
        if (b32_value((unsigned char)in[i]) < 0) return UMBRA_EMALFORMED; /* incl. '=' */
    /* The bits left over after the last whole byte must be zero (canonical form). */
    if (rem) {
        unsigned spare = (unsigned)(rem * 5 - ((rem * 5) / 8) * 8);
        if (b32_value((unsigned char)in[n - 1]) & ((1u << spare) - 1)) return UMBRA_EMALFORMED;
    }
    if (len > out_cap || (len && !out)) return UMBRA_ENOSPACE;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5) | (uint32_t)b32_value((unsigned char)in[i]);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (int)o;
}

/* ---- base58btc (draft-msporny-base58-03, Bitcoin alphabet) -------------------------------- */

#define B58_MAX_IN 1024u                        /* bytes accepted by the encoder */
#define B58_MAX_DIGITS (B58_MAX_IN * 138 / 100 + 1) /* log(256)/log(58) < 1.38 */
#define B58_MAX_STR (B58_MAX_IN + B58_MAX_DIGITS)  /* longest string the decoder takes */

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

int umbra_base58_encode(char *out, size_t out_cap, const uint8_t *in, size_t n) {
    uint8_t digits[B58_MAX_DIGITS]; /* base-58 digits, most significant first */
    size_t zeros = 0, ndig = 0;
    if (n > B58_MAX_IN) return UMBRA_ETOOBIG;
    if (n && !in) return UMBRA_EINVAL;
    while (zeros < n && in[zeros] == 0) zeros++;
    size_t size = (n - zeros) * 138 / 100 + 1;
    memset(digits, 0, size);
    /* Schoolbook conversion: multiply the base-58 number by 256 and add each byte. The
     * digits in use are digits[size - ndig, size). */
    for (size_t i = zeros; i < n; i++) {
        uint32_t carry = in[i];
        size_t k = 0, j = size;
        while (carry || k < ndig) {
            j--;
            carry += 256u * digits[j];
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
            k++;
        }
        ndig = k;
    }
    size_t len = zeros + ndig;
    int rc = check_out(out, out_cap, len);
    if (rc == 0) {
        memset(out, '1', zeros);
        for (size_t i = 0; i < ndig; i++) out[zeros + i] = b58_alphabet[digits[size - ndig + i]];
        out[len] = 0;
    }
    umbra_wipe(digits, size); /* as in the decoder: base58 often carries keys */
    return rc ? rc : (int)len;
}

/* Index of c in b58_alphabet, or -1. The alphabet is six ASCII runs (no 0, I, O, l). */
static int b58_value(unsigned char c) {
    if (c >= '1' && c <= '9') return c - '1';
    if (c >= 'A' && c <= 'H') return c - 'A' + 9;
    if (c >= 'J' && c <= 'N') return c - 'J' + 17;
    if (c >= 'P' && c <= 'Z') return c - 'P' + 22;
    if (c >= 'a' && c <= 'k') return c - 'a' + 33;
    if (c >= 'm' && c <= 'z') return c - 'm' + 44;
    return -1;
}

int umbra_base58_decode(uint8_t *out, size_t out_cap, const char *in, size_t n) {
    uint8_t bytes[B58_MAX_STR * 733 / 1000 + 1]; /* log(58)/log(256) < 0.733 */
    size_t ones = 0, nbytes = 0;
    if (n > B58_MAX_STR) return UMBRA_ETOOBIG;
    if (n && !in) return UMBRA_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (b58_value((unsigned char)in[i]) < 0) return UMBRA_EMALFORMED;
    while (ones < n && in[ones] == '1') ones++;
    size_t size = (n - ones) * 733 / 1000 + 1;
    memset(bytes, 0, size);
    for (size_t i = ones; i < n; i++) {
        uint32_t carry = (uint32_t)b58_value((unsigned char)in[i]);
        size_t k = 0, j = size;
        while (carry || k < nbytes) {
            j--;
            carry += 58u * bytes[j];
            bytes[j] = (uint8_t)carry;
            carry >>= 8;
            k++;
        }
        nbytes = k;
    }
    size_t len = ones + nbytes;
    if (len > out_cap || (len && !out)) {
        umbra_wipe(bytes, size);
        return UMBRA_ENOSPACE;
    }
    memset(out, 0, ones);
    memcpy(out + ones, bytes + size - nbytes, nbytes);
    umbra_wipe(bytes, size); /* base58 often carries keys */
    return (int)len;
}

/* ---- base64 (RFC 4648 §4 standard with padding, §5 URL-safe without) ---------------------- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t umbra_base64_len(size_t n, int url) {
    if (n / 3 > SIZE_MAX / 4 - 1) return SIZE_MAX;
    size_t r = n % 3;
    if (!url) return (n / 3 + (r != 0)) * 4;
    return n / 3 * 4 + (r ? r + 1 : 0);
}

int umbra_base64_encode(char *out, size_t out_cap, const uint8_t *in, size_t n, int url) {
    const char *a = url ? b64_url : b64_std;
    size_t len = umbra_base64_len(n, url), o = 0, i = 0;
    int rc = check_out(out, out_cap, len);
    if (rc) return rc;
    if (n && !in) return UMBRA_EINVAL;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        if (!url) { out[o++] = '='; out[o++] = '='; }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        if (!url) out[o++] = '=';
    }
    out[o] = 0;
    return (int)o;
}

static int b64_value(unsigned char c, int url) {
    unsigned c62 = url ? '-' : '+', c63 = url ? '_' : '/'; /* url is public */
    unsigned v = 0;
    unsigned ok = ct_range(c, 'A', 'Z', 0, &v) | ct_range(c, 'a', 'z', 26, &v) | ct_range(c, '0', '9', 52, &v) |
                  ct_range(c, c62, c62, 62, &v) | ct_range(c, c63, c63, 63, &v);
    return ok ? (int)v : -1;
}

int umbra_base64_decode(uint8_t *out, size_t out_cap, const char *in, size_t n, int url) {
    size_t data = n; /* characters that carry data (padding stripped) */
    if (n && !in) return UMBRA_EINVAL;
    if (!url) {
        /* RFC 4648 §3.2: the standard form is always padded to a multiple of 4. */
        if (n % 4) return UMBRA_EMALFORMED;
        if (n && in[n - 1] == '=') data--;
        if (n && in[n - 2] == '=') data--;
    }
    size_t rem = data % 4;
    if (rem == 1) return UMBRA_EMALFORMED;
    size_t len = data / 4 * 3 + (rem ? rem - 1 : 0);
    if (len > (size_t)INT32_MAX) return UMBRA_ETOOBIG;
    for (size_t i = 0; i < data; i++)
        if (b64_value((unsigned char)in[i], url) < 0) return UMBRA_EMALFORMED; /* incl. '=' */
    /* §3.5: canonical encodings have zero pad bits. */
    if (rem == 2 && (b64_value((unsigned char)in[data - 1], url) & 15)) return UMBRA_EMALFORMED;
    if (rem == 3 && (b64_value((unsigned char)in[data - 1], url) & 3)) return UMBRA_EMALFORMED;
    if (len > out_cap || (len && !out)) return UMBRA_ENOSPACE;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < data; i++) {
        acc = (acc << 6) | (uint32_t)b64_value((unsigned char)in[i], url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (int)o;
}

/* ---- unsigned varint (github.com/multiformats/unsigned-varint) ---------------------------
 * LEB128, 7 bits per byte, least significant group first, MSB set on all but the last byte.
 * The spec caps varints at 9 bytes (63 bits) and requires the minimal encoding. */

#define UVARINT_MAX_BYTES 9

int umbra_uvarint_encode(uint8_t *out, size_t out_cap, uint64_t v) {
    uint8_t tmp[UVARINT_MAX_BYTES];
    int n = 0;
    if (v >> 63) return UMBRA_ERANGE;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    if ((size_t)n > out_cap || !out) return UMBRA_ENOSPACE;
    memcpy(out, tmp, (size_t)n);
    return n;
}

int umbra_uvarint_decode(const uint8_t *in, size_t n, uint64_t *v) {
    uint64_t x = 0;
    if (v) *v = 0;
    if (!v || (n && !in)) return UMBRA_EINVAL;
    for (size_t i = 0; i < UVARINT_MAX_BYTES; i++) {
        if (i >= n) return UMBRA_ETRUNCATED;
        uint8_t b = in[i];
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            /* A zero last byte (other than the single byte 0x00) means a shorter encoding
             * of the same value exists. */
            if (b == 0 && i > 0) return UMBRA_EMALFORMED;
            *v = x;
            return (int)i + 1;
        }
    }
    return UMBRA_EMALFORMED; /* the 9th byte still had its continuation bit: > 63 bits */
}
