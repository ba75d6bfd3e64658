/* err.c — the error table (include/umbra/base.h UMBRA_ERRNO_MAP) made into strings. */
#include "umbra/base.h"

#include <errno.h>

const char *umbra_strerror(int code) {
    switch (code) {
#define X(name, value, msg) \
    case value:             \
        return msg;
        UMBRA_ERRNO_MAP(X)
#undef X
    }
    return "unknown error";
}

const char *umbra_errname(int code) {
    switch (code) {
#define X(name, value, msg) \
    case value:             \
        return "UMBRA_E" #name;
        UMBRA_ERRNO_MAP(X)
#undef X
    }
    return "UMBRA_E?";
}

int umbra_from_errno(int err) {
    switch (err) {
    case 0: return UMBRA_EOK;
    case ENOMEM: return UMBRA_ENOMEM;
    case EINVAL: return UMBRA_EINVAL;
    case ERANGE: return UMBRA_ERANGE;
    case ENOENT: case ENOTDIR: return UMBRA_ENOENT;
    case EEXIST: return UMBRA_EEXIST;
    case EACCES: case EPERM: case EROFS: return UMBRA_EPERM;
    case EAGAIN: return UMBRA_EAGAIN;
    case ETIMEDOUT: return UMBRA_ETIMEDOUT;
    case ENOSPC: case EFBIG: return UMBRA_ENOSPACE;
    case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH: return UMBRA_EUNREACHABLE;
    case ECONNRESET: case EPIPE: return UMBRA_ERESET;
    default: return UMBRA_EIO;
    }
}
