/* SPDX-License-Identifier: EUPL-1.2
 * The IdP object and request dispatch: routing, the per-request context
 * and pool, response helpers with the security headers every page
 * carries, the health, readiness and metadata endpoints, and the metrics
 * text (served by http.c on its own listener, never on the public port).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "saml_int.h"

static pthread_once_t lasso_once = PTHREAD_ONCE_INIT;
static int lasso_rc;

static void init_lasso(void)
{
    /* Lasso and xmlsec initialise global state: once, before threads */
    lasso_rc = lasso_init();
}

int saml__lasso_init(void)
{
    pthread_once(&lasso_once, init_lasso);
    return lasso_rc;
}

int saml_idp_new(saml_idp **out, const idm_conf *conf, int pool_size,
                 idm_err *err)
{
    saml_idp *idp = NULL;
    unsigned char key[32];
    int rc;

    *out = NULL;
    if (saml__lasso_init() != 0) {
        return idm_err_set(err, IDM_EINTERNAL, "could not initialise Lasso");
    }
    if (conf->idp_pairwise_salt == NULL ||
        strlen(conf->idp_pairwise_salt) < 16) {
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] pairwise_salt_file must name a file with "
                           "at least 16 secret bytes");
    }
    idp = idm_xcalloc(1, sizeof(*idp));
    idp->conf = conf;
    pthread_mutex_init(&idp->srv_lock, NULL);
    pthread_mutex_init(&idp->meta_lock, NULL);
    idp->entity_id = idm_xasprintf("%s/saml/metadata", conf->idp_base_url);
    idp->sso_url = idm_xasprintf("%s/saml/sso", conf->idp_base_url);
    idp->slo_url = idm_xasprintf("%s/saml/slo", conf->idp_base_url);
    idp->secure_cookies = strncmp(conf->idp_base_url, "https://", 8) == 0;
    idp->cookie_browser = idp->secure_cookies ? SAML_COOKIE_BROWSER_SECURE
                                              : SAML_COOKIE_BROWSER;
    idp->cookie_session = idp->secure_cookies ? SAML_COOKIE_SESSION_SECURE
                                              : SAML_COOKIE_SESSION;
    /* two keys from one secret, separated by label */
    saml__hmac_sha256(key, conf->idp_pairwise_salt,
                      strlen(conf->idp_pairwise_salt), "pairwise-id", 11);
    idp->pairwise_mac = saml__mac_new(key, sizeof(key));
    saml__hmac_sha256(key, conf->idp_pairwise_salt,
                      strlen(conf->idp_pairwise_salt), "csrf-token", 10);
    idp->csrf_mac = saml__mac_new(key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    if (idp->pairwise_mac == NULL || idp->csrf_mac == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "HMAC-SHA256 is not available");
        goto cleanup;
    }
    idp->metrics = saml_metrics_new();
    idp->rejects = saml_rejects_new();
    rc = saml_keys_load(&idp->keys, conf, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = saml_dbpool_new(&idp->pool, conf, pool_size, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = saml_policy_open(idp, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = saml_idp_refresh(idp, 1, err);
    if (rc != 0) {
        goto cleanup;
    }
    *out = idp;
    idp = NULL;
cleanup:
    saml_idp_free(idp);
    return rc;
}

void saml_idp_free(saml_idp *idp)
{
    if (idp == NULL) {
        return;
    }
    saml_server_release(idp->srv);
    idm_policy_store_free(idp->policies);
    if (idp->pool != NULL) {
        idm_err err = IDM_ERR_INIT;
        /* the last minutes' rejections, before the pool goes */
        if (saml_idp_reject_flush(idp, 1, &err) != 0) {
            idm_log(IDM_LOG_WARN, "saml", "reject.flush_fail",
                    "reason=\"%s\"", err.msg);
        }
    }
    saml_rejects_free(idp->rejects);
    saml_dbpool_free(idp->pool);
    idm_db_close(idp->sp_listen);
    saml_keys_clear(&idp->keys);
    saml_metrics_free(idp->metrics);
    EVP_MAC_CTX_free(idp->pairwise_mac); /* wipes the key */
    EVP_MAC_CTX_free(idp->csrf_mac);
    free(idp->metadata);
    free(idp->entity_id);
    free(idp->sso_url);
    free(idp->slo_url);
    pthread_mutex_destroy(&idp->srv_lock);
    pthread_mutex_destroy(&idp->meta_lock);
    free(idp);
}

void saml_response_clear(saml_response *resp)
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
    memset(resp, 0, sizeof(*resp));
}

/* ---- context ---- */

int saml_ctx_db(idm_db **out, saml_ctx *ctx, idm_err *err)
{
    int rc = 0;

    if (ctx->db == NULL) {
        rc = saml_dbpool_get(&ctx->db, ctx->idp->pool, err);
    }
    *out = ctx->db;
    return rc;
}

void saml_ctx_db_release(saml_ctx *ctx)
{
    if (ctx->db != NULL && ctx->replay == NULL) {
        saml_dbpool_put(ctx->idp->pool, ctx->db);
        ctx->db = NULL;
    }
}

saml_server *saml_ctx_server(saml_ctx *ctx)
{
    if (ctx->srv == NULL) {
        ctx->srv = saml_server_acquire(ctx->idp);
    }
    return ctx->srv;
}

void saml_resp_header(saml_ctx *ctx, const char *name, const char *value)
{
    saml_response *r = ctx->resp;

    for (int i = 0; i < r->nheaders; i++) {
        /* Set-Cookie may repeat; others replace */
        if (strcmp(name, "Set-Cookie") != 0 &&
            strcmp(r->headers[i].name, name) == 0) {
            free(r->headers[i].value);
            r->headers[i].value = idm_xstrdup(value);
            return;
        }
    }
    if (r->nheaders < SAML_HEADERS_MAX) {
        r->headers[r->nheaders].name = idm_xstrdup(name);
        r->headers[r->nheaders].value = idm_xstrdup(value);
        r->nheaders++;
    }
}

void saml_resp_body(saml_ctx *ctx, int status, const char *type, GString *b)
{
    saml_response *r = ctx->resp;

    free(r->body);
    free(r->content_type);
    r->status = status;
    r->content_type = idm_xstrdup(type);
    r->body_len = b->len;
    r->body = g_string_free(b, FALSE);
}

void saml_resp_redirect(saml_ctx *ctx, const char *location)
{
    saml_resp_header(ctx, "Location", location);
    saml_resp_body(ctx, 303, "text/plain; charset=utf-8",
                   g_string_new("See Other\n"));
}

void saml_resp_cookie(saml_ctx *ctx, const char *name, const char *value,
                      int max_age)
{
    int session = strcmp(name, ctx->idp->cookie_session) == 0;
    char *c;

    /*
     * SameSite: the HTTP-POST binding arrives as a cross-site POST from
     * the SP's page, and browsers withhold Lax cookies on those, so the
     * IdP would not find the session and ask for the password again. The
     * session cookie is therefore SameSite=None behind TLS (browsers only
     * accept None with Secure); every state-changing form carries a CSRF
     * token, so cross-site requests gain nothing. Over plain http (local
     * quickstart) it falls back to Lax. The browser cookie (CSRF and
     * pending requests) never needs to cross sites: Lax.
     */
    c = idm_xasprintf("%s=%s; Path=/; HttpOnly%s%s%s", name,
                     value != NULL ? value : "",
                     ctx->idp->secure_cookies ? "; Secure" : "",
                     session && ctx->idp->secure_cookies ? "; SameSite=None"
                                                         : "; SameSite=Lax",
                     max_age == 0 ? "; Max-Age=0" : "");
    saml_resp_header(ctx, "Set-Cookie", c);
    free(c);
}

void saml_audit_log(saml_ctx *ctx, const char *action, idm_audit_result result,
                    const char *sp, const char *reason)
{
    char qa[96], qs[256], qr[256];

    idm_log(result == IDM_AUDIT_OK ? IDM_LOG_INFO : IDM_LOG_NOTICE, "saml",
            action, "from=%s sp=%s reason=%s",
            idm_log_quote(qa, sizeof(qa), ctx->actor.addr),
            idm_log_quote(qs, sizeof(qs), sp != NULL ? sp : "-"),
            idm_log_quote(qr, sizeof(qr), reason != NULL ? reason : "-"));
}

void saml_audit(saml_ctx *ctx, const char *action, const char *target,
                idm_audit_result result, const char *sp, const char *reason)
{
    json_t *j = json_object();
    char *details;
    idm_db *db = NULL;
    idm_err err = IDM_ERR_INIT;

    if (sp != NULL) {
        json_object_set_new(j, "sp", json_string(sp));
    }
    if (reason != NULL) {
        json_object_set_new(j, "reason", json_string(reason));
    }
    details = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    saml_audit_log(ctx, action, result, sp, reason);
    if (saml_ctx_db(&db, ctx, &err) == 0) {
        idm_audit_write_detached(db, &ctx->actor, action, target, result,
                                 details);
    }
    free(details);
}

/* ---- small endpoints ---- */

static void handle_metadata(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    char *md = NULL;
    GString *b;

    if (saml_metadata_signed(&md, ctx->idp, &err) != 0) {
        saml_page_error(ctx, 500, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        return;
    }
    b = g_string_new(md);
    free(md);
    saml_resp_header(ctx, "Cache-Control", "public, max-age=3600");
    saml_resp_body(ctx, 200, "application/samlmetadata+xml", b);
}

static void handle_readyz(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    saml_server *srv = saml_ctx_server(ctx);
    int ok = srv != NULL && ctx->idp->keys.sign_key != NULL;

    if (ok && (saml_ctx_db(&db, ctx, &err) != 0 ||
               idm_db_query(NULL, db, "SELECT 1", 0, NULL, &err) != 0)) {
        ok = 0;
    }
    saml_resp_header(ctx, "Cache-Control", "no-store");
    saml_resp_body(ctx, ok ? 200 : 503, "text/plain; charset=utf-8",
                   g_string_new(ok ? "ready\n" : "not ready\n"));
}

void saml_idp_metrics(saml_response *out, saml_idp *idp)
{
    GString *b = g_string_sized_new(8192);

    memset(out, 0, sizeof(*out));
    saml_metrics_render(b, idp->metrics, idp);
    out->status = 200;
    out->content_type =
        idm_xstrdup("text/plain; version=0.0.4; charset=utf-8");
    out->body_len = b->len;
    out->body = g_string_free(b, FALSE);
}

static int is(const saml_request *req, const char *method, const char *path)
{
    return strcmp(req->path, path) == 0 &&
           (method == NULL || strcmp(req->method, method) == 0);
}

static void route(saml_ctx *ctx)
{
    const saml_request *req = ctx->req;
    int get =
        strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    int post = strcmp(req->method, "POST") == 0;

    if (is(req, NULL, "/healthz") && get) {
        saml_resp_body(ctx, 200, "text/plain; charset=utf-8",
                       g_string_new("ok\n"));
    } else if (is(req, NULL, "/readyz") && get) {
        handle_readyz(ctx);
    } else if (is(req, NULL, "/saml/metadata") && get) {
        handle_metadata(ctx);
    } else if (is(req, NULL, "/saml/sso") && (get || post)) {
        saml_sso_handle(ctx);
    } else if (is(req, NULL, "/saml/slo") && (get || post)) {
        saml_slo_handle(ctx);
    } else if (is(req, NULL, "/saml/init") && get) {
        saml_sso_init(ctx);
    } else if (is(req, NULL, "/login") && (get || post)) {
        saml_login_handle(ctx);
    } else if (is(req, NULL, "/password") && (get || post)) {
        saml_password_handle(ctx);
    } else if (is(req, NULL, "/logout") && post) {
        saml_logout_handle(ctx);
    } else if (is(req, NULL, "/") && get) {
        saml_portal_handle(ctx);
    } else {
        saml_page_error(ctx, 404, saml_msg_text(ctx->lang, SAML_M_NOT_FOUND));
    }
}

void saml_idp_handle(saml_response *out, saml_idp *idp, const saml_request *req)
{
    saml_ctx ctx;

    memset(out, 0, sizeof(*out));
    memset(&ctx, 0, sizeof(ctx));
    ctx.idp = idp;
    ctx.req = req;
    ctx.resp = out;
    ctx.pool = saml_pool_new();
    ctx.lang = saml_lang_pick(req->accept_language);
    ctx.actor.name = "anonymous";
    ctx.actor.addr = req->client_addr != NULL ? req->client_addr : "unknown";
    ctx.browser =
        saml_pool_add(ctx.pool, free,
                      saml__cookie_get(req->cookie, idp->cookie_browser));
    if (ctx.browser == NULL || strlen(ctx.browser) != 43) {
        ctx.browser = saml_pool_add(ctx.pool, free, saml__random_token());
        ctx.browser_new = 1;
    }
    route(&ctx);
    if (ctx.browser_new && out->content_type != NULL &&
        strncmp(out->content_type, "text/html", 9) == 0) {
        saml_resp_cookie(&ctx, idp->cookie_browser, ctx.browser, -1);
    }
    saml_resp_header(&ctx, "X-Frame-Options", "DENY");
    saml_resp_header(&ctx, "X-Content-Type-Options", "nosniff");
    saml_resp_header(&ctx, "Referrer-Policy", "no-referrer");
    {
        int found = 0;
        for (int i = 0; i < out->nheaders; i++) {
            found |=
                strcmp(out->headers[i].name, "Content-Security-Policy") == 0;
        }
        if (!found) {
            saml_resp_header(&ctx, "Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; "
                             "form-action 'self'; frame-ancestors 'none'; "
                             "base-uri 'none'");
        }
        found = 0;
        for (int i = 0; i < out->nheaders; i++) {
            found |= strcmp(out->headers[i].name, "Cache-Control") == 0;
        }
        if (!found) {
            saml_resp_header(&ctx, "Cache-Control", "no-store");
        }
    }
    if (ctx.db != NULL) {
        saml_dbpool_put(idp->pool, ctx.db);
    }
    saml_server_release(ctx.srv);
    idm_policy_unref(ctx.policy);
    saml_pool_free(ctx.pool);
}

int saml_idp_housekeeping(saml_idp *idp, idm_err *err)
{
    idm_db *db = NULL;
    char idle[16];
    const char *params[1] = {idle};
    int rc = saml_dbpool_get(&db, idp->pool, err);

    if (rc != 0) {
        return rc;
    }
    snprintf(idle, sizeof(idle), "%d", idp->conf->idp_session_idle_minutes);
    rc = idm_db_query(NULL, db,
                      "WITH a AS (DELETE FROM saml_session WHERE expires_at "
                      "< now() OR last_seen < now() - make_interval(mins => "
                      "$1::int)), b AS (DELETE FROM saml_pending WHERE "
                      "expires_at < now()), c AS (DELETE FROM saml_throttle "
                      "WHERE window_start < now() - interval '1 day'), "
                      "d AS (DELETE FROM login_throttle WHERE score_at < "
                      "now() - interval '1 day' AND coalesce(last_ok_at < "
                      "now() - interval '366 days', true)) "
                      "DELETE FROM saml_replay WHERE expires_at < now()",
                      1, params, err);
    saml_dbpool_put(idp->pool, db);
    return rc;
}

void saml_idp_observe(saml_idp *idp, const char *path, int status,
                      double seconds)
{
    saml_metrics_request(idp->metrics, path, status, seconds);
}
