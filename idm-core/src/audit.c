/* SPDX-License-Identifier: EUPL-1.2
 * Audit log and outbox writers, and the audit reader for "idmctl audit".
 */
#include <stdio.h>
#include <stdlib.h>

#include "core_int.h"
#include "idm/audit.h"

static const char *const result_names[] = {
    [IDM_AUDIT_OK] = "ok",
    [IDM_AUDIT_DENIED] = "denied",
    [IDM_AUDIT_FAILED] = "failed",
};

int idm_audit_write(idm_db *db, const idm_actor *actor, const char *action,
                    const char *target, idm_audit_result result,
                    const char *details, idm_err *err)
{
    return idm_db_q(NULL, db,
                     "INSERT INTO audit_log (actor, addr, action, target, "
                     "result, details) "
                     "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
                     err, actor->name, actor->addr != NULL ? actor->addr : "",
                     action, target, result_names[result], details);
}

void idm_audit_write_detached(idm_db *db, const idm_actor *actor,
                              const char *action, const char *target,
                              idm_audit_result result, const char *details)
{
    /* Called after a failure: the transaction is gone, write on its own. */
    if (idm_db_in_tx(db)) {
        return;
    }
    if (idm_audit_write(db, actor, action, target, result, details, NULL) !=
        0) {
        /* best effort: the caller is already reporting a failure */
    }
}

int idm_outbox_append(idm_db *db, const char *aggregate, const char *key,
                      const char *event, const char *payload, idm_err *err)
{
    return idm_db_q(NULL, db,
                     "INSERT INTO outbox (aggregate, key, event, payload) "
                     "VALUES ($1, $2, $3, $4::jsonb)",
                     err, aggregate, key, event, payload);
}

int idm_change_record(idm_db *db, const idm_actor *actor, const idm_change *c,
                      idm_err *err)
{
    int rc = idm_audit_write(db, actor, c->action, c->target, IDM_AUDIT_OK,
                             c->details, err);

    if (rc != 0) {
        return rc;
    }
    return idm_outbox_append(db, c->aggregate, c->key, c->event, c->details,
                             err);
}

int idm_audit_list(idm_audit_entry **out, size_t *n, idm_db *db,
                   const idm_audit_filter *filter, idm_err *err)
{
    PGresult *res = NULL;
    idm_audit_entry *list = NULL;
    char limit[16];
    int rc, rows;

    *out = NULL;
    *n = 0;
    snprintf(limit, sizeof(limit), "%d",
             filter->limit > 0 ? filter->limit : 100);
    rc = idm_db_q(&res, db,
                   "SELECT id, to_char(at AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor, addr, action, "
                   "target, result, details::text FROM audit_log "
                   "WHERE ($1::text IS NULL OR actor = $1) "
                   "AND ($2::text IS NULL OR starts_with(action, $2)) "
                   "AND ($3::text IS NULL OR target = $3) "
                   "ORDER BY id DESC LIMIT $4::int",
                   err, filter->actor, filter->action, filter->target, limit);
    if (rc != 0) {
        return rc;
    }
    rows = PQntuples(res);
    list = idm_xcalloc((size_t)rows, sizeof(*list));
    for (int i = 0; i < rows; i++) {
        list[i].id = idm_db_int(res, i, 0);
        list[i].at = idm_db_strdup(res, i, 1);
        list[i].actor = idm_db_strdup(res, i, 2);
        list[i].addr = idm_db_strdup(res, i, 3);
        list[i].action = idm_db_strdup(res, i, 4);
        list[i].target = idm_db_strdup(res, i, 5);
        list[i].result = idm_db_strdup(res, i, 6);
        list[i].details = idm_db_strdup(res, i, 7);
    }
    PQclear(res);
    *out = list;
    *n = (size_t)rows;
    return 0;
}

void idm_audit_entries_free(idm_audit_entry *entries, size_t n)
{
    if (entries == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(entries[i].at);
        free(entries[i].actor);
        free(entries[i].addr);
        free(entries[i].action);
        free(entries[i].target);
        free(entries[i].result);
        free(entries[i].details);
    }
    free(entries);
}
