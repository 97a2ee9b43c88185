/* SPDX-License-Identifier: EUPL-1.2
 * SAML state shared by all idmd nodes, in PostgreSQL: the SPs of a session
 * (with the audit row of each assertion), the replay cache of request IDs
 * (looking the browser session up in the same statement), AuthnRequests
 * waiting for the login page and the sessions of Single Logout. Browser
 * sessions themselves are the web layer's (web/session.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "idp_int.h"
#include "saml/conf.h"
#include "store_int.h"
#include "web/conf.h"
#include "web/session.h"

int saml_assertion_record_send(web_ctx *ctx, int64_t session_id,
                               const char *login, const char *sp,
                               const char *name_id, const char *format,
                               const char *session_index, idm_err *err)
{
    /* in the pool: the statement's parameters outlive this call */
    const char **p = web_pool_add(ctx->pool, free, idm_xcalloc(8, sizeof(*p)));
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    p[0] = web_pool_add(ctx->pool, free,
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

int saml_assertion_record_wait(web_ctx *ctx, const char *sp, idm_err *err)
{
    int rc = idm_db_wait(NULL, ctx->db, err);

    if (rc == 0) {
        web_audit_log(ctx, "saml.assertion_issue", IDM_AUDIT_OK, sp, NULL);
    }
    return rc;
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
                "s AS (" WEB_SESSION_TOUCH "), %s "
                "SELECT EXISTS (SELECT 1 FROM r), s.*, idm_subject.* "
                "FROM (VALUES (1)) v LEFT JOIN s ON true "
                "LEFT JOIN idm_subject ON true ORDER BY %s",
                subject, IDM_SUBJECT_ORDER));
        g_free(subject);
    }
    return sql;
}

int saml_replay_send(web_ctx *ctx, const char *sp, const char *id,
                     int64_t expires, idm_err *err)
{
    struct saml_replay_q *q =
        web_pool_add(ctx->pool, free, idm_xcalloc(1, sizeof(*q)));
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

    if (rc != 0) {
        return rc;
    }
    q->token = web_session_token(ctx, q->hash, q->idle);
    snprintf(q->exp, sizeof(q->exp), "%lld", (long long)expires);
    q->params[0] = q->token != NULL ? q->hash : NULL;
    q->params[1] = q->idle;
    q->params[2] = sp;
    q->params[3] = id;
    q->params[4] = q->exp;
    rc = idm_db_send_prepared(db, replay_sql(), 5, q->params, err);
    if (rc == 0) {
        /* the connection stays with the request until the wait */
        saml_req_of(ctx)->replay = q;
        ctx->db_busy = 1;
    }
    return rc;
}

int saml_replay_wait(web_ctx *ctx, idm_err *err)
{
    struct saml_replay_q *q = saml_req_of(ctx)->replay;
    idm_err ignored = IDM_ERR_INIT;
    idm_subject *subject = NULL;
    PGresult *res = NULL;
    int rc = idm_db_wait(&res, ctx->db, err);

    saml_req_of(ctx)->replay = NULL;
    ctx->db_busy = 0;
    web_session_reset(ctx);
    ctx->session_checked = 1;
    if (rc == 0 && PQntuples(res) < 1) {
        rc = idm_err_set(err, IDM_EINTERNAL, "replay check without result");
    } else if (rc == 0 && PQgetvalue(res, 0, 0)[0] != 't') {
        rc = idm_err_set(err, IDM_EEXISTS, "request ID seen before");
    } else if (rc == 0 && q->token != NULL && !PQgetisnull(res, 0, 1)) {
        web_session_fill(ctx, res, 1, q->token);
        /* none for an account gone since: the SSO reads it again and
         * fails as it would have */
        if (idm_subject_read(&subject, res, 6, ctx->session.login, &ignored) ==
            0) {
            web_session_subject_set(ctx, subject);
        }
    }
    PQclear(res);
    return rc;
}

int saml_pending_store(char **id_out, web_ctx *ctx, const char *binding,
                       const char *message, const char *relay_state,
                       idm_err *err)
{
    char *id = web_pool_add(ctx->pool, free, web_random_token());
    char idh[67], bh[67];
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

    *id_out = NULL;
    if (rc != 0) {
        return rc;
    }
    web_token_hash(idh, id);
    web_token_hash(bh, ctx->browser);
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
static int pending_row(PGresult **out, web_ctx *ctx, const char *id, int take,
                       idm_err *err)
{
    char idh[67], bh[67];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *out = NULL;
    if (id == NULL || strlen(id) != 43) {
        return idm_err_set(err, IDM_ENOTFOUND, "no pending request");
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    web_token_hash(idh, id);
    web_token_hash(bh, ctx->browser);
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

int saml_pending_park(char **id_out, saml_pending_limit *limit_out,
                      web_ctx *ctx, const char *binding, const char *message,
                      const char *relay_state, int force, idm_err *err)
{
    const saml_conf *conf = saml_conf_get(ctx->conf);
    char *id = web_pool_add(ctx->pool, free, web_random_token());
    char idh[67], bh[67], keep[16], ceiling[16], all[16], light[16];
    char addr[IDM_ADDR_KEY_MAX];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *id_out = NULL;
    *limit_out = SAML_PENDING_PARKED;
    if (strlen(message) > SAML_PENDING_MESSAGE_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "the request is too large");
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    web_token_hash(idh, id);
    web_token_hash(bh, ctx->browser);
    snprintf(keep, sizeof(keep), "%d", SAML_PENDING_PER_BROWSER - 1);
    snprintf(ceiling, sizeof(ceiling), "%d", conf->pending_per_address);
    snprintf(all, sizeof(all), "%d", conf->pending_max);
    snprintf(light, sizeof(light), "%d", SAML_PENDING_LIGHT);
    /* keyed like the throttle: an IPv6 client counts by its /64, which
     * it cannot leave by changing the host part */
    idm_addr_key(addr, sizeof(addr),
                 ctx->actor.addr != NULL ? ctx->actor.addr : "unknown");
    /*
     * One statement: count the address's live rows (at most ceiling +
     * keep of them, through saml_pending_addr_idx) and read the rows of
     * all addresses (saml_pending_count, kept by triggers: migration
     * 0018), then park the request:
     * - this browser's own oldest rows at the address give way beyond
     *   SAML_PENDING_PER_BROWSER (a browser competes with itself);
     * - at [idp] pending_per_address the address's oldest rows of other
     *   browsers give way, as many as needed to stay at it. Refusing
     *   there instead would let one client behind a school's NAT (4096
     *   requests without a cookie are 4096 "browsers") lock every pupil
     *   of that school out of starting a login; evicting the oldest only
     *   costs a pupil who is slower than the flood;
     * - at [idp] pending_max in all, an address that already holds
     *   SAML_PENDING_LIGHT rows is refused (503); a lighter one still
     *   parks, so that whoever fills the table from many addresses does
     *   not stop everyone else. The table may pass pending_max by
     *   SAML_PENDING_LIGHT rows per address that parks meanwhile.
     * The browser's own rows count as at most keep, the number they will
     * have once its oldest gave way; all parts see the table as it was
     * before the statement. One row: whether it was parked, and how many
     * rows of other browsers gave way.
     */
    rc = idm_db_query(
        &res, db,
        "WITH c AS (SELECT count(*) FILTER (WHERE browser_hash <> "
        "$2::bytea) AS others, count(*) FILTER (WHERE browser_hash = "
        "$2::bytea) AS mine FROM (SELECT browser_hash FROM saml_pending "
        "WHERE addr = $6 AND expires_at > now() "
        "LIMIT $9::int + $8::int) x), "
        "ok AS (SELECT (SELECT coalesce(sum(n), 0) FROM saml_pending_count) "
        "< $10::bigint OR others + least(mine, $8::int) < $11::int AS go, "
        "greatest(0, others + least(mine, $8::int) - ($9::int - 1)) "
        "AS evict FROM c), "
        "own AS (DELETE FROM saml_pending WHERE (SELECT go FROM ok) AND "
        "id_hash IN (SELECT id_hash FROM saml_pending WHERE addr = $6 AND "
        "browser_hash = $2::bytea ORDER BY expires_at DESC "
        "OFFSET $8::int)), "
        "old AS (DELETE FROM saml_pending WHERE (SELECT go FROM ok) AND "
        "id_hash IN (SELECT id_hash FROM saml_pending WHERE addr = $6 AND "
        "browser_hash <> $2::bytea ORDER BY expires_at "
        "LIMIT (SELECT evict FROM ok)) RETURNING 1), "
        "ins AS (INSERT INTO saml_pending (id_hash, browser_hash, "
        "binding, message, relay_state, expires_at, addr, force_authn) "
        "SELECT $1::bytea, $2::bytea, $3, $4, $5, "
        "now() + interval '30 minutes', $6, $7::boolean "
        "WHERE (SELECT go FROM ok)) "
        "SELECT go, (SELECT count(*) FROM old) FROM ok",
        11,
        (const char *const[]){idh, bh, binding, message, relay_state, addr,
                              force ? "t" : "f", keep, ceiling, all, light},
        err);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        rc = idm_err_set(err, IDM_EINTERNAL, "park without result");
    } else if (PQgetvalue(res, 0, 0)[0] != 't') {
        *limit_out = SAML_PENDING_ALL_FULL;
    } else {
        *id_out = id;
        if (strtol(PQgetvalue(res, 0, 1), NULL, 10) > 0) {
            *limit_out = SAML_PENDING_EVICTED;
        }
    }
    PQclear(res);
    return rc;
}

int saml_pending_resume(char **binding_out, char **message_out,
                        char **relay_out, int *force_out, web_ctx *ctx,
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
    *binding_out = web_pool_strdup(ctx->pool, PQgetvalue(res, 0, 0));
    *message_out = web_pool_strdup(ctx->pool, PQgetvalue(res, 0, 1));
    *relay_out = PQgetisnull(res, 0, 2)
                     ? NULL
                     : web_pool_strdup(ctx->pool, PQgetvalue(res, 0, 2));
    *force_out = PQgetvalue(res, 0, 3)[0] == 't';
    PQclear(res);
    return 0;
}

int saml_pending_force(int *force_out, web_ctx *ctx, const char *id,
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

int saml_pending_force_done(web_ctx *ctx, const char *id, idm_err *err)
{
    char idh[67], bh[67];
    idm_db *db;
    int rc;

    if (id == NULL || strlen(id) != 43) {
        return 0;
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    web_token_hash(idh, id);
    web_token_hash(bh, ctx->browser);
    return idm_db_query(NULL, db,
                        "UPDATE saml_pending SET force_authn = false "
                        "WHERE id_hash = $1::bytea AND browser_hash = "
                        "$2::bytea",
                        2, (const char *const[]){idh, bh}, err);
}

/* ---- Single Logout (slo.c) ---- */

int saml_slo_session_find(int64_t *id_out, char login_out[80], web_ctx *ctx,
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
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    snprintf(idle, sizeof(idle), "%d",
             web_conf_get(ctx->conf)->session_idle_minutes);
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

int saml_slo_walk_find(char **state_out, int *replayed_out, web_ctx *ctx,
                       const char *walk_id, const char *sp,
                       const char *response_id, idm_err *err)
{
    char idh[67], bh[67];
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    *state_out = NULL;
    *replayed_out = 0;
    if (sp == NULL || response_id == NULL) {
        return 0;
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    /* no walk without its id: the hash of "" matches no row */
    web_token_hash(idh,
                   walk_id != NULL && strlen(walk_id) == 43 ? walk_id : "");
    web_token_hash(bh, ctx->browser);
    /* reads only: a response that answers no walk writes nothing */
    rc = idm_db_query(
        &res, db,
        "SELECT (SELECT message FROM saml_pending WHERE id_hash = $1::bytea "
        "AND browser_hash = $2::bytea AND binding = 'logout' "
        "AND expires_at > now()), "
        "EXISTS (SELECT 1 FROM saml_replay WHERE sp_entity_id = $3 "
        "AND request_id = $4)",
        4, (const char *const[]){idh, bh, sp, response_id}, err);
    if (rc == 0 && PQntuples(res) == 1) {
        if (!PQgetisnull(res, 0, 0)) {
            *state_out = web_pool_strdup(ctx->pool, PQgetvalue(res, 0, 0));
        }
        *replayed_out = idm_db_bool(res, 0, 1);
    }
    PQclear(res);
    return rc;
}

int saml_slo_walk_advance(char **next_id_out, web_ctx *ctx, const char *walk_id,
                          const char *state, const char *sp,
                          const char *response_id, int64_t expires,
                          const char *next, idm_err *err)
{
    char idh[67], bh[67], nh[67], exp[24];
    char *nid = NULL;
    PGresult *res = NULL;
    idm_db *db;
    int rc;

    if (next_id_out != NULL) {
        *next_id_out = NULL;
    }
    if (walk_id == NULL || strlen(walk_id) != 43) {
        return idm_err_set(err, IDM_ENOTFOUND, "no pending logout");
    }
    rc = web_ctx_db(&db, ctx, err);
    if (rc != 0) {
        return rc;
    }
    web_token_hash(idh, walk_id);
    web_token_hash(bh, ctx->browser);
    if (next != NULL) {
        nid = web_pool_add(ctx->pool, free, web_random_token());
        web_token_hash(nh, nid);
    }
    snprintf(exp, sizeof(exp), "%lld", (long long)expires);
    /* one statement, all or nothing: the walk's row as it was found
     * (locked), the response's replay entry only with it, the row deleted
     * only with a new replay entry, the next step's row only with that */
    rc = idm_db_query(
        &res, db,
        "WITH w AS (SELECT id_hash FROM saml_pending WHERE id_hash = "
        "$1::bytea AND browser_hash = $2::bytea AND binding = 'logout' "
        "AND message = $3 AND expires_at > now() FOR UPDATE), "
        "r AS (INSERT INTO saml_replay (sp_entity_id, request_id, "
        "expires_at) SELECT $4, $5, to_timestamp($6) FROM w "
        "ON CONFLICT DO NOTHING RETURNING 1), "
        "d AS (DELETE FROM saml_pending WHERE id_hash IN "
        "(SELECT id_hash FROM w) AND EXISTS (SELECT 1 FROM r) "
        "RETURNING 1), "
        "n AS (INSERT INTO saml_pending (id_hash, browser_hash, binding, "
        "message, expires_at) SELECT $7::bytea, $2::bytea, 'logout', $8, "
        "now() + interval '30 minutes' FROM d WHERE $8::text IS NOT NULL "
        "RETURNING 1) "
        "SELECT EXISTS (SELECT 1 FROM w), EXISTS (SELECT 1 FROM r), "
        "EXISTS (SELECT 1 FROM d), EXISTS (SELECT 1 FROM n)",
        8,
        (const char *const[]){idh, bh, state, sp, response_id, exp,
                              next != NULL ? nh : NULL, next},
        err);
    if (rc == 0 && PQntuples(res) != 1) {
        rc = idm_err_set(err, IDM_EINTERNAL, "logout step without result");
    } else if (rc == 0 && !idm_db_bool(res, 0, 0)) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "the logout moved on");
    } else if (rc == 0 && !idm_db_bool(res, 0, 1)) {
        rc = idm_err_set(err, IDM_EEXISTS, "response ID seen before");
    } else if (rc == 0 && (!idm_db_bool(res, 0, 2) ||
                           (next != NULL && !idm_db_bool(res, 0, 3)))) {
        rc = idm_err_set(err, IDM_EINTERNAL, "logout step not stored");
    }
    PQclear(res);
    if (rc == 0 && next_id_out != NULL) {
        *next_id_out = nid;
    }
    return rc;
}

int saml_slo_session_end(web_ctx *ctx, int64_t id, idm_err *err)
{
    char sid[24];
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

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
    char *in =
        idm_xasprintf("slo-session-index|%lld|%s", (long long)session_id, sp);
    char *b64, *out;

    /* keyed like the pairwise ids; the prefix is no UUID, so no input of
     * saml_nameid_pairwise() is ever the same */
    web_mac(mac, idp->pairwise_mac, in, strlen(in));
    free(in);
    b64 = web_b64url_encode(mac, sizeof(mac));
    out = idm_xasprintf("_%s", b64);
    free(b64);
    return out;
}
