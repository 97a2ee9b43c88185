/* SPDX-License-Identifier: EUPL-1.2
 * State shared by all idmd nodes, in PostgreSQL: browser sessions (the
 * cookie is a random 256-bit token; only its SHA-256 is stored), the SPs
 * of a session, the per-address login throttle, the replay cache of
 * request IDs and AuthnRequests waiting for the login page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "saml_int.h"

static void token_hash(char out[67], const char *token)
{
    unsigned char h[32];
    saml__sha256(h, token, strlen(token));
    saml__bytea_hex(out, h);
}

/* The session columns every lookup returns, from column col of row 0. */
#define SESSION_COLS                                                           \
    "id, person_uuid, login, extract(epoch FROM auth_instant)::bigint, "       \
    "must_change_password"
/* Find the session, check both timeouts, touch it. */
#define SESSION_TOUCH                                                          \
    "UPDATE saml_session SET last_seen = now() "                               \
    "WHERE token_hash = $1::bytea AND expires_at > now() "                     \
    "AND last_seen > now() - make_interval(mins => $2::int) "                  \
    "RETURNING " SESSION_COLS

static void session_fill(saml_ctx *ctx, const PGresult *res, int col,
                         char *token)
{
    ctx->session.id = strtoll(PQgetvalue(res, 0, col), NULL, 10);
    snprintf(ctx->session.person_uuid, sizeof(ctx->session.person_uuid), "%s",
             PQgetvalue(res, 0, col + 1));
    snprintf(ctx->session.login, sizeof(ctx->session.login), "%s",
             PQgetvalue(res, 0, col + 2));
    ctx->session.auth_instant = strtoll(PQgetvalue(res, 0, col + 3), NULL, 10);
    ctx->session.must_change_password = PQgetvalue(res, 0, col + 4)[0] == 't';
    ctx->session_token = token;
    ctx->actor.name = saml_pool_strdup(ctx->pool, ctx->session.login);
}

static void subject_free(void *subject)
{
    idm_subject_free(subject);
}

/* No session known (yet) in this request. */
static void session_reset(saml_ctx *ctx)
{
    memset(&ctx->session, 0, sizeof(ctx->session));
    ctx->session_subject = NULL;
    ctx->session_token = NULL;
}

/* The browser's session token (pooled) and its hash, or NULL. */
static char *session_token(saml_ctx *ctx, char hash[67], char idle[16])
{
    char *token = saml__cookie_get(ctx->req->cookie, ctx->idp->cookie_session);

    snprintf(idle, 16, "%d", ctx->idp->conf->idp_session_idle_minutes);
    if (token == NULL || strlen(token) != 43) {
        free(token);
        return NULL;
    }
    saml_pool_add(ctx->pool, free, token);
    token_hash(hash, token);
    return token;
}

int saml_session_lookup(saml_ctx *ctx, idm_err *err)
{
    char hash[67], idle[16];
    char *token;
    PGresult *res = NULL;
    idm_db *db;
    int rc = 0;

    session_reset(ctx);
    ctx->session_checked = 1;
    token = session_token(ctx, hash, idle);
    if (token == NULL) {
        return 0;
    }
    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    /* one round trip: find, check both timeouts, touch */
    rc = idm_db_query_prepared(&res, db, SESSION_TOUCH, 2,
                               (const char *const[]){hash, idle}, err);
    if (rc == 0 && PQntuples(res) == 1) {
        session_fill(ctx, res, 0, token);
    }
    PQclear(res);
    return rc;
}

int saml_session_subject(const idm_subject **out, saml_ctx *ctx, idm_err *err)
{
    idm_subject *s = NULL;
    idm_db *db;
    int rc = 0;

    if (ctx->session_subject == NULL) {
        rc = saml_ctx_db(&db, ctx, err);
        rc = rc != 0 ? rc : idm_subject_load(&s, db, ctx->session.login, err);
        if (rc == 0) {
            ctx->session_subject = saml_pool_add(ctx->pool, subject_free, s);
        }
    }
    *out = ctx->session_subject;
    return rc;
}

int saml_session_create(saml_ctx *ctx, const char *uuid, const char *login,
                        int must_change, idm_err *err)
{
    char *token = saml_pool_add(ctx->pool, free, saml__random_token());
    char hash[67], hours[16];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    /* a new token on every login: no session fixation; an old session of
     * this browser ends */
    if (ctx->session.id != 0) {
        rc = saml_session_destroy(ctx, err);
        if (rc != 0) {
            return rc;
        }
    }
    token_hash(hash, token);
    snprintf(hours, sizeof(hours), "%d", ctx->idp->conf->idp_session_max_hours);
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
    ctx->actor.name = saml_pool_strdup(ctx->pool, login);
    saml_resp_cookie(ctx, ctx->idp->cookie_session, token, -1);
    return 0;
}

int saml_session_destroy(saml_ctx *ctx, idm_err *err)
{
    char id[24];
    idm_db *db;
    int rc;

    if (ctx->session.id == 0) {
        return 0;
    }
    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(id, sizeof(id), "%lld", (long long)ctx->session.id);
    rc = idm_db_query(NULL, db, "DELETE FROM saml_session WHERE id = $1", 1,
                      (const char *const[]){id}, err);
    session_reset(ctx);
    saml_resp_cookie(ctx, ctx->idp->cookie_session, "", 0);
    return rc;
}

int saml_session_clear_must_change(saml_ctx *ctx, idm_err *err)
{
    char id[24];
    idm_db *db;
    int rc = saml_ctx_db(&db, ctx, err);

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

int saml_assertion_record_send(saml_ctx *ctx, int64_t session_id,
                               const char *login, const char *sp,
                               const char *name_id, const char *format,
                               const char *session_index, idm_err *err)
{
    /* in the pool: the statement's parameters outlive this call */
    const char **p =
        saml_pool_add(ctx->pool, free, idm_xcalloc(8, sizeof(*p)));
    idm_db *db;
    int rc = saml_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    p[0] = saml_pool_add(ctx->pool, free,
                         idm_xasprintf("%lld", (long long)session_id));
    p[1] = sp;
    p[2] = name_id;
    p[3] = format;
    p[4] = session_index;
    p[5] = ctx->actor.name;
    p[6] = ctx->actor.addr != NULL ? ctx->actor.addr : "";
    p[7] = login;
    /* one statement, so one round trip and all or nothing: the session SP
     * (none for session 0) and the audit row idm_audit_write would add */
    return idm_db_send_prepared(
        db,
        "WITH s AS (INSERT INTO saml_session_sp (session_id, sp_entity_id, "
        "name_id, name_id_format, session_index) "
        "SELECT $1::bigint, $2, $3, $4, $5 WHERE $1::bigint <> 0 "
        "ON CONFLICT (session_id, sp_entity_id) DO UPDATE SET "
        "name_id = EXCLUDED.name_id, name_id_format = EXCLUDED.name_id_format, "
        "session_index = EXCLUDED.session_index, issued_at = now()) "
        "INSERT INTO audit_log (actor, addr, action, target, result, details) "
        "VALUES ($6, $7, 'saml.assertion_issue', $8, 'ok', "
        "jsonb_build_object('sp', $2::text))",
        8, p, err);
}

int saml_assertion_record_wait(saml_ctx *ctx, const char *sp, idm_err *err)
{
    int rc = idm_db_wait(NULL, ctx->db, err);

    if (rc == 0) {
        saml_audit_log(ctx, "saml.assertion_issue", IDM_AUDIT_OK, sp, NULL);
    }
    return rc;
}

int saml_throttle_blocked(int *blocked, saml_ctx *ctx, idm_err *err)
{
    char key[IDM_ADDR_KEY_MAX];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *blocked = 0;
    rc = saml_ctx_db(&db, ctx, err);
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

int saml_throttle_fail(saml_ctx *ctx, idm_err *err)
{
    char max[16], win[16], key[IDM_ADDR_KEY_MAX];
    idm_db *db;
    int rc = saml_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    /* A school behind one NAT shares an address: the limit is high and the
     * pause short, and it only slows guessing down; accounts have their
     * own per-address score in idm-core. IPv6 counts by its /64: a host
     * picks any address in it. */
    idm_addr_key(key, sizeof(key), ctx->actor.addr);
    snprintf(max, sizeof(max), "%d", ctx->idp->conf->idp_addr_max_failures);
    snprintf(win, sizeof(win), "%d", ctx->idp->conf->idp_addr_window_seconds);
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

/* A replay check in flight: what its statement borrows until the wait. */
struct saml_replay_q {
    char exp[24], hash[67], idle[16];
    char *token;
    const char *params[5];
};

/* The replay entry, the session and its person in one statement: the
 * request ID (first seen or not) in column 0, the session in 1..5 (NULLs
 * without one) and idm_subject_read()'s rows from column 6. */
static const char *replay_sql(void)
{
    static char *sql;

    if (g_once_init_enter(&sql)) {
        char *subject = idm_subject_sql("(SELECT login FROM s)");

        g_once_init_leave(
            &sql,
            g_strdup_printf(
                "WITH r AS (INSERT INTO saml_replay (sp_entity_id, "
                "request_id, expires_at) VALUES ($3, $4, to_timestamp($5)) "
                "ON CONFLICT DO NOTHING RETURNING 1), "
                "s AS (" SESSION_TOUCH "), %s "
                "SELECT EXISTS (SELECT 1 FROM r), s.*, idm_subject.* "
                "FROM (VALUES (1)) v LEFT JOIN s ON true "
                "LEFT JOIN idm_subject ON true ORDER BY %s",
                subject, IDM_SUBJECT_ORDER));
        g_free(subject);
    }
    return sql;
}

int saml_replay_send(saml_ctx *ctx, const char *sp, const char *id,
                     int64_t expires, idm_err *err)
{
    struct saml_replay_q *q =
        saml_pool_add(ctx->pool, free, idm_xcalloc(1, sizeof(*q)));
    idm_db *db;
    int rc = saml_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    q->token = session_token(ctx, q->hash, q->idle);
    snprintf(q->exp, sizeof(q->exp), "%lld", (long long)expires);
    q->params[0] = q->token != NULL ? q->hash : NULL;
    q->params[1] = q->idle;
    q->params[2] = sp;
    q->params[3] = id;
    q->params[4] = q->exp;
    rc = idm_db_send_prepared(db, replay_sql(), 5, q->params, err);
    if (rc == 0) {
        ctx->replay = q;
    }
    return rc;
}

int saml_replay_wait(saml_ctx *ctx, idm_err *err)
{
    struct saml_replay_q *q = ctx->replay;
    idm_err ignored = IDM_ERR_INIT;
    idm_subject *subject = NULL;
    PGresult *res = NULL;
    int rc = idm_db_wait(&res, ctx->db, err);

    ctx->replay = NULL;
    session_reset(ctx);
    ctx->session_checked = 1;
    if (rc == 0 && PQntuples(res) < 1) {
        rc = idm_err_set(err, IDM_EINTERNAL, "replay check without result");
    } else if (rc == 0 && PQgetvalue(res, 0, 0)[0] != 't') {
        rc = idm_err_set(err, IDM_EEXISTS, "request ID seen before");
    } else if (rc == 0 && q->token != NULL && !PQgetisnull(res, 0, 1)) {
        session_fill(ctx, res, 1, q->token);
        /* none for an account gone since: the SSO reads it again and
         * fails as it would have */
        if (idm_subject_read(&subject, res, 6, ctx->session.login, &ignored) ==
            0) {
            ctx->session_subject =
                saml_pool_add(ctx->pool, subject_free, subject);
        }
    }
    PQclear(res);
    return rc;
}

int saml_pending_store(char **id_out, saml_ctx *ctx, const char *binding,
                       const char *message, const char *relay_state,
                       idm_err *err)
{
    char *id = saml_pool_add(ctx->pool, free, saml__random_token());
    char idh[67], bh[67];
    idm_db *db;
    int rc = saml_ctx_db(&db, ctx, err);

    *id_out = NULL;
    if (rc != 0) {
        return rc;
    }
    token_hash(idh, id);
    token_hash(bh, ctx->browser);
    rc = idm_db_query(
        NULL, db,
        "INSERT INTO saml_pending (id_hash, browser_hash, "
        "binding, message, relay_state, expires_at) VALUES "
        "($1::bytea, $2::bytea, $3, $4, $5, "
        "now() + interval '30 minutes')",
        5, (const char *const[]){idh, bh, binding, message, relay_state}, err);
    if (rc == 0) {
        *id_out = id;
    }
    return rc;
}

/* The pending row id of this browser: its columns cols, deleted (take)
 * or not. */
static int pending_row(PGresult **out, saml_ctx *ctx, const char *id,
                       int take, idm_err *err)
{
    char idh[67], bh[67];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *out = NULL;
    if (id == NULL || strlen(id) != 43) {
        return idm_err_set(err, IDM_ENOTFOUND, "no pending request");
    }
    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    token_hash(idh, id);
    token_hash(bh, ctx->browser);
    /* bound to the browser that started it; used once */
    rc = idm_db_query(&res, db,
                      take ? "DELETE FROM saml_pending WHERE id_hash = "
                             "$1::bytea AND browser_hash = $2::bytea AND "
                             "expires_at > now() RETURNING binding, message, "
                             "relay_state, force_authn"
                           : "SELECT binding, message, relay_state, "
                             "force_authn FROM saml_pending WHERE id_hash = "
                             "$1::bytea AND browser_hash = $2::bytea AND "
                             "expires_at > now()",
                      2, (const char *const[]){idh, bh}, err);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        return idm_err_set(err, IDM_ENOTFOUND, "no pending request");
    }
    *out = res;
    return 0;
}

int saml_pending_take(char **binding_out, char **message_out, char **relay_out,
                      saml_ctx *ctx, const char *id, idm_err *err)
{
    int force;

    return saml_pending_resume(binding_out, message_out, relay_out, &force,
                               ctx, id, err);
}

int saml_pending_park(char **id_out, saml_ctx *ctx, const char *binding,
                      const char *message, const char *relay_state, int force,
                      idm_err *err)
{
    char *id = saml_pool_add(ctx->pool, free, saml__random_token());
    char idh[67], bh[67], keep[16], addr[IDM_ADDR_KEY_MAX];
    idm_db *db;
    int rc;

    *id_out = NULL;
    if (strlen(message) > SAML_PENDING_MESSAGE_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "the request is too large");
    }
    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    token_hash(idh, id);
    token_hash(bh, ctx->browser);
    snprintf(keep, sizeof(keep), "%d", SAML_PENDING_PER_ADDR - 1);
    /* keyed like the throttle: an IPv6 client counts by its /64, which
     * it cannot leave by changing the host part */
    idm_addr_key(addr, sizeof(addr),
                 ctx->actor.addr != NULL ? ctx->actor.addr : "unknown");
    /* at most SAML_PENDING_PER_ADDR rows per client address: the oldest
     * give way (a school behind one address must not be locked out by
     * one client; concurrent requests may briefly exceed it) */
    rc = idm_db_query(
        NULL, db,
        "WITH old AS (DELETE FROM saml_pending WHERE id_hash IN "
        "(SELECT id_hash FROM saml_pending WHERE addr = $6 "
        "ORDER BY expires_at DESC OFFSET $8::int)) "
        "INSERT INTO saml_pending (id_hash, browser_hash, "
        "binding, message, relay_state, expires_at, addr, force_authn) "
        "VALUES ($1::bytea, $2::bytea, $3, $4, $5, "
        "now() + interval '30 minutes', $6, $7::boolean)",
        8,
        (const char *const[]){idh, bh, binding, message, relay_state, addr,
                              force ? "t" : "f", keep},
        err);
    if (rc == 0) {
        *id_out = id;
    }
    return rc;
}

int saml_pending_resume(char **binding_out, char **message_out,
                        char **relay_out, int *force_out, saml_ctx *ctx,
                        const char *id, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    *binding_out = *message_out = *relay_out = NULL;
    *force_out = 0;
    rc = pending_row(&res, ctx, id, 1, err);
    if (rc != 0) {
        return rc;
    }
    *binding_out = saml_pool_strdup(ctx->pool, PQgetvalue(res, 0, 0));
    *message_out = saml_pool_strdup(ctx->pool, PQgetvalue(res, 0, 1));
    *relay_out = PQgetisnull(res, 0, 2)
                     ? NULL
                     : saml_pool_strdup(ctx->pool, PQgetvalue(res, 0, 2));
    *force_out = PQgetvalue(res, 0, 3)[0] == 't';
    PQclear(res);
    return 0;
}

int saml_pending_force(int *force_out, saml_ctx *ctx, const char *id,
                       idm_err *err)
{
    PGresult *res = NULL;
    int rc = pending_row(&res, ctx, id, 0, err);

    *force_out = 0;
    if (rc == IDM_ENOTFOUND) {
        return 0; /* nothing to force: resuming finds nothing either */
    }
    if (rc == 0) {
        *force_out = PQgetvalue(res, 0, 3)[0] == 't';
    }
    PQclear(res);
    return rc;
}

int saml_pending_force_done(saml_ctx *ctx, const char *id, idm_err *err)
{
    char idh[67], bh[67];
    idm_db *db;
    int rc;

    if (id == NULL || strlen(id) != 43) {
        return 0;
    }
    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    token_hash(idh, id);
    token_hash(bh, ctx->browser);
    return idm_db_query(NULL, db,
                        "UPDATE saml_pending SET force_authn = false "
                        "WHERE id_hash = $1::bytea AND browser_hash = "
                        "$2::bytea",
                        2, (const char *const[]){idh, bh}, err);
}

/* ---- Single Logout (slo.c) ---- */

int saml_slo_session_find(int64_t *id_out, char login_out[80], saml_ctx *ctx,
                          const char *sp, const char *name_id,
                          const char *session_index, idm_err *err)
{
    char idle[16];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *id_out = 0;
    login_out[0] = '\0';
    if (sp == NULL || name_id == NULL || session_index == NULL) {
        return 0;
    }
    rc = saml_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(idle, sizeof(idle), "%d",
             ctx->idp->conf->idp_session_idle_minutes);
    /* all three must match one live session: the SP was given exactly this
     * NameID and SessionIndex in it */
    rc = idm_db_query_prepared(
        &res, db,
        "SELECT s.id, s.login FROM saml_session_sp p JOIN saml_session s "
        "ON s.id = p.session_id WHERE p.sp_entity_id = $1 "
        "AND p.session_index = $2 AND p.name_id = $3 "
        "AND s.expires_at > now() "
        "AND s.last_seen > now() - make_interval(mins => $4::int)",
        4, (const char *const[]){sp, session_index, name_id, idle}, err);
    if (rc == 0 && PQntuples(res) == 1) {
        *id_out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(login_out, 80, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

int saml_slo_session_end(saml_ctx *ctx, int64_t id, idm_err *err)
{
    char sid[24];
    idm_db *db;
    int rc = saml_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    return idm_db_query(NULL, db, "DELETE FROM saml_session WHERE id = $1", 1,
                        (const char *const[]){sid}, err);
}

char *saml_slo_session_index(const saml_idp *idp, int64_t session_id,
                             const char *sp)
{
    unsigned char mac[32];
    char *in = idm_xasprintf("slo-session-index|%lld|%s",
                            (long long)session_id, sp);
    char *b64, *out;

    /* keyed like the pairwise ids; the prefix is no UUID, so no input of
     * saml_nameid_pairwise() is ever the same */
    saml__mac(mac, idp->pairwise_mac, in, strlen(in));
    free(in);
    b64 = saml__b64url_encode(mac, sizeof(mac));
    out = idm_xasprintf("_%s", b64);
    free(b64);
    return out;
}
