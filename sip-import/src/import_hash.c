/* SPDX-License-Identifier: EUPL-1.2
 * Hashing the initial passwords of an import on every core: a fixed pool
 * of threads takes the next index from an atomic counter; the calling
 * thread reports progress. Each hash is an ordinary Argon2id PHC string.
 */
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/password.h"
#include "import_int.h"

typedef struct hash_job {
    char **out;
    const char *const *passwords;
    size_t count;
    idm_argon2_params params;
    atomic_size_t next;
    atomic_size_t done;
    atomic_int failed;
} hash_job;

static void *hash_worker(void *arg)
{
    hash_job *job = arg;

    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->count || atomic_load(&job->failed)) {
            break;
        }
        if (idm_password_hash(&job->out[i], &job->params, job->passwords[i],
                              NULL) != 0) {
            atomic_store(&job->failed, 1);
            break;
        }
        atomic_fetch_add(&job->done, 1);
    }
    return NULL;
}

int sip_import_hash_all(char **out, const char *const *passwords, size_t count,
                        uint32_t memory_kib, uint32_t iterations,
                        uint32_t parallelism, int threads,
                        sip_import_progress_fn progress, void *progress_data,
                        idm_err *err)
{
    hash_job job;
    pthread_t *tids = NULL;
    int started = 0, rc = 0;

    if (count == 0) {
        return 0;
    }
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if ((size_t)threads > count) {
        threads = (int)count;
    }
    job.out = out;
    job.passwords = passwords;
    job.count = count;
    job.params.memory_kib = memory_kib;
    job.params.iterations = iterations;
    job.params.parallelism = parallelism;
    atomic_init(&job.next, 0);
    atomic_init(&job.done, 0);
    atomic_init(&job.failed, 0);
    tids = idm_xcalloc((size_t)threads, sizeof(*tids));
    for (; started < threads; started++) {
        if (pthread_create(&tids[started], NULL, hash_worker, &job) != 0) {
            break;
        }
    }
    if (started == 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "cannot start hashing threads");
        goto cleanup;
    }
    while (progress != NULL && atomic_load(&job.done) < count &&
           !atomic_load(&job.failed)) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        progress(progress_data, SIP_IMPORT_PHASE_HASH, atomic_load(&job.done),
                 count);
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    if (atomic_load(&job.failed)) {
        rc = idm_err_set(err, IDM_EINTERNAL, "password hashing failed");
        goto cleanup;
    }
    if (progress != NULL) {
        progress(progress_data, SIP_IMPORT_PHASE_HASH, count, count);
    }
cleanup:
    if (rc != 0) {
        for (size_t i = 0; i < count; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    }
    free(tids);
    return rc;
}
