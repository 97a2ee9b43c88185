/* SPDX-License-Identifier: EUPL-1.2
 * Applying a plan with set-based statements: the changed rows go into a
 * staging table by COPY, then a few INSERT ... SELECT / UPDATE ... FROM
 * statements write exactly what the per-row library functions would
 * (idm_user_add, idm_grant_add/revoke, idm_group_add, idm_user_set_status)
 * and stage each change in the core's idm_change_stage, which writes one
 * audit entry and one outbox event per change from its list of changes
 * and events (idm/event.h), all inside the caller's transaction.
 * Row-by-row calls would manage ~10,000 rows/s; COPY and merges keep up
 * with the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/audit.h"
#include "idm/conf.h"
#include "idm/login.h"
#include "import_int.h"

/* Pick logins for new persons like idm_login_issue: base, then base2,
 * base3, ... skipping every login the ledger has ever issued. */
static int pick_logins(sip_import *imp, idm_db *db, const idm_conf *conf,
                       idm_err *err)
{
    /* the ledger's logins stay in res, the picked ones in picked */
    GHashTable *taken = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *next =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GStringChunk *picked = g_string_chunk_new(4096);
    PGresult *res = NULL;
    char cand[IDM_LOGIN_MAX + 16];
    int rc, n;

    /* Concurrent issuers wait until we commit: the set stays true. */
    rc = idm_db_exec_script(
        db, "LOCK TABLE login_ledger IN SHARE ROW EXCLUSIVE MODE", err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_query(&res, db, "SELECT login FROM login_ledger", 0, NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        g_hash_table_add(taken, PQgetvalue(res, i, 0));
    }
    for (size_t i = 0; i < imp->nrows; i++) {
        import_row *row = &imp->rows[i];
        unsigned k;
        if (row->action != SIP_IMPORT_NEW) {
            continue;
        }
        k = GPOINTER_TO_UINT(g_hash_table_lookup(next, row->base));
        if (k == 0) {
            k = 1;
        }
        for (;; k++) {
            rc = idm_login_candidate(cand, sizeof(cand), row->base, k,
                                     idm_login_conf_get(conf)->max_length, err);
            if (rc != 0) {
                goto cleanup;
            }
            if (!g_hash_table_contains(taken, cand)) {
                break;
            }
        }
        row->login = sip_import__str(imp, cand);
        g_hash_table_add(taken, g_string_chunk_insert(picked, row->login));
        g_hash_table_insert(next, g_strdup(row->base), GUINT_TO_POINTER(k + 1));
    }
cleanup:
    g_hash_table_destroy(taken);
    g_hash_table_destroy(next);
    g_string_chunk_free(picked);
    PQclear(res);
    return rc;
}

static void put(GString *b, const char *s, int last)
{
    sip_import__copy_text(b, s);
    g_string_append_c(b, last ? '\n' : '\t');
}

static const char *act_name(const import_row *row)
{
    return sip_import_action_name(row->action);
}

static void put_row(GString *b, const import_row *row, size_t i, int with_id)
{
    GString *changed = g_string_new(NULL);
    char num[32];

    if (row->changes & IMPORT_CH_NAME) {
        g_string_append(changed, "given_name,family_name");
    }
    if (row->changes & IMPORT_CH_BIRTH) {
        g_string_append(changed, changed->len ? ",birth_date" : "birth_date");
    }
    snprintf(num, sizeof(num), "%zu", i);
    put(b, num, 0);
    put(b, act_name(row), 0);
    put(b, row->grant ? "t" : "f", 0);
    put(b, changed->len > 0 ? "t" : "f", 0);
    put(b, row->changes & IMPORT_CH_REACTIVATE ? "t" : "f", 0);
    if (with_id) {
        snprintf(num, sizeof(num), "%lld", (long long)row->person_id);
        put(b, row->person_id != 0 ? num : NULL, 0);
        put(b, row->uuid[0] != '\0' ? row->uuid : NULL, 0);
    }
    put(b, row->login, 0);
    put(b, row->hash, 0);
    put(b, row->v[IMPORT_F_SCHOOL], 0);
    put(b, row->v[IMPORT_F_KEY], 0);
    put(b, row->v[IMPORT_F_GIVEN], 0);
    put(b, row->v[IMPORT_F_FAMILY], 0);
    put(b, row->birth[0] != '\0' ? row->birth : NULL, 0);
    put(b, row->v[IMPORT_F_CLASS], 0);
    put(b, row->role, 0);
    put(b, row->from_status, 0);
    put(b, changed->len > 0 ? changed->str : NULL, 1);
    g_string_free(changed, TRUE);
}

#define ACT_COLS                                                               \
    "login, hash, school, key, given, family, birth, class, role, "            \
    "from_status, changed"

static int stage_changes(sip_import *imp, idm_db *db, idm_err *err)
{
    GString *fresh = g_string_sized_new(1 << 20), *known = g_string_new(NULL);
    int rc;

    /* New persons get their id and UUID as the COPY stores them (column
     * defaults, in file order), not by a second pass over the table. */
    rc = idm_db_exec_script(
        db,
        "DO $$ BEGIN EXECUTE format('CREATE TEMP TABLE import_act ("
        "idx int NOT NULL, act text NOT NULL, grant_ boolean NOT NULL, "
        "upd boolean NOT NULL, react boolean NOT NULL, "
        "person_id bigint DEFAULT nextval(%L), "
        "uuid uuid DEFAULT gen_random_uuid(), login text, hash text, "
        "school text, key text, given text, family text, birth date, "
        "class text, role idm_role, from_status text, changed text) "
        "ON COMMIT DROP', pg_get_serial_sequence('person', 'id')); END $$",
        err);
    if (rc == 0) {
        rc = idm_change_stage_begin(db, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < imp->nrows; i++) {
        const import_row *row = &imp->rows[i];
        if (row->action == SIP_IMPORT_UNCHANGED ||
            row->action == SIP_IMPORT_ERROR) {
            continue;
        }
        if (row->action == SIP_IMPORT_NEW) {
            put_row(fresh, row, i, 0);
        } else {
            put_row(known, row, i, 1);
        }
    }
    if (fresh->len > 0) {
        rc = sip_import__copy(
            db,
            "COPY import_act (idx, act, grant_, upd, react, " ACT_COLS
            ") FROM STDIN",
            fresh, err);
    }
    if (rc == 0 && known->len > 0) {
        rc = sip_import__copy(db,
                              "COPY import_act (idx, act, grant_, upd, react, "
                              "person_id, uuid, " ACT_COLS ") FROM STDIN",
                              known, err);
    }
    if (rc == 0) {
        /* the columns the steps filter and join on, from 3,000 sampled
         * rows: statistics of the others (names, logins, hashes) and the
         * default 30,000 rows cost more than the rest of the staging */
        rc = idm_db_exec_script(
            db,
            "ALTER TABLE import_act ALTER act SET STATISTICS 10, "
            "ALTER grant_ SET STATISTICS 10, ALTER upd SET STATISTICS 10, "
            "ALTER react SET STATISTICS 10, "
            "ALTER person_id SET STATISTICS 10, "
            "ALTER school SET STATISTICS 10, ALTER class SET STATISTICS 10; "
            "ANALYZE import_act (act, grant_, upd, react, person_id, school, "
            "class)",
            err);
    }
cleanup:
    g_string_free(fresh, TRUE);
    g_string_free(known, TRUE);
    return rc;
}

/* One statement of the apply, with its parameters. */
typedef struct step {
    const char *name; /* for the timings */
    const char *sql;
    int year, source, roles; /* which parameters it takes, in this order */
    int probe; /* IMPORT_JOIN_PROBE: changes of existing persons, a few
                  rows of big tables each, found by their indexes */
    idm_change_kind change; /* the kind of change it stages into
                               idm_change_stage (its action is the last
                               parameter), or NO_CHANGE */
} step;

#define NO_CHANGE IDM_CHANGE__COUNT

static const step steps[] = {
    /* classes of the school year (idm_group_add). The unique key skips
     * the existing ones: an anti-join against person_group was planned as
     * a quadratic nested loop while its statistics were stale (seconds
     * for a few thousand classes). A skipped class only uses up an id. */
    {"apply.groups",
     "WITH need AS (SELECT DISTINCT o.id AS org_id, x.class "
     " FROM import_act x JOIN org_unit o ON o.code = x.school "
     " AND o.type = 'school' WHERE x.grant_ AND x.class IS NOT NULL), "
     "ins AS (INSERT INTO person_group (org_unit_id, kind, name, "
     " school_year) SELECT n.org_id, 'class', n.class, $1 FROM need n "
     " ORDER BY n.org_id, n.class "
     " ON CONFLICT (org_unit_id, kind, name, school_year) DO NOTHING "
     " RETURNING id, org_unit_id, name) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $2, o.code || '/' || ins.name, ins.id::text, "
     " jsonb_build_object('org', o.code, 'kind', 'class', 'name', ins.name, "
     " 'year', $1::text) "
     "FROM ins JOIN org_unit o ON o.id = ins.org_unit_id ORDER BY ins.id",
     1, 0, 0, 0, IDM_CHANGE_GROUP_ADD},
    /* new persons (idm_user_add); ids and UUIDs came with the COPY */
    {"apply.persons",
     "INSERT INTO person (id, uuid, given_name, family_name, birth_date) "
     "OVERRIDING SYSTEM VALUE SELECT person_id, uuid, given, family, birth "
     "FROM import_act WHERE act = 'new' ORDER BY idx",
     0, 0, 0, 0, NO_CHANGE},
    {"apply.keys",
     "INSERT INTO person_external_key (source, key, person_id) "
     "SELECT $1, key, person_id FROM import_act WHERE act = 'new'",
     0, 1, 0, 0, NO_CHANGE},
    {"apply.ledger",
     "INSERT INTO login_ledger (login) "
     "SELECT login FROM import_act WHERE act = 'new'",
     0, 0, 0, 0, NO_CHANGE},
    {"apply.accounts",
     "INSERT INTO account (person_id, login, password_hash, "
     " password_changed_at, must_change_password) "
     "SELECT person_id, login, hash, now(), true FROM import_act "
     "WHERE act = 'new' ORDER BY idx",
     0, 0, 0, 0, NO_CHANGE},
    /* A new person is one change: user.add, whose details also name the
     * role context it starts with (what idm_user_add followed by
     * idm_grant_add records as two). Consumers re-read the person on any
     * event of it (ldap-sync keys on aggregate and key only), and a
     * second audit entry and event per person would double the writes. */
    {"apply.changes_new",
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $2, login, uuid::text, CASE WHEN class IS NULL "
     " THEN jsonb_build_object('uuid', uuid, 'login', login, "
     "  'source', $1::text, 'key', key, 'org', school, 'role', role) "
     " ELSE jsonb_build_object('uuid', uuid, 'login', login, "
     "  'source', $1::text, 'key', key, 'org', school, 'role', role, "
     "  'group', class) END "
     "FROM import_act WHERE act = 'new' ORDER BY idx",
     0, 1, 0, 0, IDM_CHANGE_USER_ADD},
    /* name and birth date changes; the login stays */
    {"apply.updates",
     "WITH u AS (UPDATE person p SET given_name = x.given, "
     " family_name = x.family, birth_date = coalesce(x.birth, p.birth_date), "
     " updated_at = now() FROM import_act x "
     " WHERE x.upd AND p.id = x.person_id "
     " RETURNING x.idx, x.uuid, x.login, x.changed) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $1, login, uuid::text, "
     " jsonb_build_object('uuid', uuid, 'login', login, "
     " 'changed', to_jsonb(string_to_array(changed, ','))) "
     "FROM u ORDER BY idx",
     0, 0, 0, 1, IDM_CHANGE_USER_UPDATE},
    /* back within the grace period (idm_user_set_status ENABLE) */
    {"apply.reactivate",
     "WITH u AS (UPDATE account a SET status = 'active', "
     " status_changed_at = now(), failed_logins = 0, locked_until = NULL "
     " FROM import_act x WHERE x.react AND a.person_id = x.person_id "
     " AND a.status = 'disabled' "
     " RETURNING x.idx, x.person_id, x.uuid, x.login), "
     "d AS (DELETE FROM import_leaver l USING u "
     " WHERE l.person_id = u.person_id) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $1, login, uuid::text, "
     " jsonb_build_object('uuid', uuid, 'login', login, "
     " 'from', 'disabled', 'to', 'active') FROM u ORDER BY idx",
     0, 0, 0, 1, IDM_CHANGE_USER_ENABLE},
    /* old role contexts (idm_grant_revoke) */
    {"apply.revoke",
     "WITH del AS (DELETE FROM role_assignment r USING import_act x "
     " WHERE x.grant_ AND x.act <> 'new' AND r.person_id = x.person_id "
     " AND r.source = 'import' AND r.role = ANY ($1::idm_role[]) "
     " RETURNING x.idx, x.uuid, x.login, r.id, r.person_id, r.org_unit_id, "
     " r.role, r.group_id), "
     "gm AS (DELETE FROM group_member m USING del "
     " WHERE m.person_id = del.person_id AND m.group_id = del.group_id) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $2, del.login, del.uuid::text, "
     " jsonb_strip_nulls(jsonb_build_object('uuid', "
     " del.uuid, 'org', o.code, 'role', del.role, 'group', g.name)) "
     "FROM del JOIN org_unit o ON o.id = del.org_unit_id "
     "LEFT JOIN person_group g ON g.id = del.group_id ORDER BY del.idx, del.id",
     0, 0, 1, 1, IDM_CHANGE_ROLE_REVOKE},
    /* new role contexts and class memberships (idm_grant_add). Every
     * source row is inserted or (ON CONFLICT) updated, so the source rows
     * are the changes: no RETURNING joined back. A new person holds no
     * assignment yet: plain inserts, no speculative insertion. */
    {"apply.grant",
     "WITH src AS MATERIALIZED (SELECT x.idx, x.act, x.person_id, x.login, "
     " x.uuid, x.role, o.id AS org_id, o.code AS org, g.id AS group_id, "
     " g.name AS group_name FROM import_act x "
     " JOIN org_unit o ON o.code = x.school "
     " LEFT JOIN person_group g ON g.org_unit_id = o.id "
     " AND g.kind = 'class' AND g.name = x.class AND g.school_year = $1 "
     " WHERE x.grant_), "
     "ra_new AS (INSERT INTO role_assignment (person_id, org_unit_id, role, "
     " group_id, source) SELECT person_id, org_id, role, group_id, 'import' "
     " FROM src WHERE act = 'new' ORDER BY idx), "
     "ra_old AS (INSERT INTO role_assignment (person_id, org_unit_id, role, "
     " group_id, source) SELECT person_id, org_id, role, group_id, 'import' "
     " FROM src WHERE act <> 'new' ORDER BY idx "
     " ON CONFLICT (person_id, org_unit_id, role, group_id) "
     " DO UPDATE SET source = 'import'), "
     "gm_new AS (INSERT INTO group_member (group_id, person_id) "
     " SELECT group_id, person_id FROM src "
     " WHERE act = 'new' AND group_id IS NOT NULL ORDER BY idx), "
     "gm_old AS (INSERT INTO group_member (group_id, person_id) "
     " SELECT group_id, person_id FROM src "
     " WHERE act <> 'new' AND group_id IS NOT NULL ORDER BY idx "
     " ON CONFLICT DO NOTHING) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $2, login, uuid::text, "
     " jsonb_strip_nulls(jsonb_build_object('uuid', "
     " uuid, 'org', org, 'role', role, 'group', group_name, "
     " 'source', 'import')) FROM src WHERE act <> 'new' ORDER BY idx",
     1, 0, 0, 0, IDM_CHANGE_ROLE_GRANT},
    /* leavers: disabled now, deleted after the grace period */
    {"apply.leavers",
     "WITH u AS (UPDATE account a SET status = 'disabled', "
     " status_changed_at = now() FROM import_act x "
     " WHERE x.act = 'leaving' AND a.person_id = x.person_id "
     " AND a.status IN ('active', 'locked') "
     " RETURNING x.idx, x.person_id, x.uuid, x.login, x.from_status, "
     " x.school), "
     "l AS (INSERT INTO import_leaver (person_id, source, org_unit_id) "
     " SELECT u.person_id, $1, o.id FROM u JOIN org_unit o "
     " ON o.code = u.school ON CONFLICT (person_id) DO UPDATE "
     " SET source = EXCLUDED.source, org_unit_id = EXCLUDED.org_unit_id, "
     " left_at = now()) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $2, login, uuid::text, "
     " jsonb_build_object('uuid', uuid, 'login', login, "
     " 'from', from_status, 'to', 'disabled') FROM u ORDER BY idx",
     0, 1, 0, 1, IDM_CHANGE_USER_DISABLE},
    /* grace period over (idm_user_set_status DELETE); the external key
     * goes too (GDPR), so a returning person is a new one */
    {"apply.delete",
     "WITH u AS (UPDATE account a SET status = 'deleted', "
     " status_changed_at = now(), deleted_at = now(), password_hash = NULL "
     " FROM import_act x WHERE x.act = 'deleted' "
     " AND a.person_id = x.person_id AND a.status = 'disabled' "
     " RETURNING x.idx, x.person_id, x.uuid, x.login), "
     "r AS (DELETE FROM role_assignment r USING u "
     " WHERE r.person_id = u.person_id), "
     "m AS (DELETE FROM group_member m USING u "
     " WHERE m.person_id = u.person_id), "
     "k AS (DELETE FROM person_external_key k USING u "
     " WHERE k.person_id = u.person_id AND k.source = $1), "
     "l AS (DELETE FROM import_leaver l USING u "
     " WHERE l.person_id = u.person_id), "
     "p AS (UPDATE person p SET birth_date = NULL, updated_at = now() "
     " FROM u WHERE p.id = u.person_id) "
     "INSERT INTO idm_change_stage (change, target, key, details) "
     "SELECT $2, login, uuid::text, "
     " jsonb_build_object('uuid', uuid, 'login', login, "
     " 'from', 'disabled', 'to', 'deleted') FROM u ORDER BY idx",
     0, 1, 0, 1, IDM_CHANGE_USER_DELETE},
};

int sip_import__apply(sip_import *imp, idm_db *db, const idm_conf *conf,
                      const idm_actor *actor, idm_err *err)
{
    size_t changes = 0, nsteps = sizeof(steps) / sizeof(steps[0]);
    int rc = 0;

    for (size_t i = 0; i < imp->nrows; i++) {
        changes += imp->rows[i].action != SIP_IMPORT_UNCHANGED &&
                   imp->rows[i].action != SIP_IMPORT_ERROR;
    }
    if (changes == 0) {
        return 0; /* a re-run of the same file writes nothing */
    }
    rc = pick_logins(imp, db, conf, err);
    if (rc != 0) {
        return rc;
    }
    sip_import__time(imp, "apply.logins");
    rc = stage_changes(imp, db, err);
    if (rc != 0) {
        return rc;
    }
    sip_import__time(imp, "apply.stage");
    sip_import__progress(imp, SIP_IMPORT_PHASE_WRITE, 0, nsteps + 2);
    for (size_t i = 0; i < nsteps; i++) {
        const char *params[4];
        int n = 0;
        if (steps[i].year) {
            params[n++] = imp->school_year;
        }
        if (steps[i].source) {
            params[n++] = imp->source;
        }
        if (steps[i].roles) {
            params[n++] = sip_import__roles_array(imp);
        }
        if (steps[i].change != NO_CHANGE) {
            params[n++] = idm_change_action(steps[i].change);
        }
        /* with stale statistics the plan turned nested loops off, and
         * hash joins stay on: a lookup loop over a table the planner
         * takes for tiny could be a quadratic scan loop */
        rc = steps[i].probe && !imp->stale_stats
                 ? sip_import__query_joins(NULL, db, IMPORT_JOIN_PROBE,
                                           steps[i].sql, n, params, err)
                 : idm_db_query(NULL, db, steps[i].sql, n, params, err);
        if (rc != 0) {
            idm_err_detail(err, "import step %zu", i);
            return rc;
        }
        sip_import__time(imp, steps[i].name);
        sip_import__progress(imp, SIP_IMPORT_PHASE_WRITE, i + 1, nsteps + 2);
    }
    /* Audit and outbox last, in change order: one entry and one event per
     * change, as the core's change records write them. */
    rc = idm_change_stage_audit(db, actor, err);
    if (rc != 0) {
        return rc;
    }
    sip_import__time(imp, "apply.audit");
    sip_import__progress(imp, SIP_IMPORT_PHASE_WRITE, nsteps + 1, nsteps + 2);
    rc = idm_change_stage_outbox(db, err);
    if (rc != 0) {
        return rc;
    }
    sip_import__time(imp, "apply.outbox");
    sip_import__progress(imp, SIP_IMPORT_PHASE_WRITE, nsteps + 2, nsteps + 2);
    return 0;
}

void sip_import__analyze(sip_import *imp, idm_db *db)
{
    size_t nnew = 0, ngrant = 0, nstatus = 0, nleave = 0, ngroups = 0;
    char a[32], b[32], c[32], d[32], e[32];
    PGresult *res = NULL;

    for (size_t i = 0; i < imp->nrows; i++) {
        const import_row *row = &imp->rows[i];
        nnew += row->action == SIP_IMPORT_NEW;
        ngroups += row->grant && row->v[IMPORT_F_CLASS] != NULL &&
                   row->action != SIP_IMPORT_ERROR;
        ngrant += row->grant && row->action != SIP_IMPORT_ERROR;
        nleave += row->action == SIP_IMPORT_LEAVING;
        nstatus += row->action == SIP_IMPORT_LEAVING ||
                   row->action == SIP_IMPORT_DELETED ||
                   row->action == SIP_IMPORT_REACTIVATED;
    }
    snprintf(a, sizeof(a), "%zu", nnew);
    snprintf(b, sizeof(b), "%zu", ngrant);
    snprintf(c, sizeof(c), "%zu", nnew + nstatus);
    snprintf(d, sizeof(d), "%zu", nleave);
    snprintf(e, sizeof(e), "%zu", ngroups); /* at most: classes are shared */
    /* the tables the plan queries, with the rows this run wrote to each */
    if (idm_db_q(&res, db,
                 "SELECT string_agg(quote_ident(v.t), ', ') "
                 "FROM (VALUES ('person', $1::bigint), "
                 " ('person_external_key', $1), ('login_ledger', $1), "
                 " ('account', $3::bigint), ('role_assignment', $2::bigint), "
                 " ('group_member', $2), ('import_leaver', $4::bigint), "
                 " ('person_group', $5::bigint)) v (t, n) "
                 "JOIN pg_class c ON c.oid = to_regclass(v.t) "
                 "WHERE v.n > 1000 + 0.1 * greatest(c.reltuples, 0)",
                 NULL, a, b, c, d, e) == 0 &&
        !PQgetisnull(res, 0, 0)) {
        /* VACUUM too: it marks the new rows all-visible, which the next
         * plan's scans of the same tables would otherwise check row by
         * row (a fifth of its query time, until autovacuum gets there) */
        char *sql =
            g_strdup_printf("VACUUM (ANALYZE) %s", PQgetvalue(res, 0, 0));
        if (idm_db_exec_script(db, sql, NULL) != 0) {
            /* e.g. not the tables' owner: the next plan is slower */
        }
        g_free(sql);
    }
    PQclear(res);
}
