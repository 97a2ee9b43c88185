/* SPDX-License-Identifier: EUPL-1.2
 * Hostile tests of the authentication flow (issue 12): lockout as a
 * weapon and as an oracle, throttle keying by IPv6 /64, password changes
 * (current password, reuse, quality), sessions ending with the password
 * or the account, the encoded Location, the log of typed logins, and the
 * device cookie that keeps the owner in on a shared (NAT) address.
 * Requests go straight into web_site_handle() (no HTTP) against the real
 * PostgreSQL of tests/harness/pg, as tests/integration/saml/test_sso.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libpq-fe.h>

#include "base/addr.h"
#include "base/conf.h"
#include "base/db.h"
#include "idm/conf.h"
#include "base/log.h"
#include "idm/migrate.h"
#include "idm/org.h"
#include "idm/user.h"
#include "saml/conf.h"
#include "saml/idp.h"
#include "web/conf.h"
#include "web/web.h"
#include "testpg.h"

#define IDP_BASE "https://idp.test.invalid"
#define PASSWORD "Secret-Pass-123"
#define INITIAL "Brief-Start-7391"
#define WRONG_DE "Benutzername oder Passwort ist falsch."

static const idm_actor admin = {"system:test", "test"};

static struct {
    char conninfo[512];
    idm_conf *conf;
    web_site *web;
    saml_idp *idp;
    idm_db *db;
    PGconn *pg;
    GString *log; /* every line idm_log wrote */
    GMutex log_lock;
} g;

/* ---- helpers ---- */

static void log_capture(idm_log_level level, const char *comp, const char *line,
                        void *ctx)
{
    (void)level;
    (void)ctx;
    g_mutex_lock(&g.log_lock);
    g_string_append_printf(g.log, "comp=%s %s\n", comp, line);
    g_mutex_unlock(&g.log_lock);
}

static char *sql1(const char *sql, const char *param)
{
    const char *p[1] = {param};
    PGresult *res = PQexecParams(g.pg, sql, param != NULL ? 1 : 0, NULL,
                                 param != NULL ? p : NULL, NULL, NULL, 0);
    char *v = NULL;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(g.pg));
    }
    if (PQntuples(res) >= 1 && !PQgetisnull(res, 0, 0)) {
        v = g_strdup(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return v;
}

static void assert_sql(const char *sql, const char *param, const char *want)
{
    char *got = sql1(sql, param);

    if (got == NULL || strcmp(got, want) != 0) {
        fail_msg("%s [%s]: got \"%s\", want \"%s\"", sql,
                 param != NULL ? param : "", got != NULL ? got : "(null)",
                 want);
    }
    g_free(got);
}

/* A person with an account at the test school; returns the login. */
static char *user(const char *given, const char *family, const char *password,
                  int must_change)
{
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT;
    char *login = NULL;

    u.given_name = given;
    u.family_name = family;
    u.password = password;
    u.must_change_password = must_change;
    u.org_code = "75123";
    u.role = "teacher";
    if (idm_user_add(&login, NULL, g.db, g.conf, &admin, &u, &err) != 0) {
        fail_msg("user add: %s (%s)", err.msg, err.detail);
    }
    return login;
}

typedef struct browser {
    char *b; /* idm_b */
    char *s; /* idm_s */
    char *d; /* idm_d, the device token */
} browser;

static void browser_clear(browser *br)
{
    g_free(br->b);
    g_free(br->s);
    g_free(br->d);
    memset(br, 0, sizeof(*br));
}

static const char *header(const web_response *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++) {
        if (g_ascii_strcasecmp(r->headers[i].name, name) == 0) {
            return r->headers[i].value;
        }
    }
    return NULL;
}

static void take_cookies(browser *br, const web_response *r)
{
    for (int i = 0; i < r->nheaders; i++) {
        const char *v = r->headers[i].value, *eq;
        char **slot;
        size_t n;

        if (g_ascii_strcasecmp(r->headers[i].name, "Set-Cookie") != 0) {
            continue;
        }
        /* the name carries the __Host- prefix behind https */
        eq = strchr(v, '=');
        if (eq == NULL || eq - v < 5) {
            continue;
        }
        if (strncmp(eq - 5, "idm_b", 5) == 0) {
            slot = &br->b;
        } else if (strncmp(eq - 5, "idm_s", 5) == 0) {
            slot = &br->s;
        } else if (strncmp(eq - 5, "idm_d", 5) == 0) {
            slot = &br->d;
        } else {
            continue;
        }
        g_free(*slot);
        *slot = NULL;
        n = strcspn(eq + 1, ";");
        if (strstr(v, "Max-Age=0") == NULL && n > 0) {
            *slot = g_strndup(eq + 1, n);
        }
    }
}

/* One request from addr, as a German browser sends it. */
static void http(web_response *out, browser *br, const char *addr,
                 const char *method, const char *path, const char *query,
                 const char *body)
{
    static const char *const names[] = {"__Host-idm_b", "__Host-idm_s",
                                        "__Host-idm_d"};
    const char *values[] = {br->b, br->s, br->d};
    GString *cookie = g_string_new(NULL);
    web_request req;

    /* IDP_BASE is https: the cookies carry the __Host- prefix */
    for (int i = 0; i < 3; i++) {
        if (values[i] != NULL) {
            g_string_append_printf(cookie, "%s%s=%s", cookie->len ? "; " : "",
                                   names[i], values[i]);
        }
    }
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    req.body_len = body != NULL ? strlen(body) : 0;
    req.content_type =
        body != NULL ? "application/x-www-form-urlencoded" : NULL;
    req.cookie = cookie->len > 0 ? cookie->str : NULL;
    req.accept_language = "de";
    req.client_addr = addr;
    web_site_handle(out, g.web, &req);
    take_cookies(br, out);
    g_string_free(cookie, TRUE);
}

/* The CSRF token of a form page (browser-bound, so one per browser). */
static char *csrf_of(const char *page)
{
    const char *key = "name=\"csrf\" value=\"", *b = strstr(page, key), *e;

    assert_non_null(b);
    b += strlen(key);
    e = strchr(b, '"');
    assert_non_null(e);
    return g_strndup(b, (size_t)(e - b));
}

static char *enc(const char *s)
{
    return g_uri_escape_string(s, NULL, FALSE);
}

/* GET /login, then POST login and password (and p when not NULL). */
static void login(web_response *out, browser *br, const char *addr,
                  const char *name, const char *password, const char *p)
{
    web_response page;
    char *csrf, *body, *l, *pw, *pe;

    http(&page, br, addr, "GET", "/login", NULL, NULL);
    assert_int_equal(page.status, 200);
    csrf = csrf_of(page.body);
    l = enc(name);
    pw = enc(password);
    pe = p != NULL ? enc(p) : NULL;
    body = g_strdup_printf("csrf=%s&login=%s&password=%s%s%s", csrf, l, pw,
                           pe != NULL ? "&p=" : "", pe != NULL ? pe : "");
    http(out, br, addr, "POST", "/login", NULL, body);
    g_free(body);
    g_free(l);
    g_free(pw);
    g_free(pe);
    g_free(csrf);
    web_response_clear(&page);
}

/* A successful login: 303 and a session cookie. */
static void assert_logged_in(const web_response *r, const browser *br)
{
    if (r->status != 303 || br->s == NULL) {
        fail_msg("login refused: status %d: %s", r->status,
                 r->body != NULL ? r->body : "");
    }
}

/* The refusal every failure gets: 401, the one message, no hint. */
static void assert_uniform_refusal(const web_response *r)
{
    assert_int_equal(r->status, 401);
    assert_non_null(strstr(r->body, WRONG_DE));
    assert_null(strstr(r->body, "gesperrt"));
    assert_null(strstr(r->body, "deaktiviert"));
}

/* 1 if the browser's session is valid (/password answers with its form,
 * else it sends the browser to the start page). */
static int session_valid(browser *br)
{
    web_response r;
    int ok;

    http(&r, br, "192.0.2.200", "GET", "/password", NULL, NULL);
    ok = r.status == 200;
    web_response_clear(&r);
    return ok;
}

/* POST /password with the current password (NULL: none) and pw twice. */
static void change(web_response *out, browser *br, const char *addr,
                   const char *current, const char *pw)
{
    web_response page;
    char *csrf, *body, *c, *n;

    http(&page, br, addr, "GET", "/password", NULL, NULL);
    assert_int_equal(page.status, 200);
    csrf = csrf_of(page.body);
    c = current != NULL ? enc(current) : NULL;
    n = enc(pw);
    body = g_strdup_printf("csrf=%s%s%s&pw1=%s&pw2=%s", csrf,
                           c != NULL ? "&pw0=" : "", c != NULL ? c : "", n, n);
    http(out, br, addr, "POST", "/password", NULL, body);
    g_free(body);
    g_free(c);
    g_free(n);
    g_free(csrf);
    web_response_clear(&page);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    const char *st = getenv("IDM_TEST_STATE");
    const char *src = getenv("IDM_SOURCE_DIR");
    idm_org_new m = {IDM_ORG_MINISTRY, "bm", NULL, "Ministerium", NULL, NULL};
    idm_org_new a = {IDM_ORG_AUTHORITY, "ssa", NULL, "Schulamt", "bm", NULL};
    idm_org_new s = {IDM_ORG_SCHOOL, NULL, "75123", "Gymnasium", "ssa", NULL};
    char *dir, *pol, *text, *data;
    idm_err err = IDM_ERR_INIT;
    int applied = 0;

    (void)state;
    if (st == NULL || src == NULL) {
        fprintf(stderr, "IDM_TEST_STATE and IDM_SOURCE_DIR must be set\n");
        return -1;
    }
    if (testpg_newdb(g.conninfo, sizeof(g.conninfo), "hostile_auth") != 0) {
        return -1;
    }
    dir = g_build_filename(src, "migrations", NULL);
    pol = g_build_filename(src, "policies", NULL);
    data = g_build_filename(src, "tests", "data", "saml", NULL);
    /* account_slow_seconds: long, so that "slowed" does not depend on
     * how fast this test runs; the address throttle of the bridge is out
     * of the way (it is not what these cases are about) */
    text = g_strdup_printf(
        "[database]\nconninfo = %s\nmigrations_dir = %s\n"
        "[password]\nargon2_memory_kib = 1024\nargon2_iterations = 1\n"
        "max_failed_logins = 5\naccount_slow_failures = 40\n"
        "account_slow_seconds = 3600\n"
        "[idp]\nbase_url = " IDP_BASE "\n"
        "key_file = %s/idp.key\ncert_file = %s/idp.crt\n"
        "pairwise_salt_file = %s/pairwise_salt\n"
        "addr_max_failures = 100000\n"
        "[policy]\ndir = %s\n",
        g.conninfo, dir, data, data, data, pol);
    if (idm_core_conf_register(&err) != 0 || web_conf_register(&err) != 0 ||
        saml_conf_register(&err) != 0 ||
        idm_conf_load_data(&g.conf, text, strlen(text), "test.conf", &err) !=
            0 ||
        idm_db_open(&g.db, g.conf, &err) != 0 ||
        idm_migrate_apply(&applied, g.db, dir, &err) != 0 ||
        idm_org_add(g.db, &admin, &m, &err) != 0 ||
        idm_org_add(g.db, &admin, &a, &err) != 0 ||
        idm_org_add(g.db, &admin, &s, &err) != 0 ||
        web_site_new(&g.web, g.conf, 2, &err) != 0 ||
        saml_idp_new(&g.idp, g.web, &err) != 0) {
        fprintf(stderr, "setup: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    g_free(text);
    g_free(dir);
    g_free(pol);
    g_free(data);
    g.pg = PQconnectdb(g.conninfo);
    if (PQstatus(g.pg) != CONNECTION_OK) {
        return -1;
    }
    g.log = g_string_new(NULL);
    idm_log_set(log_capture, NULL, IDM_LOG_DEBUG);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    idm_log_set(NULL, NULL, IDM_LOG_ERROR);
    saml_idp_free(g.idp);
    web_site_free(g.web);
    idm_db_close(g.db);
    PQfinish(g.pg);
    idm_conf_free(g.conf);
    if (g.log != NULL) {
        g_string_free(g.log, TRUE);
    }
    return 0;
}

/* ---- lockout as a weapon ---- */

/* 50 failures from A: the owner logs in from B; A itself only waits. */
static void test_attacker_cannot_lock_owner_out(void **state)
{
    char *l = user("Olga", "Owner", PASSWORD, 0);
    browser br = {0};
    web_response r;

    (void)state;
    for (int i = 0; i < 50; i++) {
        browser att = {0};
        login(&r, &att, "203.0.113.5", l, "wrong-guess-1", NULL);
        assert_uniform_refusal(&r);
        web_response_clear(&r);
        browser_clear(&att);
    }
    /* the right password from the attacker's address: refused alike */
    login(&r, &br, "203.0.113.5", l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&br);
    /* the owner from elsewhere: in */
    login(&r, &br, "198.51.100.7", l, PASSWORD, NULL);
    assert_logged_in(&r, &br);
    assert_true(session_valid(&br));
    web_response_clear(&r);
    browser_clear(&br);
    assert_sql("SELECT status || ' ' || (locked_until IS NULL) FROM account "
               "WHERE login = $1",
               l, "active true");
    free(l);
}

/* Failures from 60 addresses slow unknown addresses down; the owner's
 * known address is not slowed and never locked. */
static void test_distributed_guessing_slows_not_locks(void **state)
{
    char *l = user("Paul", "Known", PASSWORD, 0);
    browser br = {0};
    web_response r;

    (void)state;
    login(&r, &br, "198.51.100.20", l, PASSWORD, NULL);
    assert_logged_in(&r, &br); /* 198.51.100.20 is the owner's now */
    web_response_clear(&r);
    browser_clear(&br);
    for (int i = 0; i < 60; i++) {
        char addr[32];
        browser att = {0};
        snprintf(addr, sizeof(addr), "203.0.113.%d", 100 + i);
        login(&r, &att, addr, l, "wrong-guess-2", NULL);
        assert_uniform_refusal(&r);
        web_response_clear(&r);
        browser_clear(&att);
    }
    /* a new address waits its turn (the same answer, no lock) */
    login(&r, &br, "198.51.100.99", l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&br);
    assert_sql("SELECT details->>'reason' FROM audit_log WHERE action = "
               "'login.fail' AND target = $1 ORDER BY id DESC LIMIT 1",
               l, "slowed (account)");
    /* the owner's address: in at once */
    login(&r, &br, "198.51.100.20", l, PASSWORD, NULL);
    assert_logged_in(&r, &br);
    web_response_clear(&r);
    browser_clear(&br);
    free(l);
}

/* ---- lockout as an oracle ---- */

/* Unknown login, wrong password, throttled, locked and disabled accounts:
 * one page, byte for byte (the same browser, so the same CSRF token). */
static void test_one_answer_for_every_failure(void **state)
{
    char *known = user("Uwe", "Uniform", PASSWORD, 0);
    char *thr = user("Tina", "Throttled", PASSWORD, 0);
    char *locked = user("Lars", "Locked", PASSWORD, 0);
    char *dis = user("Dora", "Disabled", PASSWORD, 0);
    idm_err err = IDM_ERR_INIT;
    web_response r[7];
    browser br = {0}, att = {0};

    (void)state;
    assert_int_equal(
        idm_user_set_status(g.db, &admin, locked, IDM_USER_LOCK, &err), 0);
    assert_int_equal(
        idm_user_set_status(g.db, &admin, dis, IDM_USER_DISABLE, &err), 0);
    for (int i = 0; i < 5; i++) {
        web_response x;
        login(&x, &att, "203.0.113.77", thr, "wrong-guess-3", NULL);
        web_response_clear(&x);
    }
    login(&r[0], &br, "198.51.100.30", "nobody.at.all", "wrong-guess-4", NULL);
    login(&r[1], &br, "198.51.100.31", known, "wrong-guess-4", NULL);
    login(&r[2], &br, "203.0.113.77", thr, "wrong-guess-4", NULL);
    login(&r[3], &br, "203.0.113.77", thr, PASSWORD, NULL);
    login(&r[4], &br, "198.51.100.32", locked, "wrong-guess-4", NULL);
    login(&r[5], &br, "198.51.100.33", dis, "wrong-guess-4", NULL);
    login(&r[6], &br, "198.51.100.34", "dora.disabled2", "wrong-guess-4", NULL);
    for (int i = 0; i < 7; i++) {
        assert_uniform_refusal(&r[i]);
        assert_int_equal(r[i].body_len, r[0].body_len);
        assert_memory_equal(r[i].body, r[0].body, r[0].body_len);
    }
    for (int i = 0; i < 7; i++) {
        web_response_clear(&r[i]);
    }
    browser_clear(&br);
    browser_clear(&att);
    free(known);
    free(thr);
    free(locked);
    free(dis);
}

/* "Account disabled" only for the owner: after the right password. */
static void test_disabled_told_after_right_password(void **state)
{
    char *l = user("Dieter", "Deaktiviert", PASSWORD, 0);
    idm_err err = IDM_ERR_INIT;
    browser br = {0};
    web_response r;

    (void)state;
    assert_int_equal(
        idm_user_set_status(g.db, &admin, l, IDM_USER_DISABLE, &err), 0);
    login(&r, &br, "198.51.100.40", l, PASSWORD, NULL);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "Konto deaktiviert"));
    assert_null(strstr(r.body, "nicht zur Verfügung"));
    assert_null(br.s);
    web_response_clear(&r);
    browser_clear(&br);
    free(l);
}

/* ---- throttle keying ---- */

static void test_ipv6_shares_a_bucket_per_64(void **state)
{
    char *l = user("Ina", "Sechs", PASSWORD, 0);
    char key[IDM_ADDR_KEY_MAX];
    browser br = {0};
    web_response r;

    (void)state;
    /* five failures, each from another host address in one /64 */
    for (int i = 1; i <= 5; i++) {
        char addr[64];
        snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", 0x100 + i);
        login(&r, &br, addr, l, "wrong-guess-5", NULL);
        assert_uniform_refusal(&r);
        web_response_clear(&r);
    }
    assert_sql("SELECT failures::text FROM saml_throttle WHERE addr = $1",
               "2001:db8:1:2::/64", "5");
    assert_sql("SELECT count(*) || ' ' || min(t.addr) FROM login_throttle t "
               "JOIN account a ON a.id = t.account_id WHERE a.login = $1 "
               "AND t.addr <> '*'",
               l, "1 2001:db8:1:2::/64");
    /* yet another host in that /64: the bucket is full */
    login(&r, &br, "2001:db8:1:2:ffff::1", l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    /* the neighbouring /64 is another subscriber */
    login(&r, &br, "2001:db8:1:3::1", l, PASSWORD, NULL);
    assert_logged_in(&r, &br);
    web_response_clear(&r);
    browser_clear(&br);
    free(l);
    /* the key function itself: IPv4 (also mapped) whole, IPv6 by /64 */
    idm_addr_key(key, sizeof(key), "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    assert_string_equal(key, "2001:db8:1:2::/64");
    idm_addr_key(key, sizeof(key), "::ffff:192.0.2.9");
    assert_string_equal(key, "192.0.2.9");
    idm_addr_key(key, sizeof(key), "192.0.2.9");
    assert_string_equal(key, "192.0.2.9");
}

/* ---- password changes ---- */

static void test_voluntary_change_needs_current_password(void **state)
{
    char *l = user("Vera", "Voluntary", PASSWORD, 0);
    char *before, *after;
    browser br = {0};
    web_response r;

    (void)state;
    login(&r, &br, "198.51.100.50", l, PASSWORD, NULL);
    assert_logged_in(&r, &br);
    web_response_clear(&r);
    /* the form asks for it, and shows the rules above the fields */
    http(&r, &br, "198.51.100.50", "GET", "/password", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "name=\"pw0\""));
    assert_non_null(strstr(r.body, "id=\"pwrules\""));
    assert_true(strstr(r.body, "id=\"pwrules\"") < strstr(r.body, "pw1"));
    assert_non_null(strstr(r.body, "hat mindestens 10 Zeichen"));
    web_response_clear(&r);
    before = sql1("SELECT password_hash FROM account WHERE login = $1", l);
    /* a stolen session alone cannot change it: none, then a wrong one */
    change(&r, &br, "198.51.100.50", NULL, "Anders-Blau-Turm-58");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Das bisherige Passwort ist falsch."));
    web_response_clear(&r);
    change(&r, &br, "198.51.100.50", "wrong-current-1", "Anders-Blau-Turm-58");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Das bisherige Passwort ist falsch."));
    web_response_clear(&r);
    after = sql1("SELECT password_hash FROM account WHERE login = $1", l);
    assert_string_equal(before, after);
    g_free(after);
    /* the current password again: refused */
    change(&r, &br, "198.51.100.50", PASSWORD, PASSWORD);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Das ist Ihr bisheriges Passwort."));
    web_response_clear(&r);
    /* with it: changed */
    change(&r, &br, "198.51.100.50", PASSWORD, "Anders-Blau-Turm-58");
    assert_int_equal(r.status, 303);
    web_response_clear(&r);
    after = sql1("SELECT password_hash FROM account WHERE login = $1", l);
    assert_string_not_equal(before, after);
    g_free(before);
    g_free(after);
    browser_clear(&br);
    free(l);
}

static void test_forced_change_refuses_initial_and_weak(void **state)
{
    char *l = user("Fritz", "Forced", INITIAL, 1);
    browser br = {0};
    web_response r;

    (void)state;
    login(&r, &br, "198.51.100.60", l, INITIAL, NULL);
    assert_int_equal(r.status, 303);
    assert_string_equal(header(&r, "Location"), "/password");
    web_response_clear(&r);
    /* the letter's password as the "new" one */
    change(&r, &br, "198.51.100.60", NULL, INITIAL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Anfangspasswort aus Ihrem Brief. Bitte"));
    web_response_clear(&r);
    /* ten characters, no quality: refused in German, saying what to do */
    change(&r, &br, "198.51.100.60", NULL, "1234567890");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Das Passwort ist zu einfach"));
    assert_null(strstr(r.body, "monotonic"));
    web_response_clear(&r);
    change(&r, &br, "198.51.100.60", NULL, "password123");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Wort aus dem Wörterbuch"));
    assert_null(strstr(r.body, "dictionary"));
    web_response_clear(&r);
    /* German words too (wngerman in the cracklib dictionary) */
    change(&r, &br, "198.51.100.60", NULL, "Schmetterling1");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Wort aus dem Wörterbuch"));
    web_response_clear(&r);
    assert_sql("SELECT must_change_password::text FROM account "
               "WHERE login = $1",
               l, "true");
    change(&r, &br, "198.51.100.60", NULL, "Kx7-wirb3l-Tau8");
    assert_int_equal(r.status, 303);
    web_response_clear(&r);
    assert_sql("SELECT must_change_password::text FROM account "
               "WHERE login = $1",
               l, "false");
    /* later, voluntarily: the letter's password still does not come back */
    change(&r, &br, "198.51.100.60", "Kx7-wirb3l-Tau8", INITIAL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Anfangspasswort aus Ihrem Brief. Bitte"));
    web_response_clear(&r);
    browser_clear(&br);
    free(l);
}

/* ---- sessions end with the password or the account ---- */

static void two_sessions(browser *a, browser *b, const char *l, const char *pw)
{
    web_response r;

    login(&r, a, "198.51.100.70", l, pw, NULL);
    assert_logged_in(&r, a);
    web_response_clear(&r);
    login(&r, b, "198.51.100.71", l, pw, NULL);
    assert_logged_in(&r, b);
    web_response_clear(&r);
    assert_true(session_valid(a));
    assert_true(session_valid(b));
}

static void test_admin_actions_end_sessions(void **state)
{
    char *l = user("Sina", "Session", PASSWORD, 0);
    idm_err err = IDM_ERR_INIT;
    browser a = {0}, b = {0};
    web_response r;

    (void)state;
    /* set-password */
    two_sessions(&a, &b, l, PASSWORD);
    assert_int_equal(idm_user_set_password(NULL, g.db, g.conf, &admin, l,
                                           "Neu-Gesetzt-4711", 0, &err),
                     0);
    assert_false(session_valid(&a));
    assert_false(session_valid(&b));
    browser_clear(&a);
    browser_clear(&b);
    /* lock */
    two_sessions(&a, &b, l, "Neu-Gesetzt-4711");
    assert_int_equal(idm_user_set_status(g.db, &admin, l, IDM_USER_LOCK, &err),
                     0);
    assert_false(session_valid(&a));
    assert_false(session_valid(&b));
    browser_clear(&a);
    browser_clear(&b);
    assert_int_equal(
        idm_user_set_status(g.db, &admin, l, IDM_USER_UNLOCK, &err), 0);
    /* disable: gone at once, and the owner is told why */
    two_sessions(&a, &b, l, "Neu-Gesetzt-4711");
    assert_int_equal(
        idm_user_set_status(g.db, &admin, l, IDM_USER_DISABLE, &err), 0);
    assert_false(session_valid(&a));
    assert_false(session_valid(&b));
    login(&r, &a, "198.51.100.70", l, "Neu-Gesetzt-4711", NULL);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "Konto deaktiviert"));
    web_response_clear(&r);
    browser_clear(&a);
    browser_clear(&b);
    free(l);
}

static void test_own_change_keeps_only_this_session(void **state)
{
    char *l = user("Kai", "Keep", PASSWORD, 0);
    browser a = {0}, b = {0};
    web_response r;

    (void)state;
    two_sessions(&a, &b, l, PASSWORD);
    change(&r, &a, "198.51.100.70", PASSWORD, "Eigene-Wahl-Fluss-63");
    assert_int_equal(r.status, 303);
    web_response_clear(&r);
    assert_true(session_valid(&a));
    assert_false(session_valid(&b));
    assert_sql("SELECT count(*)::text FROM saml_session s JOIN person p ON "
               "p.uuid = s.person_uuid JOIN account c ON c.person_id = p.id "
               "WHERE c.login = $1",
               l, "1");
    browser_clear(&a);
    browser_clear(&b);
    free(l);
}

/* The portal offers the password page. */
static void test_portal_links_password_page(void **state)
{
    char *l = user("Pia", "Portal", PASSWORD, 0);
    browser br = {0};
    web_response r;

    (void)state;
    login(&r, &br, "198.51.100.80", l, PASSWORD, NULL);
    assert_logged_in(&r, &br);
    web_response_clear(&r);
    http(&r, &br, "198.51.100.80", "GET", "/", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<a href=\"/password\">"));
    /* one h1 names the page and its list; no heading says it again */
    assert_non_null(strstr(r.body, "<h1>Meine Anwendungen</h1>"));
    assert_null(strstr(strstr(r.body, "</h1>"), "<h1"));
    assert_null(strstr(r.body, "Ihre Anwendungen"));
    web_response_clear(&r);
    browser_clear(&br);
    free(l);
}

/* ---- smaller findings ---- */

static void test_password_location_encoded(void **state)
{
    char *l = user("Lea", "Location", INITIAL, 1);
    browser br = {0};
    web_response r;
    const char *loc;

    (void)state;
    login(&r, &br, "198.51.100.90", l, INITIAL, "a b\"<&x=1");
    assert_int_equal(r.status, 303);
    loc = header(&r, "Location");
    assert_non_null(loc);
    assert_true(strncmp(loc, "/password", 9) == 0);
    assert_null(strchr(loc, ' '));
    assert_null(strchr(loc, '"'));
    assert_null(strchr(loc, '<'));
    assert_null(strstr(loc, "&x=1"));
    web_response_clear(&r);
    browser_clear(&br);
    free(l);
}

/* Log lines name their component: the web layer's own events are
 * comp=web, an action a protocol audits keeps the protocol's. */
static void test_log_lines_name_their_component(void **state)
{
    idm_err err = IDM_ERR_INIT;
    browser br = {0};
    web_response r;

    (void)state;
    assert_int_equal(web_site_policy_reload(g.web, 1, &err), 1);
    http(&r, &br, "198.51.100.97", "GET", "/saml/sso",
         "SAMLRequest=bm90IGRlZmxhdGVk", NULL);
    assert_int_equal(r.status, 400);
    web_response_clear(&r);
    browser_clear(&br);
    g_mutex_lock(&g.log_lock);
    assert_non_null(strstr(g.log->str, "comp=web event=policy.reload "));
    assert_null(strstr(g.log->str, "comp=saml event=policy.reload "));
    assert_non_null(strstr(g.log->str, "comp=saml event=saml.authn_reject "));
    g_mutex_unlock(&g.log_lock);
}

static void test_password_typed_as_login_not_logged(void **state)
{
    /* looks like a login (letters, digits, dot, dash) but is a password */
    const char *secret = "sonnenblume.42-geheim";
    char *found;
    browser br = {0};
    web_response r;

    (void)state;
    login(&r, &br, "198.51.100.95", secret, "x", NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&br);
    g_mutex_lock(&g.log_lock);
    assert_null(strstr(g.log->str, secret));
    assert_non_null(strstr(g.log->str, "login=\"(unknown)\"") != NULL
                        ? strstr(g.log->str, "login=\"(unknown)\"")
                        : strstr(g.log->str, "login=(unknown)"));
    g_mutex_unlock(&g.log_lock);
    found = sql1("SELECT count(*)::text FROM audit_log WHERE target = $1 "
                 "OR details::text LIKE '%' || $1 || '%'",
                 secret);
    assert_string_equal(found, "0");
    g_free(found);
}

/* ---- the owner on a shared address: device cookies ---- */

/* The Set-Cookie header of the device cookie, or NULL. */
static const char *device_cookie(const web_response *r)
{
    for (int i = 0; i < r->nheaders; i++) {
        if (g_ascii_strcasecmp(r->headers[i].name, "Set-Cookie") == 0 &&
            strncmp(r->headers[i].value, "__Host-idm_d=", 13) == 0) {
            return r->headers[i].value;
        }
    }
    return NULL;
}

/* A classmate guesses from the school's address until it is over its
 * limit for the account (max_failed_logins = 5, and more). */
static void exhaust(const char *addr, const char *l)
{
    for (int i = 0; i < 8; i++) {
        browser att = {0};
        web_response r;
        login(&r, &att, addr, l, "rate-mal-wieder", NULL);
        assert_uniform_refusal(&r);
        assert_null(device_cookie(&r));
        web_response_clear(&r);
        browser_clear(&att);
    }
}

/* Only the device cookie survives (a new visit: no session). */
static void keep_device_only(browser *br)
{
    char *d = br->d;

    br->d = NULL;
    browser_clear(br);
    br->d = d;
}

static void test_device_cookie_keeps_owner_in(void **state)
{
    const char *school = "198.51.100.110";
    char *l = user("Nina", "Nat", PASSWORD, 0);
    browser owner = {0}, fresh = {0};
    web_response r;
    const char *sc;

    (void)state;
    /* the owner logs in at school: the browser gets a device cookie */
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    sc = device_cookie(&r);
    assert_non_null(sc);
    assert_non_null(strstr(sc, "; Path=/"));
    assert_non_null(strstr(sc, "; HttpOnly"));
    assert_non_null(strstr(sc, "; Secure"));
    assert_non_null(strstr(sc, "; SameSite=Lax"));
    assert_non_null(strstr(sc, "; Max-Age=15552000")); /* 180 days */
    assert_null(strstr(sc, "Domain"));
    assert_non_null(owner.d);
    assert_int_equal(strlen(owner.d), 43);
    web_response_clear(&r);
    keep_device_only(&owner);
    /* a classmate on the same NAT address exhausts its score */
    exhaust(school, l);
    /* a fresh browser of the owner's is held back with the classmate */
    login(&r, &fresh, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&fresh);
    /* the owner's browser is not: in, with a new token (rotation) */
    {
        char *before = g_strdup(owner.d);
        login(&r, &owner, school, l, PASSWORD, NULL);
        assert_logged_in(&r, &owner);
        assert_non_null(owner.d);
        assert_string_not_equal(before, owner.d);
        g_free(before);
    }
    web_response_clear(&r);
    assert_sql("SELECT details->>'device' FROM audit_log WHERE action = "
               "'login.ok' AND target = $1 ORDER BY id DESC LIMIT 1",
               l, "used");
    /* ... and the classmate gets no clean slate from the owner's login */
    login(&r, &fresh, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&fresh);
    /* the owner mistypes once with the cookie: the same one answer */
    keep_device_only(&owner);
    login(&r, &owner, school, l, "vertippt-1", NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    /* the owner's voluntary password change: checked with the cookie,
     * which the change revokes; this browser gets a new one */
    {
        char *before = g_strdup(owner.d);
        change(&r, &owner, school, PASSWORD, "Neues-Schul-Netz-77");
        assert_int_equal(r.status, 303);
        assert_non_null(device_cookie(&r));
        assert_string_not_equal(before, owner.d);
        web_response_clear(&r);
        assert_sql("SELECT count(*)::text FROM login_device v JOIN account "
                   "a ON a.id = v.account_id WHERE a.login = $1",
                   l, "1");
        /* the copy from before the change is worth nothing */
        browser old = {0};
        old.d = before;
        login(&r, &old, school, l, "Neues-Schul-Netz-77", NULL);
        assert_uniform_refusal(&r);
        web_response_clear(&r);
        browser_clear(&old);
    }
    keep_device_only(&owner);
    login(&r, &owner, school, l, "Neues-Schul-Netz-77", NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    browser_clear(&owner);
    free(l);
}

/* Forged, expired, another account's and rotated-away tokens exempt
 * nothing; a stolen valid one only for its own budget. */
static void test_device_cookie_no_exemption_otherwise(void **state)
{
    const char *school = "198.51.100.111";
    char *l = user("Otto", "Opfer", PASSWORD, 0);
    char *m = user("Mia", "Mitschuelerin", PASSWORD, 0);
    browser owner = {0}, mate = {0}, thief = {0}, old = {0};
    web_response r;

    (void)state;
    login(&r, &owner, "198.51.100.112", l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    login(&r, &mate, school, m, PASSWORD, NULL);
    assert_logged_in(&r, &mate);
    web_response_clear(&r);
    keep_device_only(&owner);
    keep_device_only(&mate);
    exhaust(school, l);
    /* the classmate's own token is for her account only */
    login(&r, &mate, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    /* forged: well-formed, unknown */
    thief.d = g_strdup("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    login(&r, &thief, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&thief);
    /* malformed */
    thief.d = g_strdup("../../etc/passwd");
    login(&r, &thief, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&thief);
    /* rotated away: a copy taken before the owner's next login */
    old.d = g_strdup(owner.d);
    login(&r, &owner, "198.51.100.112", l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    keep_device_only(&owner);
    login(&r, &old, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&old);
    /* expired */
    assert_sql("UPDATE login_device v SET expires_at = now() - interval "
               "'1 second' FROM account a WHERE a.id = v.account_id AND "
               "a.login = $1 RETURNING 'ok'",
               l, "ok");
    thief.d = g_strdup(owner.d);
    login(&r, &thief, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&thief);
    /* stolen and valid: device_max_failures (10) guesses, then revoked */
    assert_sql("UPDATE login_device v SET expires_at = now() + interval "
               "'1 day' FROM account a WHERE a.id = v.account_id AND "
               "a.login = $1 RETURNING 'ok'",
               l, "ok");
    for (int i = 0; i < 10; i++) {
        thief.d = g_strdup(owner.d);
        login(&r, &thief, school, l, "dieb-raet", NULL);
        assert_uniform_refusal(&r);
        web_response_clear(&r);
        browser_clear(&thief);
    }
    assert_sql("SELECT count(*)::text FROM audit_log WHERE action = "
               "'login.fail' AND target = $1 AND details->>'reason' = "
               "'wrong password' AND details->>'device' IS NOT NULL",
               l, "10");
    assert_sql("SELECT count(*)::text FROM login_device v JOIN account a ON "
               "a.id = v.account_id WHERE a.login = $1",
               l, "0");
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&owner);
    browser_clear(&mate);
    free(l);
    free(m);
}

/* An administrator's new password revokes every device token. */
static void test_device_cookie_revoked_by_set_password(void **state)
{
    const char *school = "198.51.100.113";
    char *l = user("Ria", "Reset", PASSWORD, 0);
    idm_err err = IDM_ERR_INIT;
    browser owner = {0};
    web_response r;

    (void)state;
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    keep_device_only(&owner);
    assert_int_equal(idm_user_set_password(NULL, g.db, g.conf, &admin, l,
                                           "Vom-Admin-Gesetzt-9", 0, &err),
                     0);
    assert_sql("SELECT count(*)::text FROM login_device v JOIN account a ON "
               "a.id = v.account_id WHERE a.login = $1",
               l, "0");
    exhaust(school, l);
    login(&r, &owner, school, l, "Vom-Admin-Gesetzt-9", NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&owner);
    free(l);
}

/* idmd's own per-address pause (all accounts, 429) spares the owner's
 * browser too, and only it. */
static void test_device_cookie_passes_address_pause(void **state)
{
    const char *school = "198.51.100.114";
    char *l = user("Paula", "Pause", PASSWORD, 0);
    browser owner = {0}, fresh = {0};
    web_response r;

    (void)state;
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    keep_device_only(&owner);
    assert_sql("INSERT INTO saml_throttle (addr, failures, blocked_until) "
               "VALUES ($1, 300, now() + interval '1 hour') RETURNING 'ok'",
               school, "ok");
    login(&r, &fresh, school, l, PASSWORD, NULL);
    assert_int_equal(r.status, 429);
    web_response_clear(&r);
    browser_clear(&fresh);
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    browser_clear(&owner);
    free(l);
}

/* The tokens of login l's account (count, as text). */
#define DEVICE_ROWS                                                            \
    "SELECT count(*)::text FROM login_device v JOIN account a ON "             \
    "a.id = v.account_id WHERE a.login = $1"

/* "Remember this device" lasts until logout: on a shared school computer
 * the next pupil must not inherit the token. The logout deletes the row
 * and clears the cookie; a copy taken before exempts nothing. */
static void test_device_cookie_cleared_by_logout(void **state)
{
    const char *school = "198.51.100.116";
    char *l = user("Lea", "Logout", PASSWORD, 0);
    browser owner = {0}, old = {0};
    web_response page, r;
    const char *sc;
    char *csrf, *body;

    (void)state;
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    assert_non_null(owner.d);
    old.d = g_strdup(owner.d);
    assert_sql(DEVICE_ROWS, l, "1");
    /* "Abmelden" on the portal */
    http(&page, &owner, school, "GET", "/", NULL, NULL);
    assert_int_equal(page.status, 200);
    csrf = csrf_of(page.body);
    body = g_strdup_printf("csrf=%s", csrf);
    http(&r, &owner, school, "POST", "/logout", NULL, body);
    assert_int_equal(r.status, 200);
    sc = device_cookie(&r);
    assert_non_null(sc);
    assert_non_null(strstr(sc, "Max-Age=0"));
    assert_null(owner.d);
    assert_null(owner.s);
    assert_sql(DEVICE_ROWS, l, "0");
    web_response_clear(&r);
    web_response_clear(&page);
    g_free(body);
    g_free(csrf);
    /* the token as it was: no exemption from the address score */
    exhaust(school, l);
    login(&r, &old, school, l, PASSWORD, NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    browser_clear(&old);
    browser_clear(&owner);
    free(l);
}

/* The current-password check of the password page is no login: it renews
 * no token and resets no budget. Failures spent by guesses with a copy
 * of the token stay (plus the check's own charge). */
static void test_device_check_current_leaves_budget(void **state)
{
    const char *school = "198.51.100.117";
    char *l = user("Kai", "Kontrolle", PASSWORD, 0);
    browser owner = {0}, thief = {0};
    web_response r;
    char *before;

    (void)state;
    login(&r, &owner, school, l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    before = g_strdup(owner.d);
    for (int i = 0; i < 3; i++) {
        thief.d = g_strdup(owner.d);
        login(&r, &thief, school, l, "dieb-raet", NULL);
        assert_uniform_refusal(&r);
        web_response_clear(&r);
        browser_clear(&thief);
    }
    assert_sql("SELECT v.failures::text FROM login_device v JOIN account a "
               "ON a.id = v.account_id WHERE a.login = $1",
               l, "3");
    /* the right current password, a new one too weak: nothing changes but
     * the check ran (with the token) */
    change(&r, &owner, school, PASSWORD, "1234567890");
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "Das Passwort ist zu einfach"));
    assert_null(device_cookie(&r));
    web_response_clear(&r);
    assert_string_equal(owner.d, before);
    assert_sql("SELECT v.failures::text FROM login_device v JOIN account a "
               "ON a.id = v.account_id WHERE a.login = $1",
               l, "4");
    g_free(before);
    browser_clear(&owner);
    free(l);
}

/* A login with the initial (printed) password gets no device token, so a
 * browser used with a letter remembers nothing; the forced change, the
 * owner's own password, gives this browser one. */
static void test_device_none_at_must_change_login(void **state)
{
    const char *school = "198.51.100.118";
    char *l = user("Mara", "Muss", INITIAL, 1);
    browser br = {0};
    web_response r;

    (void)state;
    login(&r, &br, school, l, INITIAL, NULL);
    assert_int_equal(r.status, 303);
    assert_string_equal(header(&r, "Location"), "/password");
    assert_null(device_cookie(&r));
    assert_null(br.d);
    web_response_clear(&r);
    assert_sql(DEVICE_ROWS, l, "0");
    change(&r, &br, school, NULL, "Kx7-wirb3l-Tau9");
    assert_int_equal(r.status, 303);
    assert_non_null(device_cookie(&r));
    web_response_clear(&r);
    assert_sql(DEVICE_ROWS, l, "1");
    browser_clear(&br);
    free(l);
}

/* Neither the tokens nor their hashes reach the log or the audit. */
static void test_device_secrets_not_logged(void **state)
{
    char *l = user("Sara", "Secret", PASSWORD, 0);
    char *hash, *found;
    browser owner = {0};
    web_response r;

    (void)state;
    login(&r, &owner, "198.51.100.115", l, PASSWORD, NULL);
    assert_logged_in(&r, &owner);
    web_response_clear(&r);
    keep_device_only(&owner);
    login(&r, &owner, "198.51.100.115", l, "falsch-getippt", NULL);
    assert_uniform_refusal(&r);
    web_response_clear(&r);
    hash = sql1("SELECT encode(v.token_hash, 'hex') FROM login_device v "
                "JOIN account a ON a.id = v.account_id WHERE a.login = $1",
                l);
    assert_non_null(hash);
    assert_non_null(owner.d);
    g_mutex_lock(&g.log_lock);
    assert_null(strstr(g.log->str, owner.d));
    assert_null(strstr(g.log->str, hash));
    g_mutex_unlock(&g.log_lock);
    found = sql1("SELECT count(*)::text FROM audit_log WHERE details::text "
                 "LIKE '%' || $1 || '%' OR target LIKE '%' || $1 || '%'",
                 owner.d);
    assert_string_equal(found, "0");
    g_free(found);
    found = sql1("SELECT count(*)::text FROM audit_log WHERE details::text "
                 "LIKE '%' || $1 || '%'",
                 hash);
    assert_string_equal(found, "0");
    g_free(found);
    g_free(hash);
    browser_clear(&owner);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attacker_cannot_lock_owner_out),
        cmocka_unit_test(test_distributed_guessing_slows_not_locks),
        cmocka_unit_test(test_one_answer_for_every_failure),
        cmocka_unit_test(test_disabled_told_after_right_password),
        cmocka_unit_test(test_ipv6_shares_a_bucket_per_64),
        cmocka_unit_test(test_voluntary_change_needs_current_password),
        cmocka_unit_test(test_forced_change_refuses_initial_and_weak),
        cmocka_unit_test(test_admin_actions_end_sessions),
        cmocka_unit_test(test_own_change_keeps_only_this_session),
        cmocka_unit_test(test_portal_links_password_page),
        cmocka_unit_test(test_password_location_encoded),
        cmocka_unit_test(test_password_typed_as_login_not_logged),
        cmocka_unit_test(test_device_cookie_keeps_owner_in),
        cmocka_unit_test(test_device_cookie_no_exemption_otherwise),
        cmocka_unit_test(test_device_cookie_revoked_by_set_password),
        cmocka_unit_test(test_device_cookie_passes_address_pause),
        cmocka_unit_test(test_device_secrets_not_logged),
        cmocka_unit_test(test_device_cookie_cleared_by_logout),
        cmocka_unit_test(test_device_check_current_leaves_budget),
        cmocka_unit_test(test_device_none_at_must_change_login),
        cmocka_unit_test(test_log_lines_name_their_component),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
