/* SPDX-License-Identifier: EUPL-1.2
 * Hostile AuthnRequests against web_site_handle() on the real PostgreSQL
 * (issue 12): repeated singletons, element/depth/attribute/size caps
 * before Lasso, no database connection held while Lasso works, compact
 * and per-address capped pending state (at the ceiling the address's
 * oldest give way), ForceAuthn that no URL can drop,
 * rejections counted per reason and audited once per address, reason and
 * minute. Reuses the fixture and helpers of tests/integration/saml/
 * test_sso.c. Lasso's entry point is wrapped (-Wl,--wrap) to count the
 * requests that reach it and to hold them there.
 */
#define SAML_SSO_TEST_NO_MAIN 1
#define SAML_SSO_TEST_DB "saml_sso_hostile"
/* the ceiling of pending requests per address at 64, so that a few
 * dozen requests reach it */
#define SAML_SSO_TEST_IDP_CONF "pending_per_address = 64\n"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../saml/test_sso.c"
#pragma GCC diagnostic pop

#include <pthread.h>

#include "saml/decode.h"

#define NS_P "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_A "urn:oasis:names:tc:SAML:2.0:assertion"
#define UNKNOWN_SP "https://unknown.test.invalid/sp"
#define N_PARALLEL 6

/* ---- Lasso's entry point, wrapped ---- */

gint __real_lasso_login_process_authn_request_msg(LassoLogin *login,
                                                  const char *msg);
gint __wrap_lasso_login_process_authn_request_msg(LassoLogin *login,
                                                  const char *msg);

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;  /* requests that reached Lasso */
    int hold;   /* keep them there until released */
    int inside; /* held now */
} lw = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

gint __wrap_lasso_login_process_authn_request_msg(LassoLogin *login,
                                                  const char *msg)
{
    pthread_mutex_lock(&lw.lock);
    lw.calls++;
    if (lw.hold) {
        lw.inside++;
        pthread_cond_broadcast(&lw.cond);
        while (lw.hold) {
            pthread_cond_wait(&lw.cond, &lw.lock);
        }
        lw.inside--;
    }
    pthread_mutex_unlock(&lw.lock);
    return __real_lasso_login_process_authn_request_msg(login, msg);
}

static int lasso_calls(void)
{
    int n;

    pthread_mutex_lock(&lw.lock);
    n = lw.calls;
    pthread_mutex_unlock(&lw.lock);
    return n;
}

/* ---- requests ---- */

/* An unsigned AuthnRequest of issuer with extra XML after the Issuer. */
static char *authn_xml(const char *issuer, const char *extra, int n)
{
    char t[32];
    time_t now = time(NULL);
    GString *x = g_string_new(NULL);

    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    g_string_append_printf(
        x,
        "<samlp:AuthnRequest xmlns:samlp=\"" NS_P "\" xmlns:saml=\"" NS_A
        "\" ID=\"_h%08x%08x\" Version=\"2.0\" IssueInstant=\"%s\" "
        "Destination=\"" IDP_SSO "\" ProtocolBinding=\""
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">"
        "<saml:Issuer>%s</saml:Issuer>",
        g_random_int(), g_random_int(), t, issuer);
    for (int i = 0; i < n; i++) {
        g_string_append(x, extra);
    }
    g_string_append(x, "</samlp:AuthnRequest>");
    return g_string_free(x, FALSE);
}

static char *redirect_of(const char *xml)
{
    req_opts o = REQ_OPTS_INIT;
    return redirect_query(&o, xml, strlen(xml));
}

/* GET /saml/sso with the request; the page must be a 400 with reason and
 * the request must not have reached Lasso. */
static void assert_refused_before_lasso(const char *xml, const char *reason)
{
    char *q = redirect_of(xml), *esc = html_escape(reason);
    browser br = {0};
    web_response r;
    int before = lasso_calls();

    http(&r, &br, "GET", "/saml/sso", q, NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(r.body);
    if (strstr(r.body, esc) == NULL) {
        fail_msg("reason \"%s\" not on the page", reason);
    }
    assert_null(strstr(r.body, "SAMLResponse"));
    assert_int_equal(lasso_calls(), before);
    web_response_clear(&r);
    browser_clear(&br);
    g_free(esc);
    g_free(q);
}

/* A numeric sample of the metrics ("name{labels} value"), as idmd serves
 * them on its metrics listener. */
static long metric(const char *sample)
{
    web_response r;
    const char *at;
    long v = -1;

    memset(&r, 0, sizeof(r));
    web_site_metrics(&r, g.web);
    assert_int_equal(r.status, 200);
    at = strstr(r.body, sample);
    if (at == NULL) {
        fail_msg("no %s in the metrics", sample);
    }
    v = strtol(at + strlen(sample), NULL, 10);
    web_response_clear(&r);
    return v;
}

/* ---- repeated singletons ---- */

static void test_repeated_nameidpolicy(void **state)
{
    const char *pol = "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:"
                      "2.0:nameid-format:persistent\" AllowCreate=\"true\"/>";
    char *xml, *q;
    saml_msg m;
    idm_err err = IDM_ERR_INIT;

    (void)state;
    /* the finding: 120 of them from an unregistered issuer (under the
     * element cap: 2 are enough to be refused) */
    xml = authn_xml(UNKNOWN_SP, pol, 120);
    q = redirect_of(xml);
    assert_int_equal(saml_msg_decode_redirect(&m, q, strlen(q), "SAMLRequest",
                                              &err),
                     IDM_EINVAL);
    assert_string_equal(err.msg,
                        "an element that may appear once is repeated");
    g_free(q);
    g_free(xml);
    xml = authn_xml(sp_entity[0], pol, 2);
    assert_refused_before_lasso(xml,
                                "an element that may appear once is repeated");
    g_free(xml);
    xml = authn_xml(UNKNOWN_SP, pol, 2);
    assert_refused_before_lasso(xml,
                                "an element that may appear once is repeated");
    g_free(xml);
    /* the freed values are the leak check: LeakSanitizer at exit */
}

static void test_repeated_issuer(void **state)
{
    char *xml =
        authn_xml(sp_entity[0], "<saml:Issuer>" UNKNOWN_SP "</saml:Issuer>", 1);

    (void)state;
    assert_refused_before_lasso(xml,
                                "an element that may appear once is repeated");
    g_free(xml);
}

static void test_repeated_status_code(void **state)
{
    const char *xml =
        "<samlp:LogoutResponse xmlns:samlp=\"" NS_P "\" xmlns:saml=\"" NS_A
        "\" ID=\"_r1\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\" "
        "InResponseTo=\"_x\"><saml:Issuer>" UNKNOWN_SP "</saml:Issuer>"
        "<samlp:Status>"
        "<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:"
        "Success\"/>"
        "<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:"
        "Requester\"/></samlp:Status></samlp:LogoutResponse>";
    char *b64 = g_base64_encode((const guchar *)xml, strlen(xml));
    saml_msg m;
    idm_err err = IDM_ERR_INIT;

    (void)state;
    assert_int_equal(saml_msg_decode_post(&m, b64, strlen(b64), NULL, &err),
                     IDM_EINVAL);
    assert_string_equal(err.msg,
                        "an element that may appear once is repeated");
    g_free(b64);
}

/* ---- caps before Lasso ---- */

static void test_huge_extensions(void **state)
{
    GString *ext = g_string_new("<samlp:Extensions>");
    char *xml, *q;

    (void)state;
    /* the finding: 31,000 empty children, 590 bytes as a Redirect */
    for (int i = 0; i < 31000; i++) {
        g_string_append(ext, "<a/>");
    }
    g_string_append(ext, "</samlp:Extensions>");
    xml = authn_xml(sp_entity[0], ext->str, 1);
    q = redirect_of(xml);
    assert_true(strlen(q) < 2048);
    assert_refused_before_lasso(xml, "the message is too large");
    g_free(q);
    g_free(xml);
    /* 300 children fit in 32 KiB: the element cap refuses them */
    g_string_assign(ext, "<samlp:Extensions>");
    for (int i = 0; i < 300; i++) {
        g_string_append(ext, "<a/>");
    }
    g_string_append(ext, "</samlp:Extensions>");
    xml = authn_xml(sp_entity[0], ext->str, 1);
    assert_refused_before_lasso(xml, "the message has too many elements");
    g_free(xml);
    g_string_free(ext, TRUE);
}

static void test_deep_nesting(void **state)
{
    GString *ext = g_string_new("<samlp:Extensions>");
    char *xml;

    (void)state;
    /* root 1, Extensions 2, then 15 more: depth 17 */
    for (int i = 0; i < 15; i++) {
        g_string_append(ext, "<a>");
    }
    for (int i = 0; i < 15; i++) {
        g_string_append(ext, "</a>");
    }
    g_string_append(ext, "</samlp:Extensions>");
    xml = authn_xml(sp_entity[0], ext->str, 1);
    assert_refused_before_lasso(xml, "the message is nested too deeply");
    g_free(xml);
}

static void test_many_attributes(void **state)
{
    GString *ext = g_string_new("<samlp:Extensions><a");
    char *xml;

    (void)state;
    for (int i = 0; i < 17; i++) {
        g_string_append_printf(ext, " a%d=\"x\"", i);
    }
    g_string_append(ext, "/></samlp:Extensions>");
    xml = authn_xml(sp_entity[0], ext->str, 1);
    assert_refused_before_lasso(xml, "an element has too many attributes");
    g_free(xml);
}

static void test_oversized_decoded(void **state)
{
    /* 33 KiB decoded: a comment, so no other cap fires first */
    size_t n = 33 * 1024;
    char *pad = g_malloc(n + 8), *xml, *b64, *enc, *body, *esc;
    browser br = {0};
    web_response r;
    int before = lasso_calls();

    (void)state;
    memcpy(pad, "<!--", 4);
    memset(pad + 4, 'x', n);
    memcpy(pad + 4 + n, "-->", 4);
    xml = authn_xml(sp_entity[0], pad, 1);
    assert_refused_before_lasso(xml, "the message is too large");
    /* the same as HTTP-POST (44 KiB of base64, under the encoded cap) */
    b64 = g_base64_encode((const guchar *)xml, strlen(xml));
    enc = urlenc(b64);
    body = g_strdup_printf("SAMLRequest=%s", enc);
    http(&r, &br, "POST", "/saml/sso", NULL, body);
    assert_int_equal(r.status, 400);
    esc = html_escape("the message is not base64 or too large");
    assert_non_null(strstr(r.body, esc));
    assert_int_equal(lasso_calls(), before);
    web_response_clear(&r);
    browser_clear(&br);
    g_free(esc);
    g_free(body);
    g_free(enc);
    g_free(b64);
    g_free(xml);
    g_free(pad);
}

/* ---- no connection held while Lasso works ---- */

typedef struct par {
    pthread_t t;
    char *query;
    char addr[32];
    int status;
} par;

static void *par_run(void *arg)
{
    par *p = arg;
    web_request req;
    web_response r;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = "/saml/sso";
    req.query = p->query;
    req.accept_language = "en";
    req.client_addr = p->addr;
    web_site_handle(&r, g.web, &req);
    p->status = r.status;
    web_response_clear(&r);
    return NULL;
}

static void test_no_db_during_lasso(void **state)
{
    par p[N_PARALLEL];
    browser br = {0};
    web_response r;
    struct timespec until;
    int reached;
    long in_use = -1;

    (void)state;
    memset(&r, 0, sizeof(r));
    pthread_mutex_lock(&lw.lock);
    lw.hold = 1;
    pthread_mutex_unlock(&lw.lock);
    /* more requests in Lasso than the pool has connections (2 here) */
    for (int i = 0; i < N_PARALLEL; i++) {
        char *xml = authn_xml(sp_entity[0], "", 0);
        p[i].query = redirect_of(xml);
        snprintf(p[i].addr, sizeof(p[i].addr), "198.51.100.%d", i + 1);
        g_free(xml);
        assert_int_equal(pthread_create(&p[i].t, NULL, par_run, &p[i]), 0);
    }
    /* wait until every one of them is inside Lasso; the deadline only
     * keeps a broken build from hanging (requests that hold a connection
     * before Lasso never all get there) */
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 120;
    pthread_mutex_lock(&lw.lock);
    while (lw.inside < N_PARALLEL &&
           pthread_cond_timedwait(&lw.cond, &lw.lock, &until) == 0) {
    }
    reached = lw.inside;
    pthread_mutex_unlock(&lw.lock);
    if (reached == N_PARALLEL) {
        /* while they all sit in Lasso: no connection is borrowed and the
         * readiness probe answers */
        in_use = metric("idmd_db_pool_connections{state=\"in_use\"} ");
        http(&r, &br, "GET", "/readyz", NULL, NULL);
    }
    pthread_mutex_lock(&lw.lock);
    lw.hold = 0;
    pthread_cond_broadcast(&lw.cond);
    pthread_mutex_unlock(&lw.lock);
    for (int i = 0; i < N_PARALLEL; i++) {
        pthread_join(p[i].t, NULL);
        g_free(p[i].query);
    }
    assert_int_equal(reached, N_PARALLEL);
    assert_int_equal(in_use, 0);
    assert_int_equal(r.status, 200);
    for (int i = 0; i < N_PARALLEL; i++) {
        assert_int_equal(p[i].status, 303); /* parked, to the login page */
    }
    web_response_clear(&r);
    browser_clear(&br);
}

/* ---- pending state ---- */

static void test_pending_compact(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r;
    sent s;
    char *msg, *id_hash;
    const char *p[1];

    (void)state;
    /* a signed POST request: the row keeps the decoded XML without the
     * signature, not the form body */
    o.sp = 1;
    o.post = 1;
    o.sign = "lasso";
    build_request(&s, &o);
    send_request(&r, &br, &s);
    assert_int_equal(r.status, 303);
    p[0] = s.id;
    id_hash = sql1("SELECT count(*) FROM saml_pending WHERE message LIKE "
                   "'%' || $1 || '%'",
                   1, p);
    assert_string_equal(id_hash, "1");
    msg = sql1("SELECT message FROM saml_pending WHERE message LIKE "
               "'%' || $1 || '%'",
               1, p);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "AuthnRequest"));
    assert_null(strstr(msg, "Signature"));
    assert_null(strstr(msg, "SAMLRequest="));
    assert_true(strlen(msg) < strlen(s.body));
    assert_true(strlen(msg) <= SAML_MSG_XML_MAX);
    g_free(msg);
    g_free(id_hash);
    web_response_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

static void test_pending_per_address_cap(void **state)
{
    const char *addr[1] = {"192.0.2.78"};
    char *n;

    (void)state;
    /* 70 requests from one address, each from a browser of its own, each
     * parked: the oldest give way at the ceiling of 64 */
    for (int i = 0; i < 70; i++) {
        browser br = {0};
        web_response r;
        char *xml = authn_xml(sp_entity[0], "", 0), *q = redirect_of(xml);

        g.addr = 77; /* http() sends from 192.0.2.(1 + 77) */
        http(&r, &br, "GET", "/saml/sso", q, NULL);
        assert_int_equal(r.status, 303);
        web_response_clear(&r);
        browser_clear(&br);
        g_free(q);
        g_free(xml);
    }
    n = sql1("SELECT count(*) FROM saml_pending WHERE addr = $1", 1, addr);
    assert_string_equal(n, "64");
    g_free(n);
}

/* An IPv6 client counts by its /64: changing the host part of the
 * address does not escape the cap. */
static void test_pending_cap_ipv6_per_64(void **state)
{
    const char *key[1] = {"2001:db8:1:2::/64"};
    char *n, addr[48];

    (void)state;
    for (int i = 0; i < 70; i++) {
        browser br = {0};
        web_response r;
        char *xml = authn_xml(sp_entity[0], "", 0), *q = redirect_of(xml);

        snprintf(addr, sizeof(addr), "2001:db8:1:2:%x::%x", i, i + 1);
        g.client_addr = addr;
        http(&r, &br, "GET", "/saml/sso", q, NULL);
        g.client_addr = NULL;
        assert_int_equal(r.status, 303);
        web_response_clear(&r);
        browser_clear(&br);
        g_free(q);
        g_free(xml);
    }
    n = sql1("SELECT count(*) FROM saml_pending WHERE addr = $1", 1, key);
    assert_string_equal(n, "64");
    g_free(n);
}

/* ---- ForceAuthn: server-side ---- */

static void test_force_authn_not_droppable(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r, page;
    sent s0, s;
    got g0;
    const char *loc;
    char *q, *f;

    (void)state;
    round_trip(&g0, &br, &s0, &o, "https://sp1.test.invalid/acs");
    o.force_authn = 1;
    build_request(&s, &o);
    send_request(&r, &br, &s);
    assert_int_equal(r.status, 303);
    loc = header(&r, "Location");
    assert_non_null(loc);
    assert_true(strncmp(loc, "/login?", 7) == 0);
    /* the attack: the login URL without its force flag, with the session
     * cookie; the old code answered with an assertion from the session */
    q = g_strdup(loc + 7);
    f = strstr(q, "&force=1");
    if (f != NULL) {
        memmove(f, f + 8, strlen(f + 8) + 1);
    }
    http(&page, &br, "GET", "/login", q, NULL);
    assert_int_equal(page.status, 200);
    assert_null(strstr(page.body, "SAMLResponse"));
    assert_non_null(strstr(page.body, "name=\"password\""));
    g_free(q);
    got_clear(&g0);
    web_response_clear(&r);
    web_response_clear(&page);
    sent_clear(&s0);
    sent_clear(&s);
    browser_clear(&br);
}

/* ---- rejections: counted, audited in aggregate ---- */

static void test_rejections_aggregated(void **state)
{
    const char *addr[1] = {"192.0.2.91"};
    idm_err err = IDM_ERR_INIT;
    long before_metric, before_audit;
    char *rows, *count;

    (void)state;
    assert_int_equal(web_site_reject_flush(g.web, 1, &err), 0);
    before_metric =
        metric("idmd_requests_rejected_by_reason_total{reason=\"unknown_sp\"} ");
    before_audit = audit_max_id();
    for (int i = 0; i < 5; i++) {
        browser br = {0};
        web_response r;
        char *xml = authn_xml(UNKNOWN_SP, "", 0), *q = redirect_of(xml);

        g.addr = 90; /* from 192.0.2.91 */
        http(&r, &br, "GET", "/saml/sso", q, NULL);
        assert_int_equal(r.status, 400);
        web_response_clear(&r);
        browser_clear(&br);
        g_free(q);
        g_free(xml);
    }
    assert_int_equal(
        metric("idmd_requests_rejected_by_reason_total{reason=\"unknown_sp\"} "),
        before_metric + 5);
    /* 5 rejections of one address, reason and minute: one row (two if the
     * minute turned meanwhile, each with its share) */
    assert_int_equal(web_site_reject_flush(g.web, 1, &err), 0);
    {
        char since[32];
        const char *p2[2] = {addr[0], since};
        snprintf(since, sizeof(since), "%ld", before_audit);
        rows = sql1("SELECT count(*) FROM audit_log WHERE id > $2::bigint "
                    "AND action = 'saml.authn_reject' AND addr = $1",
                    2, p2);
        count = sql1("SELECT sum((details->>'count')::int) FROM audit_log "
                     "WHERE id > $2::bigint AND action = 'saml.authn_reject' "
                     "AND addr = $1 AND details->>'reason' = 'unknown "
                     "application (issuer not registered)'",
                     2, p2);
    }
    assert_true(strcmp(rows, "1") == 0 || strcmp(rows, "2") == 0);
    assert_string_equal(count, "5");
    g_free(rows);
    g_free(count);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repeated_nameidpolicy),
        cmocka_unit_test(test_repeated_issuer),
        cmocka_unit_test(test_repeated_status_code),
        cmocka_unit_test(test_huge_extensions),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_many_attributes),
        cmocka_unit_test(test_oversized_decoded),
        cmocka_unit_test(test_no_db_during_lasso),
        cmocka_unit_test(test_pending_compact),
        cmocka_unit_test(test_pending_per_address_cap),
        cmocka_unit_test(test_pending_cap_ipv6_per_64),
        cmocka_unit_test(test_force_authn_not_droppable),
        cmocka_unit_test(test_rejections_aggregated),
    };

    if (getenv("IDM_TEST_LOG") != NULL) {
        idm_log_set(idm_log_stderr, NULL, IDM_LOG_DEBUG);
    }
    return cmocka_run_group_tests_name("saml_sso_hostile", tests, group_setup,
                                       group_teardown);
}
