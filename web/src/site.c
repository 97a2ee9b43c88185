/* SPDX-License-Identifier: EUPL-1.2
 * The site and request dispatch: routes registered by the pages and the
 * protocols, the per-request context, response helpers with the security
 * headers every page carries, audit rows, and the health and readiness
 * endpoints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "web/conf.h"
#include "web_int.h"

int web_site_new(web_site **out, const idm_conf *conf, int pool_size,
                 idm_err *err)
{
    const web_conf *wc = web_conf_get(conf);
    web_site *site = NULL;
    unsigned char key[32];
    int rc;

    *out = NULL;
    if (wc->pairwise_salt == NULL || strlen(wc->pairwise_salt) < 16) {
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] pairwise_salt_file must name a file with "
                           "at least 16 secret bytes");
    }
    site = idm_xcalloc(1, sizeof(*site));
    site->conf = conf;
    site->secure_cookies = strncmp(wc->base_url, "https://", 8) == 0;
    site->cookie_browser =
        site->secure_cookies ? WEB_COOKIE_BROWSER_SECURE : WEB_COOKIE_BROWSER;
    site->cookie_session =
        site->secure_cookies ? WEB_COOKIE_SESSION_SECURE : WEB_COOKIE_SESSION;
    site->cookie_device =
        site->secure_cookies ? WEB_COOKIE_DEVICE_SECURE : WEB_COOKIE_DEVICE;
    /* a key of its own from the secret, separated by label (the
     * protocols derive theirs with other labels) */
    web_hmac_sha256(key, wc->pairwise_salt, strlen(wc->pairwise_salt),
                    "csrf-token", 10);
    site->csrf_mac = web_mac_new(key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    if (site->csrf_mac == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "HMAC-SHA256 is not available");
        goto cleanup;
    }
    site->metrics = web_metrics_new();
    site->rejects = web_rejects_new();
    rc = web_dbpool_new(&site->pool, conf, pool_size, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = web_policy_open(site, err);
    if (rc != 0) {
        goto cleanup;
    }
    /* the built-in pages; protocols add theirs */
    if ((rc = web_route_add(site, "/login", WEB_GET | WEB_POST | WEB_METRIC,
                            WEB_FORM_BODY_MAX, web_login_handle, NULL, err)) !=
            0 ||
        (rc = web_route_add(site, "/password", WEB_GET | WEB_POST,
                            WEB_FORM_BODY_MAX, web_password_handle, NULL,
                            err)) != 0 ||
        (rc = web_route_add(site, "/logout", WEB_POST | WEB_METRIC,
                            WEB_FORM_BODY_MAX, web_logout_handle, NULL, err)) !=
            0 ||
        (rc = web_route_add(site, "/", WEB_GET | WEB_METRIC, 0,
                            web_portal_handle, NULL, err)) != 0) {
        goto cleanup;
    }
    *out = site;
    site = NULL;
cleanup:
    web_site_free(site);
    return rc;
}

void web_site_free(web_site *site)
{
    if (site == NULL) {
        return;
    }
    idm_policy_store_free(site->policies);
    if (site->pool != NULL) {
        idm_err err = IDM_ERR_INIT;
        /* the last minutes' rejections, before the pool goes */
        if (web_site_reject_flush(site, 1, &err) != 0) {
            idm_log(IDM_LOG_WARN, "web", "reject.flush_fail", "reason=\"%s\"",
                    err.msg);
        }
    }
    web_rejects_free(site->rejects);
    web_dbpool_free(site->pool);
    web_metrics_free(site->metrics);
    EVP_MAC_CTX_free(site->csrf_mac); /* wipes the key */
    for (int i = 0; i < site->nroutes; i++) {
        free(site->routes[i].path);
    }
    free(site);
}

const idm_conf *web_site_conf(const web_site *site)
{
    return site->conf;
}

int web_site_db_get(idm_db **out, web_site *site, idm_err *err)
{
    return web_dbpool_get(out, site->pool, err);
}

void web_site_db_put(web_site *site, idm_db *db)
{
    web_dbpool_put(site->pool, db);
}

int web_route_add(web_site *site, const char *path, unsigned flags,
                  size_t body_max, web_handler_fn fn, void *arg, idm_err *err)
{
    web_route *r;

    for (int i = 0; i < site->nroutes; i++) {
        if (strcmp(site->routes[i].path, path) == 0) {
            return idm_err_set(err, IDM_EEXISTS, "route \"%s\" is taken", path);
        }
    }
    if (site->nroutes >= WEB_ROUTES_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "too many routes");
    }
    r = &site->routes[site->nroutes++];
    r->path = idm_xstrdup(path);
    r->flags = flags;
    r->body_max = body_max;
    r->fn = fn;
    r->arg = arg;
    if ((flags & WEB_METRIC) != 0) {
        (void)web_metrics_route(site->metrics, r->path);
    }
    return 0;
}

static const web_route *route_find(const web_site *site, const char *path)
{
    for (int i = 0; i < site->nroutes; i++) {
        if (strcmp(site->routes[i].path, path) == 0) {
            return &site->routes[i];
        }
    }
    return NULL;
}

size_t web_route_body_max(const web_site *site, const char *path)
{
    const web_route *r = path != NULL ? route_find(site, path) : NULL;

    return r != NULL ? r->body_max : 0;
}

void web_site_set_hooks(web_site *site, const web_hooks *hooks)
{
    site->hooks = *hooks;
}

int web_site_add_metrics(web_site *site, web_metrics_fn fn, void *arg,
                         idm_err *err)
{
    if (site->nmetric_hooks >= WEB_METRIC_HOOKS_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "too many metric sources");
    }
    site->metric_hooks[site->nmetric_hooks].fn = fn;
    site->metric_hooks[site->nmetric_hooks].arg = arg;
    site->nmetric_hooks++;
    return 0;
}

void web_response_clear(web_response *resp)
{
    if (resp == NULL) {
        return;
    }
    free(resp->content_type);
    free(resp->body);
    for (int i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    memset(resp, 0, sizeof(*resp));
}

/* ---- context ---- */

int web_ctx_db(idm_db **out, web_ctx *ctx, idm_err *err)
{
    int rc = 0;

    if (ctx->db == NULL) {
        rc = web_dbpool_get(&ctx->db, ctx->site->pool, err);
    }
    *out = ctx->db;
    return rc;
}

void web_ctx_db_release(web_ctx *ctx)
{
    if (ctx->db != NULL && !ctx->db_busy) {
        web_dbpool_put(ctx->site->pool, ctx->db);
        ctx->db = NULL;
    }
}

void web_resp_header(web_ctx *ctx, const char *name, const char *value)
{
    web_response *r = ctx->resp;

    for (int i = 0; i < r->nheaders; i++) {
        /* Set-Cookie may repeat; others replace */
        if (strcmp(name, "Set-Cookie") != 0 &&
            strcmp(r->headers[i].name, name) == 0) {
            free(r->headers[i].value);
            r->headers[i].value = idm_xstrdup(value);
            return;
        }
    }
    if (r->nheaders == r->headers_cap) {
        /* grows: a header is never dropped */
        r->headers_cap = r->headers_cap > 0 ? r->headers_cap * 2 : 16;
        r->headers = idm_xreallocarray(r->headers, (size_t)r->headers_cap,
                                       sizeof(*r->headers));
    }
    r->headers[r->nheaders].name = idm_xstrdup(name);
    r->headers[r->nheaders].value = idm_xstrdup(value);
    r->nheaders++;
}

void web_resp_body(web_ctx *ctx, int status, const char *type, GString *b)
{
    web_response *r = ctx->resp;

    free(r->body);
    free(r->content_type);
    r->status = status;
    r->content_type = idm_xstrdup(type);
    r->body_len = b->len;
    r->body = g_string_free(b, FALSE);
}

void web_resp_redirect(web_ctx *ctx, const char *location)
{
    web_resp_header(ctx, "Location", location);
    web_resp_body(ctx, 303, "text/plain; charset=utf-8",
                  g_string_new("See Other\n"));
}

void web_resp_cookie(web_ctx *ctx, const char *name, const char *value,
                     int max_age)
{
    int session = strcmp(name, ctx->site->cookie_session) == 0;
    char age[32] = "", *c;

    /*
     * SameSite: the HTTP-POST binding arrives as a cross-site POST from
     * the SP's page, and browsers withhold Lax cookies on those, so the
     * IdP would not find the session and ask for the password again. The
     * session cookie is therefore SameSite=None behind TLS (browsers only
     * accept None with Secure); every state-changing form carries a CSRF
     * token, so cross-site requests gain nothing. Over plain http (local
     * quickstart) it falls back to Lax. The browser cookie (CSRF and
     * pending requests) and the device cookie (the login form posts
     * from our own page) never need to cross sites: Lax.
     */
    if (max_age >= 0) {
        snprintf(age, sizeof(age), "; Max-Age=%d", max_age);
    }
    c = idm_xasprintf("%s=%s; Path=/; HttpOnly%s%s%s", name,
                      value != NULL ? value : "",
                      ctx->site->secure_cookies ? "; Secure" : "",
                      session && ctx->site->secure_cookies ? "; SameSite=None"
                                                           : "; SameSite=Lax",
                      age);
    web_resp_header(ctx, "Set-Cookie", c);
    free(c);
}

void web_resp_browser_cookie(web_ctx *ctx)
{
    web_resp_cookie(ctx, ctx->site->cookie_browser, ctx->browser, -1);
}

const char *web_cookie_session_name(const web_ctx *ctx)
{
    return ctx->site->cookie_session;
}

/* The component of a protocol's audited action: protocols name their
 * actions after themselves ("saml.logout" is comp=saml); an action
 * without a namespace is logged as comp=web. The web layer's own actions
 * (login.throttled) go through web__audit with comp=web. */
static const char *action_comp(char *buf, size_t size, const char *action)
{
    size_t n = strcspn(action, ".");

    if (action[n] != '.' || n == 0 || n >= size) {
        return "web";
    }
    memcpy(buf, action, n);
    buf[n] = '\0';
    return buf;
}

static void audit_log(web_ctx *ctx, const char *comp, const char *action,
                      idm_audit_result result, const char *sp,
                      const char *reason)
{
    char qa[96], qs[256], qr[256];

    idm_log(result == IDM_AUDIT_OK ? IDM_LOG_INFO : IDM_LOG_NOTICE, comp,
            action, "from=%s sp=%s reason=%s",
            idm_log_quote(qa, sizeof(qa), ctx->actor.addr),
            idm_log_quote(qs, sizeof(qs), sp != NULL ? sp : "-"),
            idm_log_quote(qr, sizeof(qr), reason != NULL ? reason : "-"));
}

void web_audit_log(web_ctx *ctx, const char *action, idm_audit_result result,
                   const char *sp, const char *reason)
{
    char comp[32];

    audit_log(ctx, action_comp(comp, sizeof(comp), action), action, result, sp,
              reason);
}

void web_audit(web_ctx *ctx, const char *action, const char *target,
               idm_audit_result result, const char *sp, const char *reason)
{
    char comp[32];

    web__audit(ctx, action_comp(comp, sizeof(comp), action), action, target,
               result, sp, reason);
}

void web__audit(web_ctx *ctx, const char *comp, const char *action,
                const char *target, idm_audit_result result, const char *sp,
                const char *reason)
{
    json_t *j = json_object();
    char *details;
    idm_db *db = NULL;
    idm_err err = IDM_ERR_INIT;
    int rc;

    if (sp != NULL) {
        json_object_set_new(j, "sp", json_string(sp));
    }
    if (reason != NULL) {
        json_object_set_new(j, "reason", json_string(reason));
    }
    details = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    audit_log(ctx, comp, action, result, sp, reason);
    rc = web_ctx_db(&db, ctx, &err);
    /* on its own, even if the caller's transaction failed; never silent */
    if (rc == 0 && idm_db_in_tx(db)) {
        /* a caller's transaction is still open: the row cannot be
         * written on its own, which must show */
        rc = idm_err_set(&err, IDM_EINTERNAL, "audit inside a transaction");
    } else if (rc == 0) {
        rc = idm_audit_write(db, &ctx->actor, action, target, result, details,
                             &err);
    }
    if (rc != 0) {
        char qd[600];
        idm_log(IDM_LOG_ERROR, "web", "audit.fail",
                "action=%s reason=\"%s\" detail=%s", action, err.msg,
                idm_log_quote(qd, sizeof(qd), err.detail));
    }
    free(details);
}

/* ---- small endpoints ---- */

static void handle_healthz(web_ctx *ctx, void *arg)
{
    (void)arg;
    web_resp_body(ctx, 200, "text/plain; charset=utf-8", g_string_new("ok\n"));
}

static void handle_readyz(web_ctx *ctx, void *arg)
{
    const web_hooks *h = &ctx->site->hooks;
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    int ok = 1;

    (void)arg;
    if (h->ready != NULL) {
        ctx->proto = h->arg;
        ok = h->ready(ctx, h->arg);
    }
    if (ok && (web_ctx_db(&db, ctx, &err) != 0 ||
               idm_db_query(NULL, db, "SELECT 1", 0, NULL, &err) != 0)) {
        ok = 0;
    }
    web_resp_header(ctx, "Cache-Control", "no-store");
    web_resp_body(ctx, ok ? 200 : 503, "text/plain; charset=utf-8",
                  g_string_new(ok ? "ready\n" : "not ready\n"));
}

void web_site_metrics(web_response *out, web_site *site)
{
    GString *b = g_string_sized_new(8192);

    memset(out, 0, sizeof(*out));
    web_metrics_render(b, site->metrics, site);
    for (int i = 0; i < site->nmetric_hooks; i++) {
        site->metric_hooks[i].fn(b, site->metric_hooks[i].arg);
    }
    out->status = 200;
    out->content_type = idm_xstrdup("text/plain; version=0.0.4; charset=utf-8");
    out->body_len = b->len;
    out->body = g_string_free(b, FALSE);
}

static void route(web_ctx *ctx)
{
    const web_request *req = ctx->req;
    int get =
        strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    int post = strcmp(req->method, "POST") == 0;
    const web_route *r = route_find(ctx->site, req->path);

    if (r == NULL) {
        if (strcmp(req->path, "/healthz") == 0 && get) {
            handle_healthz(ctx, NULL);
            return;
        }
        if (strcmp(req->path, "/readyz") == 0 && get) {
            handle_readyz(ctx, NULL);
            return;
        }
    } else if ((get && (r->flags & WEB_GET) != 0) ||
               (post && (r->flags & WEB_POST) != 0)) {
        ctx->proto = r->arg;
        r->fn(ctx, r->arg);
        return;
    }
    web_page_error(ctx, 404, web_msg_text(ctx->lang, WEB_M_NOT_FOUND));
}

static int has_header(const web_response *out, const char *name)
{
    for (int i = 0; i < out->nheaders; i++) {
        if (strcmp(out->headers[i].name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

void web_site_handle(web_response *out, web_site *site, const web_request *req)
{
    web_ctx ctx;

    memset(out, 0, sizeof(*out));
    memset(&ctx, 0, sizeof(ctx));
    ctx.site = site;
    ctx.conf = site->conf;
    ctx.req = req;
    ctx.resp = out;
    ctx.pool = web_pool_new();
    ctx.lang = web_lang_pick(req->accept_language);
    ctx.actor.name = "anonymous";
    ctx.actor.addr = req->client_addr != NULL ? req->client_addr : "unknown";
    ctx.browser = web_pool_add(
        ctx.pool, free, web_cookie_get(req->cookie, site->cookie_browser));
    if (ctx.browser == NULL || strlen(ctx.browser) != 43) {
        ctx.browser = web_pool_add(ctx.pool, free, web_random_token());
        ctx.browser_new = 1;
    }
    route(&ctx);
    if (ctx.browser_new && out->content_type != NULL &&
        strncmp(out->content_type, "text/html", 9) == 0) {
        web_resp_cookie(&ctx, site->cookie_browser, ctx.browser, -1);
    }
    web_resp_header(&ctx, "X-Frame-Options", "DENY");
    web_resp_header(&ctx, "X-Content-Type-Options", "nosniff");
    web_resp_header(&ctx, "Referrer-Policy", "no-referrer");
    if (!has_header(out, "Content-Security-Policy")) {
        web_resp_header(&ctx, "Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; "
                        "form-action 'self'; frame-ancestors 'none'; "
                        "base-uri 'none'");
    }
    if (!has_header(out, "Cache-Control")) {
        web_resp_header(&ctx, "Cache-Control", "no-store");
    }
    if (ctx.db != NULL) {
        web_dbpool_put(site->pool, ctx.db);
    }
    idm_policy_unref(ctx.policy);
    /* the protocols' per-request state (server snapshot) dies here */
    web_pool_free(ctx.pool);
}

void web_site_observe(web_site *site, const char *path, int status,
                      double seconds)
{
    web_metrics_request(site->metrics, path, status, seconds);
}
