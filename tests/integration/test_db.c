/* SPDX-License-Identifier: EUPL-1.2
 * idm-core against a real PostgreSQL (started by tests/harness/pg): outbox
 * and audit rows share the change's transaction, failed writes leave
 * nothing, nested transactions, concurrent login issuance, NOTIFY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/db.h"
#include "idm/conf.h"
#include "idm/grant.h"
#include "idm/migrate.h"
#include "idm/org.h"
#include "idm/password.h"
#include "idm/user.h"
#include "testpg.h"

#define THREADS 2
#define PER_THREAD 15

static char conninfo[512];
static const idm_actor actor = {"system:test", "test"};
static const idm_actor other = {"system:test", "192.0.2.7"};

typedef struct fixture {
    idm_conf *conf;
    idm_db *db;
} fixture;

/* Create a fresh database through the harness and migrate it. */
static int group_setup(void **state)
{
    (void)state;
    return testpg_newdb_migrated(conninfo, sizeof(conninfo), "test_db");
}

static int setup(void **state)
{
    static const char text_fmt[] = "[database]\nconninfo = %s\n"
                                   "[password]\nargon2_memory_kib = 1024\n"
                                   "argon2_iterations = 1\n"
                                   "max_failed_logins = 2\n";
    char text[1024];
    fixture *f = calloc(1, sizeof(*f));
    idm_err err = IDM_ERR_INIT;

    snprintf(text, sizeof(text), text_fmt, conninfo);
    assert_non_null(f);
    assert_int_equal(idm_core_conf_register(&err), 0);
    assert_int_equal(
        idm_conf_load_data(&f->conf, text, strlen(text), "test.conf", &err), 0);
    assert_int_equal(idm_db_open(&f->db, f->conf, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    idm_db_close(f->db);
    idm_conf_free(f->conf);
    free(f);
    return 0;
}

static long count(idm_db *db, const char *table)
{
    char sql[128];
    PGresult *res;
    long n;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    res = PQexec(idm_db_conn(db), sql);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

typedef struct counts {
    long person, account, ledger, outbox, audit, roles;
} counts;

static counts snapshot(idm_db *db)
{
    counts c = {count(db, "person"),       count(db, "account"),
                count(db, "login_ledger"), count(db, "outbox"),
                count(db, "audit_log"),    count(db, "role_assignment")};
    return c;
}

static void assert_counts_equal(counts a, counts b)
{
    assert_int_equal(a.person, b.person);
    assert_int_equal(a.account, b.account);
    assert_int_equal(a.ledger, b.ledger);
    assert_int_equal(a.outbox, b.outbox);
    assert_int_equal(a.audit, b.audit);
    assert_int_equal(a.roles, b.roles);
}

static void ensure_school(idm_db *db)
{
    idm_err err = IDM_ERR_INIT;
    idm_org *org = NULL;
    idm_org_new m = {IDM_ORG_MINISTRY, "bm-mv", NULL,
                     "Ministerium",    NULL,    NULL};
    idm_org_new a = {IDM_ORG_AUTHORITY, "ssa-rostock", NULL,
                     "SSA Rostock",     "bm-mv",       NULL};
    idm_org_new s = {IDM_ORG_SCHOOL,   NULL,          "75001",
                     "Schule am Meer", "ssa-rostock", NULL};

    if (idm_org_lookup(&org, db, "75001", &err) == 0) {
        idm_org_free(org);
        return;
    }
    assert_int_equal(idm_org_add(db, &actor, &m, &err), 0);
    assert_int_equal(idm_org_add(db, &actor, &a, &err), 0);
    assert_int_equal(idm_org_add(db, &actor, &s, &err), 0);
}

static void test_change_outbox_audit_commit_together(void **state)
{
    fixture *f = *state;
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT;
    char *login = NULL, *pw = NULL;
    counts before, after;

    ensure_school(f->db);
    u.given_name = "Klara";
    u.family_name = "Schröder";
    u.org_code = "75001";
    u.role = "teacher";
    before = snapshot(f->db);
    assert_int_equal(
        idm_user_add(&login, &pw, f->db, f->conf, &actor, &u, &err), 0);
    after = snapshot(f->db);
    assert_string_equal(login, "klara.schroeder");
    assert_non_null(pw);
    assert_int_equal(after.person, before.person + 1);
    assert_int_equal(after.account, before.account + 1);
    assert_int_equal(after.ledger, before.ledger + 1);
    /* person.created + person.role_granted; user.add + role.grant */
    assert_int_equal(after.outbox, before.outbox + 2);
    assert_int_equal(after.audit, before.audit + 2);
    assert_int_equal(after.roles, before.roles + 1);
    free(login);
    idm_password_free(pw);
}

static void test_outer_rollback_discards_everything(void **state)
{
    fixture *f = *state;
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT;
    char *login = NULL;
    counts before;

    ensure_school(f->db);
    u.given_name = "Rolf";
    u.family_name = "Zurück";
    u.password = "ein-langes-passwort";
    before = snapshot(f->db);
    assert_int_equal(idm_db_begin(f->db, &err), 0);
    assert_int_equal(
        idm_user_add(&login, NULL, f->db, f->conf, &actor, &u, &err), 0);
    assert_true(idm_db_in_tx(f->db));
    idm_db_rollback(f->db);
    assert_false(idm_db_in_tx(f->db));
    assert_counts_equal(before, snapshot(f->db));
    free(login);
}

static void test_failed_write_leaves_nothing(void **state)
{
    fixture *f = *state;
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT;
    char *login = NULL;
    counts before;
    int rc;

    ensure_school(f->db);
    u.given_name = "Nora";
    u.family_name = "Nirgendwo";
    u.org_code = "99999"; /* fails after person, ledger and account rows */
    u.role = "pupil";
    before = snapshot(f->db);
    rc = idm_user_add(&login, NULL, f->db, f->conf, &actor, &u, &err);
    assert_int_equal(rc, IDM_ENOTFOUND);
    assert_non_null(strstr(err.msg, "99999"));
    assert_null(login);
    assert_false(idm_db_in_tx(f->db));
    assert_counts_equal(before, snapshot(f->db));

    /* the same name then gets the bare login: the ledger row rolled back */
    u.org_code = "75001";
    assert_int_equal(
        idm_user_add(&login, NULL, f->db, f->conf, &actor, &u, &err), 0);
    assert_string_equal(login, "nora.nirgendwo");
    free(login);
}

static void test_inner_rollback_dooms_outer_commit(void **state)
{
    fixture *f = *state;
    idm_err err = IDM_ERR_INIT;
    counts before;
    idm_org_new b = {IDM_ORG_SCHOOL_BOARD, "lk-rostock", NULL,
                     "Landkreis Rostock",  "bm-mv",      NULL};

    ensure_school(f->db);
    before = snapshot(f->db);
    assert_int_equal(idm_db_begin(f->db, &err), 0);
    assert_int_equal(idm_org_add(f->db, &actor, &b, &err), 0);
    assert_int_equal(idm_db_begin(f->db, &err), 0);
    idm_db_rollback(f->db); /* inner level fails */
    assert_int_equal(idm_db_commit(f->db, &err), IDM_ECONFLICT);
    assert_false(idm_db_in_tx(f->db));
    assert_counts_equal(before, snapshot(f->db));
    assert_int_equal(count(f->db, "org_unit WHERE code = 'lk-rostock'"), 0);
}

struct issue_arg {
    char logins[PER_THREAD][64];
    int rc;
};

static void *issue_worker(void *p)
{
    struct issue_arg *a = p;
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    idm_conf *conf = NULL;
    char text[1024];

    snprintf(text, sizeof(text),
             "[database]\nconninfo = %s\n[password]\n"
             "argon2_memory_kib = 1024\nargon2_iterations = 1\n",
             conninfo);
    a->rc = idm_conf_load_data(&conf, text, strlen(text), "t", &err);
    if (a->rc == 0) {
        a->rc = idm_db_open(&db, conf, &err);
    }
    for (int i = 0; i < PER_THREAD && a->rc == 0; i++) {
        idm_user_new u = IDM_USER_NEW_INIT;
        char *login = NULL;
        u.given_name = "Lena";
        u.family_name = "Groß";
        u.password = "ein-langes-passwort";
        a->rc = idm_user_add(&login, NULL, db, conf, &actor, &u, &err);
        if (a->rc == 0) {
            snprintf(a->logins[i], sizeof(a->logins[i]), "%s", login);
        }
        free(login);
    }
    idm_db_close(db);
    idm_conf_free(conf);
    return NULL;
}

static void test_concurrent_login_issuance_is_unique(void **state)
{
    pthread_t t[THREADS];
    struct issue_arg args[THREADS];
    int seen_bare = 0;

    (void)state;
    memset(args, 0, sizeof(args));
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, issue_worker, &args[i]),
                         0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].rc, 0);
    }
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        const char *a = args[i / PER_THREAD].logins[i % PER_THREAD];
        assert_non_null(strstr(a, "lena.gross"));
        seen_bare += strcmp(a, "lena.gross") == 0;
        for (int j = i + 1; j < THREADS * PER_THREAD; j++) {
            assert_string_not_equal(
                a, args[j / PER_THREAD].logins[j % PER_THREAD]);
        }
    }
    assert_int_equal(seen_bare, 1);
}

static void test_authenticate_throttles_and_upgrades(void **state)
{
    fixture *f = *state;
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT, err2 = IDM_ERR_INIT;
    idm_auth_result res;
    idm_conf *stronger = NULL;
    char *login = NULL, text[1024];
    idm_user *user = NULL;

    u.given_name = "Tim";
    u.family_name = "Tester";
    u.password = "richtiges-passwort";
    assert_int_equal(
        idm_user_add(&login, NULL, f->db, f->conf, &actor, &u, &err), 0);
    /* unknown login and wrong password look the same */
    assert_int_equal(idm_user_authenticate(&res, f->db, f->conf, &actor,
                                           "niemand", "x", &err),
                     IDM_EAUTH);
    assert_int_equal(idm_user_authenticate(&res, f->db, f->conf, &actor, login,
                                           "falsch", &err2),
                     IDM_EAUTH);
    assert_string_equal(err.msg, err2.msg);
    /* second failure reaches max_failed_logins = 2: this address waits
     * (issue 12: no account lock, the same answer as a wrong password) */
    assert_int_equal(idm_user_authenticate(&res, f->db, f->conf, &actor, login,
                                           "falsch", &err),
                     IDM_EAUTH);
    assert_int_equal(idm_user_lookup(&user, f->db, login, &err), 0);
    assert_int_equal(user->failed_logins, 2);
    assert_null(user->locked_until);
    idm_user_free(user);
    assert_int_equal(idm_user_authenticate(&res, f->db, f->conf, &actor, login,
                                           "richtiges-passwort", &err2),
                     IDM_EAUTH);
    assert_string_equal(err.msg, err2.msg);
    /* the owner elsewhere is not affected */
    assert_int_equal(idm_user_authenticate(&res, f->db, f->conf, &other, login,
                                           "richtiges-passwort", &err),
                     0);
    assert_int_equal(
        idm_user_set_status(f->db, &actor, login, IDM_USER_UNLOCK, &err), 0);
    assert_int_equal(idm_user_authenticate(&res, f->db, f->conf, &actor, login,
                                           "richtiges-passwort", &err),
                     0);
    assert_false(res.rehashed);

    /* new parameters in the config: the next good login upgrades */
    snprintf(text, sizeof(text),
             "[database]\nconninfo = %s\n[password]\n"
             "argon2_memory_kib = 2048\nargon2_iterations = 1\n",
             conninfo);
    assert_int_equal(
        idm_conf_load_data(&stronger, text, strlen(text), "s", &err), 0);
    assert_int_equal(idm_user_authenticate(&res, f->db, stronger, &actor, login,
                                           "richtiges-passwort", &err),
                     0);
    assert_true(res.rehashed);
    assert_int_equal(idm_user_authenticate(&res, f->db, stronger, &actor, login,
                                           "richtiges-passwort", &err),
                     0);
    assert_false(res.rehashed);
    idm_conf_free(stronger);
    free(login);
}

static void test_outbox_notifies_listeners(void **state)
{
    fixture *f = *state;
    idm_err err = IDM_ERR_INIT;
    idm_db *listener = NULL;
    PGnotify *note = NULL;
    idm_org_new b = {IDM_ORG_SCHOOL_BOARD, "hro",   NULL,
                     "Hansestadt Rostock", "bm-mv", NULL};
    struct pollfd pfd;

    ensure_school(f->db);
    assert_int_equal(idm_db_open_conninfo(&listener, conninfo, NULL, 10, &err),
                     0);
    PQclear(PQexec(idm_db_conn(listener), "LISTEN idm_outbox"));
    assert_int_equal(idm_org_add(f->db, &actor, &b, &err), 0);
    pfd.fd = PQsocket(idm_db_conn(listener));
    pfd.events = POLLIN;
    for (int i = 0; i < 50 && note == NULL; i++) {
        (void)poll(&pfd, 1, 100);
        PQconsumeInput(idm_db_conn(listener));
        note = PQnotifies(idm_db_conn(listener));
    }
    assert_non_null(note);
    assert_string_equal(note->relname, "idm_outbox");
    PQfreemem(note);
    idm_db_close(listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_change_outbox_audit_commit_together, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outer_rollback_discards_everything,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inner_rollback_dooms_outer_commit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_concurrent_login_issuance_is_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_authenticate_throttles_and_upgrades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_notifies_listeners, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("integration.db", tests, group_setup,
                                       NULL);
}
