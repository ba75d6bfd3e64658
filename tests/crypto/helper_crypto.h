/* helper_crypto.h — small shared helpers for the crypto vector tests (helper_crypto.c is
 * linked into every tests/crypto/test_*.c). */
#ifndef UMBRA_TEST_HELPER_CRYPTO_H
#define UMBRA_TEST_HELPER_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

/* Hex member `key` of obj decoded into a malloc'd buffer (free()), or NULL when the member
 * is absent or JSON null; *n = 0 then. */
uint8_t *th_hex_opt(json_t *obj, const char *key, size_t *n);
/* Standard base64 (with padding) into a malloc'd buffer; fails the test on bad input. */
uint8_t *th_b64(const char *s, size_t *n);
/* String member or "" when absent. */
const char *th_str(json_t *obj, const char *key);
/* 1 when (a, an) and (b, bn) hold the same bytes. */
int th_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
/* Wycheproof "result": 1 valid, 0 invalid, 2 acceptable. */
int th_result(json_t *test);
/* Prints one failing case (the set name, the id, a reason) to stdout, for diagnosis. */
void th_fail(const char *set, long id, const char *why);
/* Calls uc_init() and asserts it succeeded. */
void th_init(void);

#endif
