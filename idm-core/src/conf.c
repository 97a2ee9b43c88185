/* SPDX-License-Identifier: EUPL-1.2
 * The core's configuration groups: [password], [login], [policy].
 */
#include <stddef.h>
#include <string.h>

#include "idm/conf.h"
#include "idm/login.h"

#ifndef IDM_POLICIES_DIR
#define IDM_POLICIES_DIR "/usr/share/idm/policies"
#endif

#define PW(field) offsetof(idm_password_conf, field)
#define LOGIN(field) offsetof(idm_login_conf, field)
#define POLICY(field) offsetof(idm_policy_conf, field)

static const char *check_pattern(const char *v)
{
    if (strstr(v, "{given}") == NULL && strstr(v, "{family}") == NULL &&
        strstr(v, "{g}") == NULL && strstr(v, "{f}") == NULL) {
        return "uses none of {given}, {family}, {g}, {f}";
    }
    return NULL;
}

static const idm_conf_key password_keys[] = {
    {.key = "argon2_memory_kib",
     .type = IDM_CONF_U32,
     .def = "19456",
     .min = 1024,
     .max = 4194304,
     .offset = PW(argon2_memory_kib),
     .doc = "Argon2id memory cost in KiB (OWASP: 19456)",
     .check = NULL},
    {.key = "argon2_iterations",
     .type = IDM_CONF_U32,
     .def = "2",
     .min = 1,
     .max = 100,
     .offset = PW(argon2_iterations),
     .doc = "Argon2id time cost (OWASP: 2)",
     .check = NULL},
    {.key = "argon2_parallelism",
     .type = IDM_CONF_U32,
     .def = "1",
     .min = 1,
     .max = 64,
     .offset = PW(argon2_parallelism),
     .doc = "Argon2id lanes (OWASP: 1)",
     .check = NULL},
    {.key = "min_length",
     .type = IDM_CONF_INT,
     .def = "10",
     .min = 8,
     .max = 128,
     .offset = PW(min_length),
     .doc = "shortest password a user may set",
     .check = NULL},
    {.key = "max_failed_logins",
     .type = IDM_CONF_INT,
     .def = "5",
     .min = 1,
     .max = 1000,
     .offset = PW(max_failed_logins),
     .doc = "failures from one address (IPv6: /64) "
            "against one account before it must wait",
     .check = NULL},
    /* The exponential lock these two configured is gone (issue 12): it
     * locked the owner out with the attacker. Kept so that old files
     * still load. */
    {.key = "lock_base_seconds",
     .type = IDM_CONF_INT,
     .def = "30",
     .min = 1,
     .max = 86400,
     .offset = PW(lock_base_seconds),
     .doc = "deprecated, ignored",
     .check = NULL},
    {.key = "lock_max_seconds",
     .type = IDM_CONF_INT,
     .def = "900",
     .min = 1,
     .max = 86400,
     .offset = PW(lock_max_seconds),
     .doc = "deprecated, ignored",
     .check = NULL},
    {.key = "failure_decay_seconds",
     .type = IDM_CONF_INT,
     .def = "60",
     .min = 1,
     .max = 86400,
     .offset = PW(failure_decay_seconds),
     .doc = "one counted login failure is forgotten per "
            "this many seconds",
     .check = NULL},
    {.key = "account_slow_failures",
     .type = IDM_CONF_INT,
     .def = "50",
     .min = 1,
     .max = 1000000,
     .offset = PW(account_slow_failures),
     .doc = "failures against one account (all "
            "addresses) that slow unknown "
            "addresses down",
     .check = NULL},
    {.key = "account_slow_seconds",
     .type = IDM_CONF_INT,
     .def = "5",
     .min = 0,
     .max = 3600,
     .offset = PW(account_slow_seconds),
     .doc = "while slowed: seconds between attempts "
            "from addresses without a recent login",
     .check = NULL},
    {.key = "known_address_days",
     .type = IDM_CONF_INT,
     .def = "30",
     .min = 0,
     .max = 366,
     .offset = PW(known_address_days),
     .doc = "days an address with a successful login "
            "is exempt from the slow-down",
     .check = NULL},
    {.key = "device_days",
     .type = IDM_CONF_INT,
     .def = "180",
     .min = 0,
     .max = 400,
     .offset = PW(device_days),
     .doc = "days a device token (cookie idm_d) exempts the owner's "
            "browser from the address score; 0: none issued or honoured",
     .check = NULL},
    {.key = "device_max_failures",
     .type = IDM_CONF_INT,
     .def = "10",
     .min = 1,
     .max = 1000,
     .offset = PW(device_max_failures),
     .doc = "failed logins in a row with one device token before it is "
            "revoked",
     .check = NULL},
    {.key = "devices_per_account",
     .type = IDM_CONF_INT,
     .def = "5",
     .min = 1,
     .max = 100,
     .offset = PW(devices_per_account),
     .doc = "device tokens kept per account (the oldest give way)",
     .check = NULL},
};

static int check_password(const void *values, const char *path, idm_err *err)
{
    const idm_password_conf *c = values;

    if (c->lock_max_seconds < c->lock_base_seconds) {
        return idm_err_set(err, IDM_ECONFIG,
                           "%s: [password] lock_max_seconds is smaller than "
                           "lock_base_seconds",
                           path);
    }
    return 0;
}

const idm_conf_section idm_password_conf_section = {
    .group = "password",
    .keys = password_keys,
    .nkeys = sizeof(password_keys) / sizeof(password_keys[0]),
    .size = sizeof(idm_password_conf),
    .check = check_password,
};

static const idm_conf_key login_keys[] = {
    {.key = "pattern",
     .type = IDM_CONF_STRING,
     .def = "{given}.{family}",
     .min = 0,
     .max = 0,
     .offset = LOGIN(pattern),
     .doc = "login pattern: {given} {family} {g} {f}",
     .check = check_pattern},
    {.key = "max_length",
     .type = IDM_CONF_INT,
     .def = "32",
     .min = 8,
     .max = IDM_LOGIN_MAX,
     .offset = LOGIN(max_length),
     .doc = "longest generated login, suffix included",
     .check = NULL},
};

const idm_conf_section idm_login_conf_section = {
    .group = "login",
    .keys = login_keys,
    .nkeys = sizeof(login_keys) / sizeof(login_keys[0]),
    .size = sizeof(idm_login_conf),
    .check = NULL,
};

static const idm_conf_key policy_keys[] = {
    {.key = "dir",
     .type = IDM_CONF_PATH,
     .def = IDM_POLICIES_DIR,
     .min = 0,
     .max = 0,
     .offset = POLICY(dir),
     .doc = "directory of the rights policies (apps/, "
            "admin.xml, schema/)",
     .check = NULL},
};

const idm_conf_section idm_policy_conf_section = {
    .group = "policy",
    .keys = policy_keys,
    .nkeys = sizeof(policy_keys) / sizeof(policy_keys[0]),
    .size = sizeof(idm_policy_conf),
    .check = NULL,
};

int idm_core_conf_register(idm_err *err)
{
    int rc = idm_conf_register(&idm_password_conf_section, err);

    if (rc == 0) {
        rc = idm_conf_register(&idm_login_conf_section, err);
    }
    if (rc == 0) {
        rc = idm_conf_register(&idm_policy_conf_section, err);
    }
    return rc;
}

const idm_password_conf *idm_password_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &idm_password_conf_section);
}

const idm_login_conf *idm_login_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &idm_login_conf_section);
}

const idm_policy_conf *idm_policy_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &idm_policy_conf_section);
}
