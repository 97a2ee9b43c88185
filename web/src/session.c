/* SPDX-License-Identifier: EUPL-1.2
 * Browser sessions, the device cookie and the per-address login throttle,
 * in PostgreSQL and shared by all idmd nodes: the session cookie is a
 * random 256-bit token; only its SHA-256 is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/addr.h"
#include "idm/conf.h"
#include "idm/device.h"
#include "web/conf.h"
#include "web_int.h"

void web_token_hash(char out[67], const char *token)
{
    unsigned char h[32];
    web_sha256(h, token, strlen(token));
    web_bytea_hex(out, h);
}

void web_session_fill(web_ctx *ctx, const PGresult *res, int col, char *token)
{
    ctx->session.id = strtoll(PQgetvalue(res, 0, col), NULL, 10);
    snprintf(ctx->session.person_uuid, sizeof(ctx->session.person_uuid), "%s",
             PQgetvalue(res, 0, col + 1));
    snprintf(ctx->session.login, sizeof(ctx->session.login), "%s",
             PQgetvalue(res, 0, col + 2));
    ctx->session.auth_instant = strtoll(PQgetvalue(res, 0, col + 3), NULL, 10);
    ctx->session.must_change_password = PQgetvalue(res, 0, col + 4)[0] == 't';
    ctx->session_token = token;
    ctx->actor.name = web_pool_strdup(ctx->pool, ctx->session.login);
}

static void subject_free(void *subject)
{
    idm_subject_free(subject);
}

void web_session_subject_set(web_ctx *ctx, idm_subject *subject)
{
    ctx->session_subject = web_pool_add(ctx->pool, subject_free, subject);
}

/* No session known (yet) in this request. */
void web_session_reset(web_ctx *ctx)
{
    memset(&ctx->session, 0, sizeof(ctx->session));
    ctx->session_subject = NULL;
    ctx->session_token = NULL;
}

/* The browser's session token (pooled) and its hash, or NULL. */
char *web_session_token(web_ctx *ctx, char hash[67], char idle[16])
{
    char *token = web_cookie_get(ctx->req->cookie, ctx->site->cookie_session);

    snprintf(idle, 16, "%d", web_conf_get(ctx->conf)->session_idle_minutes);
    if (token == NULL || strlen(token) != 43) {
        free(token);
        return NULL;
    }
    web_pool_add(ctx->pool, free, token);
    web_token_hash(hash, token);
    return token;
}

int web_session_lookup(web_ctx *ctx, idm_err *err)
{
    char hash[67], idle[16];
    char *token;
    PGresult *res = NULL;
    idm_db *db;
    int rc = 0;

    web_session_reset(ctx);
    ctx->session_checked = 1;
    token = web_session_token(ctx, hash, idle);
    if (token == NULL) {
        return 0;
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    /* one round trip: find, check both timeouts, touch */
    rc = idm_db_query_prepared(&res, db, WEB_SESSION_TOUCH, 2,
                               (const char *const[]){hash, idle}, err);
    if (rc == 0 && PQntuples(res) == 1) {
        web_session_fill(ctx, res, 0, token);
    }
    PQclear(res);
    return rc;
}

int web_session_subject(const idm_subject **out, web_ctx *ctx, idm_err *err)
{
    idm_subject *s = NULL;
    idm_db *db;
    int rc = 0;

    if (ctx->session_subject == NULL) {
        rc = web_ctx_db(&db, ctx, err);
        rc = rc != 0 ? rc : idm_subject_load(&s, db, ctx->session.login, err);
        if (rc == 0) {
            web_session_subject_set(ctx, s);
        }
    }
    *out = ctx->session_subject;
    return rc;
}

int web_session_create(web_ctx *ctx, const char *uuid, const char *login,
                       int must_change, idm_err *err)
{
    char *token = web_pool_add(ctx->pool, free, web_random_token());
    char hash[67], hours[16];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    /* a new token on every login: no session fixation; an old session of
     * this browser ends */
    if (ctx->session.id != 0) {
        rc = web_session_destroy(ctx, err);
        if (rc != 0) {
            return rc;
        }
    }
    web_token_hash(hash, token);
    snprintf(hours, sizeof(hours), "%d",
             web_conf_get(ctx->conf)->session_max_hours);
    rc = idm_db_query(
        &res, db,
        "INSERT INTO saml_session (token_hash, person_uuid, login, "
        "expires_at, must_change_password) VALUES ($1::bytea, $2, $3, "
        "now() + make_interval(hours => $4::int), $5) "
        "RETURNING id, extract(epoch FROM auth_instant)::bigint",
        5,
        (const char *const[]){hash, uuid, login, hours,
                              must_change ? "t" : "f"},
        err);
    if (rc != 0) {
        return rc;
    }
    ctx->session.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    ctx->session.auth_instant = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    snprintf(ctx->session.person_uuid, sizeof(ctx->session.person_uuid), "%s",
             uuid);
    snprintf(ctx->session.login, sizeof(ctx->session.login), "%s", login);
    ctx->session.must_change_password = must_change;
    ctx->session_subject = NULL;
    ctx->session_checked = 1;
    ctx->session_token = token;
    ctx->actor.name = web_pool_strdup(ctx->pool, login);
    web_resp_cookie(ctx, ctx->site->cookie_session, token, -1);
    return 0;
}

int web_session_destroy(web_ctx *ctx, idm_err *err)
{
    char id[24];
    idm_db *db;
    int rc;

    if (ctx->session.id == 0) {
        return 0;
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(id, sizeof(id), "%lld", (long long)ctx->session.id);
    rc = idm_db_query(NULL, db, "DELETE FROM saml_session WHERE id = $1", 1,
                      (const char *const[]){id}, err);
    web_session_reset(ctx);
    web_resp_cookie(ctx, ctx->site->cookie_session, "", 0);
    return rc;
}

int web_session_logout(web_ctx *ctx, idm_err *err)
{
    const char *device = web_device_token(ctx);
    idm_db *db;
    int rc;

    rc = web_session_destroy(ctx, err);
    if (rc != 0 || device == NULL) {
        return rc;
    }
    /* "remember this device" lasts until logout: on a school's shared
     * computer the next person must not inherit the token's exemption */
    rc = web_ctx_db(&db, ctx, err);
    if (rc == 0) {
        rc = idm_device_revoke(db, device, err);
    }
    web_resp_cookie(ctx, ctx->site->cookie_device, "", 0);
    return rc;
}

int web_session_clear_must_change(web_ctx *ctx, idm_err *err)
{
    char id[24];
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    snprintf(id, sizeof(id), "%lld", (long long)ctx->session.id);
    ctx->session.must_change_password = 0;
    return idm_db_query(NULL, db,
                        "UPDATE saml_session SET must_change_password = false "
                        "WHERE id = $1",
                        1, (const char *const[]){id}, err);
}

const char *web_device_token(web_ctx *ctx)
{
    char *token = web_cookie_get(ctx->req->cookie, ctx->site->cookie_device);

    return token != NULL ? web_pool_add(ctx->pool, free, token) : NULL;
}

void web_device_set(web_ctx *ctx, char *token)
{
    int days = idm_password_conf_get(ctx->conf)->device_days;

    /* idm-core checks and stores it (idm/device.h); the cookie only
     * carries it, for as long as the row lives */
    if (token[0] != '\0' && days > 0) {
        web_resp_cookie(ctx, ctx->site->cookie_device, token, days * 86400);
    }
    OPENSSL_cleanse(token, strlen(token));
}

int web_throttle_blocked(int *blocked, web_ctx *ctx, idm_err *err)
{
    char key[IDM_ADDR_KEY_MAX];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *blocked = 0;
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    idm_addr_key(key, sizeof(key), ctx->actor.addr);
    rc = idm_db_query(&res, db,
                      "SELECT 1 FROM saml_throttle WHERE addr = $1 "
                      "AND blocked_until > now()",
                      1, (const char *const[]){key}, err);
    if (rc == 0) {
        *blocked = PQntuples(res) > 0;
    }
    PQclear(res);
    return rc;
}

int web_throttle_fail(web_ctx *ctx, idm_err *err)
{
    char max[16], win[16], key[IDM_ADDR_KEY_MAX];
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    /* A school behind one NAT shares an address: the limit is high and the
     * pause short, and it only slows guessing down; accounts have their
     * own per-address score in idm-core. IPv6 counts by its /64: a host
     * picks any address in it. */
    idm_addr_key(key, sizeof(key), ctx->actor.addr);
    snprintf(max, sizeof(max), "%d",
             web_conf_get(ctx->conf)->addr_max_failures);
    snprintf(win, sizeof(win), "%d",
             web_conf_get(ctx->conf)->addr_window_seconds);
    return idm_db_query(
        NULL, db,
        "INSERT INTO saml_throttle AS t (addr, failures) VALUES ($1, 1) "
        "ON CONFLICT (addr) DO UPDATE SET "
        "failures = CASE WHEN t.window_start < now() - "
        "make_interval(secs => $3::int) THEN 1 ELSE t.failures + 1 END, "
        "window_start = CASE WHEN t.window_start < now() - "
        "make_interval(secs => $3::int) THEN now() ELSE t.window_start END, "
        "blocked_until = CASE WHEN t.window_start >= now() - "
        "make_interval(secs => $3::int) AND t.failures + 1 >= $2::int "
        "THEN now() + make_interval(secs => $3::int) "
        "ELSE t.blocked_until END",
        3, (const char *const[]){key, max, win}, err);
}
