/* SPDX-License-Identifier: EUPL-1.2
 * Benchmark: create N accounts through idm-core (one Argon2id hash, one
 * transaction with audit and outbox rows each) on T threads, and print the
 * rate next to the raw Argon2id hash rate on T threads measured in the same
 * run. Hashing is the expected bottleneck, so the ratio shows the overhead.
 * usage: bench_accounts CONNINFO [COUNT [THREADS]]
 */
#include <argon2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/db.h"
#include "idm/conf.h"
#include "idm/org.h"
#include "idm/user.h"

#define RAW_SECONDS 3.0

static const char *const given[] = {
    "Anna", "Jürgen", "Zoë",    "Lukas", "Mia",    "Ömer",  "Sören", "Lea",
    "Finn", "Ben",    "Emilia", "Noah",  "Hannah", "Elias", "Léa",   "Paul"};
static const char *const family[] = {
    "Müller",   "Schmidt", "Groß",     "Schröder",      "Weiß",    "Krüger",
    "Hoffmann", "Schäfer", "Koch",     "Bauer",         "Richter", "Klein",
    "Wolf",     "Neumann", "D’Angelo", "von der Heide", "Öztürk",  "Nguyễn"};

typedef struct job {
    const char *conninfo;
    long first, count;
    int rc;
    char msg[800];
} job;

static idm_conf *conf;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *raw_worker(void *p)
{
    const idm_password_conf *pc = idm_password_conf_get(conf);
    long *n = p;
    unsigned char salt[16] = "benchmark-salt!", hash[32];
    double end = now_s() + RAW_SECONDS;

    while (now_s() < end) {
        argon2id_hash_raw(pc->argon2_iterations, pc->argon2_memory_kib,
                          pc->argon2_parallelism, "password-12345", 14, salt,
                          sizeof(salt), hash, sizeof(hash));
        (*n)++;
    }
    return NULL;
}

static void *account_worker(void *p)
{
    job *j = p;
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    const idm_actor actor = {"system:bench", "bench"};

    j->rc = idm_db_open_conninfo(&db, j->conninfo, NULL, 10, &err);
    for (long i = j->first; i < j->first + j->count && j->rc == 0; i++) {
        idm_user_new u = IDM_USER_NEW_INIT;
        char key[32], *login = NULL;

        snprintf(key, sizeof(key), "%ld", i);
        u.given_name = given[i % (long)(sizeof(given) / sizeof(*given))];
        u.family_name =
            family[(i / 7) % (long)(sizeof(family) / sizeof(*family))];
        u.password = "initial-password-1234";
        u.source = "bench";
        u.external_key = key;
        u.org_code = "70001";
        u.role = "pupil";
        j->rc = idm_user_add(&login, NULL, db, conf, &actor, &u, &err);
        free(login);
    }
    if (j->rc != 0) {
        snprintf(j->msg, sizeof(j->msg), "%s (%s)", err.msg, err.detail);
    }
    idm_db_close(db);
    return NULL;
}

int main(int argc, char **argv)
{
    const idm_actor actor = {"system:bench", "bench"};
    idm_org_new m = {IDM_ORG_MINISTRY, "bm-mv", NULL,
                     "Ministerium",    NULL,    NULL};
    idm_org_new a = {IDM_ORG_AUTHORITY, "ssa-rostock", NULL,
                     "SSA Rostock",     "bm-mv",       NULL};
    idm_org_new s = {IDM_ORG_SCHOOL,     NULL,          "70001",
                     "Benchmark-Schule", "ssa-rostock", NULL};
    long count = argc > 2 ? atol(argv[2]) : 100000;
    long threads = argc > 3 ? atol(argv[3]) : sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t tid[64];
    long raw[64] = {0}, raw_total = 0;
    job jobs[64];
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    double t0, raw_rate, acc_rate, elapsed;

    if (argc < 2 || count <= 0 || threads <= 0 || threads > 64) {
        fprintf(stderr, "usage: bench_accounts CONNINFO [COUNT [THREADS]]\n");
        return 2;
    }
    /* production parameters: the OWASP defaults of the config table */
    if (idm_core_conf_register(&err) != 0 ||
        idm_conf_defaults(&conf, &err) != 0 ||
        idm_db_open_conninfo(&db, argv[1], NULL, 10, &err) != 0 ||
        idm_org_add(db, &actor, &m, &err) != 0 ||
        idm_org_add(db, &actor, &a, &err) != 0 ||
        idm_org_add(db, &actor, &s, &err) != 0) {
        fprintf(stderr, "bench_accounts: %s (%s)\n", err.msg, err.detail);
        return 1;
    }
    idm_db_close(db);

    printf("argon2id parameters: m=%u KiB t=%u p=%u; threads=%ld; "
           "accounts=%ld\n",
           idm_password_conf_get(conf)->argon2_memory_kib,
           idm_password_conf_get(conf)->argon2_iterations,
           idm_password_conf_get(conf)->argon2_parallelism, threads, count);
    t0 = now_s();
    for (long i = 0; i < threads; i++) {
        pthread_create(&tid[i], NULL, raw_worker, &raw[i]);
    }
    for (long i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        raw_total += raw[i];
    }
    raw_rate = (double)raw_total / (now_s() - t0);
    printf("raw argon2id hashes/s (%ld threads):   %10.1f\n", threads,
           raw_rate);

    t0 = now_s();
    for (long i = 0; i < threads; i++) {
        jobs[i].conninfo = argv[1];
        jobs[i].first = i * (count / threads);
        jobs[i].count =
            i == threads - 1 ? count - jobs[i].first : count / threads;
        jobs[i].rc = 0;
        pthread_create(&tid[i], NULL, account_worker, &jobs[i]);
    }
    for (long i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        if (jobs[i].rc != 0) {
            fprintf(stderr, "bench_accounts: %s\n", jobs[i].msg);
            return 1;
        }
    }
    elapsed = now_s() - t0;
    acc_rate = (double)count / elapsed;
    printf("accounts created/s (%ld threads):      %10.1f  (%ld in %.1f s)\n",
           threads, acc_rate, count, elapsed);
    printf("ratio accounts/s : raw hashes/s        %10.3f\n",
           acc_rate / raw_rate);
    idm_conf_free(conf);
    return 0;
}
