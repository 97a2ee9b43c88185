/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests of RFC 4514 DN value escaping, RFC 4515 filter escaping and
 * DN normalisation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "lsync/escape.h"

static void check_dn(const char *in, const char *want)
{
    char *got = lsync_dn_escape_value(in);
    assert_string_equal(got, want);
    g_free(got);
}

static void test_dn_specials(void **state)
{
    (void)state;
    check_dn("plain", "plain");
    check_dn("a,b", "a\\,b");
    check_dn("a+b", "a\\+b");
    check_dn("\"q\"", "\\\"q\\\"");
    check_dn("back\\slash", "back\\\\slash");
    check_dn("<a;b>", "\\<a\\;b\\>");
    check_dn("a=b", "a=b"); /* '=' need not be escaped (RFC 4514 2.4) */
}

static void test_dn_leading_trailing(void **state)
{
    (void)state;
    check_dn("#1", "\\#1");
    check_dn("a#1", "a#1");
    check_dn(" lead", "\\ lead");
    check_dn("trail ", "trail\\ ");
    check_dn(" ", "\\ ");
    check_dn("", "");
}

static void test_dn_utf8_kept(void **state)
{
    (void)state;
    check_dn("M\xc3\xbcller", "M\xc3\xbcller");
    check_dn("Jose\xcc\x81", "Jose\xcc\x81"); /* combining mark */
    check_dn("D\xe2\x80\x99" "Angelo", "D\xe2\x80\x99" "Angelo");
}

static void test_dn_roundtrip(void **state)
{
    static const char *const vals[] = {"a,b+c", "#x", " y ", "q\"\\;<>",
                                       "\xc3\xa4\xc3\xb6", NULL};
    (void)state;
    for (size_t i = 0; vals[i] != NULL; i++) {
        char *v = lsync_dn_escape_value(vals[i]);
        char *dn = g_strdup_printf("cn=%s,dc=example", v);
        char *n = lsync_dn_normalize(dn);
        assert_non_null(n); /* libldap parses it back */
        g_free(n);
        g_free(dn);
        g_free(v);
    }
}

static void test_normalize(void **state)
{
    char *a, *b;
    (void)state;
    a = lsync_dn_normalize("CN=a\\,b, DC=Example");
    b = lsync_dn_normalize("cn=a\\2Cb,dc=example");
    assert_non_null(a);
    assert_string_equal(a, b);
    g_free(a);
    g_free(b);
    assert_null(lsync_dn_normalize("not a dn"));
}

static void test_filter(void **state)
{
    char *f;
    (void)state;
    f = lsync_filter_escape_value("a*b(c)d\\e");
    assert_string_equal(f, "a\\2Ab\\28c\\29d\\5Ce");
    g_free(f);
    f = lsync_filter_escape_value("M\xc3\xbcller");
    assert_non_null(f);
    g_free(f);
    assert_null(lsync_filter_escape_value(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dn_specials),
        cmocka_unit_test(test_dn_leading_trailing),
        cmocka_unit_test(test_dn_utf8_kept),
        cmocka_unit_test(test_dn_roundtrip),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
