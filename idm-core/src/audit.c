/* SPDX-License-Identifier: EUPL-1.2
 * Audit log and outbox writers (typed change records, staged changes of
 * set-based writers, detached audit entries) and the audit reader for
 * "idmctl audit".
 */
#include <assert.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
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

int idm_audit_write_detached(idm_db *db, const idm_actor *actor,
                             const char *action, const char *target,
                             idm_audit_result result, const char *details)
{
    idm_err err = IDM_ERR_INIT;
    char qa[96], qt[160], qm[300], qd[600];
    int rc;

    /* Called after a failure: the transaction is gone, write on its own.
     * Inside an open one the entry would vanish with its rollback. */
    if (idm_db_in_tx(db)) {
        rc = idm_err_set(&err, IDM_EINTERNAL,
                         "audit entry written while a transaction is open");
    } else {
        rc = idm_audit_write(db, actor, action, target, result, details, &err);
    }
    if (rc != 0) {
        /* the caller reports its own failure: this one goes to the log,
         * every time, so that no refusal goes unaudited unnoticed */
        idm_log(IDM_LOG_ERROR, "idm", "audit.lost",
                "action=%s target=%s result=%s msg=%s detail=%s",
                idm_log_quote(qa, sizeof(qa), action),
                idm_log_quote(qt, sizeof(qt), target != NULL ? target : ""),
                result_names[result], idm_log_quote(qm, sizeof(qm), err.msg),
                idm_log_quote(qd, sizeof(qd), err.detail));
    }
    return rc;
}

static int outbox_append(idm_db *db, idm_event event, const char *key,
                         const char *payload, idm_err *err)
{
    return idm_db_q(NULL, db,
                    "INSERT INTO outbox (aggregate, key, event, payload) "
                    "VALUES ($1, $2, $3, $4::jsonb)",
                    err, idm_aggregate_name(idm_event_aggregate(event)), key,
                    idm_event_name(event), payload);
}

/* One audit entry and one outbox event; aggregate is the subject's. */
static int change_record(idm_db *db, const idm_actor *actor,
                         idm_change_kind kind, idm_aggregate aggregate,
                         const char *key, const char *target,
                         const char *details, idm_err *err)
{
    idm_event event = idm_change_event(kind);
    int rc;

    if (idm_event_aggregate(event) != aggregate || key == NULL) {
        assert(!"change of another aggregate, or without key");
        return idm_err_set(err, IDM_EINTERNAL, "change \"%s\" of %s refused",
                           idm_change_action(kind),
                           idm_aggregate_name(aggregate));
    }
    rc = idm_audit_write(db, actor, idm_change_action(kind), target,
                         IDM_AUDIT_OK, details, err);
    if (rc != 0) {
        return rc;
    }
    return outbox_append(db, event, key, details, err);
}

int idm_change_person(idm_db *db, const idm_actor *actor, idm_change_kind kind,
                      const idm_person_ref *person, const char *details,
                      idm_err *err)
{
    return change_record(db, actor, kind, IDM_AGGREGATE_PERSON, person->uuid,
                         person->login, details, err);
}

int idm_change_org(idm_db *db, const idm_actor *actor, idm_change_kind kind,
                   const idm_org_ref *org, const char *details, idm_err *err)
{
    return change_record(db, actor, kind, IDM_AGGREGATE_ORG, org->code,
                         org->code, details, err);
}

int idm_change_group(idm_db *db, const idm_actor *actor, idm_change_kind kind,
                     const idm_group_ref *group, const char *details,
                     idm_err *err)
{
    char *target = idm_xasprintf("%s/%s", group->org_code, group->name);
    int rc = change_record(db, actor, kind, IDM_AGGREGATE_GROUP, group->id,
                           target, details, err);

    free(target);
    return rc;
}

int idm_outbox_person(idm_db *db, idm_event event, const idm_person_ref *person,
                      const char *payload, idm_err *err)
{
    if (idm_event_aggregate(event) != IDM_AGGREGATE_PERSON ||
        person->uuid == NULL) {
        assert(!"event of another aggregate, or without key");
        return idm_err_set(err, IDM_EINTERNAL, "event \"%s\" refused",
                           idm_event_name(event));
    }
    return outbox_append(db, event, person->uuid, payload, err);
}

/* ---- staged changes of set-based writers ------------------------------- */

int idm_change_stage_begin(idm_db *db, idm_err *err)
{
    /* the CHECK names every change of the list, so that a row the outbox
     * write could not map to an event fails at once */
    GString *sql = g_string_new(
        "CREATE TEMP TABLE idm_change_stage (seq bigint GENERATED ALWAYS AS "
        "IDENTITY PRIMARY KEY, change text NOT NULL CHECK (change IN (");
    int rc;

    for (int i = 0; i < IDM_CHANGE__COUNT; i++) {
        g_string_append_printf(sql, "%s'%s'", i > 0 ? ", " : "",
                               idm_change_action((idm_change_kind)i));
    }
    g_string_append(sql, ")), target text, key text NOT NULL, "
                         "details jsonb) ON COMMIT DROP");
    rc = idm_db_exec_script(db, sql->str, err);
    g_string_free(sql, TRUE);
    return rc;
}

int idm_change_stage_audit(idm_db *db, const idm_actor *actor, idm_err *err)
{
    return idm_db_q(NULL, db,
                    "INSERT INTO audit_log (actor, addr, action, target, "
                    "result, details) SELECT $1, $2, change, target, 'ok', "
                    "details FROM idm_change_stage ORDER BY seq",
                    err, actor->name, actor->addr != NULL ? actor->addr : "");
}

int idm_change_stage_outbox(idm_db *db, idm_err *err)
{
    /* (change, aggregate, event) of the list, joined by change */
    GString *sql =
        g_string_new("INSERT INTO outbox (aggregate, key, event, payload) "
                     "SELECT m.aggregate, s.key, m.event, s.details "
                     "FROM idm_change_stage s JOIN (VALUES ");
    int rc;

    for (int i = 0; i < IDM_CHANGE__COUNT; i++) {
        idm_event ev = idm_change_event((idm_change_kind)i);
        g_string_append_printf(sql, "%s('%s', '%s', '%s')", i > 0 ? ", " : "",
                               idm_change_action((idm_change_kind)i),
                               idm_aggregate_name(idm_event_aggregate(ev)),
                               idm_event_name(ev));
    }
    g_string_append(sql, ") m (change, aggregate, event) "
                         "ON m.change = s.change ORDER BY s.seq");
    rc = idm_db_query(NULL, db, sql->str, 0, NULL, err);
    g_string_free(sql, TRUE);
    return rc;
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
