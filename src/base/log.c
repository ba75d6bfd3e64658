/* log.c — leveled logging; the only way library code emits text. */
#include "umbra/base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Atomic: any thread may log while the CLI adjusts the level. */
static _Atomic int g_level = -1; /* -1: not yet read from UMBRA_LOG */
static umbra_log_sink g_sink;
static void *g_sink_ud;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_level(void) {
    const char *e = getenv("UMBRA_LOG");
    int lvl = UMBRA_LOG_WARN;
    if (e) {
        if (!strcasecmp(e, "debug")) lvl = UMBRA_LOG_DEBUG;
        else if (!strcasecmp(e, "info")) lvl = UMBRA_LOG_INFO;
        else if (!strcasecmp(e, "warn")) lvl = UMBRA_LOG_WARN;
        else if (!strcasecmp(e, "error")) lvl = UMBRA_LOG_ERROR;
        else if (!strcasecmp(e, "off")) lvl = UMBRA_LOG_OFF;
    }
    int unset = -1;
    atomic_compare_exchange_strong(&g_level, &unset, lvl);
}

void umbra_log_set_level(int level) {
    pthread_once(&g_once, init_level);
    g_level = level;
}

int umbra_log_get_level(void) {
    pthread_once(&g_once, init_level);
    return g_level;
}

void umbra_log_set_sink(umbra_log_sink sink, void *ud) {
    g_sink = sink;
    g_sink_ud = ud;
}

void umbra_log(int level, const char *fmt, ...) {
    static const char *names[] = {"debug", "info", "warn", "error"};
    char msg[1024];
    va_list ap;
    if (level < umbra_log_get_level() || level >= UMBRA_LOG_OFF || level < 0) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_sink) {
        g_sink(level, msg, g_sink_ud);
        return;
    }
    /* Messages may quote untrusted input (paths, peer data): keep terminal control
     * characters out of stderr so a log line cannot rewrite the user's screen. */
    for (char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    fprintf(stderr, "umbra: %s: %s\n", names[level], msg);
}
