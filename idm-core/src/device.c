/* SPDX-License-Identifier: EUPL-1.2
 * Device tokens (migration 0017): 256 random bits in base64url, of which
 * only the SHA-256 is stored, so a copy of the table opens no exemption.
 * auth.c charges and settles them with the login attempt.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core_int.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int idm_device__well_formed(const char *token)
{
    if (token == NULL || strlen(token) != IDM_DEVICE_TOKEN_LEN) {
        return 0;
    }
    return strspn(token, b64url) == IDM_DEVICE_TOKEN_LEN;
}

void idm_device__hash(char out[IDM_DEVICE_HASH_HEX], const char *token)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
    out[0] = '\\';
    out[1] = 'x';
    for (unsigned i = 0; i < 32; i++) {
        snprintf(out + 2 + 2 * i, 3, "%02x", md[i]);
    }
}

/* 32 random bytes in base64url without padding: 43 characters. */
static int token_new(char out[IDM_DEVICE_TOKEN_LEN + 1], idm_err *err)
{
    unsigned char r[33] = {0};
    size_t o = 0;

    if (RAND_bytes(r, 32) != 1) {
        return idm_err_set(err, IDM_EINTERNAL, "no random bytes for a token");
    }
    /* 11 groups of 3 bytes (the last one padded with a zero byte) give 44
     * characters; the 44th encodes only padding and is dropped */
    for (size_t i = 0; i < 33; i += 3) {
        unsigned v = (unsigned)r[i] << 16 | (unsigned)r[i + 1] << 8 | r[i + 2];
        for (int k = 3; k >= 0 && o < IDM_DEVICE_TOKEN_LEN; k--) {
            out[o++] = b64url[(v >> (6 * k)) & 63];
        }
    }
    out[o] = '\0';
    OPENSSL_cleanse(r, sizeof(r));
    return 0;
}

int idm_device__issue(char out[IDM_DEVICE_TOKEN_LEN + 1], idm_db *db,
                      const idm_password_conf *pc, const char *account_id,
                      const char *replace, idm_err *err)
{
    char hash[IDM_DEVICE_HASH_HEX], days[16], keep[16];
    int rc;

    out[0] = '\0';
    if (pc->device_days <= 0) {
        return 0;
    }
    if (replace != NULL) {
        /* the browser's old token (rotation): a copy taken earlier stops
         * working once the owner logs in again */
        rc = idm_db_q(NULL, db,
                      "DELETE FROM login_device WHERE token_hash = $1::bytea "
                      "AND account_id = $2::bigint",
                      err, replace, account_id);
        if (rc != 0) {
            return rc;
        }
    }
    rc = token_new(out, err);
    if (rc != 0) {
        return rc;
    }
    idm_device__hash(hash, out);
    snprintf(days, sizeof(days), "%d", pc->device_days);
    snprintf(keep, sizeof(keep), "%d", pc->devices_per_account);
    rc = idm_db_q(NULL, db,
                  "INSERT INTO login_device (token_hash, account_id, "
                  "expires_at) VALUES ($1::bytea, $2::bigint, "
                  "now() + make_interval(days => $3::int))",
                  err, hash, account_id, days);
    if (rc == 0) {
        /* at most a few per account: the newest stay, expired ones go */
        rc = idm_db_q(NULL, db,
                      "DELETE FROM login_device WHERE account_id = $1::bigint "
                      "AND token_hash NOT IN (SELECT token_hash FROM "
                      "login_device WHERE account_id = $1::bigint AND "
                      "expires_at > now() ORDER BY created_at DESC, "
                      "token_hash LIMIT $2::int)",
                      err, account_id, keep);
    }
    if (rc != 0) {
        OPENSSL_cleanse(out, IDM_DEVICE_TOKEN_LEN);
        out[0] = '\0';
    }
    return rc;
}

int idm_device_issue(char out[IDM_DEVICE_TOKEN_LEN + 1], idm_db *db,
                     const idm_conf *conf, const char *login, idm_err *err)
{
    const idm_password_conf *pc = idm_password_conf_get(conf);
    PGresult *res = NULL;
    int rc, tx = 0;

    out[0] = '\0';
    if (pc->device_days <= 0) {
        return 0;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_q(&res, db,
                  "SELECT id FROM account WHERE lower(login) = lower($1) "
                  "AND status = 'active'",
                  err, login);
    if (rc != 0 || PQntuples(res) == 0) {
        goto cleanup;
    }
    rc = idm_device__issue(out, db, pc, PQgetvalue(res, 0, 0), NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    if (rc != 0) {
        OPENSSL_cleanse(out, IDM_DEVICE_TOKEN_LEN);
        out[0] = '\0';
    }
    PQclear(res);
    return rc;
}

int idm_device_check(int *out, idm_db *db, const idm_conf *conf,
                     const char *login, const char *token, idm_err *err)
{
    const idm_password_conf *pc = idm_password_conf_get(conf);
    char hash[IDM_DEVICE_HASH_HEX], budget[16];
    PGresult *res = NULL;
    int rc;

    *out = 0;
    if (pc->device_days <= 0 || !idm_device__well_formed(token)) {
        return 0;
    }
    idm_device__hash(hash, token);
    snprintf(budget, sizeof(budget), "%d", pc->device_max_failures);
    rc = idm_db_q(&res, db,
                  "SELECT 1 FROM login_device v JOIN account a ON "
                  "a.id = v.account_id WHERE v.token_hash = $1::bytea "
                  "AND lower(a.login) = lower($2) AND v.expires_at > now() "
                  "AND v.failures < $3::int",
                  err, hash, login, budget);
    if (rc == 0) {
        *out = PQntuples(res) > 0;
    }
    PQclear(res);
    return rc;
}

int idm_device_revoke(idm_db *db, const char *token, idm_err *err)
{
    char hash[IDM_DEVICE_HASH_HEX];

    if (!idm_device__well_formed(token)) {
        return 0;
    }
    idm_device__hash(hash, token);
    return idm_db_q(NULL, db,
                    "DELETE FROM login_device WHERE token_hash = $1::bytea",
                    err, hash);
}
