/* SPDX-License-Identifier: EUPL-1.2
 * Configuration: one INI file parsed once into an immutable idm_conf.
 * Every option is declared in one table (src/conf_table.c); unknown groups or
 * keys and bad values are errors naming file, line and key.
 */
#ifndef IDM_CONF_H
#define IDM_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "err.h"
#include "log.h"

/** Environment variable naming the config file when --config is absent. */
#define IDM_CONFIG_ENV "IDM_CONFIG"

typedef struct idm_conf {
    /* [database] */
    char *db_conninfo;      /* libpq conninfo without password */
    char *db_password;      /* from password_file, or NULL; wiped on free */
    char *migrations_dir;   /* directory of NNNN_*.sql files */
    int db_connect_timeout; /* seconds */
    /* [password] */
    uint32_t argon2_memory_kib;
    uint32_t argon2_iterations;
    uint32_t argon2_parallelism;
    int password_min_length;
    int max_failed_logins; /* per account and address before a wait */
    int lock_base_seconds; /* deprecated, ignored (migration 0009) */
    int lock_max_seconds;  /* deprecated, ignored (migration 0009) */
    int failure_decay_seconds; /* one failure forgotten per this */
    int account_slow_failures; /* account-wide score that slows */
    int account_slow_seconds;  /* gap for unknown addresses when slow */
    int known_address_days;    /* a successful login makes it known */
    /* [login] */
    char *login_pattern; /* with {given}, {family}, {g}, {f} */
    int login_max_length;
    /* [ldap] */
    char *ldap_uri;
    char *ldap_base;
    char *ldap_admin_dn;
    char *ldap_admin_password; /* from admin_password_file; wiped on free */
    int ldap_release_blocked_names; /* 0/1: names of blocked persons in LDAP */
    char *ldap_scope;           /* eduPerson scope; NULL: from base's dc= */
    int ldap_sync_poll_seconds; /* idm-ldap-sync fallback poll */
    int ldap_sync_batch;        /* outbox rows per batch */
    int ldap_sync_window;       /* LDAP operations in flight */
    /* [import] */
    int import_grace_days;       /* disabled leavers are deleted after this */
    int import_max_leaver_share; /* percent of a school; more needs --yes */
    char *import_login_url;      /* printed on credential letters */
    uint32_t import_argon2_memory_kib; /* initial passwords (random, >= 80 */
    uint32_t import_argon2_iterations; /* bits): cheap hash, upgraded at */
    uint32_t import_argon2_parallelism; /* the first login */
    int import_hash_threads;            /* 0 = one per core */
    int import_plan_connections; /* 1: the import's; 2: two more, halves */
    /* [idp] */
    char *idp_base_url;      /* public base URL, no trailing slash */
    char *idp_listen;        /* IPv4 address to bind */
    int idp_port;
    int idp_threads;         /* 0 = two per core */
    char *idp_key_file;      /* PEM RSA signing key */
    char *idp_cert_file;     /* its certificate */
    char *idp_next_cert_file; /* published for rollover, or NULL */
    char *idp_pairwise_salt; /* from pairwise_salt_file; wiped on free */
    char *idp_platform_name;
    int idp_session_idle_minutes;
    int idp_session_max_hours;
    int idp_request_max_age; /* seconds */
    int idp_clock_skew;      /* seconds */
    int idp_assertion_lifetime; /* seconds */
    int idp_metadata_valid_days;
    int idp_addr_max_failures; /* per address and window */
    int idp_addr_window_seconds;
    int idp_max_connections;     /* connections served at once */
    int idp_max_connections_per_address; /* per peer, proxies exempt */
    int idp_request_timeout;     /* seconds: idle and absolute deadline */
    char *idp_trusted_proxies;   /* CIDRs sending X-Real-IP, or "none" */
    char *idp_metrics_listen;    /* "ADDR:PORT" of /metrics, or "off" */
    /* [policy] */
    char *policy_dir;       /* apps/, admin.xml, schema/policy.xsd */
    /* [log] */
    idm_log_level log_level;
    /* the file it came from, for messages */
    char *path;
} idm_conf;

/**
 * Parse a config file.
 * @param[out] out  new config; free with idm_conf_free(). NULL on error.
 * @return 0, IDM_ECONFIG (msg names file, line and key) or IDM_EIO.
 */
IDM_MUST_CHECK int idm_conf_load(idm_conf **out, const char *path,
                                 idm_err *err);

/** Parse config text; path is used in messages and for relative files. */
IDM_MUST_CHECK int idm_conf_load_data(idm_conf **out, const char *data,
                                      size_t len, const char *path,
                                      idm_err *err);

/** A config with every default (no database); for tools and tests. */
IDM_MUST_CHECK int idm_conf_defaults(idm_conf **out, idm_err *err);

/** Resolve the path: explicit argument, else $IDM_CONFIG, else NULL. */
const char *idm_conf_path(const char *arg);

/** Free a config, wiping secrets. Accepts NULL. */
void idm_conf_free(idm_conf *conf);

/** Print every option with its default and doc line (for --help). */
void idm_conf_describe(FILE *fp);

#endif /* IDM_CONF_H */
