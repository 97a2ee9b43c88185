/* SPDX-License-Identifier: EUPL-1.2
 * The plan: one query reads what the database holds about the file's
 * persons and about the persons missing from it (leavers). A file with
 * most keys of its source is compared here with all persons of the source
 * (one pass, no staging); a small one goes into a staging table by COPY
 * and the server compares it (an unchanged row costs a flag, a changed one
 * brings the stored state). Each row's action is decided here; then those
 * past their grace period (deletions) and the mass-leaving guard. Runs
 * inside the caller's transaction and writes nothing persistent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/conf.h"
#include "idm/login.h"
#include "idm/role.h"
#include "import_int.h"
#include "sip/conf.h"

/* Messages come from the German/English table in import_msg.c; the unit
 * test unit.import_msg checks that both texts of each entry take the same
 * conversions, which the compiler cannot see through the table. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void sip_import__copy_text(GString *buf, const char *s)
{
    if (s == NULL) {
        g_string_append_len(buf, "\\N", 2);
        return;
    }
    for (;;) {
        size_t n = strcspn(s, "\\\t\n\r");
        g_string_append_len(buf, s, (gssize)n);
        s += n;
        switch (*s) {
        case '\0':
            return;
        case '\\':
            g_string_append_len(buf, "\\\\", 2);
            break;
        case '\t':
            g_string_append_len(buf, "\\t", 2);
            break;
        case '\n':
            g_string_append_len(buf, "\\n", 2);
            break;
        default:
            g_string_append_len(buf, "\\r", 2);
        }
        s++;
    }
}

int sip_import__copy(idm_db *db, const char *sql, const GString *data,
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

int sip_import__query_joins(PGresult **out, idm_db *db, import_joins joins,
                            const char *sql, int nparams,
                            const char *const *params, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    rc = idm_db_q(&res, db,
                  "SELECT current_setting('enable_hashjoin'), "
                  "current_setting('enable_mergejoin'), "
                  "set_config('enable_hashjoin', 'off', true), "
                  "set_config('enable_mergejoin', CASE WHEN $1::boolean "
                  " THEN 'off' ELSE current_setting('enable_mergejoin') END, "
                  " true)",
                  err, joins == IMPORT_JOIN_PROBE ? "t" : "f");
    if (rc == 0) {
        rc = idm_db_query(out, db, sql, nparams, params, err);
    }
    if (rc == 0) {
        rc = idm_db_q(NULL, db,
                      "SELECT set_config('enable_hashjoin', $1, true), "
                      "set_config('enable_mergejoin', $2, true)",
                      err, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

/* Role names the profile manages, as an SQL array literal. */
const char *sip_import__roles_array(const sip_import *imp)
{
    return imp->profile->kind == IMPORT_KIND_PUPIL
               ? "{pupil}"
               : "{teacher,trainee,pedagogical_staff,municipal_staff,"
                 "school_leader}";
}

/* "{75123,75124}" */
char *sip_import__schools_array(const sip_import *imp)
{
    GString *s = g_string_new("{");

    for (size_t i = 0; imp->schools[i] != NULL; i++) {
        g_string_append_printf(s, "%s%s", i > 0 ? "," : "", imp->schools[i]);
    }
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

/* The scoped schools as the database knows them, and the file's keys. */
typedef struct plan_ctx {
    char **org_ids;       /* per entry of imp->schools: org_unit id (text) */
    char *org_array;      /* "{id,...}" */
    GHashTable *by_id;    /* org id (text) -> entry + 1 */
    GHashTable **classes; /* per entry: class name -> group id (text) of
                             the school year */
} plan_ctx;

static void plan_ctx_free(plan_ctx *ctx, size_t nschools)
{
    for (size_t i = 0; i < nschools; i++) {
        g_free(ctx->org_ids != NULL ? ctx->org_ids[i] : NULL);
        if (ctx->classes != NULL && ctx->classes[i] != NULL) {
            g_hash_table_destroy(ctx->classes[i]);
        }
    }
    g_free(ctx->org_ids);
    g_free(ctx->classes);
    g_free(ctx->org_array);
    if (ctx->by_id != NULL) {
        g_hash_table_destroy(ctx->by_id);
    }
}

/* Org ids of the scoped schools (an unknown one is an error, the first in
 * code order named) and their classes of the school year. */
static int load_schools(sip_import *imp, idm_db *db, const char *schools,
                        plan_ctx *ctx, size_t nschools, idm_err *err)
{
    PGresult *res = NULL;
    GHashTable *by_id = g_hash_table_new(g_str_hash, g_str_equal);
    GString *arr = g_string_new("{");
    int rc, n;

    ctx->by_id = by_id;
    ctx->org_ids = g_new0(char *, nschools + 1);
    ctx->classes = g_new0(GHashTable *, nschools + 1);
    rc = idm_db_q(&res, db,
                  "SELECT s.code, o.id FROM unnest($1::text[]) s (code) "
                  "LEFT JOIN org_unit o ON o.code = s.code "
                  " AND o.type = 'school' "
                  "ORDER BY o.id IS NOT NULL, s.code",
                  err, schools);
    if (rc != 0) {
        goto cleanup;
    }
    n = PQntuples(res);
    if (n > 0 && PQgetisnull(res, 0, 1)) {
        rc = idm_err_set(err, IDM_ENOTFOUND,
                         sip_import__msg(imp->opts.lang, M_RUN_UNKNOWN_SCHOOL),
                         PQgetvalue(res, 0, 0));
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        size_t k = GPOINTER_TO_SIZE(
            g_hash_table_lookup(imp->scope, PQgetvalue(res, i, 0)));
        if (k == 0 || ctx->org_ids[k - 1] != NULL) {
            continue; /* given twice */
        }
        ctx->org_ids[k - 1] = g_strdup(PQgetvalue(res, i, 1));
        ctx->classes[k - 1] =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        g_hash_table_insert(by_id, ctx->org_ids[k - 1], GSIZE_TO_POINTER(k));
        g_string_append_printf(arr, "%s%s", arr->len > 1 ? "," : "",
                               ctx->org_ids[k - 1]);
    }
    /* a school given twice: the entry imp->scope names holds its classes */
    for (size_t i = 0; i < nschools; i++) {
        if (ctx->org_ids[i] == NULL) {
            size_t k = GPOINTER_TO_SIZE(
                g_hash_table_lookup(imp->scope, imp->schools[i]));
            ctx->org_ids[i] = g_strdup(ctx->org_ids[k - 1]);
        }
    }
    g_string_append_c(arr, '}');
    ctx->org_array = g_string_free(arr, FALSE);
    arr = NULL;
    PQclear(res);
    res = NULL;
    rc = idm_db_q(&res, db,
                  "SELECT g.org_unit_id, g.name, g.id FROM person_group g "
                  "WHERE g.kind = 'class' AND g.school_year = $1 "
                  "AND g.org_unit_id = ANY ($2::bigint[])",
                  err, imp->school_year, ctx->org_array);
    if (rc != 0) {
        goto cleanup;
    }
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        size_t k =
            GPOINTER_TO_SIZE(g_hash_table_lookup(by_id, PQgetvalue(res, i, 0)));
        if (k > 0) {
            g_hash_table_insert(ctx->classes[k - 1],
                                g_strdup(PQgetvalue(res, i, 1)),
                                g_strdup(PQgetvalue(res, i, 2)));
        }
    }
cleanup:
    PQclear(res);
    if (arr != NULL) {
        g_string_free(arr, TRUE);
    }
    return rc;
}

/* Append a decimal number (printf costs more than the rest of a row). */
static void append_long(GString *buf, long v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) {
        tmp[--i] = '-';
    }
    g_string_append_len(buf, tmp + i, (gssize)(sizeof(tmp) - i));
}

/* Days from 2000-01-01 to a valid "YYYY-MM-DD" (proleptic Gregorian, as
 * PostgreSQL counts dates). */
static long days_since_2000(const char *ymd)
{
    long y = (ymd[0] - '0') * 1000 + (ymd[1] - '0') * 100 +
             (ymd[2] - '0') * 10 + (ymd[3] - '0');
    const long m = (ymd[5] - '0') * 10 + (ymd[6] - '0');
    const long d = (ymd[8] - '0') * 10 + (ymd[9] - '0');
    long era, yoe, doy;

    /* days from civil (H. Hinnant); 730425 = 2000-01-01 from 0000-03-01 */
    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 730425;
}

/* "YYYY-MM-DD" of days since 2000-01-01 (the inverse of the above); the
 * buffer holds any long, which the compiler cannot rule out. */
#define DATE_TEXT_MAX 64
static void date_of_days(char out[DATE_TEXT_MAX], long days)
{
    const long z = days + 730425;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const long doe = z - era * 146097;
    const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long mp = (5 * doy + 2) / 153;
    const long d = doy - (153 * mp + 2) / 5 + 1;
    const long m = mp < 10 ? mp + 3 : mp - 9;

    snprintf(out, DATE_TEXT_MAX, "%04ld-%02ld-%02ld",
             yoe + era * 400 + (m <= 2), m, d);
}

/*
 * The file's rows with a key, as the plan query compares them: names,
 * birth date (days since 2000: a date's text input would cost more than
 * the rest of the row), the school's org id, the class's group id (0 if the
 * class does not exist yet, so it matches nothing) and the role. Error rows
 * bring their key only: it still keeps its person from leaving.
 */
static int stage_rows(sip_import *imp, idm_db *db, const plan_ctx *ctx,
                      idm_err *err)
{
    GString *buf = g_string_sized_new(imp->nrows * 64 + 64);
    int rc;

    rc = idm_db_exec_script(
        db,
        "CREATE TEMP TABLE import_row (idx int NOT NULL, key text NOT NULL, "
        "given text, family text, birth int, org_id bigint, "
        "group_id bigint, role idm_role) ON COMMIT DROP; "
        /* 3,000 sampled rows tell the planner the count and that keys
         * are unique (the default 30,000 cost 50 ms at 200,000 rows) */
        "ALTER TABLE import_row ALTER key SET STATISTICS 10",
        err);
    if (rc != 0) {
        goto cleanup;
    }
    for (size_t i = 0; i < imp->file_rows; i++) {
        const import_row *row = &imp->rows[i];
        size_t k;
        if (row->v[IMPORT_F_KEY] == NULL) {
            continue;
        }
        append_long(buf, (long)i);
        g_string_append_c(buf, '\t');
        sip_import__copy_text(buf, row->v[IMPORT_F_KEY]);
        k = row->action == SIP_IMPORT_ERROR || row->v[IMPORT_F_SCHOOL] == NULL
                ? 0
                : GPOINTER_TO_SIZE(
                      g_hash_table_lookup(imp->scope, row->v[IMPORT_F_SCHOOL]));
        if (k == 0 || row->role == NULL || row->v[IMPORT_F_GIVEN] == NULL ||
            row->v[IMPORT_F_FAMILY] == NULL) {
            g_string_append(buf, "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
            continue;
        }
        g_string_append_c(buf, '\t');
        sip_import__copy_text(buf, row->v[IMPORT_F_GIVEN]);
        g_string_append_c(buf, '\t');
        sip_import__copy_text(buf, row->v[IMPORT_F_FAMILY]);
        g_string_append_c(buf, '\t');
        if (row->birth[0] != '\0') {
            append_long(buf, days_since_2000(row->birth));
        } else {
            g_string_append(buf, "\\N");
        }
        g_string_append_c(buf, '\t');
        g_string_append(buf, ctx->org_ids[k - 1]);
        g_string_append_c(buf, '\t');
        if (row->v[IMPORT_F_CLASS] == NULL) {
            g_string_append(buf, "\\N");
        } else {
            const char *gid = g_hash_table_lookup(ctx->classes[k - 1],
                                                  row->v[IMPORT_F_CLASS]);
            g_string_append(buf, gid != NULL ? gid : "0");
        }
        g_string_append_c(buf, '\t');
        g_string_append(buf, row->role);
        g_string_append_c(buf, '\n');
    }
    rc = sip_import__copy(db, "COPY import_row FROM STDIN", buf, err);
    if (rc == 0) {
        /* the plans need the row count and the keys' distinct values */
        rc = idm_db_exec_script(db, "ANALYZE import_row (key)", err);
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

static void append_msg(sip_import *imp, import_row *row, const char *text)
{
    row->message = row->message == NULL
                       ? sip_import__str(imp, text)
                       : sip_import__printf(imp, "%s; %s", row->message, text);
}

/* Columns of the plan queries: one row per role assignment (or none) of a
 * person. plan_sql_source gives every person of the source (see
 * source_ref). plan_sql_some gives the persons the file names (C_IDX set)
 * and the leaver candidates (C_IDX NULL); C_OK says the stored state is
 * the file row's, and such a row carries no more (its assignment is the
 * file row's school, role and class). */
enum {
    C_PID,
    C_LOGIN,
    C_RID,
    C_STATUS,
    C_GIVEN,
    C_FAMILY,
    C_BIRTH, /* days since 2000-01-01 (a date's text costs more) */
    C_LEAVER,
    C_ORG, /* org_unit id */
    C_ROLE,
    C_GROUP, /* person_group id */
    C_KEY,   /* plan_sql_some: leaver candidates only */
    C_IDX,   /* plan_sql_some only */
    C_OK     /* plan_sql_some only */
};

/*
 * "Unchanged" as the server can tell it: active, not a leaver, same names
 * and birth date, and an assignment at the file row's school with its role
 * and class of the school year. It implies what decide() calls unchanged
 * for a person with this one assignment; every other row is decided there
 * from the stored state the query returns.
 */
#define PLAN_OK                                                                \
    "coalesce(a.status = 'active' AND p.given_name = s.given "                 \
    "AND p.family_name = s.family "                                            \
    "AND (s.birth IS NULL OR p.birth_date = DATE '2000-01-01' + s.birth) "     \
    "AND r.org_unit_id = s.org_id AND r.role = s.role "                        \
    "AND r.group_id IS NOT DISTINCT FROM s.group_id "                          \
    "AND NOT p.id IN (SELECT person_id FROM import_leaver), false)"
#define PLAN_COLS                                                              \
    "p.id AS pid, a.login, r.id AS rid, a.status, p.given_name, "              \
    "p.family_name, p.birth_date, r.org_unit_id AS org, r.role, "              \
    "r.group_id AS grp, k.key"
#define PLAN_ASSIGN                                                            \
    "LEFT JOIN role_assignment r ON r.person_id = p.id "                       \
    " AND r.source = 'import' AND r.role = ANY ($2::idm_role[]) "
/* Leaver candidates: persons of this source with an assignment of the
 * profile at a scoped school, active or locked, not yet leavers. */
#define PLAN_LEAVING                                                           \
    "r.org_unit_id = ANY ($3::bigint[]) AND a.status IN ('active', 'locked') " \
    "AND NOT p.id IN (SELECT person_id FROM import_leaver)"
/* Details of the rows that are not unchanged, read once per row (OFFSET 0
 * keeps the planner from repeating "ok" in every column). Org and class
 * are ids: a lookup per row here would cost more than the whole join. */
#define PLAN_OUTER                                                             \
    "SELECT pid, login, rid, CASE WHEN NOT ok THEN status END, "               \
    "CASE WHEN NOT ok THEN given_name END, "                                   \
    "CASE WHEN NOT ok THEN family_name END, "                                  \
    "CASE WHEN NOT ok AND isfinite(birth_date) "                               \
    " THEN birth_date - DATE '2000-01-01' END, "                               \
    "CASE WHEN NOT ok THEN pid IN (SELECT person_id FROM import_leaver) END, " \
    "CASE WHEN NOT ok THEN org END, CASE WHEN NOT ok THEN role END, "          \
    "CASE WHEN NOT ok THEN grp END, CASE WHEN idx IS NULL THEN key END, "      \
    "idx, ok FROM ("

/* The file holds most keys of the source: every person of the source with
 * the columns above (persons with ids in [$3, $4): read in two halves at
 * once, sip_import__query_split), compared with the file here
 * (source_ref): the server's hash joins against a staged copy of the file
 * cost more than staging, joining and comparing here together. */
static const char plan_sql_source[] =
    "SELECT p.id, a.login, r.id, a.status, p.given_name, p.family_name, "
    "CASE WHEN isfinite(p.birth_date) THEN p.birth_date - DATE '2000-01-01' "
    "END, "
    "p.id IN (SELECT person_id FROM import_leaver), r.org_unit_id, r.role, "
    "r.group_id, k.key "
    "FROM person_external_key k JOIN person p ON p.id = k.person_id "
    "JOIN account a ON a.person_id = p.id " PLAN_ASSIGN
    "AND r.person_id >= $3::bigint AND r.person_id < $4::bigint "
    "WHERE k.source = $1 AND p.id >= $3::bigint AND p.id < $4::bigint";

/* A small file among many keys: its rows by key, the leavers by school. */
static const char plan_sql_some[] = PLAN_OUTER
    "SELECT s.idx, " PLAN_COLS ", " PLAN_OK " AS ok "
    "FROM import_row s "
    "JOIN person_external_key k ON k.source = $1 AND k.key = s.key "
    "JOIN person p ON p.id = k.person_id "
    "JOIN account a ON a.person_id = p.id " PLAN_ASSIGN
    "UNION ALL SELECT NULL, " PLAN_COLS ", false "
    "FROM role_assignment r "
    "JOIN person_external_key k ON k.person_id = r.person_id "
    " AND k.source = $1 "
    "JOIN person p ON p.id = r.person_id "
    "JOIN account a ON a.person_id = r.person_id "
    "WHERE r.source = 'import' AND r.role = ANY ($2::idm_role[]) "
    "AND " PLAN_LEAVING " "
    "AND NOT EXISTS (SELECT 1 FROM import_row s WHERE s.key = k.key) "
    "OFFSET 0) q";

/* A row of the plan query with its assignment resolved, for sorting by
 * (file row, assignment id); leaver candidates by (person, assignment). */
typedef struct plan_ref {
    int64_t idx, rid, pid;
    const PGresult *res; /* the plan query's result holding it, at row */
    int row;
    int ok;
    const char *org, *cls, *year; /* assignment; org NULL if none */
    const char *uuid;             /* the person's, if not ok */
} plan_ref;

static int plan_ref_cmp(const void *a, const void *b)
{
    const plan_ref *x = a, *y = b;

    if (x->idx != y->idx) {
        return x->idx < y->idx ? -1 : 1;
    }
    if (x->idx < 0 && x->pid != y->pid) {
        return x->pid < y->pid ? -1 : 1;
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
static void census_add(sip_import *imp, GArray *census, const char *org_code,
                       int64_t person_id)
{
    size_t s = GPOINTER_TO_SIZE(g_hash_table_lookup(imp->scope, org_code));

    if (s > 0) {
        census_entry e = {s - 1, person_id};
        g_array_append_val(census, e);
    }
}

/* Decide one known row from its person's state (ord[from..to]; at least
 * one of them is not ok and carries the person's columns). */
static void decide(sip_import *imp, import_row *row, const plan_ref *ord,
                   int from, int to)
{
    const PGresult *res = ord[from].res;
    const sip_import_lang lang = imp->opts.lang;
    int first = ord[from].row;
    const char *status, *school = row->v[IMPORT_F_SCHOOL];
    const char *cls = row->v[IMPORT_F_CLASS];
    int exact = 0, nassign = 0, same_school = 0;
    const char *old_org = NULL, *old_role = NULL, *old_class = NULL,
               *old_year = NULL;
    const char *uuid = "";
    char old_birth[DATE_TEXT_MAX] = "";

    for (int j = from; j <= to; j++) {
        if (!ord[j].ok) {
            res = ord[j].res;
            first = ord[j].row;
            uuid = ord[j].uuid;
            break;
        }
    }
    status = PQgetvalue(res, first, C_STATUS);
    row->person_id = idm_db_int(res, first, C_PID);
    snprintf(row->uuid, sizeof(row->uuid), "%s", uuid);
    row->login = sip_import__str(imp, PQgetvalue(res, first, C_LOGIN));
    row->from_status = sip_import__str(imp, status);
    row->action = SIP_IMPORT_UNCHANGED;
    if (strcmp(status, "deleted") == 0) {
        append_msg(imp, row,
                   sip_import__printf(
                       imp, sip_import__msg(lang, M_CH_DISABLED_BY_ADMIN),
                       lang == SIP_IMPORT_EN ? "deleted" : "gelöscht"));
        return;
    }
    if (strcmp(PQgetvalue(res, first, C_GIVEN), row->v[IMPORT_F_GIVEN]) != 0 ||
        strcmp(PQgetvalue(res, first, C_FAMILY), row->v[IMPORT_F_FAMILY]) !=
            0) {
        row->changes |= IMPORT_CH_NAME;
        append_msg(imp, row,
                   sip_import__printf(
                       imp, sip_import__msg(lang, M_CH_NAME),
                       sip_import__printf(imp, "%s %s",
                                          PQgetvalue(res, first, C_GIVEN),
                                          PQgetvalue(res, first, C_FAMILY)),
                       sip_import__printf(imp, "%s %s", row->v[IMPORT_F_GIVEN],
                                          row->v[IMPORT_F_FAMILY])));
    }
    if (!PQgetisnull(res, first, C_BIRTH)) {
        date_of_days(old_birth, idm_db_int(res, first, C_BIRTH));
    }
    if (row->birth[0] != '\0' && strcmp(old_birth, row->birth) != 0) {
        row->changes |= IMPORT_CH_BIRTH;
        append_msg(imp, row,
                   sip_import__printf(imp, sip_import__msg(lang, M_CH_BIRTH),
                                      or_dash(old_birth), row->birth));
    }
    for (int j = from; j <= to; j++) {
        const char *org = ord[j].org, *role, *gcls = ord[j].cls,
                   *gyear = ord[j].year;
        if (org == NULL) {
            continue;
        }
        nassign++;
        role =
            ord[j].ok ? row->role : PQgetvalue(ord[j].res, ord[j].row, C_ROLE);
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
                       sip_import__printf(imp, sip_import__msg(lang, M_CH_ROLE),
                                          "–", row->role));
        } else if (!same_school) {
            row->changes |= IMPORT_CH_SCHOOL;
            row->old_school = sip_import__str(imp, old_org);
            append_msg(imp, row,
                       sip_import__printf(imp,
                                          sip_import__msg(lang, M_CH_SCHOOL),
                                          old_org, school));
        } else if (strcmp(old_role, row->role) != 0) {
            row->changes |= IMPORT_CH_ROLE;
            append_msg(imp, row,
                       sip_import__printf(imp, sip_import__msg(lang, M_CH_ROLE),
                                          old_role, row->role));
        }
        if (same_school &&
            (!same(old_class, cls) ||
             (cls != NULL && !same(old_year, imp->school_year)))) {
            row->changes |= IMPORT_CH_CLASS;
            row->old_class = sip_import__str(imp, old_class);
            append_msg(imp, row,
                       sip_import__printf(
                           imp, sip_import__msg(lang, M_CH_CLASS),
                           old_class != NULL && old_year != NULL &&
                                   strcmp(old_year, imp->school_year) != 0
                               ? sip_import__printf(imp, "%s (%s)", old_class,
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
            append_msg(imp, row, sip_import__msg(lang, M_CH_REACTIVATED));
        } else {
            append_msg(imp, row,
                       sip_import__printf(
                           imp, sip_import__msg(lang, M_CH_DISABLED_BY_ADMIN),
                           lang == SIP_IMPORT_EN ? "disabled" : "deaktiviert"));
        }
    }
    if (row->changes & IMPORT_CH_REACTIVATE) {
        row->action = SIP_IMPORT_REACTIVATED;
    } else if (row->changes & IMPORT_CH_SCHOOL) {
        row->action = SIP_IMPORT_MOVED_SCHOOL;
    } else if (row->changes & IMPORT_CH_CLASS) {
        row->action = SIP_IMPORT_MOVED_CLASS;
    } else if (row->changes != 0) {
        row->action = SIP_IMPORT_UPDATED;
    }
}

/* Add the ids in column col of the rows that are not ok to set (text). */
static void collect_ids(GHashTable *set, const plan_ref *ord, int n, int col)
{
    for (int i = 0; i < n; i++) {
        if (!ord[i].ok && !PQgetisnull(ord[i].res, ord[i].row, col)) {
            g_hash_table_add(set, PQgetvalue(ord[i].res, ord[i].row, col));
        }
    }
}

/* "{1,2,3}" from a set of ids (text); g_free(). */
static char *ids_array(GHashTable *set)
{
    GString *s = g_string_new("{");
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        g_string_append_printf(s, "%s%s", s->len > 1 ? "," : "",
                               (const char *)key);
    }
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

/*
 * What the rows needing a decision refer to by id, each set of ids in one
 * query: school codes, class names and years, person UUIDs.
 */
typedef struct plan_ids {
    PGresult *orgs_res, *groups_res, *uuids_res;
    GHashTable *orgs;   /* org id -> code */
    GHashTable *groups; /* group id -> its row in groups_res + 1 */
    GHashTable *uuids;  /* person id -> UUID */
} plan_ids;

static void plan_ids_free(plan_ids *ids)
{
    PQclear(ids->orgs_res);
    PQclear(ids->groups_res);
    PQclear(ids->uuids_res);
    if (ids->orgs != NULL) { /* else none of them was made */
        g_hash_table_destroy(ids->orgs);
        g_hash_table_destroy(ids->groups);
        g_hash_table_destroy(ids->uuids);
    }
}

/* Run sql for the ids in column col of the rows that are not ok; map
 * the first column of its result to the second (or to the row + 1). */
static int lookup_ids(PGresult **out, GHashTable *map, int to_row, idm_db *db,
                      const char *sql, const plan_ref *ord, int n, int col,
                      idm_err *err)
{
    GHashTable *set = g_hash_table_new(g_str_hash, g_str_equal);
    char *arr;
    int rc;

    collect_ids(set, ord, n, col);
    arr = ids_array(set);
    rc = idm_db_q(out, db, sql, err, arr);
    for (int i = 0; rc == 0 && i < PQntuples(*out); i++) {
        g_hash_table_insert(map, PQgetvalue(*out, i, 0),
                            to_row ? GINT_TO_POINTER(i + 1)
                                   : PQgetvalue(*out, i, 1));
    }
    g_hash_table_destroy(set);
    g_free(arr);
    return rc;
}

static int resolve_ids(plan_ids *ids, idm_db *db, const plan_ref *ord, int n,
                       idm_err *err)
{
    int rc;

    ids->orgs = g_hash_table_new(g_str_hash, g_str_equal);
    ids->groups = g_hash_table_new(g_str_hash, g_str_equal);
    ids->uuids = g_hash_table_new(g_str_hash, g_str_equal);
    rc = lookup_ids(&ids->orgs_res, ids->orgs, 0, db,
                    "SELECT id, code FROM org_unit "
                    "WHERE id = ANY ($1::bigint[])",
                    ord, n, C_ORG, err);
    if (rc == 0) {
        rc = lookup_ids(&ids->groups_res, ids->groups, 1, db,
                        "SELECT id, name, school_year FROM person_group "
                        "WHERE id = ANY ($1::bigint[])",
                        ord, n, C_GROUP, err);
    }
    if (rc == 0) {
        rc = lookup_ids(&ids->uuids_res, ids->uuids, 0, db,
                        "SELECT id, uuid FROM person "
                        "WHERE id = ANY ($1::bigint[])",
                        ord, n, C_PID, err);
    }
    return rc;
}

/* A leaver candidate (the person's first scoped assignment) as a row. */
static void add_leaver(sip_import *imp, const idm_conf *conf,
                       const plan_ref *ref)
{
    const PGresult *res = ref->res;
    const int i = ref->row;
    import_row *row = sip_import__add_row(imp);

    row->action = SIP_IMPORT_LEAVING;
    row->person_id = ref->pid;
    snprintf(row->uuid, sizeof(row->uuid), "%s", ref->uuid);
    row->login = sip_import__str(imp, PQgetvalue(res, i, C_LOGIN));
    row->from_status = sip_import__str(imp, PQgetvalue(res, i, C_STATUS));
    row->v[IMPORT_F_GIVEN] = sip_import__str(imp, PQgetvalue(res, i, C_GIVEN));
    row->v[IMPORT_F_FAMILY] =
        sip_import__str(imp, PQgetvalue(res, i, C_FAMILY));
    row->v[IMPORT_F_SCHOOL] = sip_import__str(imp, ref->org);
    row->org_id = idm_db_int(res, i, C_ORG);
    row->role = idm_role_lookup(PQgetvalue(res, i, C_ROLE))->name;
    row->v[IMPORT_F_CLASS] = sip_import__str(imp, ref->cls);
    row->v[IMPORT_F_KEY] = sip_import__str(imp, PQgetvalue(res, i, C_KEY));
    row->message =
        sip_import__printf(imp, sip_import__msg(imp->opts.lang, M_CH_LEAVING),
                           sip_import_conf_get(conf)->grace_days);
}

/*
 * PLAN_OK for row i of plan_sql_source and the file row it belongs to,
 * with the file row's values as stage_rows would have staged them.
 */
static int unchanged(const sip_import *imp, const plan_ctx *ctx,
                     const import_row *row, const PGresult *res, int i)
{
    const char *cls = row->v[IMPORT_F_CLASS], *gid;
    size_t k;

    if (row->action == SIP_IMPORT_ERROR || row->v[IMPORT_F_SCHOOL] == NULL ||
        row->role == NULL || row->v[IMPORT_F_GIVEN] == NULL ||
        row->v[IMPORT_F_FAMILY] == NULL || PQgetisnull(res, i, C_RID)) {
        return 0;
    }
    k = GPOINTER_TO_SIZE(
        g_hash_table_lookup(imp->scope, row->v[IMPORT_F_SCHOOL]));
    if (k == 0 || strcmp(PQgetvalue(res, i, C_STATUS), "active") != 0 ||
        *PQgetvalue(res, i, C_LEAVER) != 'f' ||
        strcmp(PQgetvalue(res, i, C_GIVEN), row->v[IMPORT_F_GIVEN]) != 0 ||
        strcmp(PQgetvalue(res, i, C_FAMILY), row->v[IMPORT_F_FAMILY]) != 0 ||
        (row->birth[0] != '\0' &&
         (PQgetisnull(res, i, C_BIRTH) ||
          idm_db_int(res, i, C_BIRTH) != days_since_2000(row->birth))) ||
        strcmp(PQgetvalue(res, i, C_ORG), ctx->org_ids[k - 1]) != 0 ||
        strcmp(PQgetvalue(res, i, C_ROLE), row->role) != 0) {
        return 0;
    }
    if (cls == NULL) {
        return PQgetisnull(res, i, C_GROUP);
    }
    gid = g_hash_table_lookup(ctx->classes[k - 1], cls);
    return gid != NULL && !PQgetisnull(res, i, C_GROUP) &&
           strcmp(PQgetvalue(res, i, C_GROUP), gid) == 0;
}

/*
 * Row i of plan_sql_source as plan_sql_some would have given it: its file
 * row (by key) and PLAN_OK, or a leaver candidate (PLAN_LEAVING). Returns
 * 0 for a row neither query would have given.
 */
static int source_ref(const sip_import *imp, const plan_ctx *ctx,
                      const PGresult *res, int i, plan_ref *o)
{
    const size_t idx = GPOINTER_TO_SIZE(
        g_hash_table_lookup(imp->keys, PQgetvalue(res, i, C_KEY)));
    const char *status = PQgetvalue(res, i, C_STATUS);

    if (idx > 0) {
        o->idx = (int64_t)idx - 1;
        o->ok = unchanged(imp, ctx, &imp->rows[idx - 1], res, i);
        return 1;
    }
    o->idx = -1;
    o->ok = 0;
    return !PQgetisnull(res, i, C_ORG) &&
           g_hash_table_contains(ctx->by_id, PQgetvalue(res, i, C_ORG)) &&
           (strcmp(status, "active") == 0 || strcmp(status, "locked") == 0) &&
           *PQgetvalue(res, i, C_LEAVER) == 'f';
}

/*
 * One query for what the database knows about the file's keys (one result
 * row per role assignment) and about the persons of the scoped schools
 * missing from the file (leavers, each at the school of their first
 * assignment); then each row's action. Rows with errors are looked up too
 * (not decided): their persons still count for the guard, like every
 * active person of a scoped school found here, in census. all: the file
 * holds most keys of the source (plan_sql_source), else it was staged.
 */
static int plan_rows(sip_import *imp, idm_db *db, const idm_conf *conf,
                     const plan_ctx *ctx, int all, GArray *census, idm_err *err)
{
    PGresult *part[2] = {NULL, NULL};
    plan_ids ids = {0};
    plan_ref *ord = NULL;
    size_t done = 0, total = 0;
    int rc, n = 0;

    /* the whole source by merge joins along the person_id indexes, in one
     * ordered pass (hashing the four tables takes 1.7 times as long), in
     * two halves at once */
    rc = all ? sip_import__query_split(part, db, conf, imp->stale_stats,
                                       plan_sql_source, imp->source,
                                       sip_import__roles_array(imp), err)
             : idm_db_q(&part[0], db, plan_sql_some, err, imp->source,
                        sip_import__roles_array(imp), ctx->org_array);
    if (rc != 0) {
        goto cleanup;
    }
    for (int h = 0; h < 2; h++) {
        total += part[h] != NULL ? (size_t)PQntuples(part[h]) : 0;
    }
    /* sorted here: a sort of the wide rows costs the server more */
    ord = idm_xcalloc(total + 1, sizeof(*ord));
    for (int h = 0; h < 2 && part[h] != NULL; h++) {
        const PGresult *res = part[h];
        for (int i = 0; i < PQntuples(res); i++) {
            plan_ref *o = &ord[n];
            if (all) {
                if (!source_ref(imp, ctx, res, i, o)) {
                    continue;
                }
            } else {
                o->idx =
                    PQgetisnull(res, i, C_IDX) ? -1 : idm_db_int(res, i, C_IDX);
                o->ok = *PQgetvalue(res, i, C_OK) == 't';
            }
            o->rid = PQgetisnull(res, i, C_RID) ? INT64_MAX
                                                : idm_db_int(res, i, C_RID);
            o->pid = idm_db_int(res, i, C_PID);
            o->res = res;
            o->row = i;
            n++;
        }
    }
    rc = resolve_ids(&ids, db, ord, n, err);
    if (rc != 0) {
        goto cleanup;
    }
    sip_import__time(imp, "plan.query");
    for (int j = 0; j < n; j++) {
        plan_ref *o = &ord[j];
        const PGresult *res = o->res;
        const int i = o->row;
        if (o->ok) {
            const import_row *row = &imp->rows[o->idx];
            o->org = row->v[IMPORT_F_SCHOOL];
            o->cls = row->v[IMPORT_F_CLASS];
            o->year = o->cls != NULL ? imp->school_year : NULL;
            census_add(imp, census, o->org, o->pid);
            continue;
        }
        o->uuid = g_hash_table_lookup(ids.uuids, PQgetvalue(res, i, C_PID));
        if (o->uuid == NULL) {
            o->uuid = ""; /* cannot happen: the person was just read */
        }
        if (!PQgetisnull(res, i, C_ORG)) {
            o->org = g_hash_table_lookup(ids.orgs, PQgetvalue(res, i, C_ORG));
        }
        if (!PQgetisnull(res, i, C_GROUP)) {
            int g = GPOINTER_TO_INT(
                g_hash_table_lookup(ids.groups, PQgetvalue(res, i, C_GROUP)));
            if (g > 0) {
                o->cls = PQgetvalue(ids.groups_res, g - 1, 1);
                o->year = PQgetisnull(ids.groups_res, g - 1, 2)
                              ? NULL
                              : PQgetvalue(ids.groups_res, g - 1, 2);
            }
        }
        if (o->org != NULL) {
            const char *status = PQgetvalue(res, i, C_STATUS);
            if ((strcmp(status, "active") == 0 ||
                 strcmp(status, "locked") == 0) &&
                strcmp(PQgetvalue(res, i, C_LEAVER), "f") == 0) {
                census_add(imp, census, o->org, o->pid);
            }
        }
    }
    qsort(ord, (size_t)n, sizeof(*ord), plan_ref_cmp);
    /* every valid row without a match is new */
    for (size_t i = 0; i < imp->file_rows; i++) {
        if (imp->rows[i].action != SIP_IMPORT_ERROR) {
            imp->rows[i].action = SIP_IMPORT_NEW;
        }
    }
    for (int i = 0; i < n;) {
        const int64_t idx = ord[i].idx;
        int last = i;
        while (last + 1 < n && ord[last + 1].idx == idx &&
               (idx >= 0 || ord[last + 1].pid == ord[i].pid)) {
            last++;
        }
        if (idx < 0) {
            /* leavers: added below, after the file's rows */
        } else if ((size_t)idx < imp->file_rows &&
                   imp->rows[idx].action != SIP_IMPORT_ERROR) {
            import_row *row = &imp->rows[idx];
            if (last == i && ord[i].ok) {
                row->person_id = ord[i].pid;
                row->login = sip_import__str(
                    imp, PQgetvalue(ord[i].res, ord[i].row, C_LOGIN));
                row->from_status = "active";
                row->action = SIP_IMPORT_UNCHANGED;
            } else {
                decide(imp, row, ord, i, last);
            }
        }
        i = last + 1;
        if (++done % 8192 == 0) {
            sip_import__progress(imp, SIP_IMPORT_PHASE_PLAN, done,
                                 imp->file_rows);
        }
    }
    /* new persons: their login must be formable from the names */
    for (size_t i = 0; i < imp->file_rows; i++) {
        import_row *row = &imp->rows[i];
        char base[IDM_LOGIN_MAX + 1];
        if (row->action != SIP_IMPORT_NEW) {
            continue;
        }
        row->grant = 1;
        if (idm_login_base(base, sizeof(base),
                           idm_login_conf_get(conf)->pattern,
                           row->v[IMPORT_F_GIVEN], row->v[IMPORT_F_FAMILY],
                           idm_login_conf_get(conf)->max_length, NULL) != 0) {
            sip_import__row_error(imp, row, 0, NULL, M_ROW_BAD_NAME);
            continue;
        }
        row->base = sip_import__str(imp, base);
    }
    sip_import__time(imp, "plan.decide");
    /* leaver candidates sort first, by person: the first assignment */
    for (int i = 0; i < n && ord[i].idx < 0; i++) {
        if (i == 0 || ord[i - 1].pid != ord[i].pid) {
            add_leaver(imp, conf, &ord[i]);
        }
    }
    sip_import__time(imp, "plan.leavers");
cleanup:
    free(ord);
    plan_ids_free(&ids);
    PQclear(part[0]);
    PQclear(part[1]);
    return rc;
}

/* Leavers of the scoped schools whose grace period is over and whose key
 * is not in the file. */
static int plan_deletions(sip_import *imp, idm_db *db, const idm_conf *conf,
                          const char *schools, idm_err *err)
{
    PGresult *res = NULL;
    char grace[16];
    int rc, n;

    snprintf(grace, sizeof(grace), "%d", sip_import_conf_get(conf)->grace_days);
    rc = idm_db_q(&res, db,
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
                  "ORDER BY p.id",
                  err, imp->source, schools, grace);
    if (rc != 0) {
        return rc;
    }
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        import_row *row;
        if (!PQgetisnull(res, i, 6) &&
            g_hash_table_contains(imp->keys, PQgetvalue(res, i, 6))) {
            continue; /* back in the file */
        }
        row = sip_import__add_row(imp);
        row->action = SIP_IMPORT_DELETED;
        row->person_id = idm_db_int(res, i, 0);
        snprintf(row->uuid, sizeof(row->uuid), "%s", PQgetvalue(res, i, 1));
        row->login = sip_import__str(imp, PQgetvalue(res, i, 2));
        row->from_status = "disabled";
        row->v[IMPORT_F_GIVEN] = sip_import__str(imp, PQgetvalue(res, i, 3));
        row->v[IMPORT_F_FAMILY] = sip_import__str(imp, PQgetvalue(res, i, 4));
        row->v[IMPORT_F_SCHOOL] = sip_import__str(imp, PQgetvalue(res, i, 5));
        row->v[IMPORT_F_KEY] =
            PQgetisnull(res, i, 6)
                ? NULL
                : sip_import__str(imp, PQgetvalue(res, i, 6));
        row->message = sip_import__printf(
            imp, sip_import__msg(imp->opts.lang, M_CH_DELETED),
            PQgetvalue(res, i, 7), sip_import_conf_get(conf)->grace_days);
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
static void plan_guard(sip_import *imp, const idm_conf *conf, GArray *census)
{
    const sip_import_lang lang = imp->opts.lang;
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
            leaving[s - 1] += row->action == SIP_IMPORT_LEAVING;
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
                     sip_import__msg(lang, M_RUN_NO_ROWS), code, total[i]);
        } else if (total[i] > 0 && !imp->opts.confirm_leavers &&
                   leaving[i] * 100 >
                       (size_t)sip_import_conf_get(conf)->max_leaver_share *
                           total[i]) {
            imp->guard_rc = IDM_EDENIED;
            snprintf(imp->guard_msg, sizeof(imp->guard_msg),
                     sip_import__msg(lang, M_RUN_GUARD), code, leaving[i],
                     total[i], (leaving[i] * 100 + total[i] / 2) / total[i],
                     sip_import_conf_get(conf)->max_leaver_share);
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
static int guard_stale_stats(sip_import *imp, idm_db *db, idm_err *err)
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
    if (rc == 0 && idm_db_int(res, 0, 0) > 0) {
        imp->stale_stats = 1;
        rc = idm_db_exec_script(db, "SET LOCAL enable_nestloop = off", err);
    }
    PQclear(res);
    return rc;
}

int sip_import__plan(sip_import *imp, idm_db *db, const idm_conf *conf,
                     idm_err *err)
{
    char *schools = sip_import__schools_array(imp);
    GArray *census = g_array_new(FALSE, FALSE, sizeof(census_entry));
    plan_ctx ctx = {0};
    PGresult *res = NULL;
    size_t nschools = 0, nkeys = 0;
    char limit[32];
    int rc, all;

    while (imp->schools[nschools] != NULL) {
        nschools++;
    }
    /* One import at a time: two runs planning against each other's
     * half-written state could both decide to create the same person. */
    rc = idm_db_exec_script(
        db, "SELECT pg_advisory_xact_lock(hashtext('idm.import'))", err);
    if (rc != 0) {
        goto cleanup;
    }
    sip_import__time(imp, "plan.lock");
    rc = guard_stale_stats(imp, db, err);
    if (rc != 0) {
        goto cleanup;
    }
    sip_import__time(imp, "plan.stats");
    rc = load_schools(imp, db, schools, &ctx, nschools, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (imp->keys == NULL) { /* sip_import__parse makes it */
        rc = idm_err_set(err, IDM_EINTERNAL, "import: file not read");
        goto cleanup;
    }
    nkeys = g_hash_table_size(imp->keys);
    /* the whole source in one pass pays when the file holds at least
     * half of its keys; counting stops there, and is skipped when the
     * table's statistics say it holds no more keys of all sources (a
     * wrong estimate costs speed, never correctness) */
    snprintf(limit, sizeof(limit), "%zu", nkeys * 2 + 1);
    rc = idm_db_q(&res, db,
                  "SELECT CASE WHEN c.reltuples BETWEEN 0 AND $2::bigint - 1 "
                  " THEN 0 ELSE (SELECT count(*) FROM (SELECT 1 "
                  "  FROM person_external_key WHERE source = $1 "
                  "  LIMIT $2::bigint) x) END "
                  "FROM pg_class c "
                  "WHERE c.oid = 'person_external_key'::regclass",
                  err, imp->source, limit);
    if (rc != 0) {
        goto cleanup;
    }
    all = (size_t)idm_db_int(res, 0, 0) <= nkeys * 2;
    if (!all) {
        rc = stage_rows(imp, db, &ctx, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    sip_import__time(imp, "plan.stage");
    rc = plan_rows(imp, db, conf, &ctx, all, census, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = plan_deletions(imp, db, conf, schools, err);
    if (rc != 0) {
        goto cleanup;
    }
    sip_import__time(imp, "plan.deletions");
    plan_guard(imp, conf, census);
    sip_import__time(imp, "plan.guard");
    sip_import__progress(imp, SIP_IMPORT_PHASE_PLAN, imp->file_rows,
                         imp->file_rows);
cleanup:
    PQclear(res);
    plan_ctx_free(&ctx, nschools);
    g_free(schools);
    g_array_free(census, TRUE);
    return rc;
}
