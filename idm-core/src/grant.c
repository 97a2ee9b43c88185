/* SPDX-License-Identifier: EUPL-1.2
 * Role assignments: grant, revoke and list, with the role/unit-type check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/grant.h"
#include "idm/group.h"
#include "idm/org.h"
#include "idm/role.h"
#include "idm/user.h"

static const char *const sources[] = {"manual", "import", "api", NULL};

/* Check the spec and resolve unit and group inside the transaction. */
static int resolve(idm_org **org_out, int64_t *group_out, char from[11],
                   char until[11], idm_db *db, const idm_grant_spec *s,
                   idm_err *err)
{
    const idm_role_info *role = idm_role_lookup(s->role);
    int rc, ok = 0;

    *org_out = NULL;
    *group_out = 0;
    from[0] = until[0] = '\0';
    if (role == NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "role: unknown role \"%s\" (see idmctl role "
                           "--help)",
                           s->role != NULL ? s->role : "");
    }
    for (int i = 0; sources[i] != NULL; i++) {
        ok |= s->source == NULL || strcmp(s->source, sources[i]) == 0;
    }
    if (!ok) {
        return idm_err_set(err, IDM_EINVAL,
                           "source: \"%s\" is not manual, import or api",
                           s->source);
    }
    if (s->valid_from != NULL &&
        (rc = idm_date_parse(from, "from", s->valid_from, err)) != 0) {
        return rc;
    }
    if (s->valid_until != NULL &&
        (rc = idm_date_parse(until, "until", s->valid_until, err)) != 0) {
        return rc;
    }
    rc = idm_org_lookup(org_out, db, s->org_code, err);
    if (rc == IDM_ENOTFOUND) {
        return idm_err_set(err, rc, "org: no organisational unit \"%s\"",
                           s->org_code);
    }
    if (rc != 0) {
        return rc;
    }
    if (!idm_role_valid_at(role->role, (*org_out)->type)) {
        rc = idm_err_set(
            err, IDM_EINVAL, "role: a %s cannot be held at the %s \"%s\"",
            role->name, idm_org_type_name((*org_out)->type), s->org_code);
        idm_org_free(*org_out);
        *org_out = NULL;
        return rc;
    }
    if (s->group_name != NULL) {
        rc = idm_group_resolve(group_out, db, s->org_code, s->group_name,
                               s->group_year, err);
        if (rc != 0) {
            idm_org_free(*org_out);
            *org_out = NULL;
            return rc;
        }
    }
    return 0;
}

int idm_grant_add(int64_t *id_out, idm_db *db, const idm_actor *actor,
                  const idm_grant_spec *s, idm_err *err)
{
    idm_org *org = NULL;
    int64_t group_id;
    char from[11], until[11], org_id[24], group[24];
    char *details = NULL, *uuid = NULL;
    PGresult *res = NULL;
    int rc, tx = 0;

    if (id_out != NULL) {
        *id_out = 0;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = resolve(&org, &group_id, from, until, db, s, err);
    if (rc != 0) {
        goto cleanup;
    }
    snprintf(org_id, sizeof(org_id), "%lld", (long long)org->id);
    snprintf(group, sizeof(group), "%lld", (long long)group_id);
    rc = idm_db_q(&res, db,
                  "INSERT INTO role_assignment (person_id, org_unit_id, "
                  "role, group_id, valid_from, valid_until, source) "
                  "SELECT a.person_id, $2::bigint, $3::idm_role, "
                  "$4::bigint, coalesce($5::date, current_date), "
                  "$6::date, coalesce($7, 'manual')::grant_source "
                  "FROM account a WHERE lower(a.login) = lower($1) "
                  "AND a.status <> 'deleted' "
                  "RETURNING id, (SELECT uuid FROM person "
                  "               WHERE id = person_id)",
                  err, s->login, org_id, s->role, group_id != 0 ? group : NULL,
                  from[0] != '\0' ? from : NULL,
                  until[0] != '\0' ? until : NULL, s->source);
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err, "role: \"%s\" already holds %s at \"%s\"%s%s",
                    s->login, s->role, s->org_code,
                    s->group_name != NULL ? " in " : "",
                    s->group_name != NULL ? s->group_name : "");
    } else if (rc == IDM_EINVAL) {
        idm_err_msg(err, "until: must be after the start date");
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "user: no account \"%s\"",
                         s->login);
        goto cleanup;
    }
    if (id_out != NULL) {
        *id_out = idm_db_int(res, 0, 0);
    }
    uuid = idm_db_strdup(res, 0, 1);
    if (group_id != 0) {
        /* the class of a role context is also a membership */
        rc = idm_db_q(NULL, db,
                      "INSERT INTO group_member (group_id, person_id) "
                      "SELECT $1::bigint, id FROM person WHERE uuid = "
                      "$2::uuid ON CONFLICT DO NOTHING",
                      err, group, uuid);
        if (rc != 0) {
            goto cleanup;
        }
    }
    details = idm_json_pack(
        "{s:s, s:s, s:s, s:s?, s:s?, s:s?}", "uuid", uuid, "org", s->org_code,
        "role", s->role, "group", s->group_name, "until",
        until[0] != '\0' ? until : NULL, "source", s->source);
    {
        const idm_person_ref who = {.uuid = uuid, .login = s->login};
        rc = idm_change_person(db, actor, IDM_CHANGE_ROLE_GRANT, &who, details,
                               err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    idm_org_free(org);
    free(details);
    free(uuid);
    return rc;
}

int idm_grant_revoke(idm_db *db, const idm_actor *actor,
                     const idm_grant_spec *s, idm_err *err)
{
    idm_org *org = NULL;
    int64_t group_id;
    char from[11], until[11], org_id[24], group[24];
    char *details = NULL, *uuid = NULL;
    PGresult *res = NULL;
    int rc, tx = 0;

    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = resolve(&org, &group_id, from, until, db, s, err);
    if (rc != 0) {
        goto cleanup;
    }
    snprintf(org_id, sizeof(org_id), "%lld", (long long)org->id);
    snprintf(group, sizeof(group), "%lld", (long long)group_id);
    rc = idm_db_q(&res, db,
                  "DELETE FROM role_assignment r USING account a, person p "
                  "WHERE a.person_id = r.person_id AND p.id = r.person_id "
                  "AND lower(a.login) = lower($1) "
                  "AND r.org_unit_id = $2::bigint AND r.role = $3::idm_role "
                  "AND r.group_id IS NOT DISTINCT FROM $4::bigint "
                  "RETURNING p.uuid, r.person_id",
                  err, s->login, org_id, s->role, group_id != 0 ? group : NULL);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(
            err, IDM_ENOTFOUND, "role: \"%s\" holds no %s at \"%s\"%s%s",
            s->login, s->role, s->org_code, s->group_name != NULL ? " in " : "",
            s->group_name != NULL ? s->group_name : "");
        goto cleanup;
    }
    uuid = idm_db_strdup(res, 0, 0);
    if (group_id != 0) {
        rc = idm_db_q(NULL, db,
                      "DELETE FROM group_member WHERE group_id = $1::bigint "
                      "AND person_id = $2::bigint",
                      err, group, PQgetvalue(res, 0, 1));
        if (rc != 0) {
            goto cleanup;
        }
    }
    details =
        idm_json_pack("{s:s, s:s, s:s, s:s?}", "uuid", uuid, "org", s->org_code,
                      "role", s->role, "group", s->group_name);
    {
        const idm_person_ref who = {.uuid = uuid, .login = s->login};
        rc = idm_change_person(db, actor, IDM_CHANGE_ROLE_REVOKE, &who, details,
                               err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    idm_org_free(org);
    free(details);
    free(uuid);
    return rc;
}

int idm_grant_list(idm_grant **out, size_t *n, idm_db *db, const char *login,
                   const char *org_code, int include_expired, idm_err *err)
{
    PGresult *res = NULL;
    idm_grant *list;
    int rc, rows;

    *out = NULL;
    *n = 0;
    rc = idm_db_q(&res, db,
                  "SELECT r.id, a.login, p.uuid, o.code, o.name, r.role, "
                  "g.name, g.school_year, r.valid_from::text, "
                  "r.valid_until::text, r.source, "
                  "r.valid_from <= current_date AND (r.valid_until IS NULL "
                  "  OR r.valid_until > current_date) "
                  "FROM role_assignment r "
                  "JOIN person p ON p.id = r.person_id "
                  "JOIN account a ON a.person_id = p.id "
                  "JOIN org_unit o ON o.id = r.org_unit_id "
                  "LEFT JOIN person_group g ON g.id = r.group_id "
                  "WHERE ($1::text IS NULL OR lower(a.login) = lower($1)) "
                  "AND ($2::text IS NULL OR o.code = $2) "
                  "AND ($3 OR r.valid_until IS NULL "
                  "     OR r.valid_until > current_date) "
                  "ORDER BY a.login, o.code, r.role, g.name",
                  err, login, org_code, include_expired ? "t" : "f");
    if (rc != 0) {
        return rc;
    }
    rows = PQntuples(res);
    list = idm_xcalloc((size_t)rows, sizeof(*list));
    for (int i = 0; i < rows; i++) {
        list[i].id = idm_db_int(res, i, 0);
        list[i].login = idm_db_strdup(res, i, 1);
        list[i].person_uuid = idm_db_strdup(res, i, 2);
        list[i].org_code = idm_db_strdup(res, i, 3);
        list[i].org_name = idm_db_strdup(res, i, 4);
        list[i].role = idm_db_strdup(res, i, 5);
        list[i].group_name = idm_db_strdup(res, i, 6);
        list[i].group_year = idm_db_strdup(res, i, 7);
        list[i].valid_from = idm_db_strdup(res, i, 8);
        list[i].valid_until = idm_db_strdup(res, i, 9);
        list[i].source = idm_db_strdup(res, i, 10);
        list[i].active = idm_db_bool(res, i, 11);
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

void idm_grants_free(idm_grant *grants, size_t n)
{
    if (grants == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(grants[i].login);
        free(grants[i].person_uuid);
        free(grants[i].org_code);
        free(grants[i].org_name);
        free(grants[i].role);
        free(grants[i].group_name);
        free(grants[i].group_year);
        free(grants[i].valid_from);
        free(grants[i].valid_until);
        free(grants[i].source);
    }
    free(grants);
}
