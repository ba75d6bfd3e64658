/* escape.c — guest: tries to leave its preopened directory in every way a path can, and
 * to write where it was granted only read access. Each attempt prints "ok" or "denied"
 * (with the errno name); the host test checks that every escape is denied and that the
 * legitimate open succeeds. Usage: escape DIR (the guest path of the preopen). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *ename(int e) {
    switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    case ELOOP: return "ELOOP";
    case EROFS: return "EROFS";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    default: return "other";
    }
}

static void try_open(const char *label, const char *path, int flags) {
    errno = 0;
    int fd = open(path, flags, 0644);
    if (fd >= 0) {
        printf("%s: ok\n", label);
        close(fd);
    } else {
        printf("%s: denied %s\n", label, ename(errno));
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char p[512];
    const char *d = argv[1];
    snprintf(p, sizeof p, "%s/inside.txt", d);
    try_open("inside", p, O_RDONLY);
    snprintf(p, sizeof p, "%s/../outside.txt", d);
    try_open("dotdot", p, O_RDONLY);
    snprintf(p, sizeof p, "%s/sub/../../outside.txt", d);
    try_open("sub-dotdot", p, O_RDONLY);
    try_open("absolute", "/etc/passwd", O_RDONLY);
    snprintf(p, sizeof p, "%s/link-out", d);
    try_open("symlink-file", p, O_RDONLY);
    snprintf(p, sizeof p, "%s/dirlink/outside.txt", d);
    try_open("symlink-dir", p, O_RDONLY);
    snprintf(p, sizeof p, "%s/link-in", d);
    try_open("symlink-inside", p, O_RDONLY);
    snprintf(p, sizeof p, "%s/new.txt", d);
    try_open("create", p, O_WRONLY | O_CREAT);
    snprintf(p, sizeof p, "%s/inside.txt", d);
    try_open("write", p, O_WRONLY);
    return 0;
}
