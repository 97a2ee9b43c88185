/* SPDX-License-Identifier: EUPL-1.2
 * Internals of the web layer shared by its own files only: the site
 * object, the route table, the database pool, the metrics and the
 * rejection buckets, the rights policy store and the built-in pages.
 */
#ifndef WEB_INT_H
#define WEB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <glib.h>
#include <openssl/evp.h>

#include "base/alloc.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"
#include "base/log.h"
#include "idm/policy.h"
#include "web/codec.h"
#include "web/ctx.h"
#include "web/pages.h"
#include "web/session.h"
#include "web/web.h"

/* ---- database pool (dbpool.c) ---- */

typedef struct web_dbpool web_dbpool;
int web_dbpool_new(web_dbpool **out, const idm_conf *conf, int size,
                   idm_err *err);
void web_dbpool_free(web_dbpool *pool);
/* Borrow a connection (waits); reconnects a broken one. */
int web_dbpool_get(idm_db **out, web_dbpool *pool, idm_err *err);
void web_dbpool_put(web_dbpool *pool, idm_db *db);
void web_dbpool_stats(web_dbpool *pool, int *size, int *in_use);

/* ---- metrics (metrics.c) ---- */

typedef struct web_metrics web_metrics;
web_metrics *web_metrics_new(void);
void web_metrics_free(web_metrics *m);
/* Route labels: index 0..n-1 for the routes flagged WEB_METRIC, in the
 * order registered; "other" for the rest. */
int web_metrics_route(web_metrics *m, const char *path);
void web_metrics_request(web_metrics *m, const char *route, int status,
                         double seconds);
void web_metrics_login(web_metrics *m, int ok);
void web_metrics_render(GString *out, web_metrics *m, web_site *site);

/* ---- rejected requests (reject.c) ---- */

typedef struct web_rejects web_rejects;
web_rejects *web_rejects_new(void);
void web_rejects_free(web_rejects *r);

/* ---- the site ---- */

/*
 * Cookie names. Behind https they carry the __Host- prefix (RFC 6265bis
 * 4.1.3.2): the browser then accepts them only with Secure, Path=/ and no
 * Domain, so a sibling host under the same domain cannot plant or shadow
 * them. Over plain http (local quickstart) browsers refuse the prefix.
 */
#define WEB_COOKIE_BROWSER "idm_b"
#define WEB_COOKIE_SESSION "idm_s"
#define WEB_COOKIE_DEVICE "idm_d"
#define WEB_COOKIE_BROWSER_SECURE "__Host-idm_b"
#define WEB_COOKIE_SESSION_SECURE "__Host-idm_s"
#define WEB_COOKIE_DEVICE_SECURE "__Host-idm_d"

#define WEB_ROUTES_MAX 32
#define WEB_METRIC_HOOKS_MAX 4

typedef struct web_route {
    char *path;
    unsigned flags; /* WEB_GET, WEB_POST, WEB_METRIC */
    size_t body_max;
    web_handler_fn fn;
    void *arg;
} web_route;

struct web_site {
    const idm_conf *conf;
    int secure_cookies; /* base URL is https */
    /* cookie names: WEB_COOKIE_*, with the __Host- prefix behind https */
    const char *cookie_browser;
    const char *cookie_session;
    const char *cookie_device;
    EVP_MAC_CTX *csrf_mac; /* keyed HMAC of CSRF tokens */
    web_dbpool *pool;
    web_metrics *metrics;
    web_rejects *rejects;        /* rejection counts (reject.c) */
    idm_policy_store *policies;  /* rights policies (policy.c) */
    atomic_ulong policy_reloads; /* successful reloads, for metrics */
    web_route routes[WEB_ROUTES_MAX];
    int nroutes;
    web_hooks hooks;
    struct {
        web_metrics_fn fn;
        void *arg;
    } metric_hooks[WEB_METRIC_HOOKS_MAX];
    int nmetric_hooks;
};

/* policy.c: the rights policy store at the site */
int web_policy_open(web_site *site, idm_err *err);
/* Reloads refused since start (metrics). */
unsigned web_site__policy_refused(const web_site *site);

/* errors.c: the support reference line of an error page (and the log
 * line of a 5xx not logged yet) */
void web__error_ref(web_ctx *ctx, GString *page, int status);

/* session.c: the device token (idm-core's idm/device.h) in cookie idm_d:
 * the browser's (pooled) or NULL; a new one sent with max-age
 * [password] device_days, then wiped ("" sends nothing) */
const char *web_device_token(web_ctx *ctx);
void web_device_set(web_ctx *ctx, char *token);

/* site.c: web_audit with the log line under comp (the web layer's own
 * actions are comp=web; web_audit takes a protocol's from the action) */
void web__audit(web_ctx *ctx, const char *comp, const char *action,
                const char *target, idm_audit_result result, const char *sp,
                const char *reason);

/* login.c: the built-in pages */
void web_login_handle(web_ctx *ctx, void *arg);
void web_logout_handle(web_ctx *ctx, void *arg);
void web_portal_handle(web_ctx *ctx, void *arg);
void web_password_handle(web_ctx *ctx, void *arg);

#endif /* WEB_INT_H */
