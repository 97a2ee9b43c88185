/* SPDX-License-Identifier: EUPL-1.2
 * Device tokens (OWASP "device cookies"): a random token per browser and
 * account, issued after a successful login, that exempts the owner's
 * logins from the (account, address) failure score (migration 0017).
 */
#ifndef IDM_DEVICE_H
#define IDM_DEVICE_H

#include "base/common.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"

/** Length of a device token: 32 random bytes in base64url, no padding. */
#define IDM_DEVICE_TOKEN_LEN 43

/**
 * Issue a new device token for login's active account, outside any
 * transaction of the caller's (it commits its own). Only its SHA-256 is
 * stored, valid for [password] device_days; the account keeps its
 * devices_per_account newest tokens. For the browser of an owner who just
 * proved the password in another way (the password change, which
 * revokes every token of the account).
 * @param[out] out  the token, "" when [password] device_days is 0 or the
 *                  account is not active. A secret: never log it, wipe it
 *                  with OPENSSL_cleanse after use.
 * @return 0 or IDM_EDB.
 */
IDM_MUST_CHECK int idm_device_issue(char out[IDM_DEVICE_TOKEN_LEN + 1],
                                    idm_db *db, const idm_conf *conf,
                                    const char *login, idm_err *err);

/**
 * Whether token is a valid device token of login's account: unexpired,
 * within its failure budget. Reads only; the budget is charged by
 * idm_user_authenticate_ext().
 * @param[out] out  1 valid, 0 not (also for a malformed token or NULL).
 * @return 0 or IDM_EDB.
 */
IDM_MUST_CHECK int idm_device_check(int *out, idm_db *db, const idm_conf *conf,
                                    const char *login, const char *token,
                                    idm_err *err);

/**
 * Revoke the device token a browser presents (its logout): the row goes,
 * whichever account it belongs to. Nothing for a malformed token or NULL.
 * @return 0 or IDM_EDB.
 */
IDM_MUST_CHECK int idm_device_revoke(idm_db *db, const char *token,
                                     idm_err *err);

#endif /* IDM_DEVICE_H */
