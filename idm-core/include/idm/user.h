/* SPDX-License-Identifier: EUPL-1.2
 * Persons and their accounts. Every person has exactly one account, which
 * every application uses; logins are unique ignoring case and never reused.
 */
#ifndef IDM_USER_H
#define IDM_USER_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "base/common.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"
#include "device.h"
#include "password.h"
#include "role.h"

typedef enum idm_account_status {
    IDM_ACCOUNT_ACTIVE,
    IDM_ACCOUNT_LOCKED,
    IDM_ACCOUNT_DISABLED,
    IDM_ACCOUNT_DELETED
} idm_account_status;

const char *idm_account_status_name(idm_account_status status);
IDM_MUST_CHECK int idm_account_status_parse(idm_account_status *out,
                                            const char *name);

/** Person and account as read from the database; owned by the caller. */
typedef struct idm_user {
    int64_t person_id;
    char *uuid; /* stable opaque person id */
    char *login;
    char *given_name;
    char *family_name;
    char *birth_date;          /* YYYY-MM-DD or NULL */
    int info_block;            /* Auskunftssperre */
    int processing_restricted; /* GDPR Art. 18 */
    idm_account_status status;
    char *status_changed_at;
    char *created_at;
    char *password_changed_at; /* NULL if never set */
    int must_change_password;
    int failed_logins;
    char *locked_until; /* temporary throttling lock, or NULL */
    char *last_login_at;
    char **external_keys; /* "source:key", NULL-ended */
    char **guardian_of;   /* logins of pupils, NULL-ended */
} idm_user;

typedef struct idm_user_new {
    const char *given_name;  /* required, Unicode (DIN 91379) */
    const char *family_name; /* required */
    const char *birth_date;  /* YYYY-MM-DD or DD.MM.YYYY, optional */
    const char *login;       /* explicit login, else generated */
    const char *password;    /* NULL: generate one (returned); a given one
                              * must pass idm_password_quality() */
    int must_change_password;
    int info_block;
    int processing_restricted;
    const char *source;       /* external key source ("sip"), optional */
    const char *external_key; /* with source */
    /* optional first role assignment */
    const char *org_code;
    const char *role;
    const char *group_name;         /* class or group at org_code */
    const char *group_year;         /* school year of the class, optional */
    const char *grant_source;       /* manual (default), import, api */
    const char *const *guardian_of; /* pupil logins, NULL-ended, optional */
    idm_pw_problem *password_problem; /* OUT, optional: why password was
                                       * refused (IDM_EINVAL) */
} idm_user_new;

#define IDM_USER_NEW_INIT                                                      \
    {                                                                          \
        0                                                                      \
    }

/**
 * Create person, account and optional role in one transaction, with audit
 * entries and outbox events.
 * @param[out] login_out     the login; free().
 * @param[out] password_out  generated password (NULL if one was given);
 *                           free with idm_password_free(). May be NULL.
 * @return 0, IDM_EINVAL (field in msg), IDM_EEXISTS, IDM_ENOTFOUND,
 *         IDM_ECONFIG (a given password, no dictionary to check it).
 */
IDM_MUST_CHECK int idm_user_add(char **login_out, char **password_out,
                                idm_db *db, const idm_conf *conf,
                                const idm_actor *actor,
                                const idm_user_new *user, idm_err *err);

/** @param[out] out  free with idm_user_free(). @return 0/IDM_ENOTFOUND. */
IDM_MUST_CHECK int idm_user_lookup(idm_user **out, idm_db *db,
                                   const char *login, idm_err *err);

typedef struct idm_user_filter {
    const char *org_code; /* users with a role at this unit or below */
    const char *role;
    int status; /* idm_account_status, or -1 for all but deleted */
    int limit;  /* 0 = no limit */
} idm_user_filter;

#define IDM_USER_FILTER_INIT                                                   \
    {                                                                          \
        NULL, NULL, -1, 0                                                      \
    }

/** @param[out] out  array of *n users (keys and guardians not filled). */
IDM_MUST_CHECK int idm_user_list(idm_user **out, size_t *n, idm_db *db,
                                 const idm_user_filter *filter, idm_err *err);

void idm_user_free(idm_user *user);
void idm_users_free(idm_user *users, size_t n);

typedef enum idm_user_action {
    IDM_USER_LOCK,
    IDM_USER_UNLOCK,
    IDM_USER_DISABLE,
    IDM_USER_ENABLE,
    IDM_USER_DELETE
} idm_user_action;

/**
 * Change account status. Deleting clears the password hash and ends every
 * role assignment; the login stays in the ledger.
 * @return 0, IDM_ENOTFOUND, IDM_ECONFLICT (e.g. enable a deleted account).
 */
IDM_MUST_CHECK int idm_user_set_status(idm_db *db, const idm_actor *actor,
                                       const char *login,
                                       idm_user_action action, idm_err *err);

/**
 * An administrator sets a password. It must pass idm_password_quality(),
 * like a person's own choice: there is no way around it (a password the
 * person does not know comes from idm_password_generate()).
 * @param[out] problem  what is wrong when IDM_EINVAL is returned (may be
 *                      NULL).
 * @return 0, IDM_EINVAL, IDM_ENOTFOUND, IDM_ECONFIG (no dictionary).
 */
IDM_MUST_CHECK int
idm_user_set_password(idm_pw_problem *problem, idm_db *db, const idm_conf *conf,
                      const idm_actor *actor, const char *login,
                      const char *password, int must_change, idm_err *err);

/**
 * A person changes their own password (the caller checked the current one,
 * or the change is the forced one right after login). The new password
 * must pass idm_password_quality() and differ from the current and the
 * initial (letter) password. Every browser session of the account except
 * keep_session ends (migration 0009's trigger); must_change_password is
 * cleared.
 * @param[out] problem  what to change when IDM_EINVAL is returned.
 * @param keep_session  saml_session id to keep (decimal), or NULL.
 * @return 0, IDM_EINVAL, IDM_ENOTFOUND (no active account), IDM_ECONFIG.
 */
IDM_MUST_CHECK int idm_user_change_password(idm_pw_problem *problem,
                                            idm_db *db, const idm_conf *conf,
                                            const idm_actor *actor,
                                            const char *login,
                                            const char *password,
                                            const char *keep_session,
                                            idm_err *err);

/** Outcome of a password check, for callers that need the flags. */
typedef struct idm_auth_result {
    int must_change_password;
    int rehashed; /* the stored hash was upgraded */
    char uuid[40];
    /* a new device token for the browser (idm_auth_opts.issue_device), or
     * "": a secret, never logged; wipe it with OPENSSL_cleanse */
    char device_token[IDM_DEVICE_TOKEN_LEN + 1];
} idm_auth_result;

/** What the caller adds to a password check (transparent). */
typedef struct idm_auth_opts {
    /* the device token the browser presented (cookie idm_d), or NULL */
    const char *device_token;
    /* on success, issue a new device token into the result (replacing the
     * presented one); not while the password must be changed. Without
     * it the presented token's budget is left as the attempt charged it */
    int issue_device;
} idm_auth_opts;

#define IDM_AUTH_OPTS_INIT                                                     \
    {                                                                          \
        NULL, 0                                                                \
    }

/**
 * Check a login's password: one Argon2id verification whatever the outcome
 * (unknown logins too); a decaying failure score per (account, client
 * address, IPv6 by /64) refuses only that address once over
 * [password] max_failed_logins; an account-wide score over
 * account_slow_failures lets addresses without a recent successful login
 * try once per account_slow_seconds. Nothing locks the owner out: the
 * right password from an address not over its own limit works. Hash
 * upgrade to the configured parameters on success.
 *
 * A valid device token of the account (opts, see idm/device.h) takes the
 * attempt out of the address score and the slow-down; it has its own
 * budget of device_max_failures failures in a row, after which it is
 * revoked and the attempt counts like one without it.
 *
 * No transaction and no row lock is held while Argon2id runs: the attempt
 * is charged up front in one statement (which decides, atomically, what
 * it may do), verified outside any transaction, then settled in a short
 * transaction (success: the account point is refunded, the address score
 * starts over and the address counts as known, unless a device token
 * carried the attempt; failure: the charge stays). Parallel attempts thus
 * run in parallel and each sees the charges of those before it. Must be
 * called outside a transaction (else IDM_EINTERNAL). A password or status
 * changed between charge and settle makes the check a failure.
 * @param opts  NULL for none.
 * @return 0; IDM_EAUTH for unknown login, wrong password, throttled or
 *         slowed, and a wrong password for a locked/disabled/deleted
 *         account (one message); IDM_ELOCKED only after the right
 *         password for a locked or disabled account.
 */
IDM_MUST_CHECK int
idm_user_authenticate_ext(idm_auth_result *out, idm_db *db,
                          const idm_conf *conf, const idm_actor *actor,
                          const char *login, const char *password,
                          const idm_auth_opts *opts, idm_err *err);

/** idm_user_authenticate_ext() without options. */
IDM_MUST_CHECK int idm_user_authenticate(idm_auth_result *out, idm_db *db,
                                         const idm_conf *conf,
                                         const idm_actor *actor,
                                         const char *login,
                                         const char *password, idm_err *err);

/**
 * Validate and normalise a person name (NFC, no control characters, no
 * leading/trailing space, at most 200 characters).
 * @param[out] out  new string; g_free().
 */
IDM_MUST_CHECK int idm_name_normalize(char **out, const char *field,
                                      const char *name, idm_err *err);

/** Parse YYYY-MM-DD or DD.MM.YYYY into out[11] as YYYY-MM-DD. */
IDM_MUST_CHECK int idm_date_parse(char out[11], const char *field,
                                  const char *text, idm_err *err);

#endif /* IDM_USER_H */
