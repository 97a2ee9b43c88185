/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for address blocks (base/addr.h): idm_cidr_parse and
 * idm_cidr_match over IPv4 and IPv6 prefixes, and the configured lists
 * of idm_cidr_list_parse with the position of a bad entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"

/* Whether addr (text) lies in the block given as text. */
static int in(const char *block, const char *addr)
{
    unsigned char a[16];
    idm_cidr c;
    int family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;

    assert_int_equal(idm_cidr_parse(&c, block), 0);
    assert_int_equal(inet_pton(family, addr, a), 1);
    return idm_cidr_match(&c, family, a);
}

static void test_match(void **state)
{
    (void)state;
    assert_true(in("10.0.0.0/8", "10.200.3.4"));
    assert_false(in("10.0.0.0/8", "11.0.0.1"));
    assert_true(in("192.0.2.77", "192.0.2.77"));
    assert_false(in("192.0.2.77", "192.0.2.78"));
    assert_true(in("198.51.100.0/23", "198.51.101.255"));
    assert_false(in("198.51.100.0/23", "198.51.102.0"));
    /* host bits beyond the prefix do not matter */
    assert_true(in("172.16.5.9/12", "172.31.0.1"));
    assert_true(in("0.0.0.0/0", "203.0.113.9"));
    assert_true(in("2001:db8:1::/48", "2001:db8:1:ffff::1"));
    assert_false(in("2001:db8:1::/48", "2001:db8:2::1"));
    assert_true(in("2001:db8::/29", "2001:dbf::1"));
    assert_false(in("2001:db8::/29", "2001:dc0::1"));
    assert_true(in("::1", "::1"));
    /* families never match each other */
    assert_false(in("0.0.0.0/0", "::ffff:10.0.0.1"));
    assert_false(in("::/0", "10.0.0.1"));
}

static void test_parse_refuses(void **state)
{
    static const char *const bad[] = {
        "",
        "10.0.0.0/",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/ 8",
        "10.0.0/8",
        "10.0.0.256",
        "::1/129",
        "host.example",
        "10.0.0.0/8x",
        "2001:db8::/4 8",
    };
    idm_cidr c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (idm_cidr_parse(&c, bad[i]) == 0) {
            fail_msg("\"%s\" parsed", bad[i]);
        }
    }
    assert_int_equal(idm_cidr_parse(&c, "10.0.0.0/8"), 0);
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.bits, 8);
    assert_int_equal(idm_cidr_parse(&c, "2001:db8::1"), 0);
    assert_int_equal(c.family, AF_INET6);
    assert_int_equal(c.bits, 128);
}

static void test_list(void **state)
{
    idm_cidr *list = NULL, stale;
    size_t offset = 0;
    int n = -1, entry = 0;

    (void)state;
    assert_int_equal(idm_cidr_list_parse(&list, &n, "none", NULL, NULL), 0);
    assert_null(list);
    assert_int_equal(n, 0);
    assert_int_equal(idm_cidr_list_parse(&list, &n,
                                         "10.0.0.0/8,192.0.2.7 ,\t"
                                         "2001:db8::/32",
                                         NULL, NULL),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].bits, 8);
    assert_int_equal(list[1].bits, 32);
    assert_int_equal(list[2].family, AF_INET6);
    free(list);
    /* only checked */
    assert_int_equal(
        idm_cidr_list_parse(NULL, NULL, "127.0.0.1, ::1", NULL, NULL), 0);
    /* the bad entry by position, and where it starts */
    list = &stale; /* must be reset */
    assert_int_equal(idm_cidr_list_parse(&list, &n,
                                         "10.0.0.0/8, 10.1.0.0/33, ::1", &entry,
                                         &offset),
                     -1);
    assert_null(list);
    assert_int_equal(n, 0);
    assert_int_equal(entry, 2);
    assert_int_equal(offset, 12);
    assert_int_equal(
        idm_cidr_list_parse(NULL, NULL, "none, 10.0.0.0/8", &entry, &offset),
        -1);
    assert_int_equal(entry, 1);
    assert_int_equal(offset, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_list),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
