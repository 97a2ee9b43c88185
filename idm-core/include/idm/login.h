/* SPDX-License-Identifier: EUPL-1.2
 * Login names: German transliteration, the configured pattern, numeric
 * suffixes on collision and the ledger that never re-issues a login.
 */
#ifndef IDM_LOGIN_H
#define IDM_LOGIN_H

#include <stddef.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

/** Longest login the system stores (config may lower it). */
#define IDM_LOGIN_MAX 64

/**
 * Fold a name to login characters: NFC, ä->ae ö->oe ü->ue ß->ss, other
 * letters to their base letter, lower case, spaces to '-', apostrophes
 * dropped, anything outside [a-z0-9.-] dropped, runs of '-'/'.' collapsed.
 * @param[out] out  new string (may be empty); g_free()/free() it.
 * @return 0 or IDM_EINVAL (invalid UTF-8).
 */
IDM_MUST_CHECK int idm_login_fold(char **out, const char *name, idm_err *err);

/**
 * Build the base login from pattern ({given}, {family}, {g} = first letter
 * of the given name, {f} = of the family name), cut to max_len.
 * @param[out] out  buffer of at least max_len + 1 bytes.
 * @return 0, IDM_EINVAL (invalid UTF-8, nothing usable left).
 */
IDM_MUST_CHECK int idm_login_base(char *out, size_t size, const char *pattern,
                                  const char *given, const char *family,
                                  int max_len, idm_err *err);

/**
 * Candidate number n for base: n <= 1 gives base, n >= 2 appends n and
 * shortens base so that the result fits max_len.
 */
IDM_MUST_CHECK int idm_login_candidate(char *out, size_t size, const char *base,
                                       unsigned n, int max_len, idm_err *err);

/**
 * Smallest n >= 1 whose candidate is not among taken (logins already in the
 * ledger that start like base).
 */
unsigned idm_login_pick(const char *base, const char *const *taken,
                        size_t ntaken, int max_len);

/** 1 if login is a valid login ([a-z0-9] first, [a-z0-9.-], length ok). */
int idm_login_valid(const char *login, int max_len);

/**
 * Issue a new login in the ledger (inside the caller's transaction).
 * @param[out] out  new string; free().
 * @return 0, IDM_EINVAL, IDM_EDB.
 */
IDM_MUST_CHECK int idm_login_issue(char **out, idm_db *db, const char *pattern,
                                   int max_len, const char *given,
                                   const char *family, idm_err *err);

/**
 * Record an explicitly chosen login in the ledger.
 * @return 0, IDM_EEXISTS if it was ever issued, IDM_EINVAL if malformed.
 */
IDM_MUST_CHECK int idm_login_reserve(idm_db *db, const char *login, int max_len,
                                     idm_err *err);

#endif /* IDM_LOGIN_H */
