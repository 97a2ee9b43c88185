/* SPDX-License-Identifier: EUPL-1.2
 * Organisational units: creation with tree checks, lookup and listing.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/audit.h"
#include "idm/org.h"
#include "idm/user.h"

static const char *const type_names[IDM_ORG__COUNT] = {
    [IDM_ORG_MINISTRY] = "ministry",
    [IDM_ORG_AUTHORITY] = "authority",
    [IDM_ORG_SCHOOL] = "school",
    [IDM_ORG_SCHOOL_BOARD] = "school_board",
};

const char *idm_org_type_name(idm_org_type type)
{
    if ((int)type < 0 || type >= IDM_ORG__COUNT) {
        return "unknown";
    }
    return type_names[type];
}

int idm_org_type_parse(idm_org_type *out, const char *name)
{
    for (int i = 0; i < IDM_ORG__COUNT; i++) {
        if (name != NULL && strcmp(type_names[i], name) == 0) {
            *out = (idm_org_type)i;
            return 0;
        }
    }
    return IDM_EINVAL;
}

#define ORG_COLUMNS                                                            \
    "o.id, o.code, o.type, o.name, p.code, o.school_number, o.school_code, "   \
    "b.code, to_char(o.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "         \
    "FROM org_unit o LEFT JOIN org_unit p ON p.id = o.parent_id "              \
    "LEFT JOIN org_unit b ON b.id = o.board_id "

static void org_from_row(idm_org *org, const PGresult *res, int row)
{
    char *type = idm_db_strdup(res, row, 2);

    org->id = idm_db_int(res, row, 0);
    org->code = idm_db_strdup(res, row, 1);
    if (idm_org_type_parse(&org->type, type) != 0) {
        org->type = IDM_ORG__COUNT;
    }
    free(type);
    org->name = idm_db_strdup(res, row, 3);
    org->parent_code = idm_db_strdup(res, row, 4);
    org->school_number = idm_db_strdup(res, row, 5);
    org->school_code = idm_db_strdup(res, row, 6);
    org->board_code = idm_db_strdup(res, row, 7);
    org->created_at = idm_db_strdup(res, row, 8);
}

static int check_new(const idm_org_new *o, idm_err *err)
{
    if (o->type == IDM_ORG_SCHOOL) {
        size_t len = o->school_number != NULL ? strlen(o->school_number) : 0;
        if (len < 5 || len > 6 ||
            strspn(o->school_number, "0123456789") != len) {
            return idm_err_set(err, IDM_EINVAL,
                               "number: a school number has 5 or 6 digits");
        }
        if (o->code != NULL && strcmp(o->code, o->school_number) != 0) {
            return idm_err_set(err, IDM_EINVAL,
                               "code: a school's code is its number");
        }
    } else {
        size_t len = o->code != NULL ? strlen(o->code) : 0;
        if (o->school_number != NULL) {
            return idm_err_set(err, IDM_EINVAL,
                               "number: only schools have a school number");
        }
        if (len == 0 || len > 63 ||
            strspn(o->code, "abcdefghijklmnopqrstuvwxyz0123456789-") != len ||
            o->code[0] == '-') {
            return idm_err_set(err, IDM_EINVAL,
                               "code: must be 1 to 63 characters of "
                               "[a-z0-9-]");
        }
        if (o->board_code != NULL) {
            return idm_err_set(err, IDM_EINVAL,
                               "board: only schools have a school board");
        }
    }
    if (o->type == IDM_ORG_MINISTRY && o->parent_code != NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "parent: the ministry is the root of the tree");
    }
    if (o->type != IDM_ORG_MINISTRY && o->parent_code == NULL) {
        return idm_err_set(err, IDM_EINVAL, "parent: required for a %s",
                           idm_org_type_name(o->type));
    }
    return 0;
}

int idm_org_add(idm_db *db, const idm_actor *actor, const idm_org_new *o,
                idm_err *err)
{
    const char *code = o->type == IDM_ORG_SCHOOL ? o->school_number : o->code;
    idm_org *parent = NULL, *board = NULL;
    char *details = NULL, *name = NULL;
    int rc, tx = 0;

    rc = check_new(o, err);
    if (rc != 0) {
        return rc;
    }
    /* the same rules as person names: NFC, trimmed, no control chars */
    rc = idm_name_normalize(&name, "name", o->name, err);
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    if (o->type == IDM_ORG_MINISTRY) {
        PGresult *res = NULL;
        rc = idm_db_query(&res, db,
                          "SELECT code FROM org_unit WHERE type = 'ministry'",
                          0, NULL, err);
        if (rc == 0 && PQntuples(res) > 0) {
            rc = idm_err_set(err, IDM_EEXISTS,
                             "type: the ministry \"%s\" already exists; the "
                             "tree has one root",
                             PQgetvalue(res, 0, 0));
        }
        PQclear(res);
        if (rc != 0) {
            goto cleanup;
        }
    }
    if (o->parent_code != NULL) {
        rc = idm_org_lookup(&parent, db, o->parent_code, err);
        if (rc == IDM_ENOTFOUND) {
            idm_err_msg(err, "parent: no unit with code \"%s\"",
                        o->parent_code);
        }
        if (rc != 0) {
            goto cleanup;
        }
        if (!((o->type == IDM_ORG_AUTHORITY &&
               parent->type == IDM_ORG_MINISTRY) ||
              (o->type == IDM_ORG_SCHOOL &&
               parent->type == IDM_ORG_AUTHORITY) ||
              (o->type == IDM_ORG_SCHOOL_BOARD &&
               (parent->type == IDM_ORG_MINISTRY ||
                parent->type == IDM_ORG_AUTHORITY)))) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "parent: a %s cannot be placed below the %s "
                             "\"%s\"",
                             idm_org_type_name(o->type),
                             idm_org_type_name(parent->type), parent->code);
            goto cleanup;
        }
    }
    if (o->board_code != NULL) {
        rc = idm_org_lookup(&board, db, o->board_code, err);
        if (rc == IDM_ENOTFOUND) {
            idm_err_msg(err, "board: no unit with code \"%s\"", o->board_code);
        }
        if (rc != 0) {
            goto cleanup;
        }
        if (board->type != IDM_ORG_SCHOOL_BOARD) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "board: \"%s\" is not a school board",
                             o->board_code);
            goto cleanup;
        }
    }
    rc = idm_db_q(NULL, db,
                  "INSERT INTO org_unit (code, type, name, parent_id, "
                  "school_number, board_id) VALUES ($1, $2::org_type, $3, "
                  "(SELECT id FROM org_unit WHERE code = $4), $5, "
                  "(SELECT id FROM org_unit WHERE code = $6))",
                  err, code, idm_org_type_name(o->type), name, o->parent_code,
                  o->school_number, o->board_code);
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err, "%s: a unit \"%s\" already exists",
                    o->type == IDM_ORG_SCHOOL ? "number" : "code", code);
    }
    if (rc != 0) {
        goto cleanup;
    }
    details = idm_json_pack("{s:s, s:s, s:s?, s:s?}", "type",
                            idm_org_type_name(o->type), "name", name, "parent",
                            o->parent_code, "board", o->board_code);
    {
        const idm_org_ref unit = {.code = code};
        rc = idm_change_org(db, actor, IDM_CHANGE_ORG_ADD, &unit, details, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0; /* commit ends our level whatever it returns */
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    free(details);
    g_free(name);
    idm_org_free(parent);
    idm_org_free(board);
    return rc;
}

int idm_org_lookup(idm_org **out, idm_db *db, const char *code, idm_err *err)
{
    PGresult *res = NULL;
    idm_org *org;
    int rc;

    *out = NULL;
    rc = idm_db_q(&res, db, "SELECT " ORG_COLUMNS "WHERE o.code = $1", err,
                  code);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return idm_err_set(err, IDM_ENOTFOUND, "no organisational unit \"%s\"",
                           code);
    }
    org = idm_xcalloc(1, sizeof(*org));
    org_from_row(org, res, 0);
    PQclear(res);
    *out = org;
    return 0;
}

int idm_org_list(idm_org **out, size_t *n, idm_db *db, int type,
                 const char *under, idm_err *err)
{
    PGresult *res = NULL;
    idm_org *list;
    int rc, rows;

    *out = NULL;
    *n = 0;
    rc = idm_db_q(&res, db,
                  "WITH RECURSIVE tree AS ("
                  " SELECT id, ARRAY[code] AS path FROM org_unit "
                  "  WHERE ($2::text IS NULL AND parent_id IS NULL) "
                  "     OR code = $2"
                  " UNION ALL SELECT c.id, t.path || c.code FROM org_unit c "
                  "  JOIN tree t ON c.parent_id = t.id) "
                  "SELECT " ORG_COLUMNS "JOIN tree t ON t.id = o.id "
                  "WHERE ($1::org_type IS NULL OR o.type = $1::org_type) "
                  "ORDER BY t.path",
                  err, type >= 0 ? idm_org_type_name((idm_org_type)type) : NULL,
                  under);
    if (rc != 0) {
        return rc;
    }
    rows = PQntuples(res);
    list = idm_xcalloc((size_t)rows, sizeof(*list));
    for (int i = 0; i < rows; i++) {
        org_from_row(&list[i], res, i);
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

static void org_clear(idm_org *org)
{
    free(org->code);
    free(org->name);
    free(org->parent_code);
    free(org->school_number);
    free(org->school_code);
    free(org->board_code);
    free(org->created_at);
}

void idm_org_free(idm_org *org)
{
    if (org != NULL) {
        org_clear(org);
        free(org);
    }
}

void idm_orgs_free(idm_org *orgs, size_t n)
{
    if (orgs == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        org_clear(&orgs[i]);
    }
    free(orgs);
}
