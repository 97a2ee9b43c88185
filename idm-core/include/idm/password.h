/* SPDX-License-Identifier: EUPL-1.2
 * Argon2id password hashing (libargon2), PHC string format, constant-time
 * verification, rehash detection and random password generation.
 */
#ifndef IDM_PASSWORD_H
#define IDM_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "base/err.h"

typedef struct idm_argon2_params {
    uint32_t memory_kib;
    uint32_t iterations;
    uint32_t parallelism;
} idm_argon2_params;

/** OWASP's recommendation: m=19456 KiB, t=2, p=1. */
#define IDM_ARGON2_PARAMS_INIT                                                 \
    {                                                                          \
        19456, 2, 1                                                            \
    }

/** Longest password accepted, in bytes (bounds hashing work). */
#define IDM_PASSWORD_MAX_LEN 1024

/**
 * Hash a password with a fresh 16-byte salt.
 * @param[out] out  "$argon2id$v=19$m=..,t=..,p=..$salt$hash"; free().
 * @return 0, IDM_EINVAL (empty or too long), IDM_EINTERNAL.
 */
IDM_MUST_CHECK int idm_password_hash(char **out,
                                     const idm_argon2_params *params,
                                     const char *password, idm_err *err);

/**
 * Verify in constant time with respect to the password.
 * @return 0 on match, IDM_EAUTH on mismatch, IDM_EINVAL if encoded is not a
 *         well-formed Argon2id hash.
 */
IDM_MUST_CHECK int idm_password_verify(const char *encoded,
                                       const char *password, idm_err *err);

/** Parse the parameters of an encoded Argon2id hash. @return 0/IDM_EINVAL. */
IDM_MUST_CHECK int idm_password_params(idm_argon2_params *out,
                                       const char *encoded);

/** 1 if encoded was made with other parameters (or is malformed), else 0. */
int idm_password_needs_rehash(const char *encoded,
                              const idm_argon2_params *params);

/**
 * Spend the cost of one verification without a stored hash, so that unknown
 * logins take as long as known ones.
 */
void idm_password_dummy_verify(const idm_argon2_params *params,
                               const char *password);

/**
 * Generate a random password of len characters from an alphabet without
 * look-alikes (57 symbols), none the same as or next to the one before it
 * (ignoring case), so that it passes idm_password_quality(): 5.7 bits per
 * character, 16 give about 91 bits.
 * @param[out] out  new string; free with idm_password_free().
 */
IDM_MUST_CHECK int idm_password_generate(char **out, size_t len, idm_err *err);

/** What is wrong with a chosen password (the web layer words it). */
typedef enum idm_pw_problem {
    IDM_PW_OK = 0,
    IDM_PW_NOT_UTF8,
    IDM_PW_TOO_SHORT,
    IDM_PW_TOO_LONG,
    IDM_PW_DICTIONARY,     /* a word or a well-known password */
    IDM_PW_SIMPLE,         /* a sequence, repeats, too few characters */
    IDM_PW_CONTAINS_LOGIN, /* contains the login or its reverse */
    IDM_PW_SAME_AS_CURRENT,
    IDM_PW_SAME_AS_INITIAL /* the password of the letter */
} idm_pw_problem;

/**
 * Check the quality of a password a person chose, or an administrator
 * gave, with libpwquality and the cracklib dictionary: length
 * (characters), dictionary words, sequences and repeats, the login in it.
 * @param[out] out  IDM_PW_OK or what to change.
 * @param login     the account's login (may be NULL).
 * @return 0 (good), IDM_EINVAL (*out says why; err's msg is
 *         "password: " and the English idm_pw_problem_text()),
 *         IDM_ECONFIG (dictionary missing), IDM_EINTERNAL.
 */
IDM_MUST_CHECK int idm_password_quality(idm_pw_problem *out,
                                        const char *password, int min_length,
                                        const char *login, idm_err *err);

/**
 * Words for a password problem, for administrators and logs, e.g. "zu kurz
 * (mindestens 10 Zeichen)" or "too short (at least 10 characters)". The
 * web layer words problems for the person in its own catalogue.
 * @param[out] out    buffer of size bytes, always terminated.
 * @param min_length  the minimum in force, named for IDM_PW_TOO_SHORT.
 * @param english     0: German, 1: English.
 * @return out.
 */
const char *idm_pw_problem_text(char *out, size_t size, idm_pw_problem problem,
                                int min_length, int english);

/** Wipe and free a password string. Accepts NULL. */
void idm_password_free(char *password);

#endif /* IDM_PASSWORD_H */
