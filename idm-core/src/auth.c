/* SPDX-License-Identifier: EUPL-1.2
 * Password authentication against the core: constant work per attempt,
 * a decaying failure score per (account, client address) and per account
 * that throttles and slows but never locks the owner out, one answer for
 * every failure, and hash upgrades to the configured Argon2id parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "base/addr.h"
#include "base/log.h"
#include "idm/conf.h"
#include "idm/login.h"
#include "idm/password.h"
#include "idm/user.h"

/* A score decays linearly: one failure forgotten per $3 seconds (spelt
 * out for the row t and the account row g). */
static const char select_sql[] =
    "SELECT a.id, p.uuid, a.status, a.password_hash, a.must_change_password, "
    "coalesce(greatest(0, t.score - "
    "extract(epoch FROM now() - t.score_at) / $3::float8), 0), "
    "coalesce(t.last_ok_at > now() - make_interval(days => $4::int), false), "
    "coalesce(greatest(0, g.score - "
    "extract(epoch FROM now() - g.score_at) / $3::float8), 0), "
    "coalesce(g.slow_until > now(), false) "
    "FROM account a JOIN person p ON p.id = a.person_id "
    "LEFT JOIN login_throttle t ON t.account_id = a.id AND t.addr = $2 "
    "LEFT JOIN login_throttle g ON g.account_id = a.id AND g.addr = '*' "
    "WHERE lower(a.login) = lower($1) FOR UPDATE OF a";

/* One more failure for the address and the account; each score is capped
 * (twice its limit) so that it drains in bounded time. */
static const char fail_sql[] =
    "INSERT INTO login_throttle AS t (account_id, addr, score) "
    "VALUES ($1::bigint, $2, 1), ($1::bigint, '*', 1) "
    "ON CONFLICT (account_id, addr) DO UPDATE SET "
    "score = least(greatest(0, t.score - "
    "extract(epoch FROM now() - t.score_at) / $3::float8) + 1, "
    "CASE WHEN t.addr = '*' THEN $5::float8 ELSE $4::float8 END), "
    "score_at = now()";

/* A refused attempt from an address over its limit keeps it there. */
static const char refuse_sql[] =
    "UPDATE login_throttle t SET score = least(greatest(0, t.score - "
    "extract(epoch FROM now() - t.score_at) / $3::float8) + 1, "
    "$4::float8), score_at = now() "
    "WHERE account_id = $1::bigint AND addr = $2";

/* While the account is slowed, an unknown address takes the slot. */
static const char slow_sql[] =
    "INSERT INTO login_throttle AS t (account_id, addr, slow_until) "
    "VALUES ($1::bigint, '*', now() + make_interval(secs => $2::int)) "
    "ON CONFLICT (account_id, addr) DO UPDATE SET "
    "slow_until = EXCLUDED.slow_until";

/* The owner: this address is known now, its own score starts over. */
static const char ok_sql[] =
    "INSERT INTO login_throttle AS t (account_id, addr, score, last_ok_at) "
    "VALUES ($1::bigint, $2, 0, now()) "
    "ON CONFLICT (account_id, addr) DO UPDATE SET "
    "score = 0, score_at = now(), last_ok_at = now()";

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

int idm_user_authenticate(idm_auth_result *out, idm_db *db,
                          const idm_conf *conf, const idm_actor *actor,
                          const char *login, const char *password, idm_err *err)
{
    const idm_password_conf *pc = idm_password_conf_get(conf);
    idm_argon2_params params = {pc->argon2_memory_kib, pc->argon2_iterations,
                                pc->argon2_parallelism};
    PGresult *res = NULL;
    char *hash = NULL, *details = NULL, *id = NULL, *uuid = NULL;
    char *status = NULL, *newhash = NULL;
    char addr[IDM_ADDR_KEY_MAX], decay[16], days[16], cap_addr[24],
        cap_acct[24], slow[16];
    double score_addr, score_acct;
    int rc, tx = 0, known, slot_taken, vrc = IDM_EAUTH;
    outcome o = OUT_OK;

    memset(out, 0, sizeof(*out));
    idm_addr_key(addr, sizeof(addr), actor->addr != NULL ? actor->addr : "");
    snprintf(decay, sizeof(decay), "%d", pc->failure_decay_seconds);
    snprintf(days, sizeof(days), "%d", pc->known_address_days);
    snprintf(cap_addr, sizeof(cap_addr), "%d", 2 * pc->max_failed_logins);
    snprintf(cap_acct, sizeof(cap_acct), "%d", 2 * pc->account_slow_failures);
    snprintf(slow, sizeof(slow), "%d", pc->account_slow_seconds);
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    /* FOR UPDATE serialises parallel guesses against one account. */
    rc = idm_db_q(&res, db, select_sql, err, login, addr, decay, days);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        /* the same Argon2id work as a known login: no timing oracle */
        idm_password_dummy_verify(&params, password);
        o = OUT_UNKNOWN;
        goto finish;
    }
    id = idm_db_strdup(res, 0, 0);
    uuid = idm_db_strdup(res, 0, 1);
    status = idm_db_strdup(res, 0, 2);
    hash = idm_db_strdup(res, 0, 3);
    out->must_change_password = idm_db_bool(res, 0, 4);
    score_addr = strtod(PQgetvalue(res, 0, 5), NULL);
    known = idm_db_bool(res, 0, 6);
    score_acct = strtod(PQgetvalue(res, 0, 7), NULL);
    slot_taken = idm_db_bool(res, 0, 8);
    snprintf(out->uuid, sizeof(out->uuid), "%s", uuid);
    PQclear(res);
    res = NULL;

    /* refused once this attempt would exceed the limit: the score has
     * drained a little since the last failure */
    if (score_addr + 1 > pc->max_failed_logins) {
        /* Only this address waits: the owner elsewhere is not affected. */
        idm_password_dummy_verify(&params, password);
        o = OUT_THROTTLED;
        rc = idm_db_q(NULL, db, refuse_sql, err, id, addr, decay, cap_addr);
        goto finish;
    }
    if (score_acct + 1 > pc->account_slow_failures && !known) {
        /* Many addresses guess at this account: slow new ones down to one
         * attempt per account_slow_seconds; known addresses pass. */
        if (slot_taken) {
            idm_password_dummy_verify(&params, password);
            o = OUT_SLOWED;
            goto finish;
        }
        rc = idm_db_q(NULL, db, slow_sql, err, id, slow);
        if (rc != 0) {
            goto cleanup;
        }
    }

    if (hash != NULL) {
        vrc = idm_password_verify(hash, password, err);
    } else {
        idm_password_dummy_verify(&params, password);
    }
    if (vrc != 0 && hash != NULL && idm_password_needs_rehash(hash, &params)) {
        /* a cheaper stored hash (an import's initial password) must not
         * answer faster than an unknown login does */
        idm_password_dummy_verify(&params, password);
    }
    if (vrc != 0) {
        o = OUT_WRONG;
        rc = idm_db_q(NULL, db, fail_sql, err, id, addr, decay, cap_addr,
                      cap_acct);
        if (rc == 0) {
            rc = idm_db_q(NULL, db,
                          "UPDATE account SET failed_logins = "
                          "failed_logins + 1, last_failed_at = now() "
                          "WHERE id = $1::bigint",
                          err, id);
        }
        goto finish;
    }

    /* The right password proves ownership: the address is the owner's. */
    rc = idm_db_q(NULL, db, ok_sql, err, id, addr);
    if (rc != 0) {
        goto cleanup;
    }
    if (strcmp(status, "active") != 0) {
        o = OUT_INACTIVE;
        goto finish;
    }
    if (idm_password_needs_rehash(hash, &params)) {
        rc = idm_password_hash(&newhash, &params, password, err);
        if (rc != 0) {
            goto cleanup;
        }
        out->rehashed = 1;
        /* the same password: sessions stay (migration 0009's trigger) */
        rc = idm_db_query(NULL, db,
                          "SELECT set_config('idm.rehash', 'on', true)", 0,
                          NULL, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    rc = idm_db_q(NULL, db,
                  "UPDATE account SET failed_logins = 0, locked_until = NULL, "
                  "last_login_at = now(), "
                  "password_hash = coalesce($2, password_hash) "
                  "WHERE id = $1::bigint",
                  err, id, newhash);
    if (rc != 0) {
        goto cleanup;
    }
    details = idm_json_pack("{s:b}", "rehashed", out->rehashed);
    rc = idm_audit_write(db, actor, "login.ok", login, IDM_AUDIT_OK, details,
                         err);
    if (rc == 0 && out->rehashed) {
        /* consumers holding the hash (LDAP) need the new one */
        const idm_person_ref who = {.uuid = uuid, .login = login};
        rc = idm_outbox_person(db, IDM_EVENT_ACCOUNT_PASSWORD_CHANGED, &who,
                               NULL, err);
    }
    if (rc != 0) {
        goto cleanup;
    }

finish:
    if (rc == 0 && o != OUT_OK) {
        /* A login that does not exist is never recorded: it may be a
         * password typed into the wrong field. */
        const char *target = o == OUT_UNKNOWN ? "(unknown)" : login;
        details = idm_json_pack("{s:s, s:s?}", "reason", reasons[o], "status",
                                status);
        rc = idm_audit_write(db, actor, "login.fail", target,
                             o == OUT_WRONG || o == OUT_UNKNOWN
                                 ? IDM_AUDIT_FAILED
                                 : IDM_AUDIT_DENIED,
                             details, err);
        if (rc == 0 && o == OUT_INACTIVE) {
            rc = idm_err_set(err, IDM_ELOCKED, "this account cannot log in");
        } else if (rc == 0) {
            /* one answer for every other failure: no login oracle */
            rc = idm_err_set(err, IDM_EAUTH, "wrong login or password");
        }
    }
    if (idm_log_enabled(IDM_LOG_NOTICE)) {
        char q[96], a[96];
        idm_log(
            o == OUT_OK ? IDM_LOG_INFO : IDM_LOG_NOTICE, "idm",
            o == OUT_OK ? "login.ok" : "login.fail",
            "login=%s from=%s reason=\"%s\"",
            idm_log_quote(q, sizeof(q), o == OUT_UNKNOWN ? "(unknown)" : login),
            idm_log_quote(a, sizeof(a), actor->addr), reasons[o]);
    }
    /* Failure scores and audit entries are kept even when the attempt
     * failed, so commit in every case the database allows. */
    if (rc == IDM_EAUTH || rc == IDM_ELOCKED || rc == 0) {
        int crc;
        tx = 0;
        crc = idm_db_commit(db, rc == 0 ? err : NULL);
        if (crc != 0 && rc == 0) {
            rc = crc;
        }
    }
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    free(details);
    free(id);
    free(uuid);
    free(status);
    free(hash);
    free(newhash);
    return rc;
}
