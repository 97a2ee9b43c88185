/* SPDX-License-Identifier: EUPL-1.2
 * The IdP object: its keys, pairwise-id key and server snapshot on top of
 * a web site, the per-request state of SAML, the metadata endpoint and
 * the housekeeping of expired state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "idp_int.h"
#include "steps_int.h"
#include "web/conf.h"

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

int saml_idp_new(saml_idp **out, web_site *web, idm_err *err)
{
    const idm_conf *conf = web_site_conf(web);
    const web_conf *wc = web_conf_get(conf);
    saml_idp *idp = NULL;
    unsigned char key[32];
    int rc;

    *out = NULL;
    if (saml__lasso_init() != 0) {
        return idm_err_set(err, IDM_EINTERNAL, "could not initialise Lasso");
    }
    if (wc->pairwise_salt == NULL || strlen(wc->pairwise_salt) < 16) {
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] pairwise_salt_file must name a file with "
                           "at least 16 secret bytes");
    }
    idp = idm_xcalloc(1, sizeof(*idp));
    idp->web = web;
    idp->conf = conf;
    pthread_mutex_init(&idp->srv_lock, NULL);
    pthread_mutex_init(&idp->meta_lock, NULL);
    idp->entity_id = idm_xasprintf("%s/saml/metadata", wc->base_url);
    idp->sso_url = idm_xasprintf("%s/saml/sso", wc->base_url);
    idp->slo_url = idm_xasprintf("%s/saml/slo", wc->base_url);
    /* a key of its own from the secret, separated by label (the web
     * layer derives the CSRF key with another) */
    web_hmac_sha256(key, wc->pairwise_salt, strlen(wc->pairwise_salt),
                    "pairwise-id", 11);
    idp->pairwise_mac = web_mac_new(key, sizeof(key));
    OPENSSL_cleanse(key, sizeof(key));
    if (idp->pairwise_mac == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "HMAC-SHA256 is not available");
        goto cleanup;
    }
    rc = saml_keys_load(&idp->keys, conf, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = saml_idp_refresh(idp, 1, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = saml_routes_register(idp, err);
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
    idm_db_close(idp->sp_listen);
    saml_keys_clear(&idp->keys);
    EVP_MAC_CTX_free(idp->pairwise_mac); /* wipes the key */
    free(idp->metadata);
    free(idp->entity_id);
    free(idp->sso_url);
    free(idp->slo_url);
    pthread_mutex_destroy(&idp->srv_lock);
    pthread_mutex_destroy(&idp->meta_lock);
    free(idp);
}

/* ---- per-request state ---- */

static void saml_req_free(void *p)
{
    saml_req *r = p;

    saml_server_release(r->srv);
    free(r);
}

saml_req *saml_req_of(web_ctx *ctx)
{
    if (ctx->proto_data == NULL) {
        ctx->proto_data = web_pool_add(ctx->pool, saml_req_free,
                                       idm_xcalloc(1, sizeof(saml_req)));
    }
    return ctx->proto_data;
}

saml_server *saml_ctx_server(web_ctx *ctx)
{
    saml_req *r = saml_req_of(ctx);

    if (r->srv == NULL) {
        r->srv = saml_server_acquire(saml_idp_of(ctx));
    }
    return r->srv;
}

/* ---- small endpoints ---- */

void saml_metadata_handle(web_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    char *md = NULL;
    GString *b;

    if (saml_metadata_signed(&md, saml_idp_of(ctx), &err) != 0) {
        /* 500 with the detail in the log: our keys or clock, not the
         * database */
        web_page_fail(ctx, "saml.metadata", IDM_EINTERNAL, &err);
        return;
    }
    b = g_string_new(md);
    free(md);
    web_resp_header(ctx, "Cache-Control", "public, max-age=3600");
    web_resp_body(ctx, 200, "application/samlmetadata+xml", b);
}

int saml_idp_housekeeping(saml_idp *idp, idm_err *err)
{
    idm_db *db = NULL;
    char idle[16];
    const char *params[1] = {idle};
    int rc = web_site_db_get(&db, idp->web, err);

    if (rc != 0) {
        return rc;
    }
    snprintf(idle, sizeof(idle), "%d",
             web_conf_get(idp->conf)->session_idle_minutes);
    rc = idm_db_query(NULL, db,
                      "WITH a AS (DELETE FROM saml_session WHERE expires_at "
                      "< now() OR last_seen < now() - make_interval(mins => "
                      "$1::int)), b AS (DELETE FROM saml_pending WHERE "
                      "expires_at < now()), c AS (DELETE FROM saml_throttle "
                      "WHERE window_start < now() - interval '1 day'), "
                      "d AS (DELETE FROM login_throttle WHERE score_at < "
                      "now() - interval '1 day' AND coalesce(last_ok_at < "
                      "now() - interval '366 days', true)), "
                      "e AS (DELETE FROM login_device WHERE expires_at < "
                      "now()) "
                      "DELETE FROM saml_replay WHERE expires_at < now()",
                      1, params, err);
    web_site_db_put(idp->web, db);
    return rc;
}
