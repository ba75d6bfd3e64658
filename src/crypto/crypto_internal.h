/* crypto_internal.h — private to src/crypto/ and its tests. Never installed. */
#ifndef UMBRA_CRYPTO_INTERNAL_H
#define UMBRA_CRYPTO_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

/* Installs a thread-local byte script that PQClean's randombytes() consumes before it
 * falls back to libsodium. Pass (NULL, 0) to clear. */
void umbra__pq_rng_script(const uint8_t *bytes, size_t n);
/* Bytes of the current script not yet consumed. */
size_t umbra__pq_rng_script_left(void);

#endif
