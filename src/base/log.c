/* log.c — leveled logging; the only way library code emits text. */
#include "umbra/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int g_level = -1; /* -1: not yet read from UMBRA_LOG */
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
    if (g_level < 0) g_level = lvl;
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
    fprintf(stderr, "umbra: %s: %s\n", names[level], msg);
}
