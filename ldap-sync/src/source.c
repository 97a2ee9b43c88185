/* SPDX-License-Identifier: EUPL-1.2
 * Database side of the sync: outbox rows in commit order, and the current
 * state of persons, organisational units and groups re-read by key. Only
 * parameterised queries (idm_db_query).
 */
#include <stdint.h>
#include <string.h>

#include "lsync_int.h"

char *lsync__array_literal(GPtrArray *values)
{
    GString *s = g_string_new("{");

    for (guint i = 0; i < values->len; i++) {
        const char *v = g_ptr_array_index(values, i);
        if (i > 0) {
            g_string_append_c(s, ',');
        }
        g_string_append_c(s, '"');
        for (; *v != '\0'; v++) {
            if (*v == '"' || *v == '\\') {
                g_string_append_c(s, '\\');
            }
            g_string_append_c(s, *v);
        }
        g_string_append_c(s, '"');
    }
    g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

static void event_free(gpointer p)
{
    lsync_event *e = p;
    g_free(e->id);
    g_free(e->txid);
    g_free(e->aggregate);
    g_free(e->key);
    g_free(e->event);
    g_free(e);
}

int lsync__fetch_events(GPtrArray **out, idm_db *db, const char *txid,
                        const char *id, int limit, idm_err *err)
{
    PGresult *res = NULL;
    GPtrArray *arr = NULL;
    char lim[16];
    int rc;

    *out = NULL;
    g_snprintf(lim, sizeof(lim), "%d", limit);
    /* Commit order without skipping: only rows of transactions older than
     * every running one (txid below the snapshot's xmin) are final, and no
     * new row can ever sort before them; order by (txid, id). The ORDER
     * BY names the table's columns: a bare "id" would be the text output
     * column, sort "10" before "9" and skip events at the batch edge. */
    rc = idm_db_q(&res, db,
                  "SELECT id::text, txid::text, aggregate, key, event "
                  "FROM outbox WHERE (txid, id) > ($1::xid8, $2::bigint) "
                  "AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
                  "ORDER BY outbox.txid, outbox.id LIMIT $3::int",
                  err, txid, id, lim);
    if (rc != 0) {
        goto cleanup;
    }
    arr = g_ptr_array_new_with_free_func(event_free);
    for (int i = 0; i < PQntuples(res); i++) {
        lsync_event *e = g_new0(lsync_event, 1);
        e->id = g_strdup(PQgetvalue(res, i, 0));
        e->txid = g_strdup(PQgetvalue(res, i, 1));
        e->aggregate = g_strdup(PQgetvalue(res, i, 2));
        e->key = g_strdup(PQgetvalue(res, i, 3));
        e->event = g_strdup(PQgetvalue(res, i, 4));
        {
            idm_aggregate agg;
            e->kind = idm_aggregate_parse(&agg, e->aggregate) == 0
                          ? (int)agg
                          : -1; /* newer than this sync: not mirrored */
        }
        g_ptr_array_add(arr, e);
    }
    *out = arr;
    arr = NULL;
cleanup:
    if (arr != NULL) {
        g_ptr_array_free(arr, TRUE);
    }
    PQclear(res);
    return rc;
}

static const char *val(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

void lsync__load_free(lsync_load *load)
{
    if (load == NULL) {
        return;
    }
    PQclear(load->res_persons);
    PQclear(load->res_roles);
    PQclear(load->res_orgs);
    PQclear(load->res_groups);
    PQclear(load->res_rgroups);
    if (load->persons != NULL) {
        g_array_free(load->persons, TRUE);
    }
    if (load->roles != NULL) {
        g_array_free(load->roles, TRUE);
    }
    if (load->orgs != NULL) {
        g_array_free(load->orgs, TRUE);
    }
    if (load->groups != NULL) {
        g_array_free(load->groups, TRUE);
    }
    if (load->member_arrays != NULL) {
        g_ptr_array_free(load->member_arrays, TRUE);
    }
    g_free(load->last_person_id);
    memset(load, 0, sizeof(*load));
}

#define VALID_ROLE                                                             \
    "r.valid_from <= current_date AND (r.valid_until IS NULL OR "              \
    "r.valid_until > current_date)"

int lsync__load_persons(lsync_load *load, idm_db *db, const char *uuids,
                        const char *after_id, int limit, idm_err *err)
{
    GPtrArray *ids = NULL;
    char *lit = NULL, lim[16];
    int rc, n, j = 0;

    g_snprintf(lim, sizeof(lim), "%d", limit > 0 ? limit : 1000000000);
    PQclear(load->res_persons);
    PQclear(load->res_roles);
    load->res_roles = NULL;
    rc = idm_db_q(&load->res_persons, db,
                  "SELECT p.uuid::text, a.login, p.given_name, p.family_name, "
                  "a.status::text, a.password_hash, p.info_block, "
                  "p.processing_restricted, p.id::text "
                  "FROM person p JOIN account a ON a.person_id = p.id "
                  "WHERE ($1::uuid[] IS NOT NULL OR a.status <> 'deleted') "
                  "AND ($1::uuid[] IS NULL OR p.uuid = ANY($1::uuid[])) "
                  "AND p.id > $2::bigint ORDER BY p.id LIMIT $3::int",
                  err, uuids, after_id != NULL ? after_id : "0", lim);
    if (rc != 0) {
        goto cleanup;
    }
    n = PQntuples(load->res_persons);
    ids = g_ptr_array_new();
    for (int i = 0; i < n; i++) {
        g_ptr_array_add(ids, PQgetvalue(load->res_persons, i, 0));
    }
    g_free(load->last_person_id);
    load->last_person_id =
        n > 0 ? g_strdup(PQgetvalue(load->res_persons, n - 1, 8)) : NULL;
    lit = lsync__array_literal(ids);
    rc = idm_db_q(&load->res_roles, db,
                  "SELECT p.uuid::text, o.code, o.school_code, r.role::text "
                  "FROM role_assignment r JOIN person p ON p.id = r.person_id "
                  "JOIN org_unit o ON o.id = r.org_unit_id "
                  "WHERE p.uuid = ANY($1::uuid[]) AND " VALID_ROLE
                  " ORDER BY p.uuid, o.code, r.role",
                  err, lit);
    if (rc != 0) {
        goto cleanup;
    }
    if (load->persons != NULL) {
        g_array_free(load->persons, TRUE);
    }
    if (load->roles != NULL) {
        g_array_free(load->roles, TRUE);
    }
    load->persons = g_array_sized_new(FALSE, TRUE, sizeof(lsync_person), n);
    load->roles = g_array_sized_new(FALSE, TRUE, sizeof(lsync_role_ctx),
                                    PQntuples(load->res_roles));
    for (int r = 0; r < PQntuples(load->res_roles); r++) {
        lsync_role_ctx c;
        c.org_code = val(load->res_roles, r, 1);
        c.school_code = val(load->res_roles, r, 2);
        c.role = val(load->res_roles, r, 3);
        g_array_append_val(load->roles, c);
    }
    /* both results are ordered by UUID text? persons are by id: match
     * roles through a UUID index instead */
    {
        GHashTable *first = g_hash_table_new(g_str_hash, g_str_equal);
        GHashTable *count = g_hash_table_new(g_str_hash, g_str_equal);
        for (int r = 0; r < PQntuples(load->res_roles); r++) {
            const char *u = PQgetvalue(load->res_roles, r, 0);
            if (!g_hash_table_contains(first, u)) {
                g_hash_table_insert(first, (gpointer)(uintptr_t)u, GINT_TO_POINTER(r));
            }
            g_hash_table_insert(
                count, (gpointer)(uintptr_t)u,
                GINT_TO_POINTER(GPOINTER_TO_INT(
                                    g_hash_table_lookup(count, u)) +
                                1));
        }
        for (int i = 0; i < n; i++) {
            PGresult *res = load->res_persons;
            lsync_person p;
            const char *u = PQgetvalue(res, i, 0);
            memset(&p, 0, sizeof(p));
            p.uuid = u;
            p.login = val(res, i, 1);
            p.given_name = val(res, i, 2);
            p.family_name = val(res, i, 3);
            p.status = val(res, i, 4);
            p.password_hash = val(res, i, 5);
            p.info_block = strcmp(PQgetvalue(res, i, 6), "t") == 0;
            p.processing_restricted = strcmp(PQgetvalue(res, i, 7), "t") == 0;
            if (g_hash_table_contains(first, u)) {
                j = GPOINTER_TO_INT(g_hash_table_lookup(first, u));
                p.roles = &g_array_index(load->roles, lsync_role_ctx, j);
                p.nroles = (size_t)GPOINTER_TO_INT(
                    g_hash_table_lookup(count, u));
            }
            g_array_append_val(load->persons, p);
        }
        g_hash_table_destroy(first);
        g_hash_table_destroy(count);
    }
cleanup:
    if (ids != NULL) {
        g_ptr_array_free(ids, TRUE);
    }
    g_free(lit);
    return rc;
}

int lsync__load_orgs(lsync_load *load, idm_db *db, const char *codes,
                     idm_err *err)
{
    int rc;

    PQclear(load->res_orgs);
    load->res_orgs = NULL;
    rc = idm_db_q(&load->res_orgs, db,
                  "SELECT o.code, o.type::text, o.name, par.code, "
                  "o.school_code, b.code FROM org_unit o "
                  "LEFT JOIN org_unit par ON par.id = o.parent_id "
                  "LEFT JOIN org_unit b ON b.id = o.board_id "
                  "WHERE $1::text[] IS NULL OR o.code = ANY($1::text[]) "
                  "ORDER BY o.id",
                  err, codes);
    if (rc != 0) {
        return rc;
    }
    if (load->orgs != NULL) {
        g_array_free(load->orgs, TRUE);
    }
    load->orgs = g_array_new(FALSE, TRUE, sizeof(lsync_org));
    for (int i = 0; i < PQntuples(load->res_orgs); i++) {
        lsync_org o;
        o.code = val(load->res_orgs, i, 0);
        o.type = val(load->res_orgs, i, 1);
        o.name = val(load->res_orgs, i, 2);
        o.parent_code = val(load->res_orgs, i, 3);
        o.school_code = val(load->res_orgs, i, 4);
        o.board_code = val(load->res_orgs, i, 5);
        g_array_append_val(load->orgs, o);
    }
    return 0;
}

/* Turn rows (key columns..., login) sorted by key into lsync_group records;
 * keycols says how many leading columns identify the group. */
static void groups_from_rows(lsync_load *load, PGresult *res, int is_role)
{
    int n = PQntuples(res);
    int i = 0;

    while (i < n) {
        lsync_group g;
        int j = i;
        GPtrArray *members = g_ptr_array_new();
        int login_col = is_role ? 2 : 5;

        memset(&g, 0, sizeof(g));
        if (is_role) {
            while (j < n &&
                   strcmp(PQgetvalue(res, j, 0), PQgetvalue(res, i, 0)) == 0 &&
                   strcmp(PQgetvalue(res, j, 1), PQgetvalue(res, i, 1)) == 0) {
                j++;
            }
            g.org_code = PQgetvalue(res, i, 0);
            g.kind = "role";
            g.name = PQgetvalue(res, i, 1);
            g.year = NULL;
            g.key = PQgetvalue(res, i, 3);
        } else {
            while (j < n &&
                   strcmp(PQgetvalue(res, j, 0), PQgetvalue(res, i, 0)) == 0) {
                j++;
            }
            g.key = PQgetvalue(res, i, 6);
            g.org_code = PQgetvalue(res, i, 1);
            g.kind = PQgetvalue(res, i, 2);
            g.name = PQgetvalue(res, i, 3);
            g.year = val(res, i, 4);
        }
        for (int k = i; k < j; k++) {
            if (!PQgetisnull(res, k, login_col)) {
                g_ptr_array_add(members, PQgetvalue(res, k, login_col));
            }
        }
        g.nmembers = members->len;
        g_ptr_array_add(members, NULL);
        g.member_logins = (const char *const *)members->pdata;
        g_ptr_array_add(load->member_arrays, g_ptr_array_free(members, FALSE));
        g_array_append_val(load->groups, g);
        i = j;
    }
}

int lsync__load_groups(lsync_load *load, idm_db *db, const char *gids,
                       const char *rkeys, int all, idm_err *err)
{
    int rc;

    if (load->groups == NULL) {
        load->groups = g_array_new(FALSE, TRUE, sizeof(lsync_group));
        load->member_arrays = g_ptr_array_new_with_free_func(g_free);
    }
    if (all || gids != NULL) {
        rc = idm_db_q(
            &load->res_groups, db,
            "SELECT g.id::text, o.code, g.kind::text, g.name, g.school_year, "
            "m.login, 'g:' || g.id FROM person_group g "
            "JOIN org_unit o ON o.id = g.org_unit_id "
            "LEFT JOIN (SELECT gm.group_id, a.login FROM group_member gm "
            "  JOIN account a ON a.person_id = gm.person_id "
            "  AND a.status <> 'deleted') m ON m.group_id = g.id "
            "WHERE $1::bigint[] IS NULL OR g.id = ANY($1::bigint[]) "
            "ORDER BY g.id, m.login",
            err, all ? NULL : gids);
        if (rc != 0) {
            return rc;
        }
        groups_from_rows(load, load->res_groups, 0);
    }
    if (all || rkeys != NULL) {
        rc = idm_db_q(
            &load->res_rgroups, db,
            "SELECT DISTINCT o.code, r.role::text, a.login, "
            "'r:' || o.code || ':' || r.role::text "
            "FROM role_assignment r JOIN org_unit o ON o.id = r.org_unit_id "
            "JOIN account a ON a.person_id = r.person_id "
            "AND a.status <> 'deleted' WHERE " VALID_ROLE
            " AND ($1::text[] IS NULL OR "
            /* the org codes first, so the indexes find the rows */
            "(o.code = ANY(ARRAY(SELECT regexp_replace(k, '^r:(.*):[^:]*$', "
            "'\\1') FROM unnest($1::text[]) k)) AND "
            "('r:' || o.code || ':' || r.role::text) = ANY($1::text[]))) "
            "ORDER BY 1, 2, 3",
            err, all ? NULL : rkeys);
        if (rc != 0) {
            return rc;
        }
        groups_from_rows(load, load->res_rgroups, 1);
    }
    return 0;
}

int lsync__person_groups(GHashTable *keys, idm_db *db, const char *uuids,
                         idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    rc = idm_db_q(&res, db,
                  "SELECT 'g:' || gm.group_id FROM group_member gm "
                  "JOIN person p ON p.id = gm.person_id "
                  "WHERE p.uuid = ANY($1::uuid[]) "
                  "UNION SELECT 'r:' || o.code || ':' || r.role::text "
                  "FROM role_assignment r JOIN person p ON p.id = r.person_id "
                  "JOIN org_unit o ON o.id = r.org_unit_id "
                  "WHERE p.uuid = ANY($1::uuid[]) AND " VALID_ROLE,
                  err, uuids);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        g_hash_table_add(keys, g_strdup(PQgetvalue(res, i, 0)));
    }
    PQclear(res);
    return 0;
}

int lsync__state_logins(GHashTable *out, idm_db *db, const char *uuids,
                        idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    rc = idm_db_q(&res, db,
                  "SELECT uuid::text, login FROM lsync.person_state "
                  "WHERE uuid = ANY($1::uuid[])",
                  err, uuids);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        g_hash_table_insert(out, g_strdup(PQgetvalue(res, i, 0)),
                            g_strdup(PQgetvalue(res, i, 1)));
    }
    PQclear(res);
    return 0;
}
