/* SPDX-License-Identifier: EUPL-1.2
 * The outbox events and audit entries of every write of idm-core against
 * a real PostgreSQL: aggregate, key, event name and payload as stored
 * (ldap-sync's contract), and the audit action, target and details.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/db.h"
#include "base/log.h"
#include "idm/audit.h"
#include "idm/conf.h"
#include "idm/grant.h"
#include "idm/group.h"
#include "idm/migrate.h"
#include "idm/org.h"
#include "idm/password.h"
#include "idm/user.h"
#include "testpg.h"

static const idm_actor actor = {"system:test", "test"};

typedef struct fixture {
    idm_conf *conf;
    idm_conf *conf2; /* other Argon2 parameters: the next login rehashes */
    idm_db *db;
    char outbox[24], audit[24]; /* last ids seen */
} fixture;

static int load_conf(idm_conf **out, const char *conninfo, int iterations)
{
    static const char fmt[] = "[database]\nconninfo = %s\n"
                              "[password]\nargon2_memory_kib = 1024\n"
                              "argon2_iterations = %d\n";
    char text[1024];
    idm_err err = IDM_ERR_INIT;

    snprintf(text, sizeof(text), fmt, conninfo, iterations);
    return idm_conf_load_data(out, text, strlen(text), "test.conf", &err);
}

static int setup(void **state)
{
    const char *st = getenv("IDM_TEST_STATE");
    const char *src = getenv("IDM_SOURCE_DIR");
    char dir[1024], conninfo[512];
    idm_err err = IDM_ERR_INIT;
    fixture *f = calloc(1, sizeof(*f));
    int applied = 0;

    if (f == NULL || st == NULL || src == NULL) {
        fprintf(stderr, "IDM_TEST_STATE and IDM_SOURCE_DIR must be set\n");
        free(f);
        return -1;
    }
    if (testpg_newdb(conninfo, sizeof(conninfo), "test_events") != 0) {
        free(f);
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/migrations", src);
    if (idm_core_conf_register(&err) != 0 ||
        load_conf(&f->conf, conninfo, 1) != 0 ||
        load_conf(&f->conf2, conninfo, 2) != 0 ||
        idm_db_open(&f->db, f->conf, &err) != 0 ||
        idm_migrate_apply(&applied, f->db, dir, &err) != 0) {
        fprintf(stderr, "setup: %s (%s)\n", err.msg, err.detail);
        idm_db_close(f->db);
        idm_conf_free(f->conf);
        idm_conf_free(f->conf2);
        free(f);
        return -1;
    }
    strcpy(f->outbox, "0");
    strcpy(f->audit, "0");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    if (f == NULL) {
        return 0;
    }
    idm_db_close(f->db);
    idm_conf_free(f->conf);
    idm_conf_free(f->conf2);
    free(f);
    return 0;
}

/* UUIDs and group ids differ per run */
#define MASK(x)                                                                \
    "regexp_replace(" x ", '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"              \
    "[0-9a-f]{4}-[0-9a-f]{12}', 'U', 'g')"

/* Lines "outbox|aggregate|key|event|payload" and "audit|action|target|
 * result|details" written since the last call, in order. */
static char *since(fixture *f)
{
    const char *params[2] = {f->outbox, f->audit};
    GString *s = g_string_new(NULL);
    PGresult *res;

    res = PQexecParams(
        idm_db_conn(f->db),
        "SELECT 'outbox|' || aggregate || '|' || CASE aggregate WHEN 'group' "
        "THEN 'G' ELSE " MASK(
            "key") " END || '|' || event || '|' || "
                   "coalesce(" MASK(
                       "payload::text") ", 'NULL'), id FROM outbox "
                                        "WHERE id > $1::bigint ORDER BY id",
        1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(res); i++) {
        g_string_append_printf(s, "%s\n", PQgetvalue(res, i, 0));
        snprintf(f->outbox, sizeof(f->outbox), "%s", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    res = PQexecParams(
        idm_db_conn(f->db),
        "SELECT 'audit|' || action || '|' || coalesce(target, '') || '|' || "
        "result || '|' || coalesce(" MASK(
            "details::text") ", 'NULL'), id "
                             "FROM audit_log WHERE id > $1::bigint ORDER BY id",
        1, NULL, params + 1, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(res); i++) {
        g_string_append_printf(s, "%s\n", PQgetvalue(res, i, 0));
        snprintf(f->audit, sizeof(f->audit), "%s", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return g_string_free(s, FALSE);
}

static void expect(fixture *f, const char *want)
{
    char *got = since(f);

    assert_string_equal(got, want);
    g_free(got);
}

static void test_org_and_group(void **state)
{
    fixture *f = *state;
    idm_err err = IDM_ERR_INIT;
    idm_org_new m = {IDM_ORG_MINISTRY, "bm-mv", NULL,
                     "Ministerium",    NULL,    NULL};
    idm_org_new a = {IDM_ORG_AUTHORITY, "ssa-rostock", NULL,
                     "SSA Rostock",     "bm-mv",       NULL};
    idm_org_new s = {IDM_ORG_SCHOOL,   NULL,          "75001",
                     "Schule am Meer", "ssa-rostock", NULL};

    assert_int_equal(idm_org_add(f->db, &actor, &m, &err), 0);
    expect(f, "outbox|org|bm-mv|org.created|{\"name\": \"Ministerium\", "
              "\"type\": \"ministry\", \"board\": null, \"parent\": null}\n"
              "audit|org.add|bm-mv|ok|{\"name\": \"Ministerium\", "
              "\"type\": \"ministry\", \"board\": null, \"parent\": null}\n");
    assert_int_equal(idm_org_add(f->db, &actor, &a, &err), 0);
    g_free(since(f)); /* covered by the ministry */
    assert_int_equal(idm_org_add(f->db, &actor, &s, &err), 0);
    expect(
        f,
        "outbox|org|75001|org.created|{\"name\": \"Schule am Meer\", "
        "\"type\": \"school\", \"board\": null, \"parent\": \"ssa-rostock\"}\n"
        "audit|org.add|75001|ok|{\"name\": \"Schule am Meer\", "
        "\"type\": \"school\", \"board\": null, \"parent\": "
        "\"ssa-rostock\"}\n");
    assert_int_equal(
        idm_group_add(f->db, &actor, "75001", "class", "5a", "2026/27", &err),
        0);
    expect(f, "outbox|group|G|group.created|{\"org\": \"75001\", \"kind\": "
              "\"class\", \"name\": \"5a\", \"year\": \"2026/27\"}\n"
              "audit|group.add|75001/5a|ok|{\"org\": \"75001\", \"kind\": "
              "\"class\", \"name\": \"5a\", \"year\": \"2026/27\"}\n");
}

static void test_person(void **state)
{
    fixture *f = *state;
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_grant_spec g = IDM_GRANT_SPEC_INIT;
    idm_auth_result ar;
    idm_pw_problem problem;
    idm_err err = IDM_ERR_INIT;
    char *login = NULL, *pw = NULL;

    u.given_name = "Klara";
    u.family_name = "Schröder";
    u.password = "ein-langes-passwort";
    u.source = "sip";
    u.external_key = "K-1";
    u.org_code = "75001";
    u.role = "teacher";
    assert_int_equal(
        idm_user_add(&login, &pw, f->db, f->conf, &actor, &u, &err), 0);
    assert_string_equal(login, "klara.schroeder");
    expect(f, "outbox|person|U|person.created|{\"key\": \"K-1\", \"uuid\": "
              "\"U\", \"login\": \"klara.schroeder\", \"source\": \"sip\"}\n"
              "outbox|person|U|person.role_granted|{\"org\": \"75001\", "
              "\"role\": \"teacher\", \"uuid\": \"U\", \"group\": null, "
              "\"until\": null, \"source\": null}\n"
              "audit|user.add|klara.schroeder|ok|{\"key\": \"K-1\", \"uuid\": "
              "\"U\", \"login\": \"klara.schroeder\", \"source\": \"sip\"}\n"
              "audit|role.grant|klara.schroeder|ok|{\"org\": \"75001\", "
              "\"role\": \"teacher\", \"uuid\": \"U\", \"group\": null, "
              "\"until\": null, \"source\": null}\n");

    g.login = login;
    g.org_code = "75001";
    g.role = "teacher";
    g.group_name = "5a";
    g.group_year = "2026/27";
    g.source = "api";
    assert_int_equal(idm_grant_add(NULL, f->db, &actor, &g, &err), 0);
    expect(f, "outbox|person|U|person.role_granted|{\"org\": \"75001\", "
              "\"role\": \"teacher\", \"uuid\": \"U\", \"group\": \"5a\", "
              "\"until\": null, \"source\": \"api\"}\n"
              "audit|role.grant|klara.schroeder|ok|{\"org\": \"75001\", "
              "\"role\": \"teacher\", \"uuid\": \"U\", \"group\": \"5a\", "
              "\"until\": null, \"source\": \"api\"}\n");
    assert_int_equal(idm_grant_revoke(f->db, &actor, &g, &err), 0);
    expect(f, "outbox|person|U|person.role_revoked|{\"org\": \"75001\", "
              "\"role\": \"teacher\", \"uuid\": \"U\", \"group\": \"5a\"}\n"
              "audit|role.revoke|klara.schroeder|ok|{\"org\": \"75001\", "
              "\"role\": \"teacher\", \"uuid\": \"U\", \"group\": \"5a\"}\n");

    assert_int_equal(idm_group_set_member(f->db, &actor, "75001", "5a",
                                          "2026/27", login, 1, &err),
                     0);
    expect(f, "outbox|group|G|group.member_added|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\"}\n"
              "audit|group.add_member|75001/5a|ok|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\"}\n");
    assert_int_equal(idm_group_set_member(f->db, &actor, "75001", "5a",
                                          "2026/27", login, 0, &err),
                     0);
    expect(f, "outbox|group|G|group.member_removed|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\"}\n"
              "audit|group.remove_member|75001/5a|ok|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\"}\n");

    assert_int_equal(idm_user_set_password(NULL, f->db, f->conf, &actor, login,
                                           "noch-ein-langes-passwort", 1, &err),
                     0);
    expect(f, "outbox|person|U|account.password_changed|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\", \"must_change\": true}\n"
              "audit|user.set_password|klara.schroeder|ok|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\", \"must_change\": true}\n");
    assert_int_equal(idm_user_change_password(&problem, f->db, f->conf, &actor,
                                              login, "Wellen-am-Strand-2026!",
                                              NULL, &err),
                     0);
    expect(f, "outbox|person|U|account.password_changed|{\"uuid\": \"U\", "
              "\"login\": \"klara.schroeder\"}\n"
              "audit|user.change_password|klara.schroeder|ok|{\"uuid\": "
              "\"U\", \"login\": \"klara.schroeder\"}\n");

    /* the login upgrades the hash: an event without payload, no change
     * audit entry but the login's */
    memset(&ar, 0, sizeof(ar));
    assert_int_equal(idm_user_authenticate(&ar, f->db, f->conf2, &actor, login,
                                           "Wellen-am-Strand-2026!", &err),
                     0);
    assert_true(ar.rehashed);
    expect(f, "outbox|person|U|account.password_changed|NULL\n"
              "audit|login.ok|klara.schroeder|ok|{\"rehashed\": true}\n");

    assert_int_equal(
        idm_user_set_status(f->db, &actor, login, IDM_USER_LOCK, &err), 0);
    expect(f, "outbox|person|U|account.locked|{\"to\": \"locked\", "
              "\"from\": \"active\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n"
              "audit|user.lock|klara.schroeder|ok|{\"to\": \"locked\", "
              "\"from\": \"active\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n");
    assert_int_equal(
        idm_user_set_status(f->db, &actor, login, IDM_USER_UNLOCK, &err), 0);
    expect(f, "outbox|person|U|account.unlocked|{\"to\": \"active\", "
              "\"from\": \"locked\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n"
              "audit|user.unlock|klara.schroeder|ok|{\"to\": \"active\", "
              "\"from\": \"locked\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n");
    assert_int_equal(
        idm_user_set_status(f->db, &actor, login, IDM_USER_DISABLE, &err), 0);
    expect(f, "outbox|person|U|account.disabled|{\"to\": \"disabled\", "
              "\"from\": \"active\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n"
              "audit|user.disable|klara.schroeder|ok|{\"to\": \"disabled\", "
              "\"from\": \"active\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n");
    assert_int_equal(
        idm_user_set_status(f->db, &actor, login, IDM_USER_ENABLE, &err), 0);
    expect(f, "outbox|person|U|account.enabled|{\"to\": \"active\", "
              "\"from\": \"disabled\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n"
              "audit|user.enable|klara.schroeder|ok|{\"to\": \"active\", "
              "\"from\": \"disabled\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n");
    assert_int_equal(
        idm_user_set_status(f->db, &actor, login, IDM_USER_DELETE, &err), 0);
    expect(f, "outbox|person|U|person.deleted|{\"to\": \"deleted\", "
              "\"from\": \"active\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n"
              "audit|user.delete|klara.schroeder|ok|{\"to\": \"deleted\", "
              "\"from\": \"active\", \"uuid\": \"U\", \"login\": "
              "\"klara.schroeder\"}\n");
    free(login);
    idm_password_free(pw);
}

/* the last error line logged */
static void capture(idm_log_level level, const char *comp, const char *line,
                    void *ctx)
{
    GString *last = ctx;

    if (level == IDM_LOG_ERROR) {
        g_string_printf(last, "%s %s", comp, line);
    }
}

static void test_detached_audit_failure_is_logged(void **state)
{
    fixture *f = *state;
    GString *last = g_string_new(NULL);
    idm_err err = IDM_ERR_INIT;

    idm_log_set(capture, last, IDM_LOG_ERROR);
    /* a refusal audited on its own: written, nothing logged */
    assert_int_equal(idm_audit_write_detached(f->db, &actor, "admin.denied",
                                              "someone", IDM_AUDIT_DENIED,
                                              NULL),
                     0);
    assert_string_equal(last->str, "");
    expect(f, "audit|admin.denied|someone|denied|NULL\n");
    /* the database refuses the entry (audit_log.action's CHECK) */
    assert_int_equal(idm_audit_write_detached(f->db, &actor, "Login Reject",
                                              "someone", IDM_AUDIT_DENIED,
                                              NULL),
                     IDM_EINVAL);
    assert_non_null(strstr(last->str, "idm event=audit.lost"));
    assert_non_null(strstr(last->str, "action=\"Login Reject\""));
    assert_non_null(strstr(last->str, "target=\"someone\""));
    assert_non_null(strstr(last->str, "audit_log_action_check"));
    /* inside an open transaction the entry would vanish with it */
    g_string_truncate(last, 0);
    assert_int_equal(idm_db_begin(f->db, &err), 0);
    assert_int_equal(idm_audit_write_detached(f->db, &actor, "login.fail",
                                              "someone", IDM_AUDIT_FAILED,
                                              NULL),
                     IDM_EINTERNAL);
    idm_db_rollback(f->db);
    assert_non_null(strstr(last->str, "event=audit.lost"));
    assert_non_null(strstr(last->str, "action=\"login.fail\""));
    expect(f, "");
    idm_log_set(NULL, NULL, IDM_LOG_ERROR);
    g_string_free(last, TRUE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_org_and_group),
        cmocka_unit_test(test_person),
        cmocka_unit_test(test_detached_audit_failure_is_logged),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
