/* SPDX-License-Identifier: EUPL-1.2
 * SP changes pushed, not polled: a dedicated connection LISTENs on the
 * channel "saml_sp" (notified by the saml_sp trigger of migration 0006),
 * so every idmd node rebuilds its Lasso server as soon as an SP is added,
 * changed or removed. Used by idmd's main thread only.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/db.h"
#include "idp_int.h"

/* Open the listening connection. A fresh LISTEN may have missed changes
 * made while there was none, so the caller rebuilds after it (return 1). */
static int listen_open(saml_idp *idp, idm_err *err)
{
    idm_db *db = NULL;
    PGresult *res = NULL;
    int rc;

    rc = idm_db_open(&db, idp->conf, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_query(&res, db, "LISTEN saml_sp", 0, NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    idp->sp_listen = db;
    db = NULL; /* the IdP owns it now */
    rc = 2;
cleanup:
    PQclear(res);
    idm_db_close(db);
    return rc;
}

int saml_idp_wait_sp_change(saml_idp *idp, int ms, idm_err *err)
{
    PGconn *c;
    PGnotify *n;
    struct pollfd pfd;
    int got = 0, rc;

    if (idp->sp_listen == NULL) {
        return listen_open(idp, err);
    }
    c = idm_db_conn(idp->sp_listen);
    pfd.fd = PQsocket(c);
    pfd.events = POLLIN;
    pfd.revents = 0;
    rc = pfd.fd < 0 ? -1 : poll(&pfd, 1, ms);
    if (rc < 0 && errno == EINTR) {
        return 0; /* a signal: let the caller look at its flags */
    }
    if (rc > 0 && PQconsumeInput(c) == 0) {
        rc = -1;
    }
    while (rc > 0 && (n = PQnotifies(c)) != NULL) {
        got = 1;
        PQfreemem(n);
    }
    if (rc < 0 || PQstatus(c) != CONNECTION_OK) {
        /* lost: reopen on the next call, which also rebuilds */
        idm_db_close(idp->sp_listen);
        idp->sp_listen = NULL;
        return idm_err_set(err, IDM_EUNAVAIL,
                           "lost the connection that listens for SP "
                           "changes");
    }
    return got;
}
