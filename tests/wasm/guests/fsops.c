/* fsops.c — guest: file-system operations in a writable directory given as argv[1]:
 * mkdir, nested create, pwrite/pread, lseek/ftruncate/fstat, rename, symlink/readlink,
 * stat vs lstat, hard link, utimensat, unlink, rmdir, and the errors a program sees
 * (EEXIST, ENOENT, ENOTEMPTY, EISDIR). Output contains no paths, so the native and wasm
 * runs print the same. Every call is made before the printf that shows its effects
 * (argument evaluation order is unspecified). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char base[512];

static const char *P(const char *rel) {
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", base, rel);
    return b;
}

static const char *err(int r) {
    if (r == 0) return "ok";
    switch (errno) {
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    default: return "other";
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    snprintf(base, sizeof base, "%s", argv[1]);
    printf("mkdir a: %s\n", err(mkdir(P("a"), 0755)));
    printf("mkdir a again: %s\n", err(mkdir(P("a"), 0755)));
    printf("mkdir a/b: %s\n", err(mkdir(P("a/b"), 0755)));
    printf("mkdir x/y: %s\n", err(mkdir(P("x/y"), 0755)));

    int fd = open(P("a/b/data.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    printf("create: %s\n", fd >= 0 ? "ok" : "fail");
    if (fd < 0) return 1;
    const char msg[] = "0123456789abcdefghij";
    printf("pwrite: %zd\n", pwrite(fd, msg, 20, 0));
    printf("pwrite at 100: %zd\n", pwrite(fd, "END", 3, 100));
    char buf[64] = {0};
    ssize_t r;
    r = pread(fd, buf, 5, 10);
    printf("pread: %zd [%.*s]\n", r, 5, buf);
    printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("lseek set: %lld\n", (long long)lseek(fd, 4, SEEK_SET));
    r = read(fd, buf, 6);
    printf("read: %zd [%.*s]\n", r, (int)(r > 0 ? r : 0), buf);
    printf("ftruncate 50: %s\n", err(ftruncate(fd, 50)));
    struct stat st;
    r = fstat(fd, &st);
    printf("fstat: %s size %lld reg %d\n", err((int)r), (long long)st.st_size, S_ISREG(st.st_mode));
    close(fd);

    printf("rename: %s\n", err(rename(P("a/b/data.bin"), P("a/moved.bin"))));
    printf("stat old: %s\n", err(stat(P("a/b/data.bin"), &st)));
    r = stat(P("a/moved.bin"), &st);
    printf("stat new: %s size %lld\n", err((int)r), (long long)st.st_size);
    printf("symlink: %s\n", err(symlink("moved.bin", P("a/link"))));
    ssize_t n = readlink(P("a/link"), buf, sizeof buf - 1);
    printf("readlink: %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    r = lstat(P("a/link"), &st);
    printf("lstat link: %s islnk %d\n", err((int)r), S_ISLNK(st.st_mode));
    r = stat(P("a/link"), &st);
    printf("stat link: %s isreg %d size %lld\n", err((int)r), S_ISREG(st.st_mode), (long long)st.st_size);
    printf("link: %s\n", err(link(P("a/moved.bin"), P("a/hard.bin"))));
    r = stat(P("a/moved.bin"), &st);
    printf("nlink: %s %d\n", err((int)r), (int)st.st_nlink);
    struct timespec ts[2] = {{1000000000, 0}, {1234567890, 500}};
    printf("utimensat: %s\n", err(utimensat(AT_FDCWD, P("a/moved.bin"), ts, 0)));
    r = stat(P("a/moved.bin"), &st);
    printf("mtime: %s %lld\n", err((int)r), (long long)st.st_mtim.tv_sec);
    printf("rmdir a (not empty): %s\n", err(rmdir(P("a"))));
    printf("unlink dir: %s\n", err(unlink(P("a/b")) == 0 ? 0 : -1));
    printf("unlink link: %s\n", err(unlink(P("a/link"))));
    printf("unlink hard: %s\n", err(unlink(P("a/hard.bin"))));
    printf("unlink moved: %s\n", err(unlink(P("a/moved.bin"))));
    printf("unlink again: %s\n", err(unlink(P("a/moved.bin"))));
    printf("rmdir a/b: %s\n", err(rmdir(P("a/b"))));
    printf("rmdir a: %s\n", err(rmdir(P("a"))));
    printf("open missing: %s\n", open(P("nope/x"), O_RDONLY) >= 0 ? "ok" : err(-1));
    return 0;
}
