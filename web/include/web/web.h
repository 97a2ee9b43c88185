/* SPDX-License-Identifier: EUPL-1.2
 * The web layer as a library: one web_site per process, shared by every
 * HTTP worker thread. Requests go in and responses come out as plain
 * structs, so pages and protocols run the same in idmd (over
 * libmicrohttpd, web/http.h) and in the in-process tests. A protocol
 * (SAML, later OpenID Connect) plugs in by registering its routes, the
 * hooks of the login pages and its own metric lines.
 */
#ifndef WEB_WEB_H
#define WEB_WEB_H

#include <stddef.h>

#include <glib.h>

#include "base/common.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"

typedef struct web_site web_site;
typedef struct web_ctx web_ctx;

/** Largest body of the login, password and logout forms. */
#define WEB_FORM_BODY_MAX (8 * 1024)
/** Largest raw request URI (path and query) accepted. */
#define WEB_URI_MAX (16 * 1024)

/** One HTTP request as the transport saw it; all fields borrowed. */
typedef struct web_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded path, e.g. "/saml/sso" */
    const char *query;  /* raw query after '?', or NULL */
    const char *body;   /* raw body, or NULL */
    size_t body_len;
    const char *content_type;    /* or NULL */
    const char *cookie;          /* raw Cookie header, or NULL */
    const char *accept_language; /* or NULL */
    const char *client_addr;     /* textual peer address */
} web_request;

typedef struct web_header {
    char *name;
    char *value;
} web_header;

/** A complete response; owned by the caller, cleared with
 * web_response_clear(). headers grows as needed (no header is dropped). */
typedef struct web_response {
    int status;
    char *content_type;
    char *body;
    size_t body_len;
    web_header *headers;
    int nheaders;
    int headers_cap;
} web_response;

/**
 * Create the site from the [idp] and [database] settings: cookie names
 * (with the __Host- prefix behind https), the CSRF key, the database pool,
 * the rights policies, and the built-in routes: /healthz, /readyz,
 * /login, /password, /logout and / (portal).
 * @param[out] out  new site; free with web_site_free(). NULL on error.
 * @param conf      borrowed; must outlive the site.
 * @param pool_size database connections (>= 1), usually one per thread.
 * @return 0, IDM_ECONFIG (secret, policy), IDM_EDB / IDM_EUNAVAIL.
 */
IDM_MUST_CHECK int web_site_new(web_site **out, const idm_conf *conf,
                                int pool_size, idm_err *err);

/** Free the site: writes the rejections still counted. No request may be
 * running; free the protocols registered on it first. Accepts NULL. */
void web_site_free(web_site *site);

/** The configuration the site was created with (borrowed). */
const idm_conf *web_site_conf(const web_site *site);

/** Borrow a database connection of the site's pool (waits for one);
 * give it back with web_site_db_put(). */
IDM_MUST_CHECK int web_site_db_get(idm_db **out, web_site *site, idm_err *err);
void web_site_db_put(web_site *site, idm_db *db);

/** Methods a route answers (HEAD counts as GET). */
#define WEB_GET 1u
#define WEB_POST 2u
/** The route has its own label on idmd_http_requests_total and the
 * latency histogram (else it counts as "other"). */
#define WEB_METRIC 4u

/** A route handler: fills ctx->resp. arg is the one given at
 * registration (also in ctx->proto while the handler runs). */
typedef void (*web_handler_fn)(web_ctx *ctx, void *arg);

/**
 * Register a route: exact path, methods and flags (WEB_GET, WEB_POST,
 * WEB_METRIC), the largest body accepted (0: none; the transport refuses
 * more before reading it). Only before requests are served.
 * @return 0, IDM_EEXISTS (path taken), IDM_ETOOBIG (too many routes).
 */
IDM_MUST_CHECK int web_route_add(web_site *site, const char *path,
                                 unsigned flags, size_t body_max,
                                 web_handler_fn fn, void *arg, idm_err *err);

/** The body cap of a path (0 for an unknown path). */
size_t web_route_body_max(const web_site *site, const char *path);

/**
 * What the login pages ask the protocol; every hook gets ctx with
 * ctx->proto set to arg. All optional (NULL: the portal instead).
 */
typedef struct web_hooks {
    void *arg;
    /* A password was just checked for login (pending: the protocol's
     * request id from the login form, or NULL): create the session
     * (web_session_create) unless the protocol answers without one, then
     * continue the request, the forced password change or the portal. */
    void (*login_done)(web_ctx *ctx, void *arg, const char *pending,
                       const char *uuid, const char *login, int must_change);
    /* The browser has a session: continue the pending request (NULL:
     * portal). */
    void (*resume)(web_ctx *ctx, void *arg, const char *pending);
    /* Whether the pending request asks for the password again (ForceAuthn,
     * reauth); 0 or an IDM_E* code. */
    int (*pending_force)(int *force_out, web_ctx *ctx, void *arg,
                         const char *pending, idm_err *err);
    /* The person's own logout (POST /logout, CSRF checked): end the
     * protocol sessions and the web session, answer the browser. */
    void (*logout)(web_ctx *ctx, void *arg);
    /* The link that starts the application app_key from the portal
     * (free()), or NULL if no client of the protocol serves it. */
    char *(*app_link)(web_ctx *ctx, void *arg, const char *app_key);
    /* 1 if the protocol can serve (keys loaded, registry built): part of
     * /readyz, checked before the database. */
    int (*ready)(web_ctx *ctx, void *arg);
} web_hooks;

/** Install the hooks of the (one) protocol behind the login pages. */
void web_site_set_hooks(web_site *site, const web_hooks *hooks);

/** A protocol's own lines of the /metrics text, appended after the
 * site's. */
typedef void (*web_metrics_fn)(GString *out, void *arg);
/** @return 0 or IDM_ETOOBIG (too many). */
IDM_MUST_CHECK int web_site_add_metrics(web_site *site, web_metrics_fn fn,
                                        void *arg, idm_err *err);

/**
 * Handle one request; thread-safe. Never fails: errors become error pages.
 * @param[out] out  filled response; clear with web_response_clear().
 */
void web_site_handle(web_response *out, web_site *site, const web_request *req);

/** Free what a response holds and zero it. Accepts NULL. */
void web_response_clear(web_response *resp);

/**
 * Reload the rights policies ([policy] dir). An invalid policy is refused:
 * its problems are logged with file:line, counted on /metrics, and the
 * active policy stays; running requests keep the policy they started with.
 * @param force  reload now (SIGHUP); else only if a file changed (poll).
 * @return 1 reloaded, 0 unchanged, IDM_EINVAL refused.
 */
int web_site_policy_reload(web_site *site, int force, idm_err *err);

/**
 * Write the rejections counted in memory as audit rows, one per client
 * address, action, reason and minute, with their count. all = 0: finished
 * minutes only (the main thread, every few seconds); 1: everything
 * (shutdown, tests). Takes a database connection only if there is
 * something to write.
 */
IDM_MUST_CHECK int web_site_reject_flush(web_site *site, int all, idm_err *err);

/**
 * The Prometheus text of the metrics. Not routed by web_site_handle()
 * (the public port answers 404): idmd serves it on [idp] metrics_listen.
 * @param[out] out  filled response; clear with web_response_clear().
 */
void web_site_metrics(web_response *out, web_site *site);

/** Record transport-level numbers (request latency) in the metrics. */
void web_site_observe(web_site *site, const char *path, int status,
                      double seconds);

#endif /* WEB_WEB_H */
