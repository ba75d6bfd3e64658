/* testutil.h — small helpers shared by every test executable (tests/testutil.c). Tests use
 * cmocka; vector files are read from $UMBRA_SHARED (set by ctest; default ../shared). */
#ifndef UMBRA_TESTUTIL_H
#define UMBRA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

/* Path of the shared/ folder (vectors, wasm-testsuite). */
const char *tu_shared(void);
/* Path of the source tree root. */
const char *tu_source_dir(void);
/* Path of the umbra binary under test. */
const char *tu_umbra_binary(void);
/* Loads $UMBRA_SHARED/<rel> as JSON; fails the test on error. Caller json_decref()s. */
json_t *tu_load_shared_json(const char *rel);
/* Decodes a hex string into a malloc'd buffer (free()); *n gets the length. An empty
 * string gives a non-NULL 1-byte buffer and *n = 0. Fails the test on bad hex. */
uint8_t *tu_hex(const char *hex, size_t *n);
/* Same, from a JSON string member `key` of `obj`. */
uint8_t *tu_hex_member(json_t *obj, const char *key, size_t *n);
/* Prints one line "vectors: <set>: <passed>/<total> cases passed" (the counts the issue
 * asks to see) and fails the test if passed != total. */
void tu_report(const char *set, int passed, int total);
/* Makes a fresh temporary directory (mode 0700) and returns its path (static storage per
 * call index; up to 8 live). */
const char *tu_tmpdir(void);

#endif
