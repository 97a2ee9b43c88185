/* SPDX-License-Identifier: EUPL-1.2
 * Loading the subject of a policy decision: the person, the account's
 * state, the role assignments valid today and staff-group memberships.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/policy.h"
#include "idm/user.h"

/* The subject's rows as two CTEs, for the login that %s yields: the
 * person (kind 0), the roles valid today (1) and the staff groups (2);
 * IDM_SUBJECT_ORDER orders them as idm_subject lists them. */
static const char subject_ctes[] =
    "idm_subject_a AS (SELECT person_id, login, must_change_password, "
    "status = 'active' AS active FROM account "
    "WHERE lower(login) = lower(%s)), "
    "idm_subject AS ("
    "SELECT 0 AS k, p.uuid::text AS v1, a.login AS v2, p.given_name AS v3, "
    "p.family_name AS v4, to_char(p.birth_date, 'YYYY-MM-DD') AS v5, "
    "p.info_block::text AS v6, p.processing_restricted::text AS v7, "
    "a.must_change_password::text AS v8, a.active::text AS v9, "
    "NULL::text AS s1, NULL::idm_role AS s2 "
    "FROM idm_subject_a a JOIN person p ON p.id = a.person_id "
    "UNION ALL "
    "SELECT 1, r.role::text, o.type::text, o.code, o.school_code, g.name, "
    "NULL, NULL, NULL, NULL, o.code, r.role "
    "FROM idm_subject_a a JOIN role_assignment r ON r.person_id = a.person_id "
    "JOIN org_unit o ON o.id = r.org_unit_id "
    "LEFT JOIN person_group g ON g.id = r.group_id "
    "WHERE r.valid_from <= current_date "
    "AND (r.valid_until IS NULL OR r.valid_until > current_date) "
    "UNION ALL "
    "SELECT 2, o.code || '/' || g.name, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, o.code || '/' || g.name, NULL "
    "FROM idm_subject_a a JOIN group_member m ON m.person_id = a.person_id "
    "JOIN person_group g ON g.id = m.group_id "
    "JOIN org_unit o ON o.id = g.org_unit_id "
    "WHERE g.kind = 'staff')";

char *idm_subject_sql(const char *login_sql)
{
    return g_strdup_printf(subject_ctes, login_sql);
}

int idm_subject_read(idm_subject **out, const PGresult *res, int col,
                     const char *login, idm_err *err)
{
    idm_subject *s = NULL;
    GPtrArray *groups = NULL;
    int rows = PQntuples(res), i = 1;

    *out = NULL;
    if (rows == 0 || PQnfields(res) < col + IDM_SUBJECT_COLUMNS ||
        PQgetisnull(res, 0, col) || strcmp(PQgetvalue(res, 0, col), "0") != 0) {
        return idm_err_set(err, IDM_ENOTFOUND, "no account \"%s\"", login);
    }
    s = idm_xcalloc(1, sizeof(*s));
    s->uuid = idm_db_strdup(res, 0, col + 1);
    s->login = idm_db_strdup(res, 0, col + 2);
    s->given_name = idm_db_strdup(res, 0, col + 3);
    s->family_name = idm_db_strdup(res, 0, col + 4);
    s->birth_date = idm_db_strdup(res, 0, col + 5);
    s->info_block = idm_db_bool(res, 0, col + 6);
    s->processing_restricted = idm_db_bool(res, 0, col + 7);
    s->must_change_password = idm_db_bool(res, 0, col + 8);
    s->active = idm_db_bool(res, 0, col + 9);

    s->roles = idm_xcalloc((size_t)rows, sizeof(*s->roles));
    for (; i < rows && strcmp(PQgetvalue(res, i, col), "1") == 0; i++) {
        const idm_role_info *info =
            idm_role_lookup(PQgetvalue(res, i, col + 1));
        idm_org_type type;
        idm_subject_role *r;

        if (info == NULL ||
            idm_org_type_parse(&type, PQgetvalue(res, i, col + 2)) != 0) {
            continue; /* unknown to this build: grants nothing */
        }
        r = &s->roles[s->nroles++];
        r->role = info->role;
        r->org_type = type;
        r->org_code = idm_db_strdup(res, i, col + 3);
        r->school_code = idm_db_strdup(res, i, col + 4);
        r->group_name = idm_db_strdup(res, i, col + 5);
    }

    groups = g_ptr_array_new();
    for (; i < rows; i++) {
        g_ptr_array_add(groups, g_strdup(PQgetvalue(res, i, col + 1)));
    }
    g_ptr_array_add(groups, NULL);
    s->staff_groups = (char **)g_ptr_array_free(groups, FALSE);
    *out = s;
    return 0;
}

int idm_subject_load(idm_subject **out, idm_db *db, const char *login,
                     idm_err *err)
{
    /* built once; the text is also the prepared statement's key */
    static char *sql;
    PGresult *res = NULL;
    int rc;

    *out = NULL;
    if (g_once_init_enter(&sql)) {
        char *ctes = idm_subject_sql("$1");
        g_once_init_leave(&sql, g_strdup_printf("WITH %s SELECT * FROM "
                                                "idm_subject ORDER BY %s",
                                                ctes, IDM_SUBJECT_ORDER));
        g_free(ctes);
    }
    rc = idm_db_query_prepared(&res, db, sql, 1, (const char *const[]){login},
                               err);
    if (rc == 0) {
        rc = idm_subject_read(out, res, 0, login, err);
    }
    PQclear(res);
    return rc;
}

void idm_subject_free(idm_subject *s)
{
    if (s == NULL) {
        return;
    }
    free(s->uuid);
    free(s->login);
    free(s->given_name);
    free(s->family_name);
    free(s->birth_date);
    for (size_t i = 0; i < s->nroles; i++) {
        free(s->roles[i].org_code);
        free(s->roles[i].school_code);
        free(s->roles[i].group_name);
    }
    free(s->roles);
    g_strfreev(s->staff_groups);
    free(s);
}
