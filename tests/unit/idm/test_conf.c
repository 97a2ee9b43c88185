/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for config loading: defaults, a full file, every error kind
 * with its "FILE:LINE: [group] key: ..." message, secret files and paths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"
#include "base/log.h"
#include "idm/conf.h"
#include "idm/login.h"
#include "idm/password.h"
#include "lsync/conf.h"
#include "saml/conf.h"
#include "sip/conf.h"
#include "web/conf.h"

#ifndef IDM_TEST_MIGRATIONS_DIR
#error "IDM_TEST_MIGRATIONS_DIR must name idm_core's default migrations dir"
#endif

/* Per-test state: a private directory holding the config file and any
 * secret files, the loaded config and the saved $IDM_CONFIG. */
typedef struct fixture {
    char *dir;       /* /tmp/idm-conf-XXXXXX */
    char *conf_path; /* dir/idm.conf, used in messages */
    idm_conf *conf;
    idm_err err;
    char *saved_env;
    int had_env;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    const char *env = getenv(IDM_CONFIG_ENV);

    if (fx == NULL) {
        return -1;
    }
    fx->dir = g_strdup("/tmp/idm-conf-XXXXXX");
    if (g_mkdtemp(fx->dir) == NULL) {
        g_free(fx->dir);
        free(fx);
        return -1;
    }
    fx->conf_path = g_build_filename(fx->dir, "idm.conf", NULL);
    fx->had_env = env != NULL;
    fx->saved_env = g_strdup(env);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    GDir *d;
    const char *name;

    if (fx == NULL) {
        return 0;
    }
    idm_conf_free(fx->conf);
    d = g_dir_open(fx->dir, 0, NULL);
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(fx->dir, name, NULL);
        g_remove(p);
        g_free(p);
    }
    if (d != NULL) {
        g_dir_close(d);
    }
    g_rmdir(fx->dir);
    if (fx->had_env) {
        setenv(IDM_CONFIG_ENV, fx->saved_env, 1);
    } else {
        unsetenv(IDM_CONFIG_ENV);
    }
    g_free(fx->saved_env);
    g_free(fx->conf_path);
    g_free(fx->dir);
    free(fx);
    return 0;
}

/* Write name (relative to the fixture dir) and return its full path. */
static char *write_file(fixture *fx, const char *name, const char *data,
                        gssize len)
{
    char *path = g_build_filename(fx->dir, name, NULL);

    assert_true(g_file_set_contents(path, data, len, NULL));
    return path;
}

static int load(fixture *fx, const char *text)
{
    idm_conf_free(fx->conf);
    fx->conf = NULL;
    idm_err_clear(&fx->err);
    return idm_conf_load_data(&fx->conf, text, strlen(text), fx->conf_path,
                              &fx->err);
}

/*
 * Load text and expect IDM_ECONFIG with a message that starts with
 * "PATH:LINE: " followed by where (if not NULL) and contains why.
 */
static void expect_error(fixture *fx, const char *text, int line,
                         const char *where, const char *why)
{
    char *prefix = g_strdup_printf("%s:%d: %s", fx->conf_path, line,
                                   where != NULL ? where : "");
    int rc = load(fx, text);

    if (rc != IDM_ECONFIG ||
        strncmp(fx->err.msg, prefix, strlen(prefix)) != 0 ||
        strstr(fx->err.msg, why) == NULL) {
        print_error("rc=%d msg \"%s\"\nwant prefix \"%s\" and \"%s\"\n", rc,
                    fx->err.msg, prefix, why);
    }
    assert_int_equal(rc, IDM_ECONFIG);
    assert_null(fx->conf);
    assert_int_equal(fx->err.code, IDM_ECONFIG);
    assert_int_equal(strncmp(fx->err.msg, prefix, strlen(prefix)), 0);
    assert_non_null(strstr(fx->err.msg, why));
    g_free(prefix);
}

/* ---- defaults and valid files ------------------------------------------ */

static void check_defaults(const idm_conf *c)
{
    const idm_argon2_params owasp = IDM_ARGON2_PARAMS_INIT;

    assert_string_equal(idm_db_conf_get(c)->conninfo, "dbname=idm");
    assert_null(idm_db_conf_get(c)->password);
    assert_string_equal(idm_db_conf_get(c)->migrations_dir,
                        IDM_TEST_MIGRATIONS_DIR);
    assert_int_equal(idm_db_conf_get(c)->connect_timeout, 10);
    assert_int_equal(idm_password_conf_get(c)->argon2_memory_kib, 19456);
    assert_int_equal(idm_password_conf_get(c)->argon2_iterations, 2);
    assert_int_equal(idm_password_conf_get(c)->argon2_parallelism, 1);
    /* the config defaults are the OWASP parameters of password.h */
    assert_int_equal(idm_password_conf_get(c)->argon2_memory_kib,
                     owasp.memory_kib);
    assert_int_equal(idm_password_conf_get(c)->argon2_iterations,
                     owasp.iterations);
    assert_int_equal(idm_password_conf_get(c)->argon2_parallelism,
                     owasp.parallelism);
    assert_int_equal(idm_password_conf_get(c)->min_length, 10);
    assert_int_equal(idm_password_conf_get(c)->max_failed_logins, 5);
    assert_int_equal(idm_password_conf_get(c)->lock_base_seconds, 30);
    assert_int_equal(idm_password_conf_get(c)->lock_max_seconds, 900);
    assert_string_equal(idm_login_conf_get(c)->pattern, "{given}.{family}");
    assert_int_equal(idm_login_conf_get(c)->max_length, 32);
    assert_null(lsync_conf_get(c)->uri);
    assert_null(lsync_conf_get(c)->base);
    assert_null(lsync_conf_get(c)->admin_dn);
    assert_null(lsync_conf_get(c)->admin_password);
    assert_int_equal(lsync_conf_get(c)->release_blocked_names, 0);
    assert_null(lsync_conf_get(c)->scope);
    assert_int_equal(lsync_conf_get(c)->sync_poll_seconds, 5);
    assert_int_equal(lsync_conf_get(c)->sync_batch, 2000);
    assert_int_equal(lsync_conf_get(c)->sync_window, 256);
    assert_int_equal(idm_log_conf_get(c)->level, IDM_LOG_INFO);
}

static void test_defaults(void **state)
{
    fixture *fx = *state;

    assert_int_equal(idm_conf_defaults(&fx->conf, &fx->err), 0);
    assert_non_null(fx->conf);
    check_defaults(fx->conf);
    assert_string_equal(fx->conf->path, "(defaults)");

    /* an empty file gives the same, and remembers its path */
    assert_int_equal(load(fx, ""), 0);
    check_defaults(fx->conf);
    assert_string_equal(fx->conf->path, fx->conf_path);

    idm_conf_free(NULL);
}

static void test_full_file(void **state)
{
    fixture *fx = *state;
    char *dbpw = write_file(fx, "db.pw", "db-s3cret\n", -1);
    char *ldappw = write_file(fx, "ldap.pw", "ldap s3cret", -1);
    char *text = g_strdup_printf(
        "[database]\n"
        "conninfo = host=db.example port=5433 dbname=idm_prod user=idm\n"
        "password_file = db.pw\n"
        "migrations_dir = /usr/share/idm/sql\n"
        "connect_timeout = 3\n"
        "\n"
        "[password]\n"
        "argon2_memory_kib = 65536\n"
        "argon2_iterations = 3\n"
        "argon2_parallelism = 4\n"
        "min_length = 12\n"
        "max_failed_logins = 7\n"
        "lock_base_seconds = 60\n"
        "lock_max_seconds = 3600\n"
        "\n"
        "[login]\n"
        "pattern = {g}.{family}\n"
        "max_length = 20\n"
        "\n"
        "[ldap]\n"
        "uri = ldaps://ldap.example:636\n"
        "base = dc=schule,dc=example\n"
        "admin_dn = cn=idm-sync,ou=system,dc=schule,dc=example\n"
        "admin_password_file = %s\n"
        "release_blocked_names = 1\n"
        "scope = schule.example\n"
        "sync_poll_seconds = 2\n"
        "sync_batch = 500\n"
        "sync_window = 64\n"
        "\n"
        "[log]\n"
        "level = debug\n",
        ldappw);
    const idm_conf *c;

    assert_int_equal(load(fx, text), 0);
    c = fx->conf;
    assert_string_equal(idm_db_conf_get(c)->conninfo,
                        "host=db.example port=5433 dbname=idm_prod user=idm");
    assert_string_equal(idm_db_conf_get(c)->password, "db-s3cret");
    assert_string_equal(idm_db_conf_get(c)->migrations_dir,
                        "/usr/share/idm/sql");
    assert_int_equal(idm_db_conf_get(c)->connect_timeout, 3);
    assert_int_equal(idm_password_conf_get(c)->argon2_memory_kib, 65536);
    assert_int_equal(idm_password_conf_get(c)->argon2_iterations, 3);
    assert_int_equal(idm_password_conf_get(c)->argon2_parallelism, 4);
    assert_int_equal(idm_password_conf_get(c)->min_length, 12);
    assert_int_equal(idm_password_conf_get(c)->max_failed_logins, 7);
    assert_int_equal(idm_password_conf_get(c)->lock_base_seconds, 60);
    assert_int_equal(idm_password_conf_get(c)->lock_max_seconds, 3600);
    assert_string_equal(idm_login_conf_get(c)->pattern, "{g}.{family}");
    assert_int_equal(idm_login_conf_get(c)->max_length, 20);
    assert_string_equal(lsync_conf_get(c)->uri, "ldaps://ldap.example:636");
    assert_string_equal(lsync_conf_get(c)->base, "dc=schule,dc=example");
    assert_string_equal(lsync_conf_get(c)->admin_dn,
                        "cn=idm-sync,ou=system,dc=schule,dc=example");
    assert_string_equal(lsync_conf_get(c)->admin_password, "ldap s3cret");
    assert_int_equal(lsync_conf_get(c)->release_blocked_names, 1);
    assert_string_equal(lsync_conf_get(c)->scope, "schule.example");
    assert_int_equal(lsync_conf_get(c)->sync_poll_seconds, 2);
    assert_int_equal(lsync_conf_get(c)->sync_batch, 500);
    assert_int_equal(lsync_conf_get(c)->sync_window, 64);
    assert_int_equal(idm_log_conf_get(c)->level, IDM_LOG_DEBUG);
    assert_string_equal(c->path, fx->conf_path);
    g_free(text);
    g_free(dbpw);
    g_free(ldappw);
}

static void test_bounds_accepted(void **state)
{
    fixture *fx = *state;

    assert_int_equal(load(fx, "[database]\nconnect_timeout = 1\n"
                              "[password]\nargon2_memory_kib = 1024\n"
                              "argon2_iterations = 100\n"
                              "argon2_parallelism = 64\n"
                              "min_length = 8\n"
                              "[login]\nmax_length = 64\n"),
                     0);
    assert_int_equal(idm_db_conf_get(fx->conf)->connect_timeout, 1);
    assert_int_equal(idm_password_conf_get(fx->conf)->argon2_memory_kib, 1024);
    assert_int_equal(idm_password_conf_get(fx->conf)->argon2_iterations, 100);
    assert_int_equal(idm_password_conf_get(fx->conf)->argon2_parallelism, 64);
    assert_int_equal(idm_password_conf_get(fx->conf)->min_length, 8);
    assert_int_equal(idm_login_conf_get(fx->conf)->max_length, IDM_LOGIN_MAX);

    assert_int_equal(load(fx, "[database]\nconnect_timeout = 300\n"
                              "[password]\nargon2_memory_kib = 4194304\n"
                              "lock_base_seconds = 86400\n"
                              "lock_max_seconds = 86400\n"
                              "[login]\nmax_length = 8\n"),
                     0);
    assert_int_equal(idm_db_conf_get(fx->conf)->connect_timeout, 300);
    assert_int_equal(idm_password_conf_get(fx->conf)->argon2_memory_kib,
                     4194304);
    assert_int_equal(idm_password_conf_get(fx->conf)->lock_max_seconds, 86400);
    assert_int_equal(idm_login_conf_get(fx->conf)->max_length, 8);
}

static void test_log_levels(void **state)
{
    static const struct {
        const char *name;
        idm_log_level level;
    } levels[] = {
        {"error", IDM_LOG_ERROR},   {"warn", IDM_LOG_WARN},
        {"notice", IDM_LOG_NOTICE}, {"info", IDM_LOG_INFO},
        {"debug", IDM_LOG_DEBUG},
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        char *text = g_strdup_printf("[log]\nlevel = %s\n", levels[i].name);

        assert_int_equal(load(fx, text), 0);
        assert_int_equal(idm_log_conf_get(fx->conf)->level, levels[i].level);
        g_free(text);
    }
}

static void test_ldap_uri_schemes(void **state)
{
    static const char *const ok[] = {
        "ldap://localhost",
        "ldaps://ldap.example:636",
        "ldapi://%2Frun%2Fslapd%2Fldapi",
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *text = g_strdup_printf("[ldap]\nuri = %s\n", ok[i]);

        assert_int_equal(load(fx, text), 0);
        assert_string_equal(lsync_conf_get(fx->conf)->uri, ok[i]);
        g_free(text);
    }
}

static void test_comments_and_blank_lines(void **state)
{
    fixture *fx = *state;

    assert_int_equal(load(fx, "# idm.conf\n"
                              "\n"
                              "   \n"
                              "[log]\n"
                              "# level = error\n"
                              "  # indented comment\n"
                              "\t\n"
                              "level = warn\n"
                              "\n"
                              "[database]\n"
                              "   connect_timeout   =   42   \n"
                              "#connect_timeout = 1\n"
                              "; connect_timeout = 2\n"
                              "  ; indented ; comment = with equals\n"),
                     0);
    assert_int_equal(idm_log_conf_get(fx->conf)->level, IDM_LOG_WARN);
    assert_int_equal(idm_db_conf_get(fx->conf)->connect_timeout, 42);
}

static void test_crlf_line_endings(void **state)
{
    fixture *fx = *state;

    assert_int_equal(load(fx, "# written on Windows\r\n"
                              "[ldap]\r\n"
                              "uri = ldap://ldap.example\r\n"
                              "base = dc=example\r\n"
                              "\r\n"
                              "[database]\r\n"
                              "connect_timeout = 7\r\n"),
                     0);
    assert_string_equal(lsync_conf_get(fx->conf)->uri, "ldap://ldap.example");
    assert_string_equal(lsync_conf_get(fx->conf)->base, "dc=example");
    assert_int_equal(idm_db_conf_get(fx->conf)->connect_timeout, 7);

    /* line numbers still count lines */
    expect_error(fx,
                 "[ldap]\r\n\r\nbase = dc=example\r\n[log]\r\n"
                 "level = loud\r\n",
                 5, "[log] level: ", "\"loud\" is not one of");
}

static void test_repeated_group(void **state)
{
    fixture *fx = *state;

    assert_int_equal(load(fx, "[database]\nconnect_timeout = 5\n"
                              "[log]\nlevel = error\n"
                              "[database]\nconninfo = dbname=other\n"),
                     0);
    assert_int_equal(idm_db_conf_get(fx->conf)->connect_timeout, 5);
    assert_string_equal(idm_db_conf_get(fx->conf)->conninfo, "dbname=other");
    assert_int_equal(idm_log_conf_get(fx->conf)->level, IDM_LOG_ERROR);
}

static void test_length_is_respected(void **state)
{
    fixture *fx = *state;
    static const char text[] = "[log]\nlevel = debug\n[bogus";

    /* only the first len bytes are config; the rest must not be read */
    assert_int_equal(idm_conf_load_data(&fx->conf, text,
                                        strlen(text) - strlen("[bogus"),
                                        fx->conf_path, &fx->err),
                     0);
    assert_int_equal(idm_log_conf_get(fx->conf)->level, IDM_LOG_DEBUG);
}

/* ---- syntax errors ----------------------------------------------------- */

static void test_error_unknown_group(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "# comment\n[log]\nlevel = info\n\n[databse]\n", 5, NULL,
                 "unknown group [databse]");
}

static void test_error_unknown_key(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[database]\nconninfo = dbname=idm\n\nhost = db\n", 4,
                 "[database] host: ", "unknown key");
    /* a key of another group is unknown here */
    expect_error(fx, "[log]\nuri = ldap://x\n", 2,
                 "[log] uri: ", "unknown key");
}

static void test_error_key_twice(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[log]\nlevel = info\n# again\nlevel = debug\n", 4,
                 "[log] level: ", "key given twice");
    /* also when the group is opened again */
    expect_error(fx,
                 "[log]\nlevel = info\n[database]\nconnect_timeout = 2\n"
                 "[log]\nlevel = debug\n",
                 6, "[log] level: ", "key given twice");
}

static void test_error_missing_equals(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[log]\n\nlevel debug\n", 3, NULL,
                 "expected \"key = value\"");
}

static void test_error_key_outside_group(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "# first\n\nlevel = debug\n[log]\n", 3, NULL,
                 "key outside of a [group]");
}

static void test_error_malformed_lines(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[log]\nlevel = info\n[database\n", 3, NULL,
                 "malformed group header");
    expect_error(fx, "[]\n", 1, NULL, "malformed group header");
    expect_error(fx, "[log]\n = info\n", 2, NULL, "malformed key");
}

/* ---- value errors ------------------------------------------------------ */

static void test_error_not_a_number(void **state)
{
    static const char *const bad[] = {"ten", "10s", "0x10",
                                      "1.5", "",    "99999999999999999999999"};
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text = g_strdup_printf("[log]\nlevel = info\n[database]\n"
                                     "connect_timeout = %s\n",
                                     bad[i]);
        char *why = g_strdup_printf("\"%s\" is not a whole number", bad[i]);

        expect_error(fx, text, 4, "[database] connect_timeout: ", why);
        g_free(why);
        g_free(text);
    }
}

static void test_error_out_of_range(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[database]\nconnect_timeout = 0\n", 2,
                 "[database] connect_timeout: ", "0 is outside 1..300");
    expect_error(fx, "[database]\nconnect_timeout = 301\n", 2,
                 "[database] connect_timeout: ", "301 is outside 1..300");
    expect_error(
        fx, "[password]\n\nargon2_memory_kib = 512\n", 3,
        "[password] argon2_memory_kib: ", "512 is outside 1024..4194304");
    expect_error(fx, "[password]\nargon2_parallelism = -1\n", 2,
                 "[password] argon2_parallelism: ", "-1 is outside 1..64");
    expect_error(fx, "[password]\nmin_length = 7\n", 2,
                 "[password] min_length: ", "7 is outside 8..128");
    expect_error(fx, "[login]\nmax_length = 65\n", 2,
                 "[login] max_length: ", "65 is outside 8..64");
}

static void test_error_bad_log_level(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[log]\nlevel = verbose\n", 2, "[log] level: ",
                 "\"verbose\" is not one of error, warn, notice, info, "
                 "debug");
    expect_error(fx, "[log]\nlevel = INFO\n", 2,
                 "[log] level: ", "\"INFO\" is not one of");
}

static void test_error_bad_ldap_uri(void **state)
{
    fixture *fx = *state;

    expect_error(
        fx, "[ldap]\nbase = dc=example\nuri = http://ldap.example\n", 3,
        "[ldap] uri: ", "must start with ldap://, ldaps:// or ldapi://");
    expect_error(fx, "[ldap]\nuri = ldap.example\n", 2,
                 "[ldap] uri: ", "must start with");
}

static void test_error_conninfo_with_password(void **state)
{
    static const char *const bad[] = {
        "host=db dbname=idm password=Tr0ub4dor&3",
        "postgresql://idm:Tr0ub4dor&3@db/idm",
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text =
            g_strdup_printf("[database]\n# prod\nconninfo = %s\n", bad[i]);

        expect_error(fx, text, 3, "[database] conninfo: ",
                     "must not hold the password: use password_file");
        /* neither the message nor the log detail echoes the secret */
        assert_null(strstr(fx->err.msg, "Tr0ub4dor"));
        assert_null(strstr(fx->err.detail, "Tr0ub4dor"));
        g_free(text);
    }
}

static void test_error_conninfo_unparsable(void **state)
{
    fixture *fx = *state;

    expect_error(
        fx, "[database]\nconninfo = host='db password=Tr0ub4dor\n", 2,
        "[database] conninfo: ", "is not a valid libpq connection string");
    assert_null(strstr(fx->err.msg, "Tr0ub4dor"));
}

static void test_error_pattern_without_placeholders(void **state)
{
    fixture *fx = *state;

    expect_error(
        fx, "[login]\nmax_length = 20\npattern = schueler\n", 3,
        "[login] pattern: ", "uses none of {given}, {family}, {g}, {f}");
    expect_error(fx, "[login]\npattern = {Given}.{FAMILY}\n", 2,
                 "[login] pattern: ", "uses none of");
    /* any one placeholder is enough */
    assert_int_equal(load(fx, "[login]\npattern = {f}{g}\n"), 0);
    assert_string_equal(idm_login_conf_get(fx->conf)->pattern, "{f}{g}");
}

static void test_error_empty_string(void **state)
{
    fixture *fx = *state;

    expect_error(fx, "[ldap]\nbase =\n", 2, "[ldap] base: ", "empty value");
    expect_error(fx, "[database]\nmigrations_dir = \n", 2,
                 "[database] migrations_dir: ", "empty path");
}

static void test_error_lock_max_below_base(void **state)
{
    fixture *fx = *state;
    char *want = g_strdup_printf("%s: [password] lock_max_seconds is smaller "
                                 "than lock_base_seconds",
                                 fx->conf_path);

    assert_int_equal(load(fx, "[password]\nlock_base_seconds = 600\n"
                              "lock_max_seconds = 300\n"),
                     IDM_ECONFIG);
    assert_null(fx->conf);
    assert_string_equal(fx->err.msg, want);
    g_free(want);
}

/* [idp] shared_networks and the connection limit of shared addresses:
 * defaults, a list, and a bad entry named by line, key and position */
static void test_shared_networks(void **state)
{
    fixture *fx = *state;

    assert_int_equal(load(fx, ""), 0);
    assert_string_equal(web_conf_get(fx->conf)->shared_networks, "none");
    assert_int_equal(web_conf_get(fx->conf)->max_connections_per_shared_address,
                     1024);
    assert_int_equal(load(fx, "[idp]\nshared_networks = 10.0.0.0/8, "
                              "192.0.2.7,2001:db8:5::/48\n"
                              "max_connections_per_shared_address = 2000\n"),
                     0);
    assert_string_equal(web_conf_get(fx->conf)->shared_networks,
                        "10.0.0.0/8, 192.0.2.7,2001:db8:5::/48");
    assert_int_equal(web_conf_get(fx->conf)->max_connections_per_shared_address,
                     2000);
    expect_error(fx,
                 "[idp]\nport = 8080\n"
                 "shared_networks = 10.0.0.0/8, 10.1.0.0/33\n",
                 3, "[idp] shared_networks: ",
                 "(entry 2, at character 13 of the value)");
    expect_error(fx, "[idp]\nshared_networks = schule.example\n", 2,
                 "[idp] shared_networks: ",
                 "is not an IPv4/IPv6 address or CIDR (entry 1");
    expect_error(fx, "[idp]\ntrusted_proxies = 127.0.0.1 ::1/200\n", 2,
                 "[idp] trusted_proxies: ", "(entry 2, at character 11");
    expect_error(
        fx, "[idp]\nmax_connections_per_shared_address = 0\n", 2,
        "[idp] max_connections_per_shared_address: ", "0 is outside 1..8192");
}

/* [idp] pending_per_address and pending_max: defaults and ranges */
static void test_pending_ceilings(void **state)
{
    fixture *fx = *state;

    assert_int_equal(load(fx, ""), 0);
    assert_int_equal(saml_conf_get(fx->conf)->pending_per_address, 4096);
    assert_int_equal(saml_conf_get(fx->conf)->pending_max, 100000);
    assert_int_equal(
        load(fx, "[idp]\npending_per_address = 8192\npending_max = 50000\n"),
        0);
    assert_int_equal(saml_conf_get(fx->conf)->pending_per_address, 8192);
    assert_int_equal(saml_conf_get(fx->conf)->pending_max, 50000);
    expect_error(fx, "[idp]\npending_per_address = 8\n", 2,
                 "[idp] pending_per_address: ", "8 is outside 16..1000000");
    expect_error(fx, "[idp]\n\npending_max = many\n", 3,
                 "[idp] pending_max: ", "\"many\" is not a whole number");
}

/* ---- paths and secret files -------------------------------------------- */

static void test_relative_paths(void **state)
{
    fixture *fx = *state;
    char *pw = write_file(fx, "db.pw", "hunter2-hunter2\n", -1);
    char *sql = g_build_filename(fx->dir, "sql", NULL);

    /* relative to the config file's directory, not the working dir */
    assert_int_equal(load(fx, "[database]\npassword_file = db.pw\n"
                              "migrations_dir = sql\n"),
                     0);
    assert_string_equal(idm_db_conf_get(fx->conf)->password, "hunter2-hunter2");
    assert_string_equal(idm_db_conf_get(fx->conf)->migrations_dir, sql);

    /* "./" and absolute paths work as well */
    assert_int_equal(load(fx, "[database]\npassword_file = ./db.pw\n"
                              "migrations_dir = /srv/idm/sql\n"),
                     0);
    assert_string_equal(idm_db_conf_get(fx->conf)->password, "hunter2-hunter2");
    assert_string_equal(idm_db_conf_get(fx->conf)->migrations_dir,
                        "/srv/idm/sql");
    g_free(sql);
    g_free(pw);
}

static void test_secret_newline_stripped(void **state)
{
    static const struct {
        const char *contents;
        const char *want;
    } cases[] = {
        {"s3cret\n", "s3cret"},
        {"s3cret\r\n", "s3cret"},
        {"s3cret\n\n\n", "s3cret"},
        {"s3cret", "s3cret"},
        {"  pass word  \n", "  pass word  "}, /* inner bytes are kept */
    };
    fixture *fx = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p = write_file(fx, "admin.pw", cases[i].contents, -1);

        assert_int_equal(load(fx, "[ldap]\nadmin_password_file = admin.pw\n"),
                         0);
        assert_string_equal(lsync_conf_get(fx->conf)->admin_password,
                            cases[i].want);
        g_free(p);
    }
}

static void test_secret_missing_file(void **state)
{
    fixture *fx = *state;
    char *missing = g_build_filename(fx->dir, "nope.pw", NULL);
    char *why = g_strdup_printf("cannot read \"%s\"", missing);

    expect_error(fx,
                 "[database]\nconnect_timeout = 5\npassword_file = "
                 "nope.pw\n",
                 3, "[database] password_file: ", why);
    g_free(why);
    g_free(missing);
}

static void test_secret_unusable_file(void **state)
{
    fixture *fx = *state;
    char big[4097];
    char *p;

    p = write_file(fx, "empty.pw", "\n", -1);
    expect_error(fx, "[database]\npassword_file = empty.pw\n", 2,
                 "[database] password_file: ", "is empty or holds a NUL byte");
    g_free(p);

    p = write_file(fx, "nul.pw", "ab\0cd", 5);
    expect_error(fx, "[database]\npassword_file = nul.pw\n", 2,
                 "[database] password_file: ", "is empty or holds a NUL byte");
    g_free(p);

    memset(big, 'x', sizeof(big));
    p = write_file(fx, "big.pw", big, sizeof(big));
    expect_error(fx, "[database]\npassword_file = big.pw\n", 2,
                 "[database] password_file: ", "larger than 4096 bytes");
    g_free(p);

    /* exactly 4096 bytes is fine */
    p = write_file(fx, "big.pw", big, sizeof(big) - 1);
    assert_int_equal(load(fx, "[database]\npassword_file = big.pw\n"), 0);
    assert_int_equal(strlen(idm_db_conf_get(fx->conf)->password), 4096);
    g_free(p);
}

/* ---- files on disk and the path lookup --------------------------------- */

static void test_load_file(void **state)
{
    fixture *fx = *state;
    char *pw = write_file(fx, "db.pw", "from-disk\n", -1);
    char *conf = write_file(fx, "idm.conf",
                            "[database]\npassword_file = db.pw\n"
                            "[log]\nlevel = notice\n",
                            -1);

    assert_int_equal(idm_conf_load(&fx->conf, fx->conf_path, &fx->err), 0);
    assert_string_equal(idm_db_conf_get(fx->conf)->password, "from-disk");
    assert_int_equal(idm_log_conf_get(fx->conf)->level, IDM_LOG_NOTICE);
    assert_string_equal(fx->conf->path, fx->conf_path);
    g_free(conf);
    g_free(pw);
}

static void test_load_file_error_names_file(void **state)
{
    fixture *fx = *state;
    char *conf = write_file(fx, "idm.conf", "[log]\nlevel = chatty\n", -1);
    char *want = g_strdup_printf("%s:2: [log] level: ", fx->conf_path);

    assert_int_equal(idm_conf_load(&fx->conf, fx->conf_path, &fx->err),
                     IDM_ECONFIG);
    assert_null(fx->conf);
    assert_int_equal(strncmp(fx->err.msg, want, strlen(want)), 0);
    g_free(want);
    g_free(conf);
}

static void test_load_missing_file(void **state)
{
    fixture *fx = *state;
    char *missing = g_build_filename(fx->dir, "absent.conf", NULL);
    char sentinel = 'x';
    idm_conf *out = (idm_conf *)(void *)&sentinel;

    assert_int_equal(idm_conf_load(&out, missing, &fx->err), IDM_EIO);
    assert_null(out);
    assert_int_equal(fx->err.code, IDM_EIO);
    assert_non_null(strstr(fx->err.msg, missing));
    g_free(missing);
}

static void test_conf_path(void **state)
{
    static const char arg[] = "/etc/idm/explicit.conf";

    (void)state;
    unsetenv(IDM_CONFIG_ENV);
    assert_ptr_equal(idm_conf_path(arg), arg);
    assert_null(idm_conf_path(NULL));

    assert_int_equal(setenv(IDM_CONFIG_ENV, "/etc/idm/from-env.conf", 1), 0);
    assert_string_equal(idm_conf_path(NULL), "/etc/idm/from-env.conf");
    /* an explicit argument wins over the environment */
    assert_ptr_equal(idm_conf_path(arg), arg);

    /* an empty variable counts as unset */
    assert_int_equal(setenv(IDM_CONFIG_ENV, "", 1), 0);
    assert_null(idm_conf_path(NULL));
}

static void test_describe(void **state)
{
    static const char *const keys[] = {
        "[database]",
        "conninfo",
        "password_file",
        "migrations_dir",
        "connect_timeout",
        "[password]",
        "argon2_memory_kib",
        "argon2_iterations",
        "argon2_parallelism",
        "min_length",
        "max_failed_logins",
        "lock_base_seconds",
        "lock_max_seconds",
        "[login]",
        "pattern",
        "max_length",
        "[ldap]",
        "uri",
        "base",
        "admin_dn",
        "admin_password_file",
        "[log]",
        "level",
        "(default: 19456)",
        "(default: {given}.{family})",
    };
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    (void)state;
    assert_non_null(fp);
    idm_conf_describe(fp);
    assert_int_equal(fclose(fp), 0);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strstr(text, keys[i]) == NULL) {
            print_error("describe lacks \"%s\"\n", keys[i]);
        }
        assert_non_null(strstr(text, keys[i]));
    }
    free(text);
}

/* Every component's section, in the programs' order
 * (programs/conf_sections.c); registering twice is harmless. */
static int register_sections(void **state)
{
    static const idm_conf_section *const sections[] = {
        &idm_db_conf_section,     &idm_password_conf_section,
        &idm_login_conf_section,  &lsync_conf_section,
        &sip_import_conf_section, &web_conf_section,
        &saml_conf_section,       &idm_policy_conf_section,
        &idm_log_conf_section,
    };
    idm_err err = IDM_ERR_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        if (idm_conf_register(sections[i], &err) != 0 ||
            idm_conf_register(sections[i], &err) != 0) {
            return -1;
        }
    }
    return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_full_file),
        T(test_bounds_accepted),
        T(test_log_levels),
        T(test_ldap_uri_schemes),
        T(test_comments_and_blank_lines),
        T(test_crlf_line_endings),
        T(test_repeated_group),
        T(test_length_is_respected),
        T(test_error_unknown_group),
        T(test_error_unknown_key),
        T(test_error_key_twice),
        T(test_error_missing_equals),
        T(test_error_key_outside_group),
        T(test_error_malformed_lines),
        T(test_error_not_a_number),
        T(test_error_out_of_range),
        T(test_error_bad_log_level),
        T(test_error_bad_ldap_uri),
        T(test_error_conninfo_with_password),
        T(test_error_conninfo_unparsable),
        T(test_error_pattern_without_placeholders),
        T(test_error_empty_string),
        T(test_error_lock_max_below_base),
        T(test_shared_networks),
        T(test_pending_ceilings),
        T(test_relative_paths),
        T(test_secret_newline_stripped),
        T(test_secret_missing_file),
        T(test_secret_unusable_file),
        T(test_load_file),
        T(test_load_file_error_names_file),
        T(test_load_missing_file),
        T(test_conf_path),
        T(test_describe),
    };

    return cmocka_run_group_tests(tests, register_sections, NULL);
}
