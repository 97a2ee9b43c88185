/* SPDX-License-Identifier: EUPL-1.2
 * What idm-core's own files share: the base layer they all use.
 */
#ifndef IDM_CORE_INT_H
#define IDM_CORE_INT_H

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/conf.h"
#include "idm/device.h"

/* device.c: device tokens, for auth.c. The hash is a bytea literal in
 * hex (\x and 64 digits), ready as a text parameter. */
#define IDM_DEVICE_HASH_HEX 67
int idm_device__well_formed(const char *token);
void idm_device__hash(char out[IDM_DEVICE_HASH_HEX], const char *token);
/* Inside the caller's transaction: a new token for account_id (decimal),
 * replacing the token whose hash is replace (or NULL), the oldest beyond
 * devices_per_account evicted. out is "" when device_days is 0. */
int idm_device__issue(char out[IDM_DEVICE_TOKEN_LEN + 1], idm_db *db,
                      const idm_password_conf *pc, const char *account_id,
                      const char *replace, idm_err *err);

#endif /* IDM_CORE_INT_H */
