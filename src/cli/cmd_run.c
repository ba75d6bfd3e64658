/* cmd_run.c — `umbra run`: run a WebAssembly module (a WASI command, or one export with
 * --invoke) in the sandbox: fuel, wall-clock timeout, memory cap, preopened directories.
 * Exit status: the guest's own (proc_exit or 0 on return from _start); a trap prints its
 * kind and message and exits UMBRA_EXIT_TRAP; a malformed/invalid/unlinkable module prints
 * one line and exits UMBRA_EXIT_INPUT. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "umbra/base.h"
#include "umbra/wasi.h"
#include "umbra/wasm.h"

#define CMD "run"
#define MAX_MODULE_BYTES (256u << 20)
#define MAX_DIRS 64

static void help(void) {
    printf("usage: umbra run [OPTIONS] FILE.wasm [--] [ARGS...]\n"
           "       umbra run [OPTIONS] --invoke NAME FILE.wasm [VALUES...]\n\n"
           "Runs a WebAssembly module in umbra's sandbox. By default FILE is a WASI command:\n"
           "its _start runs with ARGS as argv[1..] and the exit status is the program's.\n\n"
           "options:\n"
           "  --invoke NAME         call export NAME with VALUES (i32/i64 decimal or 0x hex,\n"
           "                        f32/f64 decimal, nan, inf) and print its results, one a line\n"
           "  --fuel N              instruction budget; running out is a trap (\"out of fuel\")\n"
           "  --max-memory SIZE     cap on linear memory: bytes with K/KiB/M/MiB/G/GiB, or\n"
           "                        N pages as \"Npages\" (64 KiB each)\n"
           "  --timeout DURATION    wall-clock limit: 500ms, 2s, 1m, 250us (bare number = s)\n"
           "  --dir HOST[::GUEST]   grant read-only access to directory HOST, seen by the guest\n"
           "                        as GUEST (default: HOST itself); repeatable\n"
           "  --dir-rw HOST[::GUEST]  the same, writable (create, write, delete)\n"
           "  --env NAME=VALUE      set a guest environment variable; repeatable (the host\n"
           "                        environment is never passed through)\n"
           "  --stats               print load/instantiate/run times and fuel used on stderr\n"
           "  -h, --help            this help\n\n"
           "Options go before ARGS: after FILE, the first argument that is not one of the\n"
           "options above starts ARGS (use -- to pass an argument that looks like one).\n\n"
           "exit status: the guest's; 134 if it trapped (kind and message on stderr, incl.\n"
           "out of fuel and deadline); 3 if the module is malformed, invalid or has imports\n"
           "umbra cannot provide; 2 for a bad command line; 1 if FILE cannot be read.\n");
}

/* "64MiB", "1048576", "1G", "256pages" → pages (rounded up). */
static int parse_memory(const char *s, uint32_t *pages) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0) return -1;
    double mult = 1;
    int is_pages = 0;
    if (!*end || !strcmp(end, "B")) mult = 1;
    else if (!strcmp(end, "K") || !strcmp(end, "KiB") || !strcmp(end, "k")) mult = 1024.0;
    else if (!strcmp(end, "M") || !strcmp(end, "MiB")) mult = 1024.0 * 1024;
    else if (!strcmp(end, "G") || !strcmp(end, "GiB")) mult = 1024.0 * 1024 * 1024;
    else if (!strcmp(end, "KB")) mult = 1e3;
    else if (!strcmp(end, "MB")) mult = 1e6;
    else if (!strcmp(end, "GB")) mult = 1e9;
    else if (!strcmp(end, "pages") || !strcmp(end, "page") || !strcmp(end, "p")) is_pages = 1;
    else return -1;
    double p = is_pages ? v : ceil(v * mult / 65536.0);
    if (p < 1 || p > 65536) return -1;
    *pages = (uint32_t)p;
    return 0;
}

/* "500ms", "2s", "1.5s", "250us", "100ns", "1m", "3" (seconds) → ns. */
static int parse_duration(const char *s, uint64_t *ns) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v <= 0) return -1;
    double mult;
    if (!*end || !strcmp(end, "s")) mult = 1e9;
    else if (!strcmp(end, "ms")) mult = 1e6;
    else if (!strcmp(end, "us") || !strcmp(end, "µs")) mult = 1e3;
    else if (!strcmp(end, "ns")) mult = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min")) mult = 60e9;
    else if (!strcmp(end, "h")) mult = 3600e9;
    else return -1;
    double r = v * mult;
    if (r < 1 || r > 1e18) return -1;
    *ns = (uint64_t)r;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (*s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

static int looks_numeric(const char *s) {
    if (*s == '-' || *s == '+') s++;
    return (*s >= '0' && *s <= '9') || *s == '.' || !strncmp(s, "inf", 3) || !strncmp(s, "nan", 3);
}

/* Parses a VALUE for a parameter of `type`. */
static int parse_value(const char *s, uint8_t type, uw_val *out) {
    char *end;
    errno = 0;
    memset(out, 0, sizeof *out);
    out->type = type;
    switch (type) {
    case UW_I32: {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || end == s) {
            /* Unsigned spellings such as 0xffffffff or 4294967295. */
            errno = 0;
            unsigned long long u = strtoull(s, &end, 0);
            if (errno || *end || end == s || u > UINT32_MAX) return -1;
            out->of.u32 = (uint32_t)u;
            return 0;
        }
        if (v < INT32_MIN || v > (long long)UINT32_MAX) return -1;
        out->of.u32 = (uint32_t)v;
        return 0;
    }
    case UW_I64: {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || end == s) {
            errno = 0;
            unsigned long long u = strtoull(s, &end, 0);
            if (errno || *end || end == s || *s == '-') return -1;
            out->of.u64 = u;
            return 0;
        }
        out->of.i64 = v;
        return 0;
    }
    case UW_F32:
        out->of.f32 = strtof(s, &end);
        return (*end || end == s) ? -1 : 0;
    case UW_F64:
        out->of.f64 = strtod(s, &end);
        return (*end || end == s) ? -1 : 0;
    default:
        return -1;
    }
}

static void print_value(const uw_val *v) {
    switch (v->type) {
    case UW_I32: printf("%" PRId32 "\n", v->of.i32); break;
    case UW_I64: printf("%" PRId64 "\n", v->of.i64); break;
    case UW_F32: printf("%.9g\n", (double)v->of.f32); break;
    case UW_F64: printf("%.17g\n", v->of.f64); break;
    case UW_FUNCREF: printf(v->of.funcref ? "funcref\n" : "null funcref\n"); break;
    case UW_EXTERNREF: printf(v->of.externref ? "externref\n" : "null externref\n"); break;
    default: printf("%s\n", uw_valtype_name(v->type)); break;
    }
}

static int report_trap(const uw_trap *t) {
    fflush(stdout);
    const char *kind = uw_trap_kind_text(t->kind);
    if (t->message[0] && strncmp(t->message, kind, strlen(kind)) != 0)
        fprintf(stderr, "umbra run: trap: %s: %s\n", kind, t->message);
    else
        fprintf(stderr, "umbra run: trap: %s\n", t->message[0] ? t->message : kind);
    return UMBRA_EXIT_TRAP;
}

static int is_option(const char *a) {
    static const char *const opts[] = {"--invoke", "--fuel", "--max-memory", "--timeout", "--dir",
                                       "--dir-rw", "--env", "--stats", "--"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(a, opts[i])) return 1;
    return 0;
}

struct dir_spec {
    const char *host;
    char guest[4096];
    unsigned flags;
};

static int add_dir(struct dir_spec *dirs, int *ndirs, const char *spec, unsigned flags) {
    if (*ndirs >= MAX_DIRS) return -1;
    struct dir_spec *d = &dirs[*ndirs];
    const char *cut = strstr(spec, "::");
    static char hosts[MAX_DIRS][4096];
    size_t hl = cut ? (size_t)(cut - spec) : strlen(spec);
    if (hl == 0 || hl >= sizeof hosts[0]) return -1;
    memcpy(hosts[*ndirs], spec, hl);
    hosts[*ndirs][hl] = 0;
    d->host = hosts[*ndirs];
    const char *g = cut ? cut + 2 : hosts[*ndirs];
    if (!*g || strlen(g) >= sizeof d->guest) return -1;
    strcpy(d->guest, g);
    d->flags = flags;
    (*ndirs)++;
    return 0;
}

int cmd_run(int argc, char **argv) {
    const char *file = NULL, *invoke = NULL;
    uint64_t fuel = 0, timeout_ns = 0;
    uint32_t max_pages = 0;
    int stats = 0, ndirs = 0;
    struct dir_spec dirs[MAX_DIRS];
    const char **envs = calloc((size_t)argc + 1, sizeof *envs);
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int nenv = 0, npos = 0, rc = UMBRA_EXIT_USAGE;
    uw_engine *eng = NULL;
    uw_module *mod = NULL;
    uw_instance *inst = NULL;
    uw_wasi_ctx *ctx = NULL;
    uint8_t *bytes = NULL;
    const char **gargv = NULL;
    uw_val *vals = NULL, *res = NULL;
    if (!envs || !pos) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "out of memory");
        goto out;
    }

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) pos[npos++] = argv[i];
            break;
        }
        /* After FILE, the first argument that is not an umbra option starts ARGS/VALUES and
         * everything from there on is passed through ("--" forces that earlier). */
        if (a[0] != '-' || a[1] == 0 || (file && (looks_numeric(a) || !is_option(a)))) {
            if (!file) {
                file = a;
                continue;
            }
            for (; i < argc; i++) pos[npos++] = argv[i];
            break;
        }
        /* -h/--help before FILE is ours; after FILE it belongs to the guest. */
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help();
            rc = UMBRA_EXIT_OK;
            goto out;
        }
        if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (!next) {
            cli_error(CMD, 0, "%s: missing value (see umbra run --help)", a);
            goto out;
        }
        i++;
        if (!strcmp(a, "--invoke")) {
            invoke = next;
        } else if (!strcmp(a, "--fuel")) {
            if (parse_u64(next, &fuel) || fuel == 0) {
                cli_error(CMD, 0, "--fuel: expected a positive integer, got '%s'", next);
                goto out;
            }
        } else if (!strcmp(a, "--max-memory")) {
            if (parse_memory(next, &max_pages)) {
                cli_error(CMD, 0, "--max-memory: expected a size like 64MiB or 1024pages (1 page .. 4 GiB), got '%s'", next);
                goto out;
            }
        } else if (!strcmp(a, "--timeout")) {
            if (parse_duration(next, &timeout_ns)) {
                cli_error(CMD, 0, "--timeout: expected a duration like 500ms or 2s, got '%s'", next);
                goto out;
            }
        } else if (!strcmp(a, "--dir") || !strcmp(a, "--dir-rw")) {
            if (add_dir(dirs, &ndirs, next, !strcmp(a, "--dir-rw") ? UW_WASI_DIR_WRITE : UW_WASI_DIR_READ)) {
                cli_error(CMD, 0, "%s: expected HOST[::GUEST] (at most %d), got '%s'", a, MAX_DIRS, next);
                goto out;
            }
        } else if (!strcmp(a, "--env")) {
            const char *eq = strchr(next, '=');
            if (!eq || eq == next) {
                cli_error(CMD, 0, "--env: expected NAME=VALUE, got '%s'", next);
                goto out;
            }
            envs[nenv++] = next;
        } else {
            cli_error(CMD, 0, "unknown option '%s' (see umbra run --help)", a);
            goto out;
        }
    }
    if (!file) {
        cli_error(CMD, 0, "missing FILE.wasm (see umbra run --help)");
        goto out;
    }

    uint64_t t0 = umbra_now_ns();
    size_t nbytes = 0;
    int e = umbra_file_read(file, MAX_MODULE_BYTES, &bytes, &nbytes);
    if (e) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "%s: %s", file, umbra_strerror(e));
        goto out;
    }
    if ((e = uw_engine_new(NULL, &eng)) || (e = uw_wasi_define(eng, NULL))) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "engine: %s", umbra_strerror(e));
        goto out;
    }
    uw_error err;
    memset(&err, 0, sizeof err);
    if ((e = uw_module_new(eng, bytes, nbytes, &mod, &err))) {
        const char *what = e == UMBRA_EWASM_MALFORMED ? "malformed module"
                           : e == UMBRA_EWASM_INVALID ? "invalid module"
                           : e == UMBRA_EWASM_LIMIT  ? "module exceeds an implementation limit"
                                                      : umbra_strerror(e);
        rc = cli_error(CMD, e == UMBRA_ENOMEM ? UMBRA_EXIT_FAIL : UMBRA_EXIT_INPUT, "%s: %s: %s (at byte %" PRIu32 ")",
                       file, what, err.message[0] ? err.message : umbra_strerror(e), err.offset);
        goto out;
    }
    uint64_t t1 = umbra_now_ns();

    if ((e = uw_wasi_ctx_new(&ctx))) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "%s", umbra_strerror(e));
        goto out;
    }
    gargv = calloc((size_t)npos + 2, sizeof *gargv);
    if (!gargv) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "out of memory");
        goto out;
    }
    gargv[0] = file;
    for (int i = 0; i < npos; i++) gargv[i + 1] = pos[i];
    if ((e = uw_wasi_ctx_set_args(ctx, invoke ? 1 : npos + 1, gargv))) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "%s", umbra_strerror(e));
        goto out;
    }
    for (int i = 0; i < nenv; i++)
        if ((e = uw_wasi_ctx_add_env_pair(ctx, envs[i]))) {
            rc = cli_error(CMD, UMBRA_EXIT_USAGE, "--env %s: %s", envs[i], umbra_strerror(e));
            goto out;
        }
    for (int i = 0; i < ndirs; i++)
        if ((e = uw_wasi_ctx_preopen(ctx, dirs[i].host, dirs[i].guest, dirs[i].flags))) {
            rc = cli_error(CMD, UMBRA_EXIT_FAIL, "--dir %s: %s", dirs[i].host,
                           e == UMBRA_EINVAL ? "not a directory" : umbra_strerror(e));
            goto out;
        }

    uw_instance_config ic;
    memset(&ic, 0, sizeof ic);
    ic.fuel = fuel;
    ic.timeout_ns = timeout_ns;
    ic.max_memory_pages = max_pages;
    ic.host_data = ctx;
    if (timeout_ns) uw_wasi_ctx_set_deadline(ctx, umbra_now_ns() + timeout_ns);
    uw_trap trap;
    memset(&trap, 0, sizeof trap);
    e = uw_instance_new(mod, NULL, &ic, &inst, &trap);
    uint64_t t2 = umbra_now_ns();
    if (e == UMBRA_EWASM_LINK) {
        rc = cli_error(CMD, UMBRA_EXIT_INPUT, "%s: cannot link: %s", file, trap.message[0] ? trap.message : "link error");
        goto out;
    }
    if (e == UMBRA_EWASM_EXIT || (e == UMBRA_EWASM_TRAP && trap.kind == UW_TRAP_EXIT)) {
        rc = trap.exit_code & 0xff; /* proc_exit from the start function */
        goto out;
    }
    if (e == UMBRA_EWASM_TRAP || e == UMBRA_EWASM_LIMIT) {
        rc = report_trap(&trap);
        goto out;
    }
    if (e) {
        rc = cli_error(CMD, UMBRA_EXIT_FAIL, "%s: instantiation failed: %s", file, umbra_strerror(e));
        goto out;
    }

    if (!invoke) {
        int code = 0;
        e = uw_wasi_run(inst, ctx, &code, &trap);
        if (e == UMBRA_EWASM_NOTFOUND || e == UMBRA_EWASM_TYPE) {
            rc = cli_error(CMD, UMBRA_EXIT_INPUT, "%s: not a WASI command (no export \"_start\" of type [] -> []); use --invoke",
                           file);
        } else if (e == UMBRA_EWASM_TRAP) {
            rc = report_trap(&trap);
        } else if (e) {
            rc = cli_error(CMD, UMBRA_EXIT_FAIL, "%s", umbra_strerror(e));
        } else {
            rc = code & 0xff;
        }
    } else {
        uw_extern ex;
        if (uw_instance_export(inst, invoke, strlen(invoke), &ex) || ex.kind != UW_EXTERN_FUNC) {
            rc = cli_error(CMD, UMBRA_EXIT_INPUT, "%s: no exported function '%s'", file, invoke);
            goto out;
        }
        uw_functype ft;
        uw_func_type(ex.of.func, &ft);
        if ((uint32_t)npos != ft.nparams) {
            rc = cli_error(CMD, UMBRA_EXIT_USAGE, "%s takes %" PRIu32 " value(s), got %d", invoke, ft.nparams, npos);
            goto out;
        }
        vals = calloc(ft.nparams + 1, sizeof *vals);
        res = calloc(ft.nresults + 1, sizeof *res);
        if (!vals || !res) {
            rc = cli_error(CMD, UMBRA_EXIT_FAIL, "out of memory");
            goto out;
        }
        for (uint32_t i = 0; i < ft.nparams; i++)
            if (parse_value(pos[i], ft.params[i], &vals[i])) {
                rc = cli_error(CMD, UMBRA_EXIT_USAGE, "value %" PRIu32 " '%s' is not a valid %s", i + 1, pos[i],
                               uw_valtype_name(ft.params[i]));
                goto out;
            }
        for (uint32_t i = 0; i < ft.nresults; i++) res[i].type = ft.results[i];
        /* A WASI reactor wants _initialize before any other export. */
        uw_extern init;
        if (uw_instance_export(inst, "_initialize", 11, &init) == 0 && init.kind == UW_EXTERN_FUNC)
            e = uw_func_call(init.of.func, NULL, 0, NULL, 0, &trap);
        if (!e) e = uw_func_call(ex.of.func, vals, ft.nparams, res, ft.nresults, &trap);
        if (e == UMBRA_EWASM_EXIT || (e == UMBRA_EWASM_TRAP && trap.kind == UW_TRAP_EXIT)) {
            rc = trap.exit_code & 0xff;
        } else if (e == UMBRA_EWASM_TRAP) {
            rc = report_trap(&trap);
        } else if (e) {
            rc = cli_error(CMD, UMBRA_EXIT_FAIL, "%s: %s", invoke, umbra_strerror(e));
        } else {
            for (uint32_t i = 0; i < ft.nresults; i++) print_value(&res[i]);
            rc = UMBRA_EXIT_OK;
        }
    }
    if (stats) {
        uint64_t t3 = umbra_now_ns();
        uint64_t left = uw_instance_fuel(inst);
        fprintf(stderr, "umbra run: stats: load+compile %.3f ms, instantiate %.3f ms, run %.3f ms", (t1 - t0) / 1e6,
                (t2 - t1) / 1e6, (t3 - t2) / 1e6);
        if (fuel) fprintf(stderr, ", fuel used %" PRIu64 " of %" PRIu64, fuel - (left > fuel ? fuel : left), fuel);
        fputc('\n', stderr);
    }

out:
    fflush(stdout);
    free(vals);
    free(res);
    free(gargv);
    uw_instance_free(inst);
    uw_wasi_ctx_free(ctx);
    uw_module_free(mod);
    uw_engine_free(eng);
    umbra_free(bytes);
    free(envs);
    free(pos);
    return rc;
}
