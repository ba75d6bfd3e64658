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
    case EEXIST: case ENOTEMPTY: case EADDRINUSE: return UMBRA_EEXIST;
    case EACCES: case EPERM: case EROFS: case ELOOP: return UMBRA_EPERM;
    case EAGAIN: case EINTR: case EMFILE: case ENFILE: case EBUSY: return UMBRA_EAGAIN;
    case ETIMEDOUT: return UMBRA_ETIMEDOUT;
    case ENOSPC: case EFBIG: case EDQUOT: return UMBRA_ENOSPACE;
    case ENAMETOOLONG: case E2BIG: case EMSGSIZE: return UMBRA_ETOOBIG;
    case EISDIR: case EBADF: return UMBRA_EINVAL;
    case ENOSYS: case EOPNOTSUPP: case EAFNOSUPPORT: case EPROTONOSUPPORT: return UMBRA_EUNSUPPORTED;
    case EBADMSG: return UMBRA_ECORRUPT;
    case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: case EHOSTDOWN:
        return UMBRA_EUNREACHABLE;
    case ECONNRESET: case EPIPE: case ECONNABORTED: return UMBRA_ERESET;
    case ENOTCONN: case ESHUTDOWN: return UMBRA_ECLOSED;
    default: return UMBRA_EIO;
    }
}
