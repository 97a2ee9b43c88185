/* SPDX-License-Identifier: EUPL-1.2
 * The per-request context of the web layer: the request, the response
 * being built, the request's pool, language, database connection, browser
 * token and session. Handlers of every protocol get one; the response
 * helpers add the security headers and cookies every answer carries.
 */
#ifndef WEB_CTX_H
#define WEB_CTX_H

#include <stdint.h>

#include <glib.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"
#include "idm/audit.h"
#include "idm/policy.h"
#include "web/web.h"

/* ---- the per-request pool ---- */

/** Everything a request allocates dies with it (STYLE.md section 5). */
typedef struct web_pool web_pool;
web_pool *web_pool_new(void);
/** Run the cleanups, newest first. Accepts NULL. */
void web_pool_free(web_pool *pool);
/** Run fn(ptr) when the pool dies; returns ptr. */
void *web_pool_add(web_pool *pool, void (*fn)(void *), void *ptr);
char *web_pool_strdup(web_pool *pool, const char *s);
char *web_pool_printf(web_pool *pool, const char *fmt, ...) IDM_PRINTF(2, 3);

/* ---- the context ---- */

typedef enum web_lang { WEB_LANG_DE, WEB_LANG_EN } web_lang;

typedef struct web_session {
    int64_t id;
    char person_uuid[40];
    char login[80];
    int64_t auth_instant; /* epoch seconds */
    int must_change_password;
} web_session;

struct web_ctx {
    web_site *site;
    const idm_conf *conf; /* the site's */
    const web_request *req;
    web_response *resp;
    web_pool *pool;
    web_lang lang;
    idm_db *db;  /* borrowed from the pool on first use */
    int db_busy; /* a statement is in flight on db: keep it */
    idm_actor actor;
    char *browser;                /* browser token (CSRF, pending binding) */
    int browser_new;              /* must be sent as a cookie */
    web_session session;          /* valid if session.id != 0 */
    int session_checked;          /* session looked up (found or not) */
    idm_subject *session_subject; /* the session's person, if a lookup
                                     read it (pooled), else NULL */
    char *session_token;          /* the cookie value of the session */
    idm_policy *policy; /* referenced on first use, unref'd at the end */
    int64_t fresh_auth; /* epoch of a password check in this request */
    void *proto;        /* the running route's or hook's arg */
    void *proto_data;   /* the protocol's per-request state (pooled) */
    char ref[12];       /* support reference of an error page, or "" */
};

/** The request's database connection, borrowed from the site's pool on
 * first use; given back at the end of the request. */
IDM_MUST_CHECK int web_ctx_db(idm_db **out, web_ctx *ctx, idm_err *err);
/** Hand the request's connection back to the pool unless a statement is
 * in flight (db_busy): before Lasso and signature work, so that slow or
 * hostile requests never hold one of the few connections. */
void web_ctx_db_release(web_ctx *ctx);
/** The active rights policy for this request (one reference per request),
 * or NULL if none is loaded. */
const idm_policy *web_ctx_policy(web_ctx *ctx);

/* ---- responses ---- */

/** Set a header (Set-Cookie repeats, others replace); never dropped. */
void web_resp_header(web_ctx *ctx, const char *name, const char *value);
/** The status and body (takes b). */
void web_resp_body(web_ctx *ctx, int status, const char *type, GString *b);
void web_resp_redirect(web_ctx *ctx, const char *location);
/** A cookie with Path=/, HttpOnly, Secure behind https; SameSite=None
 * for the session cookie behind https, else Lax. max_age in seconds; 0
 * deletes it, -1: a session cookie. */
void web_resp_cookie(web_ctx *ctx, const char *name, const char *value,
                     int max_age);
/** Send the browser token as a cookie now (before a redirect or a page
 * of another component that needs it bound). */
void web_resp_browser_cookie(web_ctx *ctx);
/** The name of the session cookie ("__Host-idm_s" behind https). */
const char *web_cookie_session_name(const web_ctx *ctx);

/* ---- errors ---- */

/** The HTTP status of an IDM_E* code: the one table of the project
 * (0 gives 200, an unknown code 500). */
int web_error_status(int code);

/**
 * The error page for a failed step: status from web_error_status(rc),
 * the user's text for it and the support reference; every 5xx is logged
 * with err's message and detail (event=request.fail) and the reference.
 * @param what  the failed step for the log ("session.lookup"), a literal.
 */
void web_page_fail(web_ctx *ctx, const char *what, int rc, const idm_err *err);

/* ---- audit ---- */

/** An audit row (and its log line) for this request; a failure to write
 * it is logged, never silent. A protocol names its actions after itself
 * ("saml.logout"): the log line is under that component (comp=saml). */
void web_audit(web_ctx *ctx, const char *action, const char *target,
               idm_audit_result result, const char *sp, const char *reason);
/** Only the log line of web_audit (for callers writing the row
 * themselves). */
void web_audit_log(web_ctx *ctx, const char *action, idm_audit_result result,
                   const char *sp, const char *reason);

/**
 * A rejected request from ctx's client: counted in the (action, address,
 * reason, minute) bucket that becomes one audit row action with a count
 * (web_site_reject_flush); logged once per bucket. No database access:
 * usable before any connection is taken.
 * @param action  the audit action, a string literal ("saml.authn_reject").
 * @param sp      the client (issuer) or NULL.
 * @param reason  safe for users, from a small fixed set of texts.
 */
void web_reject_note(web_ctx *ctx, const char *action, const char *sp,
                     const char *reason);

#endif /* WEB_CTX_H */
