/* tests for src/base/log.c and src/base/clock.c */
#include "testutil.h"
#include "umbra/base.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct capture {
    int count;
    int level;
    char last[1100];
};

static void sink(int level, const char *msg, void *ud) {
    struct capture *c = ud;
    c->count++;
    c->level = level;
    snprintf(c->last, sizeof c->last, "%s", msg);
}

static void levels_and_sink(void **state) {
    (void)state;
    struct capture c = {0};
    umbra_log_set_sink(sink, &c);
    umbra_log_set_level(UMBRA_LOG_WARN);
    assert_int_equal(umbra_log_get_level(), UMBRA_LOG_WARN);
    umbra_debug("hidden %d", 1);
    umbra_info("hidden %d", 2);
    assert_int_equal(c.count, 0);
    umbra_warn("shown %d", 3);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.level, UMBRA_LOG_WARN);
    assert_string_equal(c.last, "shown 3");
    umbra_error("bad %s", "x");
    assert_int_equal(c.level, UMBRA_LOG_ERROR);
    umbra_log_set_level(UMBRA_LOG_OFF);
    umbra_error("off");
    umbra_log(UMBRA_LOG_OFF, "never");
    umbra_log(-5, "never");
    assert_int_equal(c.count, 2);
    umbra_log_set_level(UMBRA_LOG_DEBUG);
    umbra_debug("d");
    assert_int_equal(c.count, 3);
    /* Long messages are truncated, not overflowed. */
    char big[3000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = 0;
    umbra_warn("%s", big);
    assert_int_equal(strlen(c.last), 1023);
    umbra_log_set_sink(NULL, NULL);
    umbra_log_set_level(UMBRA_LOG_WARN);
}

/* The default sink writes "umbra: level: msg" to stderr with control characters replaced. */
static void default_sink_escapes(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/err", tu_tmpdir());
    fflush(stderr);
    int saved = dup(2);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    dup2(fileno(f), 2);
    umbra_log_set_level(UMBRA_LOG_INFO);
    umbra_info("name=%s", "a\x1b[2Jb\nc");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    umbra_log_set_level(UMBRA_LOG_WARN);
    char line[256] = {0};
    rewind(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "umbra: info: name=a?[2Jb?c\n");
}

static void clocks(void **state) {
    (void)state;
    uint64_t a = umbra_now_ns();
    usleep(2000);
    uint64_t b = umbra_now_ns();
    assert_true(b >= a + 1000000);
    assert_true(b - a < 5000000000ull);
    /* Wall clock: after 2020-01-01 and consistent with time(). */
    uint64_t w = umbra_wall_ns();
    assert_true(w > 1577836800ull * 1000000000ull);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(levels_and_sink),
        cmocka_unit_test(default_sink_escapes),
        cmocka_unit_test(clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
