/* SPDX-License-Identifier: EUPL-1.2
 * --status and --list-parked: metrics and parked events from the sync's
 * tables, as key=value lines. Needs only PostgreSQL.
 */
#include <string.h>

#include "lsync_int.h"

static void kv(FILE *fp, const char *key, const char *value)
{
    char q[600];
    if (value == NULL) {
        fprintf(fp, "%s=\n", key);
    } else if (strpbrk(value, " \"\\=") != NULL) {
        fprintf(fp, "%s=%s\n", key, idm_log_quote(q, sizeof(q), value));
    } else {
        fprintf(fp, "%s=%s\n", key, value);
    }
}

int lsync_status_print(idm_db *db, FILE *fp, idm_err *err)
{
    PGresult *res = NULL;
    int rc;
    static const char *const keys[] = {
        "last_id",     "backlog",      "lag_seconds", "applied_total",
        "parked_total", "parked_open", "batches_total", "last_ok_at",
        "last_error",  "last_error_at"};

    rc = lsync_schema_check(db, err);
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_query(
        &res, db,
        "SELECT c.last_id::text, "
        " (SELECT count(*) FROM outbox o WHERE (o.txid, o.id) > "
        "  (c.last_txid, c.last_id))::text, "
        " coalesce(round(extract(epoch FROM now() - (SELECT min(o.at) FROM "
        "  outbox o WHERE (o.txid, o.id) > (c.last_txid, c.last_id))), 3), "
        "  0)::text, "
        " c.applied_total::text, c.parked_total::text, "
        " (SELECT count(*) FROM lsync.parked WHERE resolved_at IS NULL)::text, "
        " c.batches_total::text, "
        " to_char(c.last_ok_at AT TIME ZONE 'UTC', "
        "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), c.last_error, "
        " to_char(c.last_error_at AT TIME ZONE 'UTC', "
        "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM lsync.checkpoint c WHERE c.id = 1",
        0, NULL, err);
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < 10; i++) {
        kv(fp, keys[i], PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i));
    }
    PQclear(res);
    return 0;
}

int lsync_parked_print(idm_db *db, FILE *fp, int all, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    rc = lsync_schema_check(db, err);
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_q(&res, db,
                  "SELECT id::text, coalesce(outbox_id::text, ''), aggregate, "
                  "key, coalesce(event, ''), coalesce(dn, ''), "
                  "coalesce(ldap_code::text, ''), reason, "
                  "to_char(parked_at AT TIME ZONE 'UTC', "
                  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                  "CASE WHEN resolved_at IS NULL THEN 'no' ELSE 'yes' END "
                  "FROM lsync.parked WHERE $1::boolean OR resolved_at IS NULL "
                  "ORDER BY parked.id",
                  err, all ? "t" : "f");
    if (rc != 0) {
        return rc;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        char q1[600], q2[600], q3[200];
        fprintf(fp,
                "parked id=%s outbox_id=%s aggregate=%s key=%s event=%s "
                "dn=%s ldap_code=%s reason=%s at=%s resolved=%s\n",
                PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                PQgetvalue(res, i, 2),
                idm_log_quote(q3, sizeof(q3), PQgetvalue(res, i, 3)),
                PQgetvalue(res, i, 4),
                idm_log_quote(q1, sizeof(q1), PQgetvalue(res, i, 5)),
                PQgetvalue(res, i, 6),
                idm_log_quote(q2, sizeof(q2), PQgetvalue(res, i, 7)),
                PQgetvalue(res, i, 8), PQgetvalue(res, i, 9));
    }
    fprintf(fp, "parked_count=%d\n", PQntuples(res));
    PQclear(res);
    return 0;
}
