/* SPDX-License-Identifier: EUPL-1.2
 * Password authentication against the core: constant work per attempt,
 * a decaying failure score per (account, client address) and per account
 * that throttles and slows but never locks the owner out, device tokens
 * that take the owner's browsers out of the address score, one answer for
 * every failure, and hash upgrades to the configured Argon2id parameters.
 *
 * No lock is held while Argon2id runs. Each attempt goes through three
 * steps (idm/user.h states the contract):
 *   1. charge: one statement (charge_sql) finds the account and, where it
 *      exists, atomically spends the attempt: a device token's budget, or
 *      one point of the address score, then one point of the account
 *      score or the slow-down slot. It returns what it allowed. Its row
 *      locks end with the statement, and each parallel attempt sees the
 *      charges of those before it, so parallelism cannot pass a limit.
 *   2. verify: one Argon2id computation outside any transaction (the
 *      real hash, or the dummy one for unknown, throttled and slowed
 *      attempts), and a rehash when the stored parameters are old.
 *   3. settle: one short transaction. Success refunds the account point,
 *      clears the address score and marks the address known (unless a
 *      device token carried the attempt), renews the device token and
 *      records the login; a failure leaves the charge, counts it on the
 *      account and revokes a device token out of budget; audit either way.
 * Parallel guesses at one account therefore run in parallel, as they do
 * at a login that does not exist: no timing oracle, no connection held in
 * a transaction per guess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core_int.h"
#include "base/addr.h"
#include "base/log.h"
#include "idm/conf.h"
#include "idm/login.h"
#include "idm/password.h"
#include "idm/user.h"

/*
 * The charge. A score decays linearly: one failure forgotten per $3
 * seconds (spelt out per row: t the address's, g the account's).
 * d: a device token of this account, unexpired and within its budget,
 * spends one failure of it and carries the attempt. t: otherwise the
 * address pays one point, refused or not (capped at twice the limit, so
 * that it drains in bounded time); allowed while the score stays within
 * max_failed_logins. g: an allowed attempt pays one point of the account
 * score (capped likewise); over account_slow_failures an address neither
 * known nor carried by a device token must take the slow-down slot and,
 * finding it taken, pays nothing there: the WHERE of DO UPDATE skips the
 * row, so g returns none. The outcome is in the last three columns; a
 * NULL id: no such login. w takes a transaction id in every case, so
 * that an unknown login also ends in a commit that flushes the WAL, as
 * the upserts of a known one do: the two cost the same disk wait.
 *   $1 login, $2 address key, $3 decay seconds, $4 known_address_days,
 *   $5 max_failed_logins, $6 its cap, $7 account_slow_failures, $8 its
 *   cap, $9 account_slow_seconds, $10 device token hash or NULL, $11
 *   device_max_failures
 */
static const char charge_sql[] =
    "WITH a AS (SELECT a.id, p.uuid, a.status, a.password_hash, "
    "a.must_change_password FROM account a JOIN person p ON p.id = "
    "a.person_id WHERE lower(a.login) = lower($1)), "
    "d AS (UPDATE login_device v SET failures = v.failures + 1, "
    "used_at = now() FROM a WHERE v.token_hash = $10::bytea "
    "AND v.account_id = a.id AND v.expires_at > now() "
    "AND v.failures < $11::int RETURNING v.account_id), "
    "t AS (INSERT INTO login_throttle AS t (account_id, addr, score) "
    "SELECT id, $2, 1 FROM a WHERE NOT EXISTS (SELECT 1 FROM d) "
    "ON CONFLICT (account_id, addr) DO UPDATE SET "
    "score = least(greatest(0, t.score - "
    "extract(epoch FROM now() - t.score_at) / $3::float8) + 1, "
    "$6::float8), score_at = now() "
    "RETURNING t.score <= $5::int AS ok, coalesce(t.last_ok_at > now() - "
    "make_interval(days => $4::int), false) AS known), "
    "x AS (SELECT EXISTS (SELECT 1 FROM d) OR "
    "coalesce((SELECT known FROM t), false) AS exempt), "
    "g AS (INSERT INTO login_throttle AS g (account_id, addr, score) "
    "SELECT id, '*', 1 FROM a WHERE EXISTS (SELECT 1 FROM d) "
    "OR coalesce((SELECT ok FROM t), false) "
    "ON CONFLICT (account_id, addr) DO UPDATE SET "
    "score = least(greatest(0, g.score - "
    "extract(epoch FROM now() - g.score_at) / $3::float8) + 1, "
    "$8::float8), score_at = now(), "
    "slow_until = CASE WHEN greatest(0, g.score - "
    "extract(epoch FROM now() - g.score_at) / $3::float8) + 1 > $7::int "
    "AND NOT (SELECT exempt FROM x) "
    "THEN now() + make_interval(secs => $9::int) ELSE g.slow_until END "
    "WHERE (SELECT exempt FROM x) OR greatest(0, g.score - "
    "extract(epoch FROM now() - g.score_at) / $3::float8) + 1 <= $7::int "
    "OR NOT coalesce(g.slow_until > now(), false) RETURNING 1) "
    "SELECT a.id, a.uuid, a.status, a.password_hash, "
    "a.must_change_password, EXISTS (SELECT 1 FROM d), "
    "coalesce((SELECT ok FROM t), false), EXISTS (SELECT 1 FROM g) "
    "FROM (SELECT pg_current_xact_id()) w LEFT JOIN a ON true";

/* Success, the owner: this address is known now, its score starts over. */
static const char ok_addr_sql[] =
    "INSERT INTO login_throttle AS t (account_id, addr, score, last_ok_at) "
    "VALUES ($1::bigint, $2, 0, now()) "
    "ON CONFLICT (account_id, addr) DO UPDATE SET "
    "score = 0, score_at = now(), last_ok_at = now()";

/* Success: the account's point of the charge comes back ($2: decay). */
static const char ok_acct_sql[] =
    "UPDATE login_throttle g SET score = greatest(0, g.score - "
    "extract(epoch FROM now() - g.score_at) / $2::float8 - 1), "
    "score_at = now() WHERE account_id = $1::bigint AND addr = '*'";

/* Success: the row of the account, unless the password or the status
 * changed while it was checked (then the check proves nothing). */
static const char ok_account_sql[] =
    "UPDATE account SET failed_logins = 0, locked_until = NULL, "
    "last_login_at = now(), password_hash = coalesce($3, password_hash) "
    "WHERE id = $1::bigint AND password_hash = $2 AND status = 'active' "
    "RETURNING id";

typedef enum outcome {
    OUT_OK,
    OUT_UNKNOWN,   /* no such login */
    OUT_WRONG,     /* wrong password (or none stored) */
    OUT_THROTTLED, /* this address is over its limit for the account */
    OUT_SLOWED,    /* the account is slowed and the slot is taken */
    OUT_INACTIVE   /* right password, account locked or disabled */
} outcome;

static const char *const reasons[] = {
    [OUT_OK] = "ok",
    [OUT_UNKNOWN] = "unknown login",
    [OUT_WRONG] = "wrong password",
    [OUT_THROTTLED] = "throttled (address)",
    [OUT_SLOWED] = "slowed (account)",
    [OUT_INACTIVE] = "account not active",
};

/* What the charge found and allowed. */
typedef struct attempt {
    char *id, *uuid, *status, *hash; /* id NULL: no such login */
    int must_change;
    int device;  /* a device token carried it (no address score) */
    int allowed; /* charged: the password is checked */
    int throttled;
} attempt;

static void attempt_clear(attempt *at)
{
    free(at->id);
    free(at->uuid);
    free(at->status);
    free(at->hash);
    memset(at, 0, sizeof(*at));
}

static int charge(attempt *at, idm_db *db, const idm_password_conf *pc,
                  const char *login, const char *addr, const char *device,
                  idm_err *err)
{
    char decay[16], days[16], max[16], cap_addr[24], slow_f[16], cap_acct[24];
    char slow[16], budget[16];
    PGresult *res = NULL;
    int rc;

    snprintf(decay, sizeof(decay), "%d", pc->failure_decay_seconds);
    snprintf(days, sizeof(days), "%d", pc->known_address_days);
    snprintf(max, sizeof(max), "%d", pc->max_failed_logins);
    snprintf(cap_addr, sizeof(cap_addr), "%d", 2 * pc->max_failed_logins);
    snprintf(slow_f, sizeof(slow_f), "%d", pc->account_slow_failures);
    snprintf(cap_acct, sizeof(cap_acct), "%d", 2 * pc->account_slow_failures);
    snprintf(slow, sizeof(slow), "%d", pc->account_slow_seconds);
    snprintf(budget, sizeof(budget), "%d", pc->device_max_failures);
    rc = idm_db_query_prepared(
        &res, db, charge_sql, 11,
        (const char *const[]){login, addr, decay, days, max, cap_addr, slow_f,
                              cap_acct, slow, device, budget},
        err);
    if (rc != 0 || PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
        PQclear(res);
        return rc;
    }
    at->id = idm_db_strdup(res, 0, 0);
    at->uuid = idm_db_strdup(res, 0, 1);
    at->status = idm_db_strdup(res, 0, 2);
    at->hash = idm_db_strdup(res, 0, 3);
    at->must_change = idm_db_bool(res, 0, 4);
    at->device = idm_db_bool(res, 0, 5);
    at->throttled = !at->device && !idm_db_bool(res, 0, 6);
    at->allowed = !at->throttled && idm_db_bool(res, 0, 7);
    PQclear(res);
    return 0;
}

/* The right password, in the settling transaction. */
static int settle_ok(outcome *o, idm_auth_result *out, idm_db *db,
                     const idm_password_conf *pc, const attempt *at,
                     const char *addr, const char *device,
                     const idm_auth_opts *opts, const char *newhash,
                     idm_err *err)
{
    char decay[16];
    PGresult *res = NULL;
    int active = strcmp(at->status, "active") == 0, rc = 0;

    snprintf(decay, sizeof(decay), "%d", pc->failure_decay_seconds);
    if (active) {
        if (newhash != NULL) {
            /* the same password: sessions and device tokens stay
             * (migrations 0009 and 0017) */
            rc = idm_db_query(NULL, db,
                              "SELECT set_config('idm.rehash', 'on', true)", 0,
                              NULL, err);
            if (rc != 0) {
                return rc;
            }
        }
        rc = idm_db_q(&res, db, ok_account_sql, err, at->id, at->hash, newhash);
        if (rc != 0) {
            return rc;
        }
        if (PQntuples(res) == 0) {
            /* changed since the charge read it: not the owner's proof */
            PQclear(res);
            *o = OUT_WRONG;
            return 0;
        }
        PQclear(res);
        /* A new token (the old one rotated out, its budget with it) only
         * at a full login, and not while the password is an initial or
         * printed one: the next normal login issues it. Otherwise the
         * token's budget stays as the charge left it (a current-password
         * check renews nothing). */
        if (opts->issue_device && !at->must_change) {
            rc = idm_device__issue(out->device_token, db, pc, at->id,
                                   at->device ? device : NULL, err);
            if (rc != 0) {
                return rc;
            }
        }
    }
    /* The right password proves ownership: the address is the owner's.
     * Not when a device token carried the attempt: the address may be a
     * school's, shared with whoever guesses, and needs no clean slate. */
    if (!at->device) {
        rc = idm_db_q(NULL, db, ok_addr_sql, err, at->id, addr);
    }
    if (rc == 0) {
        rc = idm_db_q(NULL, db, ok_acct_sql, err, at->id, decay);
    }
    *o = active ? OUT_OK : OUT_INACTIVE;
    return rc;
}

/* A failure that reached the password check, in the settling
 * transaction: the charge stays; a device token out of budget goes. */
static int settle_wrong(int *revoked, idm_db *db, const idm_password_conf *pc,
                        const attempt *at, const char *device, idm_err *err)
{
    char budget[16];
    PGresult *res = NULL;
    int rc;

    *revoked = 0;
    rc = idm_db_q(NULL, db,
                  "UPDATE account SET failed_logins = failed_logins + 1, "
                  "last_failed_at = now() WHERE id = $1::bigint",
                  err, at->id);
    if (rc != 0 || !at->device) {
        return rc;
    }
    snprintf(budget, sizeof(budget), "%d", pc->device_max_failures);
    rc = idm_db_q(&res, db,
                  "DELETE FROM login_device WHERE token_hash = $1::bytea "
                  "AND failures >= $2::int RETURNING 1",
                  err, device, budget);
    if (rc == 0) {
        *revoked = PQntuples(res) > 0;
    }
    PQclear(res);
    return rc;
}

int idm_user_authenticate(idm_auth_result *out, idm_db *db,
                          const idm_conf *conf, const idm_actor *actor,
                          const char *login, const char *password, idm_err *err)
{
    return idm_user_authenticate_ext(out, db, conf, actor, login, password,
                                     NULL, err);
}

int idm_user_authenticate_ext(idm_auth_result *out, idm_db *db,
                              const idm_conf *conf, const idm_actor *actor,
                              const char *login, const char *password,
                              const idm_auth_opts *opts, idm_err *err)
{
    static const idm_auth_opts no_opts = IDM_AUTH_OPTS_INIT;
    const idm_password_conf *pc = idm_password_conf_get(conf);
    idm_argon2_params params = {pc->argon2_memory_kib, pc->argon2_iterations,
                                pc->argon2_parallelism};
    attempt at = {0};
    char *details = NULL, *newhash = NULL;
    char addr[IDM_ADDR_KEY_MAX], device[IDM_DEVICE_HASH_HEX];
    const char *dev = NULL, *dev_note = NULL;
    int rc, tx = 0, revoked = 0, vrc = IDM_EAUTH;
    outcome o = OUT_OK;

    memset(out, 0, sizeof(*out));
    if (opts == NULL) {
        opts = &no_opts;
    }
    if (idm_db_in_tx(db)) {
        /* the whole point: no transaction (and no lock) across Argon2id */
        return idm_err_set(err, IDM_EINTERNAL,
                           "password check inside a transaction");
    }
    idm_addr_key(addr, sizeof(addr), actor->addr != NULL ? actor->addr : "");
    if (pc->device_days > 0 && idm_device__well_formed(opts->device_token)) {
        idm_device__hash(device, opts->device_token);
        dev = device;
    }

    /* 1. charge (one statement, its locks end with it) */
    rc = charge(&at, db, pc, login, addr, dev, err);
    if (rc != 0) {
        goto cleanup;
    }

    /* 2. verify: one Argon2id computation, whatever the outcome */
    if (at.id == NULL || !at.allowed) {
        /* the same work as a checked password: no timing oracle */
        idm_password_dummy_verify(&params, password);
        o = at.id == NULL  ? OUT_UNKNOWN
            : at.throttled ? OUT_THROTTLED
                           : OUT_SLOWED;
    } else {
        if (at.hash != NULL) {
            vrc = idm_password_verify(at.hash, password, err);
        } else {
            idm_password_dummy_verify(&params, password);
        }
        if (vrc != 0 && at.hash != NULL &&
            idm_password_needs_rehash(at.hash, &params)) {
            /* a cheaper stored hash (an import's initial password) must
             * not answer faster than an unknown login does */
            idm_password_dummy_verify(&params, password);
        }
        o = vrc == 0 ? OUT_OK : OUT_WRONG;
        if (o == OUT_OK && strcmp(at.status, "active") == 0 &&
            idm_password_needs_rehash(at.hash, &params)) {
            rc = idm_password_hash(&newhash, &params, password, err);
            if (rc != 0) {
                goto cleanup;
            }
        }
    }
    if (at.device) {
        dev_note = "used";
    }

    /* 3. settle (one short transaction) */
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 1;
    if (o == OUT_OK) {
        rc = settle_ok(&o, out, db, pc, &at, addr, dev, opts, newhash, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    if (o == OUT_WRONG) {
        rc = settle_wrong(&revoked, db, pc, &at, dev, err);
        if (rc != 0) {
            goto cleanup;
        }
        if (revoked) {
            dev_note = "revoked";
        }
    }
    if (o == OUT_OK) {
        out->rehashed = newhash != NULL;
        out->must_change_password = at.must_change;
        snprintf(out->uuid, sizeof(out->uuid), "%s", at.uuid);
        details = idm_json_pack("{s:b, s:s*}", "rehashed", out->rehashed,
                                "device", dev_note);
        rc = idm_audit_write(db, actor, "login.ok", login, IDM_AUDIT_OK,
                             details, err);
        if (rc == 0 && out->rehashed) {
            /* consumers holding the hash (LDAP) need the new one */
            const idm_person_ref who = {.uuid = at.uuid, .login = login};
            rc = idm_outbox_person(db, IDM_EVENT_ACCOUNT_PASSWORD_CHANGED, &who,
                                   NULL, err);
        }
    } else {
        /* A login that does not exist is never recorded: it may be a
         * password typed into the wrong field. */
        const char *target = o == OUT_UNKNOWN ? "(unknown)" : login;
        details = idm_json_pack("{s:s, s:s?, s:s*}", "reason", reasons[o],
                                "status", at.status, "device", dev_note);
        rc = idm_audit_write(db, actor, "login.fail", target,
                             o == OUT_WRONG || o == OUT_UNKNOWN
                                 ? IDM_AUDIT_FAILED
                                 : IDM_AUDIT_DENIED,
                             details, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
    if (rc == 0 && o == OUT_INACTIVE) {
        rc = idm_err_set(err, IDM_ELOCKED, "this account cannot log in");
    } else if (rc == 0 && o != OUT_OK) {
        /* one answer for every other failure: no login oracle */
        rc = idm_err_set(err, IDM_EAUTH, "wrong login or password");
    }
    if (idm_log_enabled(IDM_LOG_NOTICE)) {
        char q[96], a[96];
        idm_log(
            o == OUT_OK ? IDM_LOG_INFO : IDM_LOG_NOTICE, "idm",
            o == OUT_OK ? "login.ok" : "login.fail",
            "login=%s from=%s reason=\"%s\"%s%s",
            idm_log_quote(q, sizeof(q), o == OUT_UNKNOWN ? "(unknown)" : login),
            idm_log_quote(a, sizeof(a), actor->addr), reasons[o],
            dev_note != NULL ? " device=" : "",
            dev_note != NULL ? dev_note : "");
    }
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    if (rc != 0 && rc != IDM_EAUTH && rc != IDM_ELOCKED) {
        /* no session may come of a token whose row was rolled back */
        OPENSSL_cleanse(out->device_token, sizeof(out->device_token));
        out->device_token[0] = '\0';
    }
    attempt_clear(&at);
    free(details);
    free(newhash);
    return rc;
}
