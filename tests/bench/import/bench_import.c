/* SPDX-License-Identifier: EUPL-1.2
 * Hashing part of the import benchmark: raw Argon2id rate at the import's
 * initial-password parameters on one thread, then sip_import_hash_all on
 * all cores, and the parallel efficiency (rate / (single rate x threads)).
 * usage: bench_import_hash COUNT [THREADS [MEMORY_KIB [ITERATIONS]]]
 */
#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip/import.h"
#include "idm/password.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t count = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    int threads = argc > 2 ? atoi(argv[2]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t mem = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 64;
    uint32_t it = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 1;
    idm_argon2_params p = {mem, it, 1};
    char **pw = calloc(count, sizeof(char *));
    char **out = calloc(count, sizeof(char *));
    size_t single = count / 4 > 0 ? count / 4 : 1;
    idm_err err = IDM_ERR_INIT;
    double t0, raw, par;
    int rc = 1;

    if (pw == NULL || out == NULL || count == 0 || threads <= 0) {
        fprintf(stderr, "usage: %s COUNT [THREADS [MEMORY_KIB [ITER]]]\n",
                argv[0]);
        goto cleanup;
    }
    for (size_t i = 0; i < count; i++) {
        if (idm_password_generate(&pw[i], 16, &err) != 0) {
            goto cleanup;
        }
    }
    t0 = now_s();
    for (size_t i = 0; i < single; i++) {
        char *h = NULL;
        if (idm_password_hash(&h, &p, pw[i], &err) != 0) {
            goto cleanup;
        }
        free(h);
    }
    raw = (double)single / (now_s() - t0);
    t0 = now_s();
    if (sip_import_hash_all(out, (const char *const *)pw, count, mem, it, 1,
                            threads, NULL, NULL, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        goto cleanup;
    }
    par = (double)count / (now_s() - t0);
    printf("hash params=m=%u,t=%u,p=1 raw_1thread=%.0f/s threads=%d "
           "parallel=%.0f/s efficiency=%.3f\n",
           mem, it, raw, threads, par, par / (raw * threads));
    rc = 0;
cleanup:
    for (size_t i = 0; pw != NULL && i < count; i++) {
        idm_password_free(pw[i]);
        if (out != NULL) {
            free(out[i]);
        }
    }
    free(pw);
    free(out);
    return rc;
}
