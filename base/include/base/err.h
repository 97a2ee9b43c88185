/* SPDX-License-Identifier: EUPL-1.2
 * One error pattern for the whole project: functions return 0 or a negative
 * IDM_E* code and fill an optional caller-owned idm_err. msg is safe to show
 * a user or relying party; detail is for the log only.
 */
#ifndef IDM_ERR_H
#define IDM_ERR_H

#include "common.h"

/* X(name, value, default text). One list generates the enum and
 * idm_strerror(); values never change once released. */
#define IDM_ERROR_LIST(X)                                                      \
    X(IDM_OK, 0, "success")                                                    \
    X(IDM_EINTERNAL, -1, "internal error")                                     \
    X(IDM_EINVAL, -2, "invalid input")                                         \
    X(IDM_ENOTFOUND, -3, "not found")                                          \
    X(IDM_EEXISTS, -4, "already exists")                                       \
    X(IDM_EDB, -5, "database error")                                           \
    X(IDM_ECONFIG, -6, "configuration error")                                  \
    X(IDM_EIO, -7, "input/output error")                                       \
    X(IDM_EAUTH, -8, "authentication failed")                                  \
    X(IDM_EDENIED, -9, "permission denied")                                    \
    X(IDM_ELOCKED, -10, "account locked")                                      \
    X(IDM_ECHECKSUM, -11, "checksum mismatch")                                 \
    X(IDM_ETOOBIG, -12, "value too large")                                     \
    X(IDM_ECONFLICT, -13, "conflicting state")                                 \
    X(IDM_EUNAVAIL, -14, "service unavailable")

typedef enum idm_code {
#define IDM_ERR_ENUM(name, value, text) name = (value),
    IDM_ERROR_LIST(IDM_ERR_ENUM)
#undef IDM_ERR_ENUM
} idm_code;

typedef struct idm_err {
    int code;         /* IDM_E* value */
    char msg[256];    /* safe to show a client or relying party */
    char detail[512]; /* log only: SQLSTATE, LDAP result, Lasso code, ... */
} idm_err;

#define IDM_ERR_INIT                                                           \
    {                                                                          \
        0, {0},                                                                \
        {                                                                      \
            0                                                                  \
        }                                                                      \
    }

/** Static text for a code; never NULL. */
const char *idm_strerror(int code);

/** Stable symbolic name ("IDM_ENOTFOUND") for a code; never NULL. */
const char *idm_errname(int code);

/**
 * Record an error. err may be NULL. Clears detail.
 * @return code, so that callers can write `return idm_err_set(...)`.
 */
int idm_err_set(idm_err *err, int code, const char *fmt, ...) IDM_PRINTF(3, 4);

/**
 * Replace the message of an error already set, keeping its code and its
 * log-only detail (e.g. to name the field after a database error).
 */
void idm_err_msg(idm_err *err, const char *fmt, ...) IDM_PRINTF(2, 3);

/** Append log-only detail to an error already set. err may be NULL. */
void idm_err_detail(idm_err *err, const char *fmt, ...) IDM_PRINTF(2, 3);

/** Reset to IDM_OK with empty texts. err may be NULL. */
void idm_err_clear(idm_err *err);

#endif /* IDM_ERR_H */
