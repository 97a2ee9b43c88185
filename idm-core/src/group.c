/* SPDX-License-Identifier: EUPL-1.2
 * Groups of a unit (classes per school year, courses, staff groups) and
 * their memberships.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/group.h"

static int check_year(const char *year, idm_err *err)
{
    unsigned a, b;

    if (year == NULL) {
        return 0;
    }
    if (strlen(year) != 7 || !idm_digits(year, 4) || year[4] != '/' ||
        !idm_digits(year + 5, 2) || sscanf(year, "%4u/%2u", &a, &b) != 2 ||
        (a + 1) % 100 != b) {
        return idm_err_set(err, IDM_EINVAL,
                           "year: \"%s\" is not a school year like 2026/27",
                           year);
    }
    return 0;
}

int idm_group_add(idm_db *db, const idm_actor *actor, const char *org_code,
                  const char *kind, const char *name, const char *year,
                  idm_err *err)
{
    PGresult *res = NULL;
    char *details = NULL;
    int rc, tx = 0;

    if (kind == NULL ||
        (strcmp(kind, "class") != 0 && strcmp(kind, "course") != 0 &&
         strcmp(kind, "staff") != 0)) {
        return idm_err_set(err, IDM_EINVAL,
                           "kind: must be class, course or staff");
    }
    if (name == NULL || !g_utf8_validate(name, -1, NULL) || name[0] == '\0' ||
        g_utf8_strlen(name, -1) > 64) {
        return idm_err_set(err, IDM_EINVAL,
                           "name: must be 1 to 64 characters of UTF-8");
    }
    rc = check_year(year, err);
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_q(&res, db,
                  "INSERT INTO person_group (org_unit_id, kind, name, "
                  "school_year) SELECT id, $2::group_kind, $3, $4 "
                  "FROM org_unit WHERE code = $1 RETURNING id",
                  err, org_code, kind, name, year);
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err, "name: %s \"%s\"%s%s already exists at \"%s\"", kind,
                    name, year != NULL ? " " : "", year != NULL ? year : "",
                    org_code);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND,
                         "org: no organisational unit \"%s\"", org_code);
        goto cleanup;
    }
    details = idm_json_pack("{s:s, s:s, s:s, s:s?}", "org", org_code, "kind",
                            kind, "name", name, "year", year);
    {
        const idm_group_ref group = {
            .id = PQgetvalue(res, 0, 0), .org_code = org_code, .name = name};
        rc = idm_change_group(db, actor, IDM_CHANGE_GROUP_ADD, &group, details,
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
    free(details);
    return rc;
}

int idm_group_resolve(int64_t *out, idm_db *db, const char *org_code,
                      const char *name, const char *year, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    *out = 0;
    rc = idm_db_q(&res, db,
                  "SELECT g.id FROM person_group g "
                  "JOIN org_unit o ON o.id = g.org_unit_id "
                  "WHERE o.code = $1 AND g.name = $2 "
                  "AND ($3::text IS NULL OR g.school_year = $3) "
                  "ORDER BY g.school_year DESC NULLS LAST",
                  err, org_code, name, year);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(
            err, IDM_ENOTFOUND, "group: no group \"%s\"%s%s at \"%s\"", name,
            year != NULL ? " in " : "", year != NULL ? year : "", org_code);
    } else if (PQntuples(res) > 1 && year == NULL) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "group: \"%s\" exists for several school years at "
                         "\"%s\"; give --year",
                         name, org_code);
    } else {
        *out = idm_db_int(res, 0, 0);
    }
    PQclear(res);
    return rc;
}

int idm_group_list(idm_group **out, size_t *n, idm_db *db, const char *org_code,
                   idm_err *err)
{
    PGresult *res = NULL;
    idm_group *list;
    int rc, rows;

    *out = NULL;
    *n = 0;
    rc = idm_db_q(&res, db,
                  "SELECT g.id, o.code, g.kind, g.name, g.school_year, "
                  "(SELECT count(*) FROM group_member m "
                  " WHERE m.group_id = g.id) "
                  "FROM person_group g JOIN org_unit o "
                  "ON o.id = g.org_unit_id "
                  "WHERE $1::text IS NULL OR o.code = $1 "
                  "ORDER BY o.code, g.kind, g.school_year, g.name",
                  err, org_code);
    if (rc != 0) {
        return rc;
    }
    rows = PQntuples(res);
    list = idm_xcalloc((size_t)rows, sizeof(*list));
    for (int i = 0; i < rows; i++) {
        list[i].id = idm_db_int(res, i, 0);
        list[i].org_code = idm_db_strdup(res, i, 1);
        list[i].kind = idm_db_strdup(res, i, 2);
        list[i].name = idm_db_strdup(res, i, 3);
        list[i].school_year = idm_db_strdup(res, i, 4);
        list[i].members = idm_db_int(res, i, 5);
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

int idm_group_members(idm_group_member **out, size_t *n, idm_db *db,
                      const char *org_code, const char *name, const char *year,
                      idm_err *err)
{
    PGresult *res = NULL;
    idm_group_member *list;
    int64_t gid;
    char id[24];
    int rc, rows;

    *out = NULL;
    *n = 0;
    rc = idm_group_resolve(&gid, db, org_code, name, year, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(id, sizeof(id), "%lld", (long long)gid);
    rc = idm_db_q(&res, db,
                  "SELECT a.login, p.given_name, p.family_name, p.uuid "
                  "FROM group_member m JOIN person p ON p.id = m.person_id "
                  "JOIN account a ON a.person_id = p.id "
                  "WHERE m.group_id = $1::bigint "
                  "ORDER BY p.family_name, p.given_name, a.login",
                  err, id);
    if (rc != 0) {
        return rc;
    }
    rows = PQntuples(res);
    list = idm_xcalloc((size_t)rows, sizeof(*list));
    for (int i = 0; i < rows; i++) {
        list[i].login = idm_db_strdup(res, i, 0);
        list[i].given_name = idm_db_strdup(res, i, 1);
        list[i].family_name = idm_db_strdup(res, i, 2);
        list[i].uuid = idm_db_strdup(res, i, 3);
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

int idm_group_set_member(idm_db *db, const idm_actor *actor,
                         const char *org_code, const char *name,
                         const char *year, const char *login, int add,
                         idm_err *err)
{
    PGresult *res = NULL;
    char *details = NULL;
    int64_t gid;
    char id[24];
    int rc, tx = 0;

    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_group_resolve(&gid, db, org_code, name, year, err);
    if (rc != 0) {
        goto cleanup;
    }
    snprintf(id, sizeof(id), "%lld", (long long)gid);
    if (add) {
        rc = idm_db_q(&res, db,
                      "INSERT INTO group_member (group_id, person_id) "
                      "SELECT $1::bigint, a.person_id FROM account a "
                      "WHERE lower(a.login) = lower($2) "
                      "AND a.status <> 'deleted' "
                      "RETURNING (SELECT uuid FROM person WHERE id = "
                      "person_id)",
                      err, id, login);
    } else {
        rc = idm_db_q(&res, db,
                      "DELETE FROM group_member m USING account a, person p "
                      "WHERE m.group_id = $1::bigint "
                      "AND a.person_id = m.person_id AND p.id = a.person_id "
                      "AND lower(a.login) = lower($2) RETURNING p.uuid",
                      err, id, login);
    }
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err, "user: \"%s\" is already a member", login);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND,
                         add ? "user: no account \"%s\""
                             : "user: \"%s\" is not a member",
                         login);
        goto cleanup;
    }
    details = idm_json_pack("{s:s, s:s}", "uuid", PQgetvalue(res, 0, 0),
                            "login", login);
    {
        const idm_group_ref group = {
            .id = id, .org_code = org_code, .name = name};
        rc = idm_change_group(db, actor,
                              add ? IDM_CHANGE_GROUP_ADD_MEMBER
                                  : IDM_CHANGE_GROUP_REMOVE_MEMBER,
                              &group, details, err);
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
    free(details);
    return rc;
}

void idm_groups_free(idm_group *groups, size_t n)
{
    if (groups == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(groups[i].org_code);
        free(groups[i].kind);
        free(groups[i].name);
        free(groups[i].school_year);
    }
    free(groups);
}

void idm_group_members_free(idm_group_member *members, size_t n)
{
    if (members == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(members[i].login);
        free(members[i].given_name);
        free(members[i].family_name);
        free(members[i].uuid);
    }
    free(members);
}
