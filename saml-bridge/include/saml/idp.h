/* SPDX-License-Identifier: EUPL-1.2
 * The SAML 2.0 Identity Provider as a library: one saml_idp per process,
 * shared by every HTTP worker thread. Requests go in as plain structs and
 * responses come out as plain structs, so the protocol code runs the same
 * in idmd (over libmicrohttpd) and in the in-process tests.
 */
#ifndef SAML_IDP_H
#define SAML_IDP_H

#include <stddef.h>

#include "base/common.h"
#include "base/conf.h"
#include "base/err.h"

typedef struct saml_idp saml_idp;

/**
 * Largest request body accepted on /saml/sso and /saml/slo (HTTP-POST
 * binding): a 32 KiB SAML message is 43,692 bytes of base64, ~46 KiB
 * form-encoded ('+' and '/' become %2B and %2F) with RelayState.
 */
#define SAML_BODY_MAX (64 * 1024)
/** Largest body of the login, password and logout forms. */
#define SAML_FORM_BODY_MAX (8 * 1024)
/** Largest raw request URI (path and query) accepted. */
#define SAML_URI_MAX (16 * 1024)
/** Headers a response may carry. */
#define SAML_HEADERS_MAX 16

/** One HTTP request as the transport saw it; all fields borrowed. */
typedef struct saml_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded path, e.g. "/saml/sso" */
    const char *query;  /* raw query after '?', or NULL */
    const char *body;   /* raw body, or NULL */
    size_t body_len;
    const char *content_type;    /* or NULL */
    const char *cookie;          /* raw Cookie header, or NULL */
    const char *accept_language; /* or NULL */
    const char *client_addr;     /* textual peer address */
} saml_request;

typedef struct saml_header {
    char *name;
    char *value;
} saml_header;

/** A complete response; owned by the caller, cleared with
 * saml_response_clear(). */
typedef struct saml_response {
    int status;
    char *content_type;
    char *body;
    size_t body_len;
    saml_header headers[SAML_HEADERS_MAX];
    int nheaders;
} saml_response;

/**
 * Create the IdP from the [idp] and [database] settings: loads and checks
 * the signing key and certificates, opens the database pool and loads the
 * registered service providers.
 * @param[out] out  new IdP; free with saml_idp_free(). NULL on error.
 * @param conf      borrowed; must outlive the IdP.
 * @param pool_size database connections (>= 1), usually one per thread.
 * @return 0, IDM_ECONFIG (keys, URLs), IDM_EDB / IDM_EUNAVAIL.
 */
IDM_MUST_CHECK int saml_idp_new(saml_idp **out, const idm_conf *conf,
                                int pool_size, idm_err *err);

/** Free the IdP. No request may be running. Accepts NULL. */
void saml_idp_free(saml_idp *idp);

/**
 * Handle one request; thread-safe. Never fails: errors become error pages.
 * @param[out] out  filled response; clear with saml_response_clear().
 */
void saml_idp_handle(saml_response *out, saml_idp *idp,
                     const saml_request *req);

/** Free what a response holds and zero it. Accepts NULL. */
void saml_response_clear(saml_response *resp);

/**
 * Rebuild the shared Lasso server if the registered service providers
 * changed (cheap when nothing changed). Called periodically by idmd.
 * @param force  rebuild even without a change.
 * @return 0 or an IDM_E* code; on failure the old server stays in use.
 */
IDM_MUST_CHECK int saml_idp_refresh(saml_idp *idp, int force, idm_err *err);

/**
 * Wait up to ms milliseconds for a change of the registered service
 * providers, announced by PostgreSQL (NOTIFY saml_sp from the saml_sp
 * trigger) to every node. Keeps its own listening connection, opened on
 * the first call and again after it was lost. Not thread-safe: one caller
 * (idmd's main thread).
 * @return 1 a change was announced, 2 just (re)connected so a change may
 *         have been missed: in both cases call saml_idp_refresh();
 *         0 nothing within ms;
 *         IDM_EDB / IDM_EUNAVAIL when the database cannot be reached (the
 *         caller sleeps and tries again).
 */
IDM_MUST_CHECK int saml_idp_wait_sp_change(saml_idp *idp, int ms,
                                           idm_err *err);

/**
 * Reload the rights policies ([policy] dir). An invalid policy is refused:
 * its problems are logged with file:line, counted on /metrics, and the
 * active policy stays; running requests keep the policy they started with.
 * @param force  reload now (SIGHUP); else only if a file changed (poll).
 * @return 1 reloaded, 0 unchanged, IDM_EINVAL refused.
 */
int saml_idp_policy_reload(saml_idp *idp, int force, idm_err *err);

/** Delete expired sessions, pending requests, replay entries. */
IDM_MUST_CHECK int saml_idp_housekeeping(saml_idp *idp, idm_err *err);

/**
 * Write the rejections counted in memory as audit rows, one per client
 * address, reason and minute, with their count. all = 0: finished minutes
 * only (the main thread, every few seconds); 1: everything (shutdown,
 * tests). Takes a database connection only if there is something to write.
 */
IDM_MUST_CHECK int saml_idp_reject_flush(saml_idp *idp, int all,
                                         idm_err *err);

/**
 * The Prometheus text of the metrics. Not routed by saml_idp_handle()
 * (the public port answers 404): idmd serves it on [idp] metrics_listen.
 * @param[out] out  filled response; clear with saml_response_clear().
 */
void saml_idp_metrics(saml_response *out, saml_idp *idp);

/** Record transport-level numbers (request latency) in the metrics. */
void saml_idp_observe(saml_idp *idp, const char *path, int status,
                      double seconds);

#endif /* SAML_IDP_H */
