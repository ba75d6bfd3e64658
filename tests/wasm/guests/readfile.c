/* readfile.c — guest: reads files named on the command line (from a granted directory),
 * prints their size, line count and an FNV-1a hash, seeks back and re-reads the tail, and
 * lists a directory if given with -l. Output never contains the path itself, so the native
 * and wasm runs (which see different paths) print the same. Exit 1 if a file cannot be
 * opened (the message names errno's text, which matches between glibc and wasi-libc for
 * the codes used here only by accident, so it goes to stderr). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "opendir failed: %s\n", strerror(errno));
        return 1;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (e->d_name[0] == '.') continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    for (int i = 0; i < n; i++) {
        printf("entry %s\n", names[i]);
        free(names[i]);
    }
    return 0;
}

int main(int argc, char **argv) {
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-l") && i + 1 < argc) {
            rc |= list(argv[++i]);
            continue;
        }
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "open failed: %s\n", strerror(errno));
            printf("file %d: cannot open\n", i);
            rc = 1;
            continue;
        }
        uint32_t h = 2166136261u;
        long size = 0, lines = 0;
        int c;
        while ((c = fgetc(f)) != EOF) {
            h = (h ^ (uint8_t)c) * 16777619u;
            size++;
            if (c == '\n') lines++;
        }
        char tail[17] = {0};
        if (size >= 16 && fseek(f, -16, SEEK_END) == 0) {
            size_t got = fread(tail, 1, 16, f);
            tail[got] = 0;
            for (size_t k = 0; k < got; k++)
                if (tail[k] < 32 || tail[k] > 126) tail[k] = '.';
        }
        long pos = ftell(f);
        fclose(f);
        printf("file %d: size %ld lines %ld fnv %08x tail [%s] pos %ld\n", i, size, lines, h, tail, pos);
    }
    return rc;
}
