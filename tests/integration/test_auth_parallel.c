/* SPDX-License-Identifier: EUPL-1.2
 * Parallel password checks against the real PostgreSQL (security review,
 * finding 1): no attempt waits on another while Argon2id runs, whether
 * the login exists or not, and the limits still hold. The Argon2id calls
 * are wrapped (-Wl,--wrap): each attempt stops inside them until all are
 * inside at once; then a second connection finds no lock held and no
 * transaction open. With the old FOR UPDATE the rendezvous never forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "base/conf.h"
#include "base/db.h"
#include "idm/conf.h"
#include "idm/device.h"
#include "idm/migrate.h"
#include "idm/password.h"
#include "idm/user.h"
#include "testpg.h"

#define N 8
#define PASSWORD "Richtig-und-lang-42"
/* how long the rendezvous may take to form before the test gives up: a
 * bound for a broken build, not a measurement */
#define RENDEZVOUS_SECONDS 60

static char conninfo[512];
static const idm_actor admin = {"system:test", "test"};

/* ---- the wrapped Argon2id calls ---- */

int __real_idm_password_verify(const char *encoded, const char *password,
                               idm_err *err);
void __real_idm_password_dummy_verify(const idm_argon2_params *params,
                                      const char *password);
int __wrap_idm_password_verify(const char *encoded, const char *password,
                               idm_err *err);
void __wrap_idm_password_dummy_verify(const idm_argon2_params *params,
                                      const char *password);

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int armed;    /* attempts stop inside Argon2id */
    int want;     /* ... until this many are inside at once */
    int inside;   /* inside now */
    int met;      /* all were inside at once */
    int released; /* the main thread has looked: go on */
    int broken;   /* a deadline passed: nobody waits any more */
    int verified; /* real verifications */
    int dummies;  /* dummy ones */
    int in_tx;    /* attempts inside Argon2id with a transaction open */
} rv = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

/* the attempt's own connection (one per thread) */
static __thread idm_db *thread_db;

static void deadline_in(struct timespec *ts, int seconds)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += seconds;
}

static void argon2_entered(int real)
{
    struct timespec until;

    pthread_mutex_lock(&rv.lock);
    if (!rv.armed) {
        pthread_mutex_unlock(&rv.lock);
        return;
    }
    if (real) {
        rv.verified++;
    } else {
        rv.dummies++;
    }
    if (thread_db == NULL ||
        PQtransactionStatus(idm_db_conn(thread_db)) != PQTRANS_IDLE) {
        rv.in_tx++;
    }
    rv.inside++;
    if (rv.inside == rv.want) {
        rv.met = 1;
        pthread_cond_broadcast(&rv.cond);
    }
    deadline_in(&until, RENDEZVOUS_SECONDS);
    while (!rv.released && !rv.broken) {
        if (pthread_cond_timedwait(&rv.cond, &rv.lock, &until) == ETIMEDOUT) {
            rv.broken = 1;
            pthread_cond_broadcast(&rv.cond);
        }
    }
    rv.inside--;
    pthread_mutex_unlock(&rv.lock);
}

int __wrap_idm_password_verify(const char *encoded, const char *password,
                               idm_err *err)
{
    argon2_entered(1);
    return __real_idm_password_verify(encoded, password, err);
}

void __wrap_idm_password_dummy_verify(const idm_argon2_params *params,
                                      const char *password)
{
    argon2_entered(0);
    __real_idm_password_dummy_verify(params, password);
}

/* ---- fixture ---- */

typedef struct fixture {
    idm_conf *conf;
    idm_db *db;
    PGconn *pg; /* the second connection that looks at locks */
} fixture;

static int group_setup(void **state)
{
    (void)state;
    return testpg_newdb_migrated(conninfo, sizeof(conninfo), "auth_parallel");
}

/* Five failures per address, decay so slow that nothing drains while the
 * test runs; the account slows from 40 on; device tokens fail 3 times. */
static int setup(void **state)
{
    static const char text_fmt[] = "[database]\nconninfo = %s\n"
                                   "[password]\nargon2_memory_kib = 1024\n"
                                   "argon2_iterations = 1\n"
                                   "max_failed_logins = 5\n"
                                   "failure_decay_seconds = 86400\n"
                                   "account_slow_failures = 40\n"
                                   "account_slow_seconds = 3600\n"
                                   "device_max_failures = 3\n";
    char text[1024];
    fixture *f = calloc(1, sizeof(*f));
    idm_err err = IDM_ERR_INIT;

    assert_non_null(f);
    snprintf(text, sizeof(text), text_fmt, conninfo);
    assert_int_equal(idm_core_conf_register(&err), 0);
    assert_int_equal(
        idm_conf_load_data(&f->conf, text, strlen(text), "test.conf", &err), 0);
    assert_int_equal(idm_db_open(&f->db, f->conf, &err), 0);
    f->pg = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(f->pg), CONNECTION_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    PQfinish(f->pg);
    idm_db_close(f->db);
    idm_conf_free(f->conf);
    free(f);
    return 0;
}

/* One value from the second connection ($1 = param). */
static char *sql1(fixture *f, const char *sql, const char *param)
{
    const char *p[1] = {param};
    PGresult *res = PQexecParams(f->pg, sql, param != NULL ? 1 : 0, NULL,
                                 param != NULL ? p : NULL, NULL, NULL, 0);
    char *v = NULL;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(f->pg));
    }
    if (PQntuples(res) >= 1 && !PQgetisnull(res, 0, 0)) {
        v = strdup(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return v;
}

static void assert_sql(fixture *f, const char *sql, const char *param,
                       const char *want)
{
    char *got = sql1(f, sql, param);

    if (got == NULL || strcmp(got, want) != 0) {
        fail_msg("%s [%s]: got \"%s\", want \"%s\"", sql,
                 param != NULL ? param : "", got != NULL ? got : "(null)",
                 want);
    }
    free(got);
}

static char *user(fixture *f, const char *given, const char *family)
{
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT;
    char *login = NULL;

    u.given_name = given;
    u.family_name = family;
    u.password = PASSWORD;
    if (idm_user_add(&login, NULL, f->db, f->conf, &admin, &u, &err) != 0) {
        fail_msg("user add: %s (%s)", err.msg, err.detail);
    }
    return login;
}

/* ---- N attempts at once ---- */

typedef struct attempt_arg {
    const idm_conf *conf;
    const char *login;
    const char *password;
    const char *device; /* token or NULL */
    char addr[48];
    int open_rc;
    int rc;
} attempt_arg;

static void *attempt_thread(void *p)
{
    attempt_arg *a = p;
    idm_auth_opts opts = IDM_AUTH_OPTS_INIT;
    idm_auth_result res;
    idm_err err = IDM_ERR_INIT;
    idm_actor actor = {"idmd", a->addr};
    idm_db *db = NULL;

    a->open_rc = idm_db_open(&db, a->conf, &err);
    if (a->open_rc != 0) {
        /* counts as inside, so that the others do not wait in vain */
        argon2_entered(0);
        return NULL;
    }
    thread_db = db;
    opts.device_token = a->device;
    a->rc = idm_user_authenticate_ext(&res, db, a->conf, &actor, a->login,
                                      a->password, &opts, &err);
    thread_db = NULL;
    idm_db_close(db);
    return NULL;
}

/* One value from the second connection, or the error. */
static void look(char *got, size_t size, fixture *f, const char *sql,
                 const char *param)
{
    const char *p[1] = {param};
    PGresult *res = PQexecParams(f->pg, sql, param != NULL ? 1 : 0, NULL,
                                 param != NULL ? p : NULL, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK &&
        PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(got, size, "error: %s", PQerrorMessage(f->pg));
    } else {
        snprintf(got, size, "%s",
                 PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "ok");
    }
    PQclear(res);
}

/*
 * While every attempt is inside Argon2id: no session of theirs holds a
 * lock or has a transaction open, and the second connection can lock the
 * account row and its throttle rows without waiting (NOWAIT fails at
 * once where it would have to wait). Writes the first problem into
 * problem ("" if none): the threads must be released before a cmocka
 * assertion may end the test.
 */
static void look_nothing_held(char *problem, size_t size, fixture *f,
                              const char *login)
{
    static const struct {
        const char *sql, *want;
    } checks[] = {
        {"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s "
         "ON s.pid = l.pid WHERE s.datname = current_database() "
         "AND s.backend_type = 'client backend' "
         "AND l.pid <> pg_backend_pid()",
         "0"},
        {"SELECT count(*) FROM pg_stat_activity WHERE datname = "
         "current_database() AND backend_type = 'client backend' "
         "AND pid <> pg_backend_pid() AND state <> 'idle'",
         "0"},
        {"BEGIN", "ok"},
        {"SELECT 'locked' FROM account a WHERE lower(a.login) = lower($1) "
         "FOR UPDATE NOWAIT",
         NULL},
        {"SELECT 'locked' FROM login_throttle t JOIN account a ON a.id = "
         "t.account_id WHERE lower(a.login) = lower($1) "
         "FOR UPDATE OF t NOWAIT",
         NULL},
    };
    char got[512];

    problem[0] = '\0';
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        look(got, sizeof(got), f, checks[i].sql,
             strstr(checks[i].sql, "$1") != NULL ? login : NULL);
        if (strncmp(got, "error:", 6) == 0 ||
            (checks[i].want != NULL && strcmp(got, checks[i].want) != 0)) {
            snprintf(problem, size, "%s: got \"%s\"", checks[i].sql, got);
            break;
        }
    }
    PQclear(PQexec(f->pg, "ROLLBACK"));
}

/* Run N attempts at login at once (addr: one address, or NULL: one each);
 * returns how many reached the real verification. */
static int run_parallel(fixture *f, const char *login, const char *password,
                        const char *addr, const char *device)
{
    attempt_arg args[N];
    pthread_t th[N];
    struct timespec until;
    char problem[1024] = "";
    int verified;

    memset(args, 0, sizeof(args));
    pthread_mutex_lock(&rv.lock);
    rv.armed = 1;
    rv.want = N;
    rv.inside = rv.met = rv.released = rv.broken = 0;
    rv.verified = rv.dummies = rv.in_tx = 0;
    pthread_mutex_unlock(&rv.lock);
    for (int i = 0; i < N; i++) {
        args[i].conf = f->conf;
        args[i].login = login;
        args[i].password = password;
        args[i].device = device;
        if (addr != NULL) {
            snprintf(args[i].addr, sizeof(args[i].addr), "%s", addr);
        } else {
            snprintf(args[i].addr, sizeof(args[i].addr), "203.0.113.%d",
                     10 + i);
        }
        assert_int_equal(pthread_create(&th[i], NULL, attempt_thread, &args[i]),
                         0);
    }
    /* wait until all are inside at once (or a deadline broke it) */
    pthread_mutex_lock(&rv.lock);
    deadline_in(&until, RENDEZVOUS_SECONDS);
    while (!rv.met && !rv.broken) {
        if (pthread_cond_timedwait(&rv.cond, &rv.lock, &until) == ETIMEDOUT) {
            rv.broken = 1;
            pthread_cond_broadcast(&rv.cond);
        }
    }
    pthread_mutex_unlock(&rv.lock);
    if (rv.met && !rv.broken) {
        look_nothing_held(problem, sizeof(problem), f, login);
    }
    pthread_mutex_lock(&rv.lock);
    rv.released = 1;
    pthread_cond_broadcast(&rv.cond);
    pthread_mutex_unlock(&rv.lock);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_mutex_lock(&rv.lock);
    rv.armed = 0;
    pthread_mutex_unlock(&rv.lock);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].open_rc, 0);
        assert_int_equal(args[i].rc, IDM_EAUTH);
    }
    /* structural, not timed: all N were inside Argon2id at the same time,
     * none of them with a transaction open */
    assert_true(rv.met);
    assert_false(rv.broken);
    if (problem[0] != '\0') {
        fail_msg("while all were inside Argon2id: %s", problem);
    }
    assert_int_equal(rv.in_tx, 0);
    assert_int_equal(rv.verified + rv.dummies, N);
    verified = rv.verified;
    return verified;
}

/* ---- the cases ---- */

/* 8 wrong passwords at once from one address at an existing login: they
 * run side by side, yet only max_failed_logins (5) are checked; the
 * other 3 get the dummy work. Every one is charged. */
static void test_existing_login_parallel(void **state)
{
    fixture *f = *state;
    char *login = user(f, "Paula", "Parallel");

    assert_int_equal(
        run_parallel(f, login, "falsch-geraten", "192.0.2.50", NULL), 5);
    assert_sql(f,
               "SELECT round(t.score)::text FROM login_throttle t JOIN "
               "account a ON a.id = t.account_id WHERE a.login = $1 "
               "AND t.addr = '192.0.2.50'",
               login, "8");
    /* the account score counts the checked ones only */
    assert_sql(f,
               "SELECT round(t.score)::text FROM login_throttle t JOIN "
               "account a ON a.id = t.account_id WHERE a.login = $1 "
               "AND t.addr = '*'",
               login, "5");
    assert_sql(f, "SELECT failed_logins::text FROM account WHERE login = $1",
               login, "5");
    assert_sql(f,
               "SELECT string_agg(details->>'reason', ',' ORDER BY "
               "details->>'reason') FROM audit_log WHERE action = "
               "'login.fail' AND target = $1",
               login,
               "throttled (address),throttled (address),throttled (address),"
               "wrong password,wrong password,wrong password,wrong password,"
               "wrong password");
    free(login);
}

/* The same at a login that does not exist: the same side by side. */
static void test_unknown_login_parallel(void **state)
{
    fixture *f = *state;

    assert_int_equal(
        run_parallel(f, "niemand.hier", "falsch-geraten", "192.0.2.51", NULL),
        0);
    assert_sql(f,
               "SELECT count(*)::text FROM audit_log WHERE action = "
               "'login.fail' AND target = '(unknown)' AND addr = "
               "'192.0.2.51'",
               NULL, "8");
}

/* An account over its ceiling: 8 unknown addresses at once, one slot
 * (account_slow_seconds): exactly one of them is checked. */
static void test_slow_slot_parallel(void **state)
{
    fixture *f = *state;
    char *login = user(f, "Sven", "Slot");
    char *id = sql1(f, "SELECT id::text FROM account WHERE login = $1", login);

    assert_non_null(id);
    assert_sql(f,
               "INSERT INTO login_throttle (account_id, addr, score) "
               "VALUES ($1::bigint, '*', 40) RETURNING 'ok'",
               id, "ok");
    assert_int_equal(run_parallel(f, login, "falsch-geraten", NULL, NULL), 1);
    assert_sql(f,
               "SELECT count(*)::text FROM audit_log WHERE action = "
               "'login.fail' AND target = $1 AND details->>'reason' = "
               "'slowed (account)'",
               login, "7");
    free(id);
    free(login);
}

/* A device token carries at most its budget (3) of parallel failures;
 * the other five count on the address (3 points already: two more are
 * checked). The token is revoked. */
static void test_device_budget_parallel(void **state)
{
    fixture *f = *state;
    char *login = user(f, "Dana", "Device");
    char token[IDM_DEVICE_TOKEN_LEN + 1];
    char *id = sql1(f, "SELECT id::text FROM account WHERE login = $1", login);
    idm_err err = IDM_ERR_INIT;

    assert_int_equal(idm_device_issue(token, f->db, f->conf, login, &err), 0);
    assert_int_equal(strlen(token), IDM_DEVICE_TOKEN_LEN);
    assert_sql(f,
               "INSERT INTO login_throttle (account_id, addr, score) "
               "VALUES ($1::bigint, '192.0.2.52', 3) RETURNING 'ok'",
               id, "ok");
    assert_int_equal(
        run_parallel(f, login, "falsch-geraten", "192.0.2.52", token), 5);
    assert_sql(f,
               "SELECT count(*)::text FROM login_device WHERE "
               "account_id = $1::bigint",
               id, "0");
    assert_sql(f,
               "SELECT count(*)::text FROM audit_log WHERE action = "
               "'login.fail' AND target = $1 AND details->>'device' = "
               "'revoked'",
               login, "1");
    /* the address paid for the five only (3 + 5), not for the three the
     * token carried (that would be the cap, 10) */
    assert_sql(f,
               "SELECT round(score)::text FROM login_throttle WHERE "
               "account_id = $1::bigint AND addr = '192.0.2.52'",
               id, "8");
    free(id);
    free(login);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_existing_login_parallel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_login_parallel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slow_slot_parallel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_device_budget_parallel, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("integration.auth_parallel", tests,
                                       group_setup, NULL);
}
