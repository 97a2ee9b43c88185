/* SPDX-License-Identifier: EUPL-1.2
 * Pending AuthnRequests of many browsers behind one address (a school's
 * NAT at 8 a.m.) against web_site_handle() on the real PostgreSQL: every
 * browser's parked request survives the others, one browser parking a
 * thousand evicts only its own; at the ceiling per address ([idp]
 * pending_per_address) the address's oldest give way (counted), at the
 * one in all (pending_max) an address holding some rows is refused with
 * 503 and Retry-After, counted and audited, a light one still parks. Reuses
 * the fixture and helpers of tests/integration/saml/test_sso.c.
 */
#define SAML_SSO_TEST_NO_MAIN 1
#define SAML_SSO_TEST_DB "saml_pending_nat"
/* small ceilings, so that a test reaches them */
#define PER_ADDRESS 150
#define ALL_MAX 400
#define SAML_SSO_TEST_IDP_CONF                                                 \
    "pending_per_address = 150\n"                                              \
    "pending_max = 400\n"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../saml/test_sso.c"
#pragma GCC diagnostic pop

#define ACS "https://sp1.test.invalid/acs"
#define SCHOOL 120  /* browsers behind one address */
#define GREEDY 1000 /* requests one browser parks */
/* SAML_PENDING_PER_BROWSER (saml-bridge/src/store_int.h) */
#define PER_BROWSER 16
#define REASON_ALL                                                             \
    "too many logins are being started at once; please try again in a "        \
    "minute"

/* One browser with a parked request: the request and the 303 to /login. */
typedef struct parked {
    browser br;
    sent s;
    web_response r;
} parked;

static void parked_clear(parked *p)
{
    web_response_clear(&p->r);
    sent_clear(&p->s);
    browser_clear(&p->br);
}

/* Send an AuthnRequest of sp1 from browser p (a new one if it has no
 * cookie yet) at the fixture's client address; the answer in p->r. */
static void park(parked *p)
{
    req_opts o = REQ_OPTS_INIT;

    web_response_clear(&p->r);
    sent_clear(&p->s);
    build_request(&p->s, &o);
    send_request(&p->r, &p->br, &p->s);
}

/* The browser logs in for its parked request and its SP accepts the
 * Response: the request was still there. */
static void complete(parked *p)
{
    web_response r2;
    got resp;

    do_login(&r2, &p->br, &p->r);
    take_response(&resp, &r2, ACS);
    sp_accepts(&p->s, &resp);
    got_clear(&resp);
    web_response_clear(&r2);
}

static long rows_at(const char *addr)
{
    const char *p[1] = {addr};
    char *n = sql1("SELECT count(*) FROM saml_pending WHERE addr = $1", 1, p);
    long v = strtol(n, NULL, 10);

    g_free(n);
    return v;
}

/* A numeric sample of the metrics ("name{labels} value"). */
static long metric(const char *sample)
{
    web_response r;
    const char *at;
    long v;

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

/* The rejections of addr audited since `since`: rows and their count. */
static void audited(long *rows_out, long *count_out, const char *addr,
                    const char *reason, long since)
{
    idm_err err = IDM_ERR_INIT;
    char buf[32], *rows, *count;
    const char *p[3] = {addr, reason, buf};

    assert_int_equal(web_site_reject_flush(g.web, 1, &err), 0);
    snprintf(buf, sizeof(buf), "%ld", since);
    rows = sql1("SELECT count(*) FROM audit_log WHERE id > $3::bigint AND "
                "action = 'saml.authn_reject' AND addr = $1 AND "
                "details->>'reason' = $2",
                3, p);
    count = sql1("SELECT coalesce(sum((details->>'count')::int), 0) FROM "
                 "audit_log WHERE id > $3::bigint AND action = "
                 "'saml.authn_reject' AND addr = $1 AND "
                 "details->>'reason' = $2",
                 3, p);
    *rows_out = strtol(rows, NULL, 10);
    *count_out = strtol(count, NULL, 10);
    g_free(rows);
    g_free(count);
}

/* 120 browsers behind one address park a request each, then every one
 * of them logs in: no browser's request gave way to another's (the old
 * per-address cap of 64 evicted the oldest 56 of them). */
static void test_school_behind_one_address(void **state)
{
    parked *p = g_new0(parked, SCHOOL);

    (void)state;
    g.client_addr = "198.51.100.20";
    for (int i = 0; i < SCHOOL; i++) {
        park(&p[i]);
        assert_int_equal(p[i].r.status, 303);
    }
    assert_int_equal(rows_at("198.51.100.20"), SCHOOL);
    /* the first to start logs in last */
    for (int i = 0; i < SCHOOL; i++) {
        complete(&p[i]);
        parked_clear(&p[i]);
    }
    assert_int_equal(rows_at("198.51.100.20"), 0);
    g.client_addr = NULL;
    g_free(p);
}

/* One browser parking a thousand requests behind the same address as 20
 * others: its own oldest give way, the others' requests all stay and
 * complete; its own first request is gone, its newest completes. */
static void test_greedy_browser_evicts_only_its_own(void **state)
{
    parked *others = g_new0(parked, 20);
    parked greedy;
    web_response first;

    (void)state;
    memset(&greedy, 0, sizeof(greedy));
    g.client_addr = "198.51.100.21";
    for (int i = 0; i < 20; i++) {
        park(&others[i]);
        assert_int_equal(others[i].r.status, 303);
    }
    park(&greedy);
    assert_int_equal(greedy.r.status, 303);
    /* the first request's redirect to /login, kept for later */
    first = greedy.r;
    memset(&greedy.r, 0, sizeof(greedy.r));
    for (int i = 1; i < GREEDY; i++) {
        park(&greedy);
        assert_int_equal(greedy.r.status, 303);
    }
    assert_int_equal(rows_at("198.51.100.21"), 20 + PER_BROWSER);
    for (int i = 0; i < 20; i++) {
        complete(&others[i]);
        parked_clear(&others[i]);
    }
    assert_int_equal(rows_at("198.51.100.21"), PER_BROWSER);
    complete(&greedy);
    assert_int_equal(rows_at("198.51.100.21"), PER_BROWSER - 1);
    /* its first request gave way to its own later ones: with the session
     * of that login, /login finds no request and sends it to the portal */
    {
        const char *loc = header(&first, "Location");
        web_response r2;

        assert_non_null(loc);
        http(&r2, &greedy.br, "GET", "/login", loc + 7, NULL);
        assert_int_equal(r2.status, 303);
        assert_string_equal(header(&r2, "Location"), "/");
        web_response_clear(&r2);
    }
    g.client_addr = NULL;
    web_response_clear(&first);
    parked_clear(&greedy);
    g_free(others);
}

/* At [idp] pending_per_address the next browser still parks and the
 * address's oldest request gives way (refusing there would let one
 * client behind a school's NAT stop the whole school), counted in the
 * metrics; the others survive and complete. */
static void test_address_ceiling_evicts_oldest(void **state)
{
    const char *addr = "198.51.100.22";
    parked *p = g_new0(parked, PER_ADDRESS);
    parked late;
    long before;

    (void)state;
    memset(&late, 0, sizeof(late));
    g.client_addr = addr;
    for (int i = 0; i < PER_ADDRESS; i++) {
        park(&p[i]);
        assert_int_equal(p[i].r.status, 303);
    }
    assert_int_equal(rows_at(addr), PER_ADDRESS);
    before = metric("\nidmd_pending_evictions_total ");
    park(&late);
    assert_int_equal(late.r.status, 303);
    assert_null(header(&late.r, "Retry-After"));
    assert_int_equal(rows_at(addr), PER_ADDRESS);
    assert_int_equal(metric("\nidmd_pending_evictions_total "), before + 1);
    /* the newest and the second oldest are still there */
    complete(&late);
    complete(&p[1]);
    assert_int_equal(rows_at(addr), PER_ADDRESS - 2);
    for (int i = 0; i < PER_ADDRESS; i++) {
        parked_clear(&p[i]);
    }
    parked_clear(&late);
    g.client_addr = NULL;
    g_free(p);
}

/* At [idp] pending_max (all addresses together) the next request from
 * an address that holds SAML_PENDING_LIGHT (16) rows is refused with 503
 * and Retry-After, counted and audited; one from an address holding none
 * still parks. */
static void test_all_addresses_ceiling_refuses(void **state)
{
    char *v = sql1("SELECT count(*) FROM saml_pending", 0, NULL);
    long n = strtol(v, NULL, 10), before_metric, before_audit, rows, count;
    parked p, late, light;
    const char *addr = "198.51.100.40";

    (void)state;
    g_free(v);
    assert_true(n < ALL_MAX);
    memset(&late, 0, sizeof(late));
    memset(&light, 0, sizeof(light));
    /* 16 browsers at one address, then one browser each from many
     * addresses: no address is near its own ceiling */
    g.client_addr = addr;
    for (int i = 0; i < PER_BROWSER; i++, n++) {
        memset(&p, 0, sizeof(p));
        park(&p);
        assert_int_equal(p.r.status, 303);
        parked_clear(&p);
    }
    g.client_addr = NULL;
    for (long i = n; i < ALL_MAX; i++) {
        memset(&p, 0, sizeof(p));
        park(&p);
        assert_int_equal(p.r.status, 303);
        parked_clear(&p);
    }
    before_metric = metric(
        "idmd_requests_rejected_by_reason_total{reason=\"pending_full\"} ");
    before_audit = audit_max_id();
    g.client_addr = addr;
    park(&late);
    g.client_addr = NULL;
    assert_int_equal(late.r.status, 503);
    assert_string_equal(header(&late.r, "Retry-After"), "60");
    assert_non_null(strstr(late.r.body, REASON_ALL));
    v = sql1("SELECT count(*) FROM saml_pending", 0, NULL);
    assert_int_equal(strtol(v, NULL, 10), ALL_MAX);
    g_free(v);
    assert_int_equal(
        metric(
            "idmd_requests_rejected_by_reason_total{reason=\"pending_full\"} "),
        before_metric + 1);
    audited(&rows, &count, addr, REASON_ALL, before_audit);
    assert_int_equal(rows, 1);
    assert_int_equal(count, 1);
    /* an address with nothing parked is not stopped by the others */
    g.client_addr = "203.0.113.9";
    park(&light);
    g.client_addr = NULL;
    assert_int_equal(light.r.status, 303);
    parked_clear(&late);
    parked_clear(&light);
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_school_behind_one_address),
        cmocka_unit_test(test_greedy_browser_evicts_only_its_own),
        cmocka_unit_test(test_address_ceiling_evicts_oldest),
        /* last: it fills the table */
        cmocka_unit_test(test_all_addresses_ceiling_refuses),
    };

    if (getenv("IDM_TEST_LOG") != NULL) {
        idm_log_set(idm_log_stderr, NULL, IDM_LOG_DEBUG);
    }
    return cmocka_run_group_tests_name("saml_pending_nat", tests, group_setup,
                                       group_teardown);
}
