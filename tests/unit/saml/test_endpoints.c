/* SPDX-License-Identifier: EUPL-1.2
 * Unit test of saml-bridge's check of SP endpoint URLs (ACS, SLO) from
 * metadata (saml_sp__endpoint_ok), as a table of input and expected
 * output; each row names itself in a failure message. (Until the web
 * layer was split off, part of test_parsers.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_int.h"

/* ---- SP endpoints (ACS, SLO) ---- */

static const struct {
    const char *url;
    int allow_http;
    int ok;
} endpoints[] = {
    {"https://sp.example/acs", 0, 1},
    {"https://sp.example:8443/saml/acs?x=1&y=2", 0, 1},
    {"HTTPS://SP.EXAMPLE/acs", 0, 1},
    {"https://sp-1.schule-mv.de/acs", 1, 1},
    {"https://192.0.2.7/acs", 0, 1},
    {"https://[2001:db8::1]:443/acs", 0, 1},
    {"https://[::1]/acs", 0, 1},
    {"https://sp.example", 0, 1},
    /* user names: the finding and its relatives */
    {"http://localhost:1@evil.example/acs", 1, 0},
    {"http://localhost@evil.example/acs", 1, 0},
    {"http://127.0.0.1@evil.example/acs", 1, 0},
    {"http://[::1]@evil.example/acs", 1, 0},
    {"https://user@sp.example/acs", 0, 0},
    {"https://user:secret@sp.example/acs", 0, 0},
    {"https://:@sp.example/acs", 0, 0},
    {"https://@sp.example/acs", 0, 0},
    {"http://localhost%40evil.example/acs", 1, 0},
    {"http://localhost\\@evil.example/acs", 1, 0},
    {"http://evil.example\\@localhost/acs", 1, 0},
    /* loopback http, only when allowed */
    {"http://127.0.0.1:8000/acs", 1, 1},
    {"http://127.0.0.1:8000/acs", 0, 0},
    {"http://127.1.2.3/acs", 1, 1},
    {"http://localhost/acs", 1, 1},
    {"http://LocalHost:80/acs", 1, 1},
    {"http://[::1]:8000/acs", 1, 1},
    {"http://[::1]:8000/acs", 0, 0},
    {"HTTP://127.0.0.1/acs", 1, 1},
    /* looks like loopback, is not */
    {"http://localhost.evil.example/acs", 1, 0},
    {"http://127.0.0.1.evil.example/acs", 1, 0},
    {"http://127.0.0.1evil.example/acs", 1, 0},
    {"http://localhostevil.example/acs", 1, 0},
    {"http://127.1/acs", 1, 0},
    {"http://2130706433/acs", 1, 0},
    {"http://0x7f.0.0.1/acs", 1, 0},
    {"http://[::2]/acs", 1, 0},
    {"http://[::ffff:127.0.0.1]/acs", 1, 0},
    {"http://128.0.0.1/acs", 1, 0},
    {"http://evil.example/acs", 1, 0},
    {"http://sp.example/acs", 0, 0},
    /* not a usable absolute URL */
    {"", 1, 0},
    {"/acs", 1, 0},
    {"//sp.example/acs", 0, 0},
    {"https:sp.example/acs", 0, 0},
    {"https:///acs", 0, 0},
    {"https://sp.example:99999/acs", 0, 0},
    {"https://sp.example/acs#frag", 0, 0},
    {"https://sp.example/a b", 0, 0},
    {" https://sp.example/acs", 0, 0},
    {"https://sp.example/acs\n", 0, 0},
    {"https://sp.example/a\"b", 0, 0},
    {"https://sp.example/<acs>", 0, 0},
    {"https://sp.ex\xC3\xA4mple/acs", 0, 0},
    {"https://sp_example/acs", 0, 0},
    {"https://[zz::1]/acs", 0, 0},
    {"ftp://sp.example/acs", 1, 0},
    {"javascript:alert(1)", 1, 0},
    {"data:text/html,<x>", 1, 0},
};

static void test_endpoints(void **state)
{
    char longurl[1100];

    (void)state;
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        int got =
            saml_sp__endpoint_ok(endpoints[i].url, endpoints[i].allow_http);
        if (got != endpoints[i].ok) {
            fail_msg("endpoint \"%s\" (allow_http %d): %d, expected %d",
                     endpoints[i].url, endpoints[i].allow_http, got,
                     endpoints[i].ok);
        }
    }
    assert_int_equal(saml_sp__endpoint_ok(NULL, 1), 0);
    memset(longurl, 'a', sizeof(longurl) - 1);
    longurl[sizeof(longurl) - 1] = '\0';
    memcpy(longurl, "https://sp.example/", 19);
    assert_int_equal(saml_sp__endpoint_ok(longurl, 0), 0);
    longurl[1000] = '\0';
    assert_int_equal(saml_sp__endpoint_ok(longurl, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
