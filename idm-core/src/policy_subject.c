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

int idm_subject_load(idm_subject **out, idm_db *db, const char *login,
                     idm_err *err)
{
    PGresult *res = NULL;
    idm_subject *s = NULL;
    GPtrArray *groups = NULL;
    int rc, rows;

    *out = NULL;
    rc = idm_db__q(&res, db,
                   "SELECT p.id, p.uuid, a.login, p.given_name, p.family_name, "
                   "to_char(p.birth_date, 'YYYY-MM-DD'), p.info_block, "
                   "p.processing_restricted, a.must_change_password, "
                   "a.status = 'active' "
                   "FROM account a JOIN person p ON p.id = a.person_id "
                   "WHERE lower(a.login) = lower($1)",
                   err, login);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no account \"%s\"", login);
        goto cleanup;
    }
    s = idm_xcalloc(1, sizeof(*s));
    s->uuid = idm_db__strdup(res, 0, 1);
    s->login = idm_db__strdup(res, 0, 2);
    s->given_name = idm_db__strdup(res, 0, 3);
    s->family_name = idm_db__strdup(res, 0, 4);
    s->birth_date = idm_db__strdup(res, 0, 5);
    s->info_block = idm_db__bool(res, 0, 6);
    s->processing_restricted = idm_db__bool(res, 0, 7);
    s->must_change_password = idm_db__bool(res, 0, 8);
    s->active = idm_db__bool(res, 0, 9);
    PQclear(res);
    res = NULL;

    rc = idm_db__q(&res, db,
                   "SELECT r.role, o.type, o.code, o.school_code, g.name "
                   "FROM role_assignment r "
                   "JOIN account a ON a.person_id = r.person_id "
                   "JOIN org_unit o ON o.id = r.org_unit_id "
                   "LEFT JOIN person_group g ON g.id = r.group_id "
                   "WHERE lower(a.login) = lower($1) "
                   "AND r.valid_from <= current_date "
                   "AND (r.valid_until IS NULL "
                   "     OR r.valid_until > current_date) "
                   "ORDER BY o.code, r.role",
                   err, login);
    if (rc != 0) {
        goto cleanup;
    }
    rows = PQntuples(res);
    s->roles = idm_xcalloc((size_t)rows, sizeof(*s->roles));
    for (int i = 0; i < rows; i++) {
        const idm_role_info *info = idm_role_lookup(PQgetvalue(res, i, 0));
        idm_org_type type;
        idm_subject_role *r;

        if (info == NULL ||
            idm_org_type_parse(&type, PQgetvalue(res, i, 1)) != 0) {
            continue; /* unknown to this build: grants nothing */
        }
        r = &s->roles[s->nroles++];
        r->role = info->role;
        r->org_type = type;
        r->org_code = idm_db__strdup(res, i, 2);
        r->school_code = idm_db__strdup(res, i, 3);
        r->group_name = idm_db__strdup(res, i, 4);
    }
    PQclear(res);
    res = NULL;

    rc = idm_db__q(&res, db,
                   "SELECT o.code || '/' || g.name FROM group_member m "
                   "JOIN account a ON a.person_id = m.person_id "
                   "JOIN person_group g ON g.id = m.group_id "
                   "JOIN org_unit o ON o.id = g.org_unit_id "
                   "WHERE lower(a.login) = lower($1) AND g.kind = 'staff' "
                   "ORDER BY 1",
                   err, login);
    if (rc != 0) {
        goto cleanup;
    }
    groups = g_ptr_array_new();
    for (int i = 0; i < PQntuples(res); i++) {
        g_ptr_array_add(groups, g_strdup(PQgetvalue(res, i, 0)));
    }
    g_ptr_array_add(groups, NULL);
    s->staff_groups = (char **)g_ptr_array_free(groups, FALSE);
    groups = NULL;
    *out = s;
    s = NULL;
cleanup:
    PQclear(res);
    idm_subject_free(s);
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
