/* pq_randombytes.c — the randombytes() PQClean calls, backed by libsodium (never PQClean's
 * own randombytes.c). Tests and derandomized APIs (ML-KEM keygen from d||z, ML-DSA keygen
 * from a seed, deterministic signing) install a thread-local byte script first: while it
 * has bytes, randombytes() consumes them in order instead of drawing from the system RNG. */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto_internal.h"

static _Thread_local const uint8_t *t_script;
static _Thread_local size_t t_script_len;
static _Thread_local int t_script_active, t_script_overrun;

void umbra__pq_rng_script(const uint8_t *bytes, size_t n) {
    t_script = bytes;
    t_script_len = bytes ? n : 0;
    t_script_active = bytes != NULL;
    t_script_overrun = 0;
}

size_t umbra__pq_rng_script_left(void) { return t_script_len; }

int umbra__pq_rng_script_exact(void) { return t_script_active && t_script_len == 0 && !t_script_overrun; }

int PQCLEAN_randombytes(uint8_t *output, size_t n);
int PQCLEAN_randombytes(uint8_t *output, size_t n) {
    if (t_script_active && n > t_script_len) t_script_overrun = 1; /* asked for more than scripted */
    if (t_script_len) {
        /* A script shorter than the request is a programming error in the caller, which
         * checks umbra__pq_rng_script_exact() afterwards. Fill the rest from the system RNG
         * so nothing is left uninitialized. */
        size_t k = n < t_script_len ? n : t_script_len;
        memcpy(output, t_script, k);
        t_script += k;
        t_script_len -= k;
        output += k;
        n -= k;
    }
    if (n) randombytes_buf(output, n);
    return 0;
}
