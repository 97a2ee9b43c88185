/* SPDX-License-Identifier: EUPL-1.2
 * The plan: the file's keys go into a staging table by COPY, one query
 * returns what the database knows about them, and each row's action is
 * decided here; then the persons missing from the file (leavers), those
 * past their grace period (deletions), and the mass-leaving guard.
 * Runs inside the caller's transaction and writes nothing persistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/login.h"
#include "idm/role.h"
#include "import_int.h"

/* Messages come from the German/English table in import_msg.c; the unit
 * test unit.import_msg checks that both texts of each entry take the same
 * conversions, which the compiler cannot see through the table. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void idm_import__copy_text(GString *buf, const char *s)
{
    if (s == NULL) {
        g_string_append(buf, "\\N");
        return;
    }
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '\\':
            g_string_append(buf, "\\\\");
            break;
        case '\t':
            g_string_append(buf, "\\t");
            break;
        case '\n':
            g_string_append(buf, "\\n");
            break;
        case '\r':
            g_string_append(buf, "\\r");
            break;
        default:
            g_string_append_c(buf, *p);
        }
    }
}

int idm_import__copy(idm_db *db, const char *sql, const GString *data,
                     idm_err *err)
{
    PGconn *conn = idm_db_conn(db);
    PGresult *res = NULL;
    int rc = 0;

    /* idm_db_query takes COPY_IN for a failure: start it here */
    res = PQexec(conn, sql);
    if (res == NULL || PQresultStatus(res) != PGRES_COPY_IN) {
        rc = idm_err_set(
            err, PQstatus(conn) == CONNECTION_OK ? IDM_EDB : IDM_EUNAVAIL, "%s",
            idm_strerror(IDM_EDB));
        idm_err_detail(err, "COPY did not start: %s", PQerrorMessage(conn));
        PQclear(res);
        return rc;
    }
    PQclear(res);
    if (PQputCopyData(conn, data->str, (int)data->len) != 1 ||
        PQputCopyEnd(conn, NULL) != 1) {
        rc = idm_err_set(err, IDM_EUNAVAIL, "%s", idm_strerror(IDM_EUNAVAIL));
        idm_err_detail(err, "%s", PQerrorMessage(conn));
    }
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            rc = idm_err_set(err, IDM_EDB, "%s", idm_strerror(IDM_EDB));
            idm_err_detail(err, "sqlstate=%s %s", state != NULL ? state : "",
                           PQresultErrorMessage(res));
        }
        PQclear(res);
    }
    return rc;
}

/* Role names the profile manages, as an SQL array literal. */
const char *idm_import__roles_array(const idm_import *imp)
{
    return imp->profile->kind == IMPORT_KIND_PUPIL
               ? "{pupil}"
               : "{teacher,trainee,pedagogical_staff,municipal_staff,"
                 "school_leader}";
}

/* "{75123,75124}" */
char *idm_import__schools_array(const idm_import *imp)
{
    GString *s = g_string_new("{");

    for (size_t i = 0; imp->schools[i] != NULL; i++) {
        g_string_append_printf(s, "%s%s", i > 0 ? "," : "", imp->schools[i]);
    }
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static int check_schools(idm_import *imp, idm_db *db, const char *schools,
                         idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    rc = idm_db__q(&res, db,
                   "SELECT s FROM unnest($1::text[]) s WHERE NOT EXISTS ("
                   " SELECT 1 FROM org_unit o WHERE o.code = s "
                   " AND o.type = 'school') ORDER BY 1",
                   err, schools);
    if (rc == 0 && PQntuples(res) > 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND,
                         idm_import__msg(imp->opts.lang, M_RUN_UNKNOWN_SCHOOL),
                         PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return rc;
}

static int stage_keys(idm_import *imp, idm_db *db, idm_err *err)
{
    GString *buf = g_string_sized_new(imp->nrows * 24 + 64);
    int rc;

    rc = idm_db_exec_script(db,
                            "CREATE TEMP TABLE import_row (idx int NOT NULL, "
                            "key text NOT NULL, skip boolean NOT NULL) "
                            "ON COMMIT DROP",
                            err);
    if (rc != 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < imp->file_rows; i++) {
        const import_row *row = &imp->rows[i];
        if (row->v[IMPORT_F_KEY] == NULL) {
            continue;
        }
        g_string_append_printf(buf, "%zu\t", i);
        idm_import__copy_text(buf, row->v[IMPORT_F_KEY]);
        g_string_append(buf,
                        row->action == IDM_IMPORT_ERROR ? "\tt\n" : "\tf\n");
    }
    rc = idm_import__copy(db, "COPY import_row FROM STDIN", buf, err);
    if (rc == 0) {
        rc = idm_db_exec_script(db, "ANALYZE import_row", err);
    }
cleanup:
    g_string_free(buf, TRUE);
    return rc;
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "–";
}

static void append_msg(idm_import *imp, import_row *row, const char *text)
{
    row->message = row->message == NULL
                       ? idm_import__str(imp, text)
                       : idm_import__printf(imp, "%s; %s", row->message, text);
}

/* Columns of the plan query, per assignment of a known person. */
enum {
    C_IDX,
    C_PID,
    C_UUID,
    C_LOGIN,
    C_STATUS,
    C_GIVEN,
    C_FAMILY,
    C_BIRTH,
    C_LEAVER,
    C_ORG,
    C_ROLE,
    C_CLASS,
    C_YEAR,
    C_RID
};

/* A row of the plan query, for sorting by (file row, assignment id). */
typedef struct plan_ref {
    int64_t idx, rid;
    int row;
} plan_ref;

static int plan_ref_cmp(const void *a, const void *b)
{
    const plan_ref *x = a, *y = b;

    if (x->idx != y->idx) {
        return x->idx < y->idx ? -1 : 1;
    }
    return x->rid < y->rid ? -1 : x->rid > y->rid;
}

/* A person counted by the mass-leaving guard at a scoped school. */
typedef struct census_entry {
    size_t school; /* index in imp->schools */
    int64_t person_id;
} census_entry;

static int census_cmp(const void *a, const void *b)
{
    const census_entry *x = a, *y = b;

    if (x->school != y->school) {
        return x->school < y->school ? -1 : 1;
    }
    return x->person_id < y->person_id ? -1 : x->person_id > y->person_id;
}

/* Count person at org_code if that is a scoped school. */
static void census_add(idm_import *imp, GArray *census, const char *org_code,
                       int64_t person_id)
{
    size_t s = GPOINTER_TO_SIZE(g_hash_table_lookup(imp->scope, org_code));

    if (s > 0) {
        census_entry e = {s - 1, person_id};
        g_array_append_val(census, e);
    }
}

/* Decide one known row from its person's state (result rows ord[from..to];
 * their person columns are the same). */
static void decide(idm_import *imp, import_row *row, const PGresult *res,
                   const plan_ref *ord, int from, int to)
{
    const idm_import_lang lang = imp->opts.lang;
    const int first = ord[from].row;
    const char *status = PQgetvalue(res, first, C_STATUS);
    const char *school = row->v[IMPORT_F_SCHOOL];
    const char *cls = row->v[IMPORT_F_CLASS];
    int exact = 0, nassign = 0, same_school = 0;
    const char *old_org = NULL, *old_role = NULL, *old_class = NULL,
               *old_year = NULL;

    row->person_id = idm_db__int(res, first, C_PID);
    snprintf(row->uuid, sizeof(row->uuid), "%s",
             PQgetvalue(res, first, C_UUID));
    row->login = idm_import__str(imp, PQgetvalue(res, first, C_LOGIN));
    row->from_status = idm_import__str(imp, status);
    row->action = IDM_IMPORT_UNCHANGED;
    if (strcmp(status, "deleted") == 0) {
        append_msg(imp, row,
                   idm_import__printf(
                       imp, idm_import__msg(lang, M_CH_DISABLED_BY_ADMIN),
                       lang == IDM_IMPORT_EN ? "deleted" : "gelöscht"));
        return;
    }
    if (strcmp(PQgetvalue(res, first, C_GIVEN), row->v[IMPORT_F_GIVEN]) != 0 ||
        strcmp(PQgetvalue(res, first, C_FAMILY), row->v[IMPORT_F_FAMILY]) !=
            0) {
        row->changes |= IMPORT_CH_NAME;
        append_msg(imp, row,
                   idm_import__printf(
                       imp, idm_import__msg(lang, M_CH_NAME),
                       idm_import__printf(imp, "%s %s",
                                          PQgetvalue(res, first, C_GIVEN),
                                          PQgetvalue(res, first, C_FAMILY)),
                       idm_import__printf(imp, "%s %s", row->v[IMPORT_F_GIVEN],
                                          row->v[IMPORT_F_FAMILY])));
    }
    if (row->birth[0] != '\0' &&
        strcmp(PQgetvalue(res, first, C_BIRTH), row->birth) != 0) {
        row->changes |= IMPORT_CH_BIRTH;
        append_msg(imp, row,
                   idm_import__printf(imp, idm_import__msg(lang, M_CH_BIRTH),
                                      or_dash(PQgetvalue(res, first, C_BIRTH)),
                                      row->birth));
    }
    for (int j = from; j <= to; j++) {
        const int i = ord[j].row;
        const char *org, *role, *gcls, *gyear;
        if (PQgetisnull(res, i, C_ORG)) {
            continue;
        }
        nassign++;
        org = PQgetvalue(res, i, C_ORG);
        role = PQgetvalue(res, i, C_ROLE);
        gcls =
            PQgetisnull(res, i, C_CLASS) ? NULL : PQgetvalue(res, i, C_CLASS);
        gyear = PQgetisnull(res, i, C_YEAR) ? NULL : PQgetvalue(res, i, C_YEAR);
        if (strcmp(org, school) == 0 && strcmp(role, row->role) == 0 &&
            same(gcls, cls) && (cls == NULL || same(gyear, imp->school_year))) {
            exact = 1;
        }
        if (old_org == NULL || strcmp(org, school) == 0) {
            same_school |= strcmp(org, school) == 0;
            old_org = org;
            old_role = role;
            old_class = gcls;
            old_year = gyear;
        }
    }
    if (!exact || nassign > 1) {
        row->grant = 1;
        if (old_org == NULL) {
            row->changes |= IMPORT_CH_ROLE;
            append_msg(imp, row,
                       idm_import__printf(imp, idm_import__msg(lang, M_CH_ROLE),
                                          "–", row->role));
        } else if (!same_school) {
            row->changes |= IMPORT_CH_SCHOOL;
            row->old_school = idm_import__str(imp, old_org);
            append_msg(imp, row,
                       idm_import__printf(imp,
                                          idm_import__msg(lang, M_CH_SCHOOL),
                                          old_org, school));
        } else if (strcmp(old_role, row->role) != 0) {
            row->changes |= IMPORT_CH_ROLE;
            append_msg(imp, row,
                       idm_import__printf(imp, idm_import__msg(lang, M_CH_ROLE),
                                          old_role, row->role));
        }
        if (same_school &&
            (!same(old_class, cls) ||
             (cls != NULL && !same(old_year, imp->school_year)))) {
            row->changes |= IMPORT_CH_CLASS;
            row->old_class = idm_import__str(imp, old_class);
            append_msg(imp, row,
                       idm_import__printf(
                           imp, idm_import__msg(lang, M_CH_CLASS),
                           old_class != NULL && old_year != NULL &&
                                   strcmp(old_year, imp->school_year) != 0
                               ? idm_import__printf(imp, "%s (%s)", old_class,
                                                    old_year)
                               : or_dash(old_class),
                           or_dash(cls)));
        }
        if ((row->changes &
             (IMPORT_CH_ROLE | IMPORT_CH_SCHOOL | IMPORT_CH_CLASS)) == 0) {
            row->changes |= IMPORT_CH_ROLE; /* extra contexts go */
        }
    }
    if (strcmp(status, "disabled") == 0) {
        if (strcmp(PQgetvalue(res, first, C_LEAVER), "t") == 0) {
            row->changes |= IMPORT_CH_REACTIVATE;
            append_msg(imp, row, idm_import__msg(lang, M_CH_REACTIVATED));
        } else {
            append_msg(imp, row,
                       idm_import__printf(
                           imp, idm_import__msg(lang, M_CH_DISABLED_BY_ADMIN),
                           lang == IDM_IMPORT_EN ? "disabled" : "deaktiviert"));
        }
    }
    if (row->changes & IMPORT_CH_REACTIVATE) {
        row->action = IDM_IMPORT_REACTIVATED;
    } else if (row->changes & IMPORT_CH_SCHOOL) {
        row->action = IDM_IMPORT_MOVED_SCHOOL;
    } else if (row->changes & IMPORT_CH_CLASS) {
        row->action = IDM_IMPORT_MOVED_CLASS;
    } else if (row->changes != 0) {
        row->action = IDM_IMPORT_UPDATED;
    }
}

/*
 * What the database knows about the file's keys, one result row per role
 * assignment, and each row's action. Rows with errors are looked up too
 * (not decided): their persons still count for the guard, like every
 * active person of a scoped school found here, in census.
 */
static int plan_rows(idm_import *imp, idm_db *db, const idm_conf *conf,
                     GArray *census, idm_err *err)
{
    PGresult *res = NULL;
    plan_ref *ord = NULL;
    size_t done = 0;
    int rc, n;

    rc = idm_db__q(&res, db,
                   "SELECT s.idx, p.id, p.uuid, a.login, a.status, "
                   "p.given_name, p.family_name, "
                   "coalesce(to_char(p.birth_date, 'YYYY-MM-DD'), ''), "
                   "l.person_id IS NOT NULL, o.code, r.role, g.name, "
                   "g.school_year, r.id "
                   "FROM import_row s "
                   "JOIN person_external_key k ON k.source = $1 "
                   " AND k.key = s.key "
                   "JOIN person p ON p.id = k.person_id "
                   "JOIN account a ON a.person_id = p.id "
                   "LEFT JOIN import_leaver l ON l.person_id = p.id "
                   "LEFT JOIN role_assignment r ON r.person_id = p.id "
                   " AND r.source = 'import' AND r.role = ANY ($2::idm_role[]) "
                   "LEFT JOIN org_unit o ON o.id = r.org_unit_id "
                   "LEFT JOIN person_group g ON g.id = r.group_id",
                   err, imp->source, idm_import__roles_array(imp));
    if (rc != 0) {
        return rc;
    }
    idm_import__time(imp, "plan.query");
    n = PQntuples(res);
    /* sorted here: a sort of the wide rows costs the server more */
    ord = idm_xcalloc((size_t)n + 1, sizeof(*ord));
    for (int i = 0; i < n; i++) {
        const char *status = PQgetvalue(res, i, C_STATUS);
        ord[i].idx = idm_db__int(res, i, C_IDX);
        ord[i].rid =
            PQgetisnull(res, i, C_RID) ? INT64_MAX : idm_db__int(res, i, C_RID);
        ord[i].row = i;
        if (!PQgetisnull(res, i, C_ORG) &&
            (strcmp(status, "active") == 0 || strcmp(status, "locked") == 0) &&
            strcmp(PQgetvalue(res, i, C_LEAVER), "f") == 0) {
            census_add(imp, census, PQgetvalue(res, i, C_ORG),
                       idm_db__int(res, i, C_PID));
        }
    }
    qsort(ord, (size_t)n, sizeof(*ord), plan_ref_cmp);
    /* every valid row without a match is new */
    for (size_t i = 0; i < imp->file_rows; i++) {
        if (imp->rows[i].action != IDM_IMPORT_ERROR) {
            imp->rows[i].action = IDM_IMPORT_NEW;
        }
    }
    for (int i = 0; i < n;) {
        size_t idx = (size_t)ord[i].idx;
        int last = i;
        while (last + 1 < n && (size_t)ord[last + 1].idx == idx) {
            last++;
        }
        if (idx < imp->file_rows && imp->rows[idx].action != IDM_IMPORT_ERROR) {
            decide(imp, &imp->rows[idx], res, ord, i, last);
        }
        i = last + 1;
        if (++done % 8192 == 0) {
            idm_import__progress(imp, IDM_IMPORT_PHASE_PLAN, done,
                                 imp->file_rows);
        }
    }
    PQclear(res);
    free(ord);
    /* new persons: their login must be formable from the names */
    for (size_t i = 0; i < imp->file_rows; i++) {
        import_row *row = &imp->rows[i];
        char base[IDM_LOGIN_MAX + 1];
        if (row->action != IDM_IMPORT_NEW) {
            continue;
        }
        row->grant = 1;
        if (idm_login_base(base, sizeof(base), conf->login_pattern,
                           row->v[IMPORT_F_GIVEN], row->v[IMPORT_F_FAMILY],
                           conf->login_max_length, NULL) != 0) {
            idm_import__row_error(imp, row, 0, NULL, M_ROW_BAD_NAME);
            continue;
        }
        row->base = idm_import__str(imp, base);
    }
    idm_import__time(imp, "plan.decide");
    return 0;
}

/* Persons of the scoped schools from this source missing from the file
 * (each at the school of their first assignment); all of their scoped
 * schools go into census. */
static int plan_leavers(idm_import *imp, idm_db *db, const idm_conf *conf,
                        const char *schools, GArray *census, idm_err *err)
{
    PGresult *res = NULL;
    int64_t prev = -1;
    int rc, n;

    rc =
        idm_db__q(&res, db,
                  "SELECT p.id, p.uuid, a.login, "
                  "a.status, p.given_name, p.family_name, o.code, o.id, "
                  "r.role, g.name, k.key "
                  "FROM role_assignment r "
                  "JOIN org_unit o ON o.id = r.org_unit_id "
                  " AND o.code = ANY ($2::text[]) "
                  "JOIN person_external_key k ON k.person_id = r.person_id "
                  " AND k.source = $1 "
                  "JOIN account a ON a.person_id = r.person_id "
                  "JOIN person p ON p.id = r.person_id "
                  "LEFT JOIN person_group g ON g.id = r.group_id "
                  "WHERE r.source = 'import' AND r.role = ANY ($3::idm_role[]) "
                  "AND a.status IN ('active', 'locked') "
                  "AND NOT EXISTS (SELECT 1 FROM import_row s "
                  "                WHERE s.key = k.key) "
                  "AND NOT EXISTS (SELECT 1 FROM import_leaver l "
                  "                WHERE l.person_id = p.id) "
                  "ORDER BY p.id, r.id",
                  err, imp->source, schools, idm_import__roles_array(imp));
    if (rc != 0) {
        return rc;
    }
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        int64_t pid = idm_db__int(res, i, 0);
        import_row *row;

        census_add(imp, census, PQgetvalue(res, i, 6), pid);
        if (pid == prev) {
            continue; /* the person's first assignment decides */
        }
        prev = pid;
        row = idm_import__add_row(imp);
        row->action = IDM_IMPORT_LEAVING;
        row->person_id = pid;
        snprintf(row->uuid, sizeof(row->uuid), "%s", PQgetvalue(res, i, 1));
        row->login = idm_import__str(imp, PQgetvalue(res, i, 2));
        row->from_status = idm_import__str(imp, PQgetvalue(res, i, 3));
        row->v[IMPORT_F_GIVEN] = idm_import__str(imp, PQgetvalue(res, i, 4));
        row->v[IMPORT_F_FAMILY] = idm_import__str(imp, PQgetvalue(res, i, 5));
        row->v[IMPORT_F_SCHOOL] = idm_import__str(imp, PQgetvalue(res, i, 6));
        row->org_id = idm_db__int(res, i, 7);
        row->role = idm_role_lookup(PQgetvalue(res, i, 8))->name;
        row->v[IMPORT_F_CLASS] =
            PQgetisnull(res, i, 9)
                ? NULL
                : idm_import__str(imp, PQgetvalue(res, i, 9));
        row->v[IMPORT_F_KEY] = idm_import__str(imp, PQgetvalue(res, i, 10));
        row->message = idm_import__printf(
            imp, idm_import__msg(imp->opts.lang, M_CH_LEAVING),
            conf->import_grace_days);
    }
    PQclear(res);
    return 0;
}

/* Leavers of the scoped schools whose grace period is over. */
static int plan_deletions(idm_import *imp, idm_db *db, const idm_conf *conf,
                          const char *schools, idm_err *err)
{
    PGresult *res = NULL;
    char grace[16];
    int rc, n;

    snprintf(grace, sizeof(grace), "%d", conf->import_grace_days);
    rc = idm_db__q(&res, db,
                   "SELECT p.id, p.uuid, a.login, p.given_name, p.family_name, "
                   "o.code, k.key, to_char(l.left_at, 'YYYY-MM-DD') "
                   "FROM import_leaver l "
                   "JOIN org_unit o ON o.id = l.org_unit_id "
                   " AND o.code = ANY ($2::text[]) "
                   "JOIN person p ON p.id = l.person_id "
                   "JOIN account a ON a.person_id = p.id "
                   "LEFT JOIN person_external_key k ON k.person_id = p.id "
                   " AND k.source = l.source "
                   "WHERE l.source = $1 AND a.status = 'disabled' "
                   "AND l.left_at < now() - make_interval(days => $3::int) "
                   "AND NOT EXISTS (SELECT 1 FROM import_row s "
                   "                WHERE s.key = k.key) "
                   "ORDER BY p.id",
                   err, imp->source, schools, grace);
    if (rc != 0) {
        return rc;
    }
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        import_row *row = idm_import__add_row(imp);
        row->action = IDM_IMPORT_DELETED;
        row->person_id = idm_db__int(res, i, 0);
        snprintf(row->uuid, sizeof(row->uuid), "%s", PQgetvalue(res, i, 1));
        row->login = idm_import__str(imp, PQgetvalue(res, i, 2));
        row->from_status = "disabled";
        row->v[IMPORT_F_GIVEN] = idm_import__str(imp, PQgetvalue(res, i, 3));
        row->v[IMPORT_F_FAMILY] = idm_import__str(imp, PQgetvalue(res, i, 4));
        row->v[IMPORT_F_SCHOOL] = idm_import__str(imp, PQgetvalue(res, i, 5));
        row->v[IMPORT_F_KEY] =
            PQgetisnull(res, i, 6)
                ? NULL
                : idm_import__str(imp, PQgetvalue(res, i, 6));
        row->message = idm_import__printf(
            imp, idm_import__msg(imp->opts.lang, M_CH_DELETED),
            PQgetvalue(res, i, 7), conf->import_grace_days);
    }
    PQclear(res);
    return 0;
}

static int school_code_cmp(const void *a, const void *b, void *data)
{
    char *const *schools = data;

    return strcmp(schools[*(const size_t *)a], schools[*(const size_t *)b]);
}

/*
 * The mass-leaving guard, per school: census holds every active person of
 * a scoped school (from this source, with a role of the profile, not yet
 * a leaver) that the plan query or the leavers query found; the two
 * together see them all, so no third pass over the database is needed.
 */
static void plan_guard(idm_import *imp, const idm_conf *conf, GArray *census)
{
    const idm_import_lang lang = imp->opts.lang;
    size_t nschools = 0, *order = NULL;
    size_t *total = NULL, *leaving = NULL, *inrows = NULL;

    while (imp->schools[nschools] != NULL) {
        nschools++;
    }
    total = idm_xcalloc(nschools + 1, sizeof(*total));
    leaving = idm_xcalloc(nschools + 1, sizeof(*leaving));
    inrows = idm_xcalloc(nschools + 1, sizeof(*inrows));
    order = idm_xcalloc(nschools + 1, sizeof(*order));
    /* distinct persons per school */
    g_array_sort(census, census_cmp);
    for (guint i = 0; i < census->len; i++) {
        const census_entry *e = &g_array_index(census, census_entry, i);
        const census_entry *p =
            i > 0 ? &g_array_index(census, census_entry, i - 1) : NULL;
        if (p == NULL || census_cmp(p, e) != 0) {
            total[e->school]++;
        }
    }
    /* leavers and file rows per school */
    for (size_t j = 0; j < imp->nrows; j++) {
        const import_row *row = &imp->rows[j];
        size_t s = row->v[IMPORT_F_SCHOOL] == NULL
                       ? 0
                       : GPOINTER_TO_SIZE(g_hash_table_lookup(
                             imp->scope, row->v[IMPORT_F_SCHOOL]));
        if (s > 0) {
            leaving[s - 1] += row->action == IDM_IMPORT_LEAVING;
            inrows[s - 1] += row->line > 0;
        }
    }
    /* the first school in code order that fails names the refusal */
    for (size_t i = 0; i < nschools; i++) {
        order[i] = i;
    }
    g_qsort_with_data(order, (gint)nschools, sizeof(*order), school_code_cmp,
                      imp->schools);
    for (size_t k = 0; k < nschools && imp->guard_rc == 0; k++) {
        const size_t i = order[k];
        const char *code = imp->schools[i];

        if (k > 0 && strcmp(imp->schools[order[k - 1]], code) == 0) {
            continue; /* given twice */
        }
        if (total[i] > 0 && inrows[i] == 0) {
            /* never overridable: an empty or cut file is not a closure */
            imp->guard_rc = IDM_EDENIED;
            snprintf(imp->guard_msg, sizeof(imp->guard_msg),
                     idm_import__msg(lang, M_RUN_NO_ROWS), code, total[i]);
        } else if (total[i] > 0 && !imp->opts.confirm_leavers &&
                   leaving[i] * 100 >
                       (size_t)conf->import_max_leaver_share * total[i]) {
            imp->guard_rc = IDM_EDENIED;
            snprintf(imp->guard_msg, sizeof(imp->guard_msg),
                     idm_import__msg(lang, M_RUN_GUARD), code, leaving[i],
                     total[i], (leaving[i] * 100 + total[i] / 2) / total[i],
                     conf->import_max_leaver_share);
        }
    }
    free(total);
    free(leaving);
    free(inrows);
    free(order);
}

/*
 * Statistics the planner cannot trust: a table changed by more than a fifth
 * (and 1,000 rows) since its last ANALYZE, typically right after a first
 * bulk import, before autovacuum has looked at it. The planner then takes
 * 200,000 persons for a few hundred and joins their role assignments by a
 * nested loop over a materialised scan: quadratic, hours at full size. A
 * dry run must not ANALYZE (the statistics would roll back while the
 * autovacuum counters would not), so this transaction plans without nested
 * loops instead: hash and merge joins are never quadratic, and they are
 * the right choice for a whole file anyway.
 */
static int guard_stale_stats(idm_db *db, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    rc = idm_db_query(&res, db,
                      "SELECT count(*) FROM pg_stat_user_tables s "
                      "JOIN pg_class c ON c.oid = s.relid "
                      "WHERE s.relid IN ('person'::regclass, "
                      " 'person_external_key'::regclass, 'account'::regclass, "
                      " 'role_assignment'::regclass, "
                      " 'import_leaver'::regclass, 'person_group'::regclass) "
                      "AND s.n_mod_since_analyze > "
                      " 1000 + 0.2 * greatest(c.reltuples, 0)",
                      0, NULL, err);
    if (rc == 0 && idm_db__int(res, 0, 0) > 0) {
        rc = idm_db_exec_script(db, "SET LOCAL enable_nestloop = off", err);
    }
    PQclear(res);
    return rc;
}

int idm_import__plan(idm_import *imp, idm_db *db, const idm_conf *conf,
                     idm_err *err)
{
    char *schools = idm_import__schools_array(imp);
    GArray *census = g_array_new(FALSE, FALSE, sizeof(census_entry));
    int rc;

    /* One import at a time: two runs planning against each other's
     * half-written state could both decide to create the same person. */
    rc = idm_db_exec_script(
        db, "SELECT pg_advisory_xact_lock(hashtext('idm.import'))", err);
    if (rc != 0) {
        goto cleanup;
    }
    idm_import__time(imp, "plan.lock");
    rc = guard_stale_stats(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    idm_import__time(imp, "plan.stats");
    rc = check_schools(imp, db, schools, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = stage_keys(imp, db, err);
    if (rc != 0) {
        goto cleanup;
    }
    idm_import__time(imp, "plan.stage");
    rc = plan_rows(imp, db, conf, census, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = plan_leavers(imp, db, conf, schools, census, err);
    if (rc != 0) {
        goto cleanup;
    }
    idm_import__time(imp, "plan.leavers");
    rc = plan_deletions(imp, db, conf, schools, err);
    if (rc != 0) {
        goto cleanup;
    }
    idm_import__time(imp, "plan.deletions");
    plan_guard(imp, conf, census);
    idm_import__time(imp, "plan.guard");
    idm_import__progress(imp, IDM_IMPORT_PHASE_PLAN, imp->file_rows,
                         imp->file_rows);
cleanup:
    g_free(schools);
    g_array_free(census, TRUE);
    return rc;
}
