/* file.c — atomic writes, bounded reads, mkdir -p. */
#include "umbra/base.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return umbra_from_errno(errno);
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes a complete temp file next to `path` and puts it in place: by rename() (replace)
 * or by link() (exclusive: fails with UMBRA_EEXIST when path exists). The temp file is
 * created 0600 by mkstemp and only then given `mode`, so it is never more open than asked. */
static int write_and_place(const char *path, const void *data, size_t n, unsigned mode, int exclusive) {
    char tmp[PATH_MAX], dir[PATH_MAX];
    int fd = -1, rc = 0;
    if (!path || !*path || (!data && n)) return UMBRA_EINVAL;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp) return UMBRA_ENOSPACE;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return umbra_from_errno(errno);
    if (fchmod(fd, (mode_t)mode) != 0) { rc = umbra_from_errno(errno); goto fail; }
    if ((rc = write_all(fd, data, n)) != 0) goto fail;
    if (fsync(fd) != 0) { rc = umbra_from_errno(errno); goto fail; }
    if (close(fd) != 0) { fd = -1; rc = umbra_from_errno(errno); goto fail; }
    fd = -1;
    if (exclusive) {
        if (link(tmp, path) != 0) { rc = umbra_from_errno(errno); goto fail; }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        rc = umbra_from_errno(errno);
        goto fail;
    }
    /* fsync the directory so the rename/link itself is durable. */
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = 0;
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) rc = umbra_from_errno(errno);
        close(dfd);
    }
    return rc;
fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    return rc;
}

int umbra_file_write_atomic(const char *path, const void *data, size_t n, unsigned mode) {
    return write_and_place(path, data, n, mode, 0);
}

int umbra_file_create_atomic(const char *path, const void *data, size_t n, unsigned mode) {
    return write_and_place(path, data, n, mode, 1);
}

int umbra_file_read(const char *path, size_t max, uint8_t **data, size_t *n) {
    int fd, rc = 0;
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    if (!data || !n) return UMBRA_EINVAL;
    *data = NULL;
    *n = 0;
    if (!path) return UMBRA_EINVAL;
    /* Keep max + 2 (the growth bound below) from overflowing. */
    if (max > SIZE_MAX / 4) max = SIZE_MAX / 4;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return umbra_from_errno(errno);
    if (fstat(fd, &st) != 0) { rc = umbra_from_errno(errno); close(fd); return rc; }
    if (S_ISDIR(st.st_mode)) { close(fd); return UMBRA_EINVAL; }
    /* Size hint from fstat (0 for pipes and /proc files, so the loop below still bounds). */
    cap = (st.st_size > 0 && (uint64_t)st.st_size <= max) ? (size_t)st.st_size + 1 : 4096;
    if (cap > max + 2) cap = max + 2;
    buf = umbra_malloc(cap);
    if (!buf) { close(fd); return UMBRA_ENOMEM; }
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap * 2;
            if (ncap > max + 1) ncap = max + 2; /* room to notice one byte too many */
            if (ncap <= cap) { rc = UMBRA_ETOOBIG; goto out; }
            uint8_t *nb = umbra_realloc(buf, ncap);
            if (!nb) { rc = UMBRA_ENOMEM; goto out; }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = umbra_from_errno(errno);
            goto out;
        }
        if (r == 0) break;
        len += (size_t)r;
        if (len > max) { rc = UMBRA_ETOOBIG; goto out; }
    }
    buf[len] = 0;
    *data = buf;
    *n = len;
    buf = NULL;
out:
    close(fd);
    umbra_free(buf);
    return rc;
}

int umbra_mkdirs(const char *path, unsigned mode) {
    char p[PATH_MAX];
    if (!path) return UMBRA_EINVAL;
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof p) return UMBRA_EINVAL;
    memcpy(p, path, len + 1);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) return umbra_from_errno(errno);
        *s = '/';
    }
    if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) return umbra_from_errno(errno);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) return UMBRA_EEXIST;
    return 0;
}
