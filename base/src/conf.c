/* SPDX-License-Identifier: EUPL-1.2
 * Config loading. Options live in one table keyed by enum (designated
 * initialisers, so order cannot drift); a line scan gives every error its
 * line number, GKeyFile reads the values.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <libpq-fe.h>

#include "base/alloc.h"
#include "base/conf.h"

#ifndef IDM_POLICIES_DIR
#define IDM_POLICIES_DIR "/usr/share/idm/policies"
#endif
#ifndef IDM_MIGRATIONS_DIR
#define IDM_MIGRATIONS_DIR "/usr/share/idm/migrations"
#endif

#define SECRET_FILE_MAX 4096

typedef enum conf_type {
    T_STRING,  /* char * */
    T_PATH,    /* char *, relative to the config file's directory */
    T_SECRET,  /* char *, read from the file the key names */
    T_INT,     /* int, within [min, max] */
    T_U32,     /* uint32_t, within [min, max] */
    T_LOGLEVEL /* idm_log_level */
} conf_type;

typedef enum conf_opt {
    OPT_DB_CONNINFO,
    OPT_DB_PASSWORD_FILE,
    OPT_DB_MIGRATIONS_DIR,
    OPT_DB_CONNECT_TIMEOUT,
    OPT_PW_MEMORY,
    OPT_PW_ITERATIONS,
    OPT_PW_PARALLELISM,
    OPT_PW_MIN_LENGTH,
    OPT_PW_MAX_FAILED,
    OPT_PW_LOCK_BASE,
    OPT_PW_LOCK_MAX,
    OPT_PW_DECAY,
    OPT_PW_SLOW_FAILURES,
    OPT_PW_SLOW_SECONDS,
    OPT_PW_KNOWN_DAYS,
    OPT_LOGIN_PATTERN,
    OPT_LOGIN_MAX_LENGTH,
    OPT_LDAP_URI,
    OPT_LDAP_BASE,
    OPT_LDAP_ADMIN_DN,
    OPT_LDAP_ADMIN_PASSWORD_FILE,
    OPT_LDAP_RELEASE_BLOCKED_NAMES,
    OPT_LDAP_SCOPE,
    OPT_LDAP_SYNC_POLL,
    OPT_LDAP_SYNC_BATCH,
    OPT_LDAP_SYNC_WINDOW,
    OPT_IMPORT_GRACE_DAYS,
    OPT_IMPORT_MAX_LEAVER_SHARE,
    OPT_IMPORT_LOGIN_URL,
    OPT_IMPORT_MEMORY,
    OPT_IMPORT_ITERATIONS,
    OPT_IMPORT_PARALLELISM,
    OPT_IMPORT_HASH_THREADS,
    OPT_IMPORT_PLAN_CONNECTIONS,
    OPT_IDP_BASE_URL,
    OPT_IDP_LISTEN,
    OPT_IDP_PORT,
    OPT_IDP_THREADS,
    OPT_IDP_KEY_FILE,
    OPT_IDP_CERT_FILE,
    OPT_IDP_NEXT_CERT_FILE,
    OPT_IDP_PAIRWISE_SALT_FILE,
    OPT_IDP_PLATFORM_NAME,
    OPT_IDP_SESSION_IDLE,
    OPT_IDP_SESSION_MAX,
    OPT_IDP_REQUEST_MAX_AGE,
    OPT_IDP_CLOCK_SKEW,
    OPT_IDP_ASSERTION_LIFETIME,
    OPT_IDP_METADATA_VALID_DAYS,
    OPT_IDP_ADDR_MAX_FAILURES,
    OPT_IDP_ADDR_WINDOW,
    OPT_IDP_MAX_CONNECTIONS,
    OPT_IDP_MAX_CONNECTIONS_PER_ADDRESS,
    OPT_IDP_REQUEST_TIMEOUT,
    OPT_IDP_TRUSTED_PROXIES,
    OPT_IDP_METRICS_LISTEN,
    OPT_POLICY_DIR,
    OPT_LOG_LEVEL,
    OPT__COUNT
} conf_opt;

typedef struct conf_def {
    const char *group;
    const char *key;
    conf_type type;
    const char *def; /* default as text, NULL = unset */
    long min, max;   /* numeric range */
    size_t offset;   /* into idm_conf */
    const char *doc;
    /* extra check of a value: NULL if fine, else the reason */
    const char *(*check)(const char *value);
} conf_def;

#define OFF(field) offsetof(idm_conf, field)

static const char *check_pattern(const char *v)
{
    if (strstr(v, "{given}") == NULL && strstr(v, "{family}") == NULL &&
        strstr(v, "{g}") == NULL && strstr(v, "{f}") == NULL) {
        return "uses none of {given}, {family}, {g}, {f}";
    }
    return NULL;
}

static const char *check_conninfo(const char *v)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(v, &errmsg);

    if (opts == NULL) {
        PQfreemem(errmsg);
        return "is not a valid libpq connection string";
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
            PQconninfoFree(opts);
            return "must not hold the password: use password_file";
        }
    }
    PQconninfoFree(opts);
    return NULL;
}

static const char *check_ldap_uri(const char *v)
{
    if (strncmp(v, "ldap://", 7) != 0 && strncmp(v, "ldaps://", 8) != 0 &&
        strncmp(v, "ldapi://", 8) != 0) {
        return "must start with ldap://, ldaps:// or ldapi://";
    }
    return NULL;
}

static const char *check_base_url(const char *v)
{
    size_t n = strlen(v);

    if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
        return "must start with https:// or http://";
    }
    if (v[n - 1] == '/' || strpbrk(v, "?#\"<> ") != NULL || n > 200) {
        return "must be an absolute URL without trailing slash, query or "
               "fragment, at most 200 characters";
    }
    return NULL;
}

/* "none", or "ADDR" / "ADDR/BITS" (IPv4 or IPv6) separated by commas */
static const char *check_trusted_proxies(const char *v)
{
    char **parts = NULL;
    const char *why = NULL;

    if (strcmp(v, "none") == 0) {
        return NULL;
    }
    parts = g_strsplit_set(v, ", ", -1);
    for (char **p = parts; *p != NULL && why == NULL; p++) {
        unsigned char a[16];
        char *slash = strchr(*p, '/'), *end = NULL;
        long bits = -1;
        int v6;

        if (**p == '\0') {
            continue;
        }
        if (slash != NULL) {
            *slash = '\0';
            errno = 0;
            bits = strtol(slash + 1, &end, 10);
            if (slash[1] == '\0' || *end != '\0' || errno != 0) {
                bits = 999;
            }
        }
        v6 = strchr(*p, ':') != NULL;
        if (inet_pton(v6 ? AF_INET6 : AF_INET, *p, a) != 1 ||
            bits > (v6 ? 128 : 32) || (slash != NULL && bits < 0)) {
            why = "must list IPv4/IPv6 addresses or CIDRs "
                  "(e.g. 127.0.0.1, 10.0.0.0/8), comma-separated";
        }
    }
    g_strfreev(parts);
    return why;
}

/* "off" or "IPv4:PORT" */
static const char *check_metrics_listen(const char *v)
{
    const char *colon = strrchr(v, ':');
    char host[INET_ADDRSTRLEN];
    unsigned char a[4];
    char *end = NULL;
    long port;

    if (strcmp(v, "off") == 0) {
        return NULL;
    }
    if (colon == NULL || (size_t)(colon - v) >= sizeof(host)) {
        return "must be IPv4ADDR:PORT (e.g. 127.0.0.1:9108) or off";
    }
    memcpy(host, v, (size_t)(colon - v));
    host[colon - v] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (inet_pton(AF_INET, host, a) != 1 || colon[1] == '\0' ||
        *end != '\0' || errno != 0 || port < 1 || port > 65535) {
        return "must be IPv4ADDR:PORT (e.g. 127.0.0.1:9108) or off";
    }
    return NULL;
}

static const conf_def defs[OPT__COUNT] = {
    [OPT_DB_CONNINFO] = {.group = "database",
                         .key = "conninfo",
                         .type = T_STRING,
                         .def = "dbname=idm",
                         .min = 0,
                         .max = 0,
                         .offset = OFF(db_conninfo),
                         .doc = "libpq connection string, without the password",
                         .check = check_conninfo},
    [OPT_DB_PASSWORD_FILE] = {.group = "database",
                              .key = "password_file",
                              .type = T_SECRET,
                              .def = NULL,
                              .min = 0,
                              .max = 0,
                              .offset = OFF(db_password),
                              .doc = "file holding the database password",
                              .check = NULL},
    [OPT_DB_MIGRATIONS_DIR] = {.group = "database",
                               .key = "migrations_dir",
                               .type = T_PATH,
                               .def = IDM_MIGRATIONS_DIR,
                               .min = 0,
                               .max = 0,
                               .offset = OFF(migrations_dir),
                               .doc = "directory of the NNNN_*.sql migrations",
                               .check = NULL},
    [OPT_DB_CONNECT_TIMEOUT] = {.group = "database",
                                .key = "connect_timeout",
                                .type = T_INT,
                                .def = "10",
                                .min = 1,
                                .max = 300,
                                .offset = OFF(db_connect_timeout),
                                .doc = "seconds to wait for the database",
                                .check = NULL},
    [OPT_PW_MEMORY] = {.group = "password",
                       .key = "argon2_memory_kib",
                       .type = T_U32,
                       .def = "19456",
                       .min = 1024,
                       .max = 4194304,
                       .offset = OFF(argon2_memory_kib),
                       .doc = "Argon2id memory cost in KiB (OWASP: 19456)",
                       .check = NULL},
    [OPT_PW_ITERATIONS] = {.group = "password",
                           .key = "argon2_iterations",
                           .type = T_U32,
                           .def = "2",
                           .min = 1,
                           .max = 100,
                           .offset = OFF(argon2_iterations),
                           .doc = "Argon2id time cost (OWASP: 2)",
                           .check = NULL},
    [OPT_PW_PARALLELISM] = {.group = "password",
                            .key = "argon2_parallelism",
                            .type = T_U32,
                            .def = "1",
                            .min = 1,
                            .max = 64,
                            .offset = OFF(argon2_parallelism),
                            .doc = "Argon2id lanes (OWASP: 1)",
                            .check = NULL},
    [OPT_PW_MIN_LENGTH] = {.group = "password",
                           .key = "min_length",
                           .type = T_INT,
                           .def = "10",
                           .min = 8,
                           .max = 128,
                           .offset = OFF(password_min_length),
                           .doc = "shortest password a user may set",
                           .check = NULL},
    [OPT_PW_MAX_FAILED] = {.group = "password",
                           .key = "max_failed_logins",
                           .type = T_INT,
                           .def = "5",
                           .min = 1,
                           .max = 1000,
                           .offset = OFF(max_failed_logins),
                           .doc = "failures from one address (IPv6: /64) "
                                  "against one account before it must wait",
                           .check = NULL},
    /* The exponential lock these two configured is gone (issue 12): it
     * locked the owner out with the attacker. Kept so that old files
     * still load. */
    [OPT_PW_LOCK_BASE] = {.group = "password",
                          .key = "lock_base_seconds",
                          .type = T_INT,
                          .def = "30",
                          .min = 1,
                          .max = 86400,
                          .offset = OFF(lock_base_seconds),
                          .doc = "deprecated, ignored",
                          .check = NULL},
    [OPT_PW_LOCK_MAX] = {.group = "password",
                         .key = "lock_max_seconds",
                         .type = T_INT,
                         .def = "900",
                         .min = 1,
                         .max = 86400,
                         .offset = OFF(lock_max_seconds),
                         .doc = "deprecated, ignored",
                         .check = NULL},
    [OPT_PW_DECAY] = {.group = "password",
                      .key = "failure_decay_seconds",
                      .type = T_INT,
                      .def = "60",
                      .min = 1,
                      .max = 86400,
                      .offset = OFF(failure_decay_seconds),
                      .doc = "one counted login failure is forgotten per "
                             "this many seconds",
                      .check = NULL},
    [OPT_PW_SLOW_FAILURES] = {.group = "password",
                              .key = "account_slow_failures",
                              .type = T_INT,
                              .def = "50",
                              .min = 1,
                              .max = 1000000,
                              .offset = OFF(account_slow_failures),
                              .doc = "failures against one account (all "
                                     "addresses) that slow unknown "
                                     "addresses down",
                              .check = NULL},
    [OPT_PW_SLOW_SECONDS] = {.group = "password",
                             .key = "account_slow_seconds",
                             .type = T_INT,
                             .def = "5",
                             .min = 0,
                             .max = 3600,
                             .offset = OFF(account_slow_seconds),
                             .doc = "while slowed: seconds between attempts "
                                    "from addresses without a recent login",
                             .check = NULL},
    [OPT_PW_KNOWN_DAYS] = {.group = "password",
                           .key = "known_address_days",
                           .type = T_INT,
                           .def = "30",
                           .min = 0,
                           .max = 366,
                           .offset = OFF(known_address_days),
                           .doc = "days an address with a successful login "
                                  "is exempt from the slow-down",
                           .check = NULL},
    [OPT_LOGIN_PATTERN] = {.group = "login",
                           .key = "pattern",
                           .type = T_STRING,
                           .def = "{given}.{family}",
                           .min = 0,
                           .max = 0,
                           .offset = OFF(login_pattern),
                           .doc = "login pattern: {given} {family} {g} {f}",
                           .check = check_pattern},
    [OPT_LOGIN_MAX_LENGTH] = {.group = "login",
                              .key = "max_length",
                              .type = T_INT,
                              .def = "32",
                              .min = 8,
                              .max = 64, /* IDM_LOGIN_MAX */
                              .offset = OFF(login_max_length),
                              .doc = "longest generated login, suffix included",
                              .check = NULL},
    [OPT_LDAP_URI] = {.group = "ldap",
                      .key = "uri",
                      .type = T_STRING,
                      .def = NULL,
                      .min = 0,
                      .max = 0,
                      .offset = OFF(ldap_uri),
                      .doc = "LDAP server URI (ldap://, ldaps://, ldapi://)",
                      .check = check_ldap_uri},
    [OPT_LDAP_BASE] = {.group = "ldap",
                       .key = "base",
                       .type = T_STRING,
                       .def = NULL,
                       .min = 0,
                       .max = 0,
                       .offset = OFF(ldap_base),
                       .doc = "base DN of the directory",
                       .check = NULL},
    [OPT_LDAP_ADMIN_DN] = {.group = "ldap",
                           .key = "admin_dn",
                           .type = T_STRING,
                           .def = NULL,
                           .min = 0,
                           .max = 0,
                           .offset = OFF(ldap_admin_dn),
                           .doc = "DN the sync binds as",
                           .check = NULL},
    [OPT_LDAP_ADMIN_PASSWORD_FILE] = {.group = "ldap",
                                      .key = "admin_password_file",
                                      .type = T_SECRET,
                                      .def = NULL,
                                      .min = 0,
                                      .max = 0,
                                      .offset = OFF(ldap_admin_password),
                                      .doc = "file holding that DN's password",
                                      .check = NULL},
    [OPT_LDAP_RELEASE_BLOCKED_NAMES] = {.group = "ldap",
                                        .key = "release_blocked_names",
                                        .type = T_INT,
                                        .def = "0",
                                        .min = 0,
                                        .max = 1,
                                        .offset =
                                            OFF(ldap_release_blocked_names),
                                        .doc = "1: persons with an "
                                               "information release block "
                                               "keep their names in LDAP",
                                        .check = NULL},
    [OPT_LDAP_SCOPE] = {.group = "ldap",
                        .key = "scope",
                        .type = T_STRING,
                        .def = NULL,
                        .min = 0,
                        .max = 0,
                        .offset = OFF(ldap_scope),
                        .doc = "eduPerson/SCHAC scope domain (unset: the dc= "
                               "parts of base)",
                        .check = NULL},
    [OPT_LDAP_SYNC_POLL] = {.group = "ldap",
                            .key = "sync_poll_seconds",
                            .type = T_INT,
                            .def = "5",
                            .min = 1,
                            .max = 3600,
                            .offset = OFF(ldap_sync_poll_seconds),
                            .doc = "idm-ldap-sync fallback poll interval",
                            .check = NULL},
    [OPT_LDAP_SYNC_BATCH] = {.group = "ldap",
                             .key = "sync_batch",
                             .type = T_INT,
                             .def = "2000",
                             .min = 1,
                             .max = 1000000,
                             .offset = OFF(ldap_sync_batch),
                             .doc = "outbox rows per sync batch",
                             .check = NULL},
    [OPT_LDAP_SYNC_WINDOW] = {.group = "ldap",
                              .key = "sync_window",
                              .type = T_INT,
                              .def = "256",
                              .min = 1,
                              .max = 1000000,
                              .offset = OFF(ldap_sync_window),
                              .doc = "LDAP operations the sync keeps in "
                                     "flight",
                              .check = NULL},
    [OPT_IMPORT_GRACE_DAYS] = {.group = "import",
                               .key = "grace_days",
                               .type = T_INT,
                               .def = "90",
                               .min = 0,
                               .max = 3650,
                               .offset = OFF(import_grace_days),
                               .doc = "days a leaver stays disabled before "
                                      "deletion (GDPR)",
                               .check = NULL},
    [OPT_IMPORT_MAX_LEAVER_SHARE] = {.group = "import",
                                     .key = "max_leaver_share",
                                     .type = T_INT,
                                     .def = "10",
                                     .min = 0,
                                     .max = 100,
                                     .offset = OFF(import_max_leaver_share),
                                     .doc = "percent of a school's persons "
                                            "that may leave without --yes",
                                     .check = NULL},
    [OPT_IMPORT_LOGIN_URL] = {.group = "import",
                              .key = "login_url",
                              .type = T_STRING,
                              .def = "https://login.schule-mv.de/",
                              .min = 0,
                              .max = 0,
                              .offset = OFF(import_login_url),
                              .doc = "login address printed on credential "
                                     "letters",
                              .check = NULL},
    [OPT_IMPORT_MEMORY] = {.group = "import",
                           .key = "initial_argon2_memory_kib",
                           .type = T_U32,
                           .def = "64",
                           .min = 8,
                           .max = 4194304,
                           .offset = OFF(import_argon2_memory_kib),
                           .doc = "Argon2id memory of initial passwords "
                                  "(random, 93 bits; upgraded at first login)",
                           .check = NULL},
    [OPT_IMPORT_ITERATIONS] = {.group = "import",
                               .key = "initial_argon2_iterations",
                               .type = T_U32,
                               .def = "1",
                               .min = 1,
                               .max = 100,
                               .offset = OFF(import_argon2_iterations),
                               .doc = "Argon2id time cost of initial passwords",
                               .check = NULL},
    [OPT_IMPORT_PARALLELISM] = {.group = "import",
                                .key = "initial_argon2_parallelism",
                                .type = T_U32,
                                .def = "1",
                                .min = 1,
                                .max = 64,
                                .offset = OFF(import_argon2_parallelism),
                                .doc = "Argon2id lanes of initial passwords",
                                .check = NULL},
    [OPT_IMPORT_HASH_THREADS] = {.group = "import",
                                 .key = "hash_threads",
                                 .type = T_INT,
                                 .def = "0",
                                 .min = 0,
                                 .max = 1024,
                                 .offset = OFF(import_hash_threads),
                                 .doc = "threads hashing initial passwords "
                                        "(0: one per core)",
                                 .check = NULL},
    [OPT_IMPORT_PLAN_CONNECTIONS] = {.group = "import",
                                     .key = "plan_connections",
                                     .type = T_INT,
                                     .def = "2",
                                     .min = 1,
                                     .max = 2,
                                     .offset = OFF(import_plan_connections),
                                     .doc = "connections reading a whole "
                                            "source for the plan (2: two "
                                            "more, a half each)",
                                     .check = NULL},
    [OPT_IDP_BASE_URL] = {.group = "idp",
               .key = "base_url",
               .type = T_STRING,
               .def = "http://127.0.0.1:8080",
               .min = 0,
               .max = 0,
               .offset = OFF(idp_base_url),
               .doc = "public base URL of idmd (https behind the proxy)",
               .check = check_base_url},
    [OPT_IDP_LISTEN] = {.group = "idp",
               .key = "listen",
               .type = T_STRING,
               .def = "127.0.0.1",
               .min = 0,
               .max = 0,
               .offset = OFF(idp_listen),
               .doc = "IPv4 address idmd binds to",
               .check = NULL},
    [OPT_IDP_PORT] = {.group = "idp",
               .key = "port",
               .type = T_INT,
               .def = "8080",
               .min = 1,
               .max = 65535,
               .offset = OFF(idp_port),
               .doc = "TCP port idmd listens on",
               .check = NULL},
    [OPT_IDP_THREADS] = {.group = "idp",
               .key = "threads",
               .type = T_INT,
               .def = "0",
               .min = 0,
               .max = 256,
               .offset = OFF(idp_threads),
               .doc = "idmd requests served at once with a database "
                      "connection (0: two per core)",
               .check = NULL},
    [OPT_IDP_KEY_FILE] = {.group = "idp",
               .key = "key_file",
               .type = T_PATH,
               .def = NULL,
               .min = 0,
               .max = 0,
               .offset = OFF(idp_key_file),
               .doc = "PEM RSA private key signing responses",
               .check = NULL},
    [OPT_IDP_CERT_FILE] = {.group = "idp",
               .key = "cert_file",
               .type = T_PATH,
               .def = NULL,
               .min = 0,
               .max = 0,
               .offset = OFF(idp_cert_file),
               .doc = "PEM certificate of key_file",
               .check = NULL},
    [OPT_IDP_NEXT_CERT_FILE] = {.group = "idp",
               .key = "next_cert_file",
               .type = T_PATH,
               .def = NULL,
               .min = 0,
               .max = 0,
               .offset = OFF(idp_next_cert_file),
               .doc = "next signing certificate, published for rollover",
               .check = NULL},
    [OPT_IDP_PAIRWISE_SALT_FILE] = {.group = "idp",
               .key = "pairwise_salt_file",
               .type = T_SECRET,
               .def = NULL,
               .min = 0,
               .max = 0,
               .offset = OFF(idp_pairwise_salt),
               .doc = "file holding the secret of pairwise ids and CSRF tokens",
               .check = NULL},
    [OPT_IDP_PLATFORM_NAME] = {.group = "idp",
               .key = "platform_name",
               .type = T_STRING,
               .def = "Schulportal M-V",
               .min = 0,
               .max = 0,
               .offset = OFF(idp_platform_name),
               .doc = "name shown on the login page",
               .check = NULL},
    [OPT_IDP_SESSION_IDLE] = {.group = "idp",
               .key = "session_idle_minutes",
               .type = T_INT,
               .def = "60",
               .min = 1,
               .max = 1440,
               .offset = OFF(idp_session_idle_minutes),
               .doc = "session ends after this much inactivity",
               .check = NULL},
    [OPT_IDP_SESSION_MAX] = {.group = "idp",
               .key = "session_max_hours",
               .type = T_INT,
               .def = "10",
               .min = 1,
               .max = 168,
               .offset = OFF(idp_session_max_hours),
               .doc = "session ends this long after login",
               .check = NULL},
    [OPT_IDP_REQUEST_MAX_AGE] = {.group = "idp",
               .key = "request_max_age",
               .type = T_INT,
               .def = "180",
               .min = 10,
               .max = 3600,
               .offset = OFF(idp_request_max_age),
               .doc = "seconds an AuthnRequest stays acceptable",
               .check = NULL},
    [OPT_IDP_CLOCK_SKEW] = {.group = "idp",
               .key = "clock_skew",
               .type = T_INT,
               .def = "180",
               .min = 0,
               .max = 900,
               .offset = OFF(idp_clock_skew),
               .doc = "seconds of clock difference tolerated",
               .check = NULL},
    [OPT_IDP_ASSERTION_LIFETIME] = {.group = "idp",
               .key = "assertion_lifetime",
               .type = T_INT,
               .def = "300",
               .min = 30,
               .max = 3600,
               .offset = OFF(idp_assertion_lifetime),
               .doc = "seconds an assertion is valid",
               .check = NULL},
    [OPT_IDP_METADATA_VALID_DAYS] = {.group = "idp",
               .key = "metadata_valid_days",
               .type = T_INT,
               .def = "7",
               .min = 1,
               .max = 365,
               .offset = OFF(idp_metadata_valid_days),
               .doc = "validUntil of the published metadata, in days",
               .check = NULL},
    [OPT_IDP_ADDR_MAX_FAILURES] = {.group = "idp",
               .key = "addr_max_failures",
               .type = T_INT,
               .def = "300",
               .min = 10,
               .max = 100000,
               .offset = OFF(idp_addr_max_failures),
               .doc = "failed logins per address and window before a pause",
               .check = NULL},
    [OPT_IDP_ADDR_WINDOW] = {.group = "idp",
               .key = "addr_window_seconds",
               .type = T_INT,
               .def = "600",
               .min = 10,
               .max = 86400,
               .offset = OFF(idp_addr_window_seconds),
               .doc = "window of addr_max_failures, and the pause",
               .check = NULL},
    [OPT_IDP_MAX_CONNECTIONS] = {.group = "idp",
               .key = "max_connections",
               .type = T_INT,
               .def = "1024",
               .min = 16,
               .max = 8192,
               .offset = OFF(idp_max_connections),
               .doc = "HTTP connections idmd serves at once (a thread "
                      "each); more are refused",
               .check = NULL},
    [OPT_IDP_MAX_CONNECTIONS_PER_ADDRESS] = {.group = "idp",
               .key = "max_connections_per_address",
               .type = T_INT,
               .def = "32",
               .min = 1,
               .max = 8192,
               .offset = OFF(idp_max_connections_per_address),
               .doc = "HTTP connections per client address (trusted_proxies "
                      "exempt); more are refused",
               .check = NULL},
    [OPT_IDP_REQUEST_TIMEOUT] = {.group = "idp",
               .key = "request_timeout",
               .type = T_INT,
               .def = "30",
               .min = 2,
               .max = 600,
               .offset = OFF(idp_request_timeout),
               .doc = "seconds a request may take from its first byte to "
                      "its answer, and a connection may stay idle",
               .check = NULL},
    [OPT_IDP_TRUSTED_PROXIES] = {.group = "idp",
               .key = "trusted_proxies",
               .type = T_STRING,
               .def = "none",
               .min = 0,
               .max = 0,
               .offset = OFF(idp_trusted_proxies),
               .doc = "addresses or CIDRs (comma-separated) whose X-Real-IP "
                      "header names the client, or none",
               .check = check_trusted_proxies},
    [OPT_IDP_METRICS_LISTEN] = {.group = "idp",
               .key = "metrics_listen",
               .type = T_STRING,
               .def = "127.0.0.1:9108",
               .min = 0,
               .max = 0,
               .offset = OFF(idp_metrics_listen),
               .doc = "IPv4ADDR:PORT serving /metrics (never the public "
                      "port), or off",
               .check = check_metrics_listen},
    [OPT_POLICY_DIR] = {.group = "policy",
                        .key = "dir",
                        .type = T_PATH,
                        .def = IDM_POLICIES_DIR,
                        .min = 0,
                        .max = 0,
                        .offset = OFF(policy_dir),
                        .doc = "directory of the rights policies (apps/, "
                               "admin.xml, schema/)",
                        .check = NULL},
    [OPT_LOG_LEVEL] = {.group = "log",
                       .key = "level",
                       .type = T_LOGLEVEL,
                       .def = "info",
                       .min = 0,
                       .max = 0,
                       .offset = OFF(log_level),
                       .doc = "error, warn, notice, info or debug",
                       .check = NULL},
};

/* Line of "[group]" (key NULL) or of "key =" inside group; 0 if absent. */
static int find_line(const char *data, size_t len, const char *group,
                     const char *key)
{
    const char *p = data, *end = data + len;
    int line = 0, in_group = 0;
    size_t glen = strlen(group);

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;

        if (eol == NULL) {
            eol = end;
        }
        line++;
        while (s < eol && (*s == ' ' || *s == '\t')) {
            s++;
        }
        if (s < eol && *s == '[') {
            in_group = (size_t)(eol - s) > glen + 1 &&
                       strncmp(s + 1, group, glen) == 0 && s[glen + 1] == ']';
            if (in_group && key == NULL) {
                return line;
            }
        } else if (in_group && key != NULL) {
            size_t klen = strlen(key);
            if ((size_t)(eol - s) >= klen && strncmp(s, key, klen) == 0) {
                const char *q = s + klen;
                while (q < eol && (*q == ' ' || *q == '\t')) {
                    q++;
                }
                if (q < eol && *q == '=') {
                    return line;
                }
            }
        }
        p = eol + 1;
    }
    return 0;
}

static const conf_def *lookup_def(const char *group, const char *key)
{
    for (int i = 0; i < OPT__COUNT; i++) {
        if (strcmp(defs[i].group, group) == 0 &&
            (key == NULL || strcmp(defs[i].key, key) == 0)) {
            return &defs[i];
        }
    }
    return NULL;
}

/*
 * Syntax pass: every line is blank, a comment, [group] or key=value; groups
 * and keys are known; no key appears twice. GKeyFile would accept
 * duplicates silently and reports no line numbers.
 */
static int check_lines(const char *data, size_t len, const char *path,
                       idm_err *err)
{
    const char *p = data, *end = data + len;
    char group[64] = "";
    GHashTable *seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int line = 0, rc = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e;

        if (eol == NULL) {
            eol = end;
        }
        line++;
        e = eol;
        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
            e--;
        }
        if (s == e || *s == '#' || *s == ';') {
            p = eol + 1;
            continue;
        }
        if (*s == '[') {
            size_t glen = (size_t)(e - s) - 2;
            if (e[-1] != ']' || glen == 0 || glen >= sizeof(group)) {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: malformed group header", path, line);
                goto cleanup;
            }
            memcpy(group, s + 1, glen);
            group[glen] = '\0';
            if (lookup_def(group, NULL) == NULL) {
                rc = idm_err_set(err, IDM_ECONFIG, "%s:%d: unknown group [%s]",
                                 path, line, group);
                goto cleanup;
            }
        } else {
            const char *eq = memchr(s, '=', (size_t)(e - s));
            const char *ke;
            char key[64], *full;

            if (eq == NULL) {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: expected \"key = value\"", path, line);
                goto cleanup;
            }
            if (group[0] == '\0') {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: key outside of a [group]", path, line);
                goto cleanup;
            }
            ke = eq;
            while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t')) {
                ke--;
            }
            if (ke == s || (size_t)(ke - s) >= sizeof(key)) {
                rc = idm_err_set(err, IDM_ECONFIG, "%s:%d: malformed key", path,
                                 line);
                goto cleanup;
            }
            memcpy(key, s, (size_t)(ke - s));
            key[ke - s] = '\0';
            if (lookup_def(group, key) == NULL) {
                rc =
                    idm_err_set(err, IDM_ECONFIG, "%s:%d: [%s] %s: unknown key",
                                path, line, group, key);
                goto cleanup;
            }
            full = g_strdup_printf("%s/%s", group, key);
            if (!g_hash_table_add(seen, full)) {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: [%s] %s: key given twice", path, line,
                                 group, key);
                goto cleanup;
            }
        }
        p = eol + 1;
    }
cleanup:
    g_hash_table_destroy(seen);
    return rc;
}

static char *resolve_path(const char *base_path, const char *value)
{
    char *dir, *full;

    if (value[0] == '/' || base_path == NULL) {
        return idm_xstrdup(value);
    }
    dir = g_path_get_dirname(base_path);
    full = g_build_filename(dir, value, NULL);
    g_free(dir);
    dir = idm_xstrdup(full);
    g_free(full);
    return dir;
}

static int read_secret(char **out, const char *file, const char *where,
                       idm_err *err)
{
    char buf[SECRET_FILE_MAX + 1];
    FILE *fp = fopen(file, "r");
    size_t n;
    int rc = 0;

    *out = NULL;
    if (fp == NULL) {
        return idm_err_set(err, IDM_ECONFIG, "%s: cannot read \"%s\": %s",
                           where, file, strerror(errno));
    }
    n = fread(buf, 1, sizeof(buf), fp);
    if (ferror(fp) || n > SECRET_FILE_MAX) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "%s: \"%s\" is unreadable or larger than %d bytes",
                         where, file, SECRET_FILE_MAX);
        goto cleanup;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    if (n == 0 || memchr(buf, '\0', n) != NULL) {
        rc =
            idm_err_set(err, IDM_ECONFIG,
                        "%s: \"%s\" is empty or holds a NUL byte", where, file);
        goto cleanup;
    }
    *out = idm_xmalloc(n + 1);
    memcpy(*out, buf, n);
    (*out)[n] = '\0';
cleanup:
    OPENSSL_cleanse(buf, sizeof(buf));
    fclose(fp);
    return rc;
}

/* Store one value (from the file or the default) into conf. */
static int set_value(idm_conf *conf, const conf_def *d, const char *value,
                     const char *where, idm_err *err)
{
    char *field = (char *)conf + d->offset;
    char *endp;
    long v;

    if (d->check != NULL && value[0] != '\0') {
        const char *why = d->check(value);
        if (why != NULL) {
            /* the value is not echoed: it may hold a secret */
            return idm_err_set(err, IDM_ECONFIG, "%s: value %s", where, why);
        }
    }
    switch (d->type) {
    case T_STRING:
        if (value[0] == '\0') {
            return idm_err_set(err, IDM_ECONFIG, "%s: empty value", where);
        }
        free(*(char **)field);
        *(char **)field = idm_xstrdup(value);
        return 0;
    case T_PATH:
        if (value[0] == '\0') {
            return idm_err_set(err, IDM_ECONFIG, "%s: empty path", where);
        }
        free(*(char **)field);
        *(char **)field = resolve_path(conf->path, value);
        return 0;
    case T_SECRET: {
        char *file = resolve_path(conf->path, value);
        char *secret = NULL;
        int rc = read_secret(&secret, file, where, err);
        free(file);
        if (rc != 0) {
            return rc;
        }
        *(char **)field = secret;
        return 0;
    }
    case T_INT:
    case T_U32:
        errno = 0;
        v = strtol(value, &endp, 10);
        if (errno != 0 || endp == value || *endp != '\0') {
            return idm_err_set(err, IDM_ECONFIG,
                               "%s: \"%s\" is not a whole number", where,
                               value);
        }
        if (v < d->min || v > d->max) {
            return idm_err_set(err, IDM_ECONFIG, "%s: %ld is outside %ld..%ld",
                               where, v, d->min, d->max);
        }
        if (d->type == T_INT) {
            *(int *)field = (int)v;
        } else {
            *(uint32_t *)field = (uint32_t)v;
        }
        return 0;
    case T_LOGLEVEL:
        if (idm_log_level_parse((idm_log_level *)field, value) != 0) {
            return idm_err_set(err, IDM_ECONFIG,
                               "%s: \"%s\" is not one of error, warn, "
                               "notice, info, debug",
                               where, value);
        }
        return 0;
    }
    return idm_err_set(err, IDM_EINTERNAL, "%s: unknown option type", where);
}

static int apply_defaults(idm_conf *conf, idm_err *err)
{
    for (int i = 0; i < OPT__COUNT; i++) {
        int rc;
        if (defs[i].def == NULL) {
            continue;
        }
        rc = set_value(conf, &defs[i], defs[i].def, "built-in default", err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Checks across options. */
static int check_conf(const idm_conf *conf, const char *path, idm_err *err)
{
    if (conf->lock_max_seconds < conf->lock_base_seconds) {
        return idm_err_set(err, IDM_ECONFIG,
                           "%s: [password] lock_max_seconds is smaller than "
                           "lock_base_seconds",
                           path);
    }
    return 0;
}

int idm_conf_load_data(idm_conf **out, const char *data, size_t len,
                       const char *path, idm_err *err)
{
    idm_conf *conf = idm_xcalloc(1, sizeof(*conf));
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    gchar *gdata = NULL;
    int rc;

    *out = NULL;
    conf->path = idm_xstrdup(path != NULL ? path : "(config)");
    rc = check_lines(data, len, conf->path, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = apply_defaults(conf, err);
    if (rc != 0) {
        goto cleanup;
    }
    /* GKeyFile knows only '#' comments; ';' ones become '#' in a copy.
     * Its messages quote whole lines (which may hold a commented-out
     * secret), so they are never shown. */
    gdata = g_strndup(data, len);
    for (gchar *line = gdata; line != NULL; line = strchr(line, '\n')) {
        line += line[0] == '\n';
        line += strspn(line, " \t");
        if (*line == ';') {
            *line = '#';
        }
    }
    if (!g_key_file_load_from_data(kf, gdata, len, G_KEY_FILE_NONE, &gerr)) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "%s: not a valid configuration file (is it UTF-8?)",
                         conf->path);
        goto cleanup;
    }
    for (int i = 0; i < OPT__COUNT; i++) {
        const conf_def *d = &defs[i];
        char *value, where[256];

        if (!g_key_file_has_key(kf, d->group, d->key, NULL)) {
            continue;
        }
        snprintf(where, sizeof(where), "%s:%d: [%s] %s", conf->path,
                 find_line(data, len, d->group, d->key), d->group, d->key);
        value = g_key_file_get_string(kf, d->group, d->key, &gerr);
        if (value == NULL) {
            rc = idm_err_set(err, IDM_ECONFIG,
                             "%s: invalid escape sequence in the value", where);
            goto cleanup;
        }
        if (d->type == T_SECRET) {
            /* a file's contents replace any earlier secret */
            char **field = (char **)((char *)conf + d->offset);
            if (*field != NULL) {
                OPENSSL_cleanse(*field, strlen(*field));
                free(*field);
                *field = NULL;
            }
        }
        rc = set_value(conf, d, g_strstrip(value), where, err);
        g_free(value);
        if (rc != 0) {
            goto cleanup;
        }
    }
    rc = check_conf(conf, conf->path, err);
    if (rc != 0) {
        goto cleanup;
    }
    *out = conf;
    conf = NULL;
cleanup:
    if (gerr != NULL) {
        g_error_free(gerr);
    }
    if (gdata != NULL) {
        OPENSSL_cleanse(gdata, len);
        g_free(gdata);
    }
    g_key_file_free(kf);
    idm_conf_free(conf);
    return rc;
}

int idm_conf_load(idm_conf **out, const char *path, idm_err *err)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    int rc;

    *out = NULL;
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        rc = idm_err_set(err, IDM_EIO, "cannot read config \"%s\": %s", path,
                         gerr->message);
        g_error_free(gerr);
        return rc;
    }
    rc = idm_conf_load_data(out, data, len, path, err);
    g_free(data);
    return rc;
}

int idm_conf_defaults(idm_conf **out, idm_err *err)
{
    return idm_conf_load_data(out, "", 0, "(defaults)", err);
}

const char *idm_conf_path(const char *arg)
{
    const char *env;

    if (arg != NULL) {
        return arg;
    }
    env = getenv(IDM_CONFIG_ENV);
    return env != NULL && env[0] != '\0' ? env : NULL;
}

static void free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void idm_conf_free(idm_conf *conf)
{
    if (conf == NULL) {
        return;
    }
    free(conf->db_conninfo);
    free_secret(conf->db_password);
    free(conf->migrations_dir);
    free(conf->policy_dir);
    free(conf->login_pattern);
    free(conf->ldap_uri);
    free(conf->ldap_base);
    free(conf->ldap_admin_dn);
    free_secret(conf->ldap_admin_password);
    free(conf->ldap_scope);
    free(conf->import_login_url);
    free(conf->idp_base_url);
    free(conf->idp_listen);
    free(conf->idp_key_file);
    free(conf->idp_cert_file);
    free(conf->idp_next_cert_file);
    free_secret(conf->idp_pairwise_salt);
    free(conf->idp_platform_name);
    free(conf->idp_trusted_proxies);
    free(conf->idp_metrics_listen);
    free(conf->path);
    free(conf);
}

void idm_conf_describe(FILE *fp)
{
    const char *group = "";

    for (int i = 0; i < OPT__COUNT; i++) {
        const conf_def *d = &defs[i];
        if (strcmp(group, d->group) != 0) {
            group = d->group;
            fprintf(fp, "%s[%s]\n", i > 0 ? "\n" : "", group);
        }
        fprintf(fp, "  %-22s %s%s%s%s\n", d->key, d->doc,
                d->def != NULL ? " (default: " : "",
                d->def != NULL ? d->def : "", d->def != NULL ? ")" : "");
    }
}
