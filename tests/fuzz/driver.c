/* SPDX-License-Identifier: EUPL-1.2
 * Standalone fuzz driver (SQLite fuzzcheck, libgit2 fuzzers/standalone):
 * replays every file named on the command line, or every file of a named
 * directory, through LLVMFuzzerTestOneInput. A crash or a sanitizer report
 * fails the ctest; this runs in every build, with or without libFuzzer.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL, *exact;
    size_t len = 0, cap = 0, n;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    do {
        if (cap - len < 65536) {
            unsigned char *b;
            cap = cap * 2 + 65536;
            b = realloc(buf, cap);
            if (b == NULL) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = b;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    /* an exact copy, as libFuzzer hands it over: ASan then sees a read
     * past the input's end (buf has spare room after it) */
    exact = malloc(len > 0 ? len : 1);
    if (exact == NULL) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;

    if (d == NULL) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char **nn;
        if (e->d_name[0] == '.') {
            continue;
        }
        nn = realloc(names, (n + 1) * sizeof(*names));
        if (nn == NULL) {
            rc = -1;
            break;
        }
        names = nn;
        names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }
        sprintf(names[n], "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            rc = run_file(names[i]);
            ++*count;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    int count = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) != 0
                                : (count++, run_file(argv[i]) != 0)) {
            return 1;
        }
    }
    if (count == 0) {
        fprintf(stderr, "%s: empty corpus\n", argv[0]);
        return 1;
    }
    printf("%d inputs replayed\n", count);
    return 0;
}
