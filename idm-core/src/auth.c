/* SPDX-License-Identifier: EUPL-1.2
 * Password authentication against the core: constant work per attempt,
 * failure counting with an exponential temporary lock (never permanent),
 * and hash upgrades to the configured Argon2id parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/log.h"
#include "idm/login.h"
#include "idm/password.h"
#include "idm/user.h"

/* Lock seconds after the n-th failure: 0 below the threshold, then base,
 * doubling per further failure, capped. */
static long lock_seconds(const idm_conf *conf, int failures)
{
    long s = conf->lock_base_seconds;

    if (failures < conf->max_failed_logins) {
        return 0;
    }
    for (int i = conf->max_failed_logins; i < failures; i++) {
        s *= 2;
        if (s >= conf->lock_max_seconds) {
            return conf->lock_max_seconds;
        }
    }
    return s < conf->lock_max_seconds ? s : conf->lock_max_seconds;
}

int idm_user_authenticate(idm_auth_result *out, idm_db *db,
                          const idm_conf *conf, const idm_actor *actor,
                          const char *login, const char *password, idm_err *err)
{
    idm_argon2_params params = {conf->argon2_memory_kib,
                                conf->argon2_iterations,
                                conf->argon2_parallelism};
    PGresult *res = NULL;
    char *hash = NULL, *details = NULL, *uuid = NULL, *status = NULL;
    char *newhash = NULL;
    /* the typed login is only recorded if it looks like one: a password
     * typed into the login field must not reach the audit log */
    const char *target =
        idm_login_valid(login, IDM_LOGIN_MAX) ? login : "(invalid)";
    int rc, tx = 0, throttled, vrc;

    memset(out, 0, sizeof(*out));
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    /* FOR UPDATE serialises parallel guesses against one account. */
    rc = idm_db__q(&res, db,
                   "SELECT p.uuid, a.status, a.password_hash, "
                   "a.must_change_password, "
                   "coalesce(a.locked_until > now(), false) "
                   "FROM account a JOIN person p ON p.id = a.person_id "
                   "WHERE lower(a.login) = lower($1) FOR UPDATE OF a",
                   err, login);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        idm_password_dummy_verify(&params, password);
        rc = idm_audit_write(db, actor, "login.fail", target, IDM_AUDIT_FAILED,
                             "{\"reason\":\"unknown login\"}", err);
        if (rc == 0) {
            rc = idm_err_set(err, IDM_EAUTH, "wrong login or password");
        }
        goto finish;
    }
    uuid = idm_db__strdup(res, 0, 0);
    status = idm_db__strdup(res, 0, 1);
    hash = idm_db__strdup(res, 0, 2);
    out->must_change_password = idm_db__bool(res, 0, 3);
    throttled = idm_db__bool(res, 0, 4);
    snprintf(out->uuid, sizeof(out->uuid), "%s", uuid);
    PQclear(res);
    res = NULL;

    if (strcmp(status, "active") != 0 || throttled || hash == NULL) {
        idm_password_dummy_verify(&params, password);
        details = idm_json__pack("{s:s, s:s}", "reason",
                                 throttled ? "temporarily locked"
                                           : "account not active",
                                 "status", status);
        rc = idm_audit_write(db, actor, "login.fail", login, IDM_AUDIT_DENIED,
                             details, err);
        if (rc == 0) {
            rc = idm_err_set(err, IDM_ELOCKED,
                             throttled ? "too many failed logins; try again "
                                         "later"
                                       : "this account cannot log in");
        }
        goto finish;
    }

    vrc = idm_password_verify(hash, password, err);
    if (vrc != 0) {
        char secs[24];
        PGresult *upd = NULL;
        int failures;

        rc = idm_db__q(&upd, db,
                       "UPDATE account SET failed_logins = failed_logins + 1, "
                       "last_failed_at = now() "
                       "WHERE lower(login) = lower($1) "
                       "RETURNING failed_logins",
                       err, login);
        if (rc != 0) {
            goto cleanup;
        }
        failures = (int)idm_db__int(upd, 0, 0);
        PQclear(upd);
        snprintf(secs, sizeof(secs), "%ld", lock_seconds(conf, failures));
        if (failures >= conf->max_failed_logins) {
            rc = idm_db__q(NULL, db,
                           "UPDATE account SET locked_until = now() + "
                           "make_interval(secs => $2::int) "
                           "WHERE lower(login) = lower($1)",
                           err, login, secs);
            if (rc != 0) {
                goto cleanup;
            }
        }
        details = idm_json__pack("{s:s, s:i, s:s}", "reason",
                                 vrc == IDM_EINVAL ? "malformed stored hash"
                                                   : "wrong password",
                                 "failures", failures, "lock_seconds", secs);
        rc = idm_audit_write(db, actor, "login.fail", login, IDM_AUDIT_FAILED,
                             details, err);
        if (rc == 0) {
            rc = idm_err_set(err, IDM_EAUTH, "wrong login or password");
        }
        goto finish;
    }

    if (idm_password_needs_rehash(hash, &params)) {
        rc = idm_password_hash(&newhash, &params, password, err);
        if (rc != 0) {
            goto cleanup;
        }
        out->rehashed = 1;
    }
    rc = idm_db__q(NULL, db,
                   "UPDATE account SET failed_logins = 0, locked_until = NULL, "
                   "last_login_at = now(), "
                   "password_hash = coalesce($2, password_hash) "
                   "WHERE lower(login) = lower($1)",
                   err, login, newhash);
    if (rc != 0) {
        goto cleanup;
    }
    details = idm_json__pack("{s:b}", "rehashed", out->rehashed);
    rc = idm_audit_write(db, actor, "login.ok", login, IDM_AUDIT_OK, details,
                         err);
    if (rc == 0 && out->rehashed) {
        /* consumers holding the hash (LDAP) need the new one */
        rc = idm_outbox_append(db, "person", uuid, "account.password_changed",
                               NULL, err);
    }
    if (rc != 0) {
        goto cleanup;
    }

finish:
    if (idm_log_enabled(IDM_LOG_NOTICE)) {
        char q[96], a[96];
        idm_log(rc == 0 ? IDM_LOG_INFO : IDM_LOG_NOTICE, "idm",
                rc == 0 ? "login.ok" : "login.fail", "login=%s from=%s%s",
                idm_log_quote(q, sizeof(q), target),
                idm_log_quote(a, sizeof(a), actor->addr),
                rc == IDM_ELOCKED ? " reason=locked"
                : rc == IDM_EAUTH ? " reason=credentials"
                                  : "");
    }
    /* Failure counters and audit entries are kept even when the attempt
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
    free(uuid);
    free(status);
    if (hash != NULL) {
        free(hash);
    }
    free(newhash);
    return rc;
}
