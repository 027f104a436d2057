/* Replays fuzz inputs without libFuzzer: runs LLVMFuzzerTestOneInput on every
 * regular file of each directory given (in name order, so a failure repeats
 * the same way) and on each file given directly. A broken invariant aborts;
 * ctest registers one replay per corpus (tests/fuzz/CMakeLists.txt).
 *   usage: fuzz_replay_<name> DIR_OR_FILE...                                 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_target.h"

/* Read a whole file into an exact-size heap block (so an overread is caught). */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t size = 0, cap = 0, got;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        unsigned char chunk[4096];
        got = fread(chunk, 1, sizeof chunk, f);
        if (got == 0)
            break;
        if (size + got > cap) {
            unsigned char *p;
            cap = (size + got) * 2;
            p = realloc(data, cap);
            if (!p)
                abort();
            data = p;
        }
        memcpy(data + size, chunk, got);
        size += got;
    }
    if (ferror(f)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        fclose(f);
        free(data);
        return -1;
    }
    fclose(f);
    {
        /* Exact size: libFuzzer hands the target a block of exactly size bytes. */
        unsigned char *exact = malloc(size ? size : 1);
        if (!exact)
            abort();
        if (size)
            memcpy(exact, data, size);
        free(data);
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of @p dir; returns the number run, -1 on error. */
static long replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    long ran = 0;

    if (!d) {
        fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **p;
            cap = cap ? 2 * cap : 64;
            p = realloc(names, cap * sizeof *names);
            if (!p)
                abort();
            names = p;
        }
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (!names[n])
            abort();
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (ran >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(names[i]) != 0)
                ran = -1;
            else
                ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    long total = 0;
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        long ran;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(st.st_mode))
            ran = replay_dir(argv[i]);
        else
            ran = replay_file(argv[i]) == 0 ? 1 : -1;
        if (ran < 0)
            return 1;
        total += ran;
    }
    if (total == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    printf("replay: %ld inputs, no invariant broken\n", total);
    return 0;
}
