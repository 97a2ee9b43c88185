/* SPDX-License-Identifier: EUPL-1.2
 * The core's configuration groups: [password], [login] and [policy].
 * Programs register the sections before loading (base/conf.h); the core
 * reads the values through the accessors below.
 */
#ifndef IDM_CORE_CONF_H
#define IDM_CORE_CONF_H

#include <stdint.h>

#include "base/common.h"
#include "base/conf.h"
#include "base/err.h"

/** [password]: hashing and login throttling. */
typedef struct idm_password_conf {
    uint32_t argon2_memory_kib;
    uint32_t argon2_iterations;
    uint32_t argon2_parallelism;
    int min_length;
    int max_failed_logins;     /* per account and address before a wait */
    int lock_base_seconds;     /* deprecated, ignored (migration 0009) */
    int lock_max_seconds;      /* deprecated, ignored (migration 0009) */
    int failure_decay_seconds; /* one failure forgotten per this */
    int account_slow_failures; /* account-wide score that slows */
    int account_slow_seconds;  /* gap for unknown addresses when slow */
    int known_address_days;    /* a successful login makes it known */
    int device_days;           /* device token lifetime; 0: none issued */
    int device_max_failures;   /* failures a device token survives */
    int devices_per_account;   /* newest tokens kept per account */
} idm_password_conf;

/** [login]: generated login names. */
typedef struct idm_login_conf {
    char *pattern; /* with {given}, {family}, {g}, {f} */
    int max_length;
} idm_login_conf;

/** [policy] */
typedef struct idm_policy_conf {
    char *dir; /* apps/, admin.xml, schema/policy.xsd */
} idm_policy_conf;

extern const idm_conf_section idm_password_conf_section;
extern const idm_conf_section idm_login_conf_section;
extern const idm_conf_section idm_policy_conf_section;

/** Register the three sections above (for tests and tools). */
IDM_MUST_CHECK int idm_core_conf_register(idm_err *err);

/** The [password] values of conf, borrowed from it. */
const idm_password_conf *idm_password_conf_get(const idm_conf *conf);

/** The [login] values of conf, borrowed from it. */
const idm_login_conf *idm_login_conf_get(const idm_conf *conf);

/** The [policy] values of conf, borrowed from it. */
const idm_policy_conf *idm_policy_conf_get(const idm_conf *conf);

#endif /* IDM_CORE_CONF_H */
