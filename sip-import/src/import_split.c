/* SPDX-License-Identifier: EUPL-1.2
 * One read-only statement over all persons, run as two halves by person
 * id at the same time on two more connections that share the import
 * transaction's snapshot: the server's part of reading a whole source on
 * two cores instead of one, with exactly the answer one statement would
 * give. Falls back to the one statement when the helpers cannot be had.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "sip/conf.h"
#include "import_int.h"

/*
 * Two helper connections in a read-only transaction on the snapshot of
 * the import's, with the import's join settings. 0, or non-zero if they
 * cannot be had (too many connections, another database): the caller
 * reads over its own connection instead.
 */
static int open_helpers(idm_db *helper[2], const idm_conf *conf,
                        const char *snapshot, int stale_stats)
{
    char *sql;
    int rc = 0;

    /* an exported snapshot is hex digits and dashes: safe as a literal,
     * which SET TRANSACTION SNAPSHOT requires */
    if (snapshot[0] == '\0' ||
        snapshot[strspn(snapshot, "0123456789ABCDEF-")] != '\0') {
        return -1;
    }
    sql = g_strdup_printf(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
        "SET TRANSACTION SNAPSHOT '%s'; SET LOCAL enable_hashjoin = off%s",
        snapshot, stale_stats ? "; SET LOCAL enable_nestloop = off" : "");
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = idm_db_open(&helper[i], conf, NULL);
        if (rc == 0) {
            rc = idm_db_exec_script(helper[i], sql, NULL);
        }
    }
    g_free(sql);
    return rc;
}

/* Read both results as they arrive: a helper whose output nobody reads
 * stops once its socket buffer is full. */
static int read_both(idm_db *helper[2], idm_err *err)
{
    PGconn *conn[2] = {idm_db_conn(helper[0]), idm_db_conn(helper[1])};
    int busy[2] = {1, 1};

    while (busy[0] || busy[1]) {
        struct pollfd fds[2];
        int which[2];
        nfds_t n = 0;
        for (int i = 0; i < 2; i++) {
            if (busy[i]) {
                fds[n].fd = PQsocket(conn[i]);
                fds[n].events = POLLIN;
                fds[n].revents = 0;
                which[n++] = i;
            }
        }
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return idm_err_set(err, IDM_EIO, "%s", idm_strerror(IDM_EIO));
        }
        for (nfds_t j = 0; j < n; j++) {
            const int i = which[j];
            if (fds[j].revents == 0) {
                continue;
            }
            /* a lost connection shows as the error result later */
            busy[i] = PQconsumeInput(conn[i]) == 1 && PQisBusy(conn[i]);
        }
    }
    return 0;
}

int sip_import__query_split(PGresult *out[2], idm_db *db, const idm_conf *conf,
                            int stale_stats, const char *sql,
                            const char *param1, const char *param2,
                            idm_err *err)
{
    PGresult *res = NULL;
    idm_db *helper[2] = {NULL, NULL};
    char mid[24];
    const char *params[2][4];
    int rc, sent[2] = {0, 0};

    out[0] = out[1] = NULL;
    /* the snapshot first: the ids below are those it sees */
    rc = idm_db_query(&res, db,
                      "SELECT pg_export_snapshot(), coalesce(min(id), 0), "
                      "coalesce(max(id), 0) + 1 FROM person",
                      0, NULL, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(mid, sizeof(mid), "%" PRId64,
             (idm_db_int(res, 0, 1) + idm_db_int(res, 0, 2)) / 2);
    params[0][0] = params[1][0] = param1;
    params[0][1] = params[1][1] = param2;
    params[0][2] = PQgetvalue(res, 0, 1);
    params[0][3] = params[1][2] = mid;
    params[1][3] = PQgetvalue(res, 0, 2);
    if (sip_import_conf_get(conf)->plan_connections < 2 ||
        open_helpers(helper, conf, PQgetvalue(res, 0, 0), stale_stats) != 0) {
        /* one statement over all ids, on the import's connection */
        params[0][3] = params[1][3];
        rc = sip_import__query_joins(&out[0], db, IMPORT_JOIN_MERGE, sql, 4,
                                     params[0], err);
        goto cleanup;
    }
    for (int i = 0; i < 2 && rc == 0; i++) {
        rc = idm_db_send_prepared(helper[i], sql, 4, params[i], err);
        sent[i] = rc == 0;
    }
    if (rc == 0) {
        rc = read_both(helper, err);
    }
    /* every send needs its wait, also after an error */
    for (int i = 0; i < 2; i++) {
        if (sent[i]) {
            int wrc = idm_db_wait(&out[i], helper[i], rc == 0 ? err : NULL);
            rc = rc != 0 ? rc : wrc;
        }
    }
    if (rc != 0) {
        PQclear(out[0]);
        PQclear(out[1]);
        out[0] = out[1] = NULL;
    }
cleanup:
    idm_db_close(helper[0]);
    idm_db_close(helper[1]);
    PQclear(res);
    return rc;
}
