/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests of the web layer's parsers of untrusted input, as tables of
 * input and expected output: base64, %-decoding and encoding, form
 * fields, the Cookie header, xsd:dateTime, Accept-Language, and the table
 * from error codes to HTTP status. Each row names itself in a failure
 * message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

/* ---- base64 ---- */

static const struct {
    const char *in;
    size_t in_len; /* 0: strlen */
    size_t max;
    const char *out; /* NULL: refused */
    size_t out_len;
} b64[] = {
    {"", 0, 16, "", 0},
    {"TWFu", 0, 16, "Man", 3},
    {"TWE=", 0, 16, "Ma", 2},
    {"TQ==", 0, 16, "M", 1},
    {"TQ", 0, 16, "M", 1},
    {"TW Fu\r\n\tTWFu", 0, 16, "ManMan", 6},
    {"AAEC/w==", 0, 16, "\x00\x01\x02\xFF", 4},
    {"+/+/", 0, 16, "\xFB\xFF\xBF", 3},
    {"T", 0, 16, NULL, 0},
    {"TQ===", 0, 16, NULL, 0},
    {"TQ=Q", 0, 16, NULL, 0},
    {"=TWFu", 0, 16, NULL, 0},
    {"TW@u", 0, 16, NULL, 0},
    {"-_-_", 0, 16, NULL, 0}, /* base64url is not base64 */
    {"TWFu\0TWFu", 9, 16, NULL, 0},
    {"TWFu", 0, 3, "Man", 3},
    {"TWFu", 0, 2, NULL, 0},
    {"TWFuTWFuTWFu", 0, 6, NULL, 0},
};

static void test_b64_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
        size_t len = 99,
               in_len = b64[i].in_len ? b64[i].in_len : strlen(b64[i].in);
        unsigned char *out =
            web_b64_decode(b64[i].in, in_len, b64[i].max, &len);
        if ((out == NULL) != (b64[i].out == NULL) ||
            (out != NULL &&
             (len != b64[i].out_len || memcmp(out, b64[i].out, len) != 0))) {
            fail_msg("base64 \"%s\" (max %zu): %s", b64[i].in, b64[i].max,
                     out == NULL ? "refused" : "wrong bytes");
        }
        if (out == NULL && len != 0) {
            fail_msg("base64 \"%s\": length %zu on refusal", b64[i].in, len);
        }
        free(out);
    }
}

static void test_b64_roundtrip(void **state)
{
    unsigned char bytes[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (unsigned char)(255 - i);
    }
    for (size_t n = 0; n <= sizeof(bytes); n += 37) {
        char *enc = web_b64_encode(bytes, n);
        size_t len = 0;
        unsigned char *dec = web_b64_decode(enc, strlen(enc), n, &len);
        assert_non_null(dec);
        assert_int_equal(len, n);
        assert_memory_equal(dec, bytes, n);
        free(dec);
        free(enc);
    }
}

/* RFC 4648 section 10, and base64url without padding (tokens) */
static const struct {
    const char *in;
    size_t len;
    const char *b64;
    const char *b64url;
} b64_enc[] = {
    {"", 0, "", ""},
    {"f", 1, "Zg==", "Zg"},
    {"fo", 2, "Zm8=", "Zm8"},
    {"foo", 3, "Zm9v", "Zm9v"},
    {"foob", 4, "Zm9vYg==", "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy", "Zm9vYmFy"},
    {"\xFB\xFF\xBF", 3, "+/+/", "-_-_"},
    {"\0\0\0", 3, "AAAA", "AAAA"},
    {"\xFF", 1, "/w==", "_w"},
};

static void test_b64_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(b64_enc) / sizeof(b64_enc[0]); i++) {
        const unsigned char *in = (const unsigned char *)b64_enc[i].in;
        char *enc = web_b64_encode(in, b64_enc[i].len);
        char *url = web_b64url_encode(in, b64_enc[i].len);
        if (strcmp(enc, b64_enc[i].b64) != 0 ||
            strcmp(url, b64_enc[i].b64url) != 0) {
            fail_msg("base64 of case %zu: \"%s\" / \"%s\"", i, enc, url);
        }
        free(enc);
        free(url);
    }
}

/* ---- %-decoding and encoding ---- */

static const struct {
    const char *in;
    size_t in_len; /* 0: strlen */
    const char *out;
} url_dec[] = {
    {"", 0, ""},
    {"abc", 0, "abc"},
    {"a+b", 0, "a b"},
    {"%41%42", 0, "AB"},
    {"%4a%4A", 0, "JJ"},
    {"a%2Bb", 0, "a+b"},
    {"%2Fpassword%3Fp%3D1", 0, "/password?p=1"},
    {"%E2%82%AC", 0, "\xE2\x82\xAC"},
    {"100%25", 0, "100%"},
    {"%", 0, NULL},
    {"%4", 0, NULL},
    {"a%", 0, NULL},
    {"%zz", 0, NULL},
    {"%g1", 0, NULL},
    {"%00", 0, NULL},
    {"a\0b", 3, NULL},
    {"%41%4", 0, NULL},
    {"%41", 2, NULL}, /* the length counts, not the NUL */
};

static const struct {
    const char *in;
    const char *out;
} url_enc[] = {
    {"", ""},
    {"abcXYZ019", "abcXYZ019"},
    {"-_.~", "-_.~"},
    {"a b", "a%20b"},
    {"/?&=+%#", "%2F%3F%26%3D%2B%25%23"},
    {"\xE2\x82\xAC", "%E2%82%AC"},
    {"\x01\x7F", "%01%7F"},
};

static void test_url(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(url_dec) / sizeof(url_dec[0]); i++) {
        size_t len =
            url_dec[i].in_len ? url_dec[i].in_len : strlen(url_dec[i].in);
        char *out = web_url_decode(url_dec[i].in, len);
        if ((out == NULL) != (url_dec[i].out == NULL) ||
            (out != NULL && strcmp(out, url_dec[i].out) != 0)) {
            fail_msg("url_decode \"%s\": \"%s\"", url_dec[i].in,
                     out != NULL ? out : "(refused)");
        }
        free(out);
    }
    for (size_t i = 0; i < sizeof(url_enc) / sizeof(url_enc[0]); i++) {
        char *out = web_url_encode(url_enc[i].in);
        char *back = web_url_decode(out, strlen(out));
        if (strcmp(out, url_enc[i].out) != 0 || back == NULL ||
            strcmp(back, url_enc[i].in) != 0) {
            fail_msg("url_encode \"%s\": \"%s\"", url_enc[i].in, out);
        }
        free(back);
        free(out);
    }
}

/* ---- form fields ---- */

static const struct {
    const char *form;
    size_t len; /* 0: strlen */
    const char *name;
    int found;
    const char *value; /* decoded; NULL: none */
} forms[] = {
    {"a=1&b=2", 0, "b", 1, "2"},
    {"a=1&b=2", 0, "a", 1, "1"},
    {"a=1&b=2", 3, "b", 0, NULL},
    {"a=1&b=22", 7, "b", 1, "2"},
    {"a=1&a=2", 0, "a", -1, NULL},
    {"a=1&a", 0, "a", -1, NULL},
    {"a", 0, "a", 1, ""},
    {"a=", 0, "a", 1, ""},
    {"ab=1", 0, "a", 0, NULL},
    {"ba=1", 0, "a", 0, NULL},
    {"a=1&ab=2", 0, "ab", 1, "2"},
    {"A=1", 0, "a", 0, NULL},
    {"", 0, "a", 0, NULL},
    {"&&a=x+y&", 0, "a", 1, "x y"},
    {"=1&a=%zz", 0, "a", 1, NULL},
    {"a=%00", 0, "a", 1, NULL},
    {"a==b", 0, "a", 1, "=b"},
    {"SAMLRequest=abc%3D%3D&RelayState=%2Fx", 0, "RelayState", 1, "/x"},
    {"SAMLRequest=abc%3D%3D&RelayState=%2Fx", 0, "SAMLRequest", 1, "abc=="},
    {"RelayState=a&RelayState=b&SAMLRequest", 0, "RelayState", -1, NULL},
};

static void test_form(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t len = forms[i].len ? forms[i].len : strlen(forms[i].form);
        const char *raw = NULL;
        size_t raw_len = 0;
        int found =
            web_form_raw(forms[i].form, len, forms[i].name, &raw, &raw_len);
        char *v = web_form_get(forms[i].form, len, forms[i].name);
        if (found != forms[i].found ||
            (v == NULL) != (forms[i].value == NULL) ||
            (v != NULL && strcmp(v, forms[i].value) != 0) ||
            (found == 1 && raw + raw_len > forms[i].form + len)) {
            fail_msg("form \"%s\" (%zu bytes) field %s: found %d, \"%s\"",
                     forms[i].form, len, forms[i].name, found,
                     v != NULL ? v : "(none)");
        }
        free(v);
    }
    assert_null(web_form_get(NULL, 0, "a"));
}

/* ---- Cookie header ---- */

#define L128                                                                   \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"         \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *header;
    const char *name;
    const char *value; /* NULL: none */
} cookies[] = {
    {"idm_s=abc", "idm_s", "abc"},
    {"idm_b=x; idm_s=abc", "idm_s", "abc"},
    {"idm_b=x; idm_s=abc", "idm_b", "x"},
    {"idm_b=x;idm_s=abc;", "idm_s", "abc"},
    {" ;; idm_s=v", "idm_s", "v"},
    {"idm_s=a=b", "idm_s", "a=b"},
    {"idm_s=first; idm_s=second", "idm_s", "first"},
    {"xidm_s=abc", "idm_s", NULL},
    {"idm_sx=abc", "idm_s", NULL},
    {"idm_s =abc", "idm_s", NULL},
    {"idm_s", "idm_s", NULL},
    {"idm_s=", "idm_s", NULL},
    {"idm_s=; idm_b=1", "idm_s", NULL},
    {"", "idm_s", NULL},
    {"idm_s=" L128, "idm_s", L128},
    {"idm_s=" L128 "x", "idm_s", NULL},
    {"__Host-idm_s=tok; idm_s=plain", "__Host-idm_s", "tok"},
    {"__Host-idm_s=tok; idm_s=plain", "idm_s", "plain"},
    {"other=idm_s=x", "idm_s", NULL},
};

static void test_cookie(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cookies) / sizeof(cookies[0]); i++) {
        char *v = web_cookie_get(cookies[i].header, cookies[i].name);
        if ((v == NULL) != (cookies[i].value == NULL) ||
            (v != NULL && strcmp(v, cookies[i].value) != 0)) {
            fail_msg("cookie \"%s\" name %s: \"%s\"", cookies[i].header,
                     cookies[i].name, v != NULL ? v : "(none)");
        }
        free(v);
    }
    assert_null(web_cookie_get(NULL, "idm_s"));
}

/* ---- xsd:dateTime ---- */

static const struct {
    const char *in;
    int64_t epoch; /* -1: refused */
} times[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"1970-01-01T00:00:01Z", 1},
    {"1970-01-01T00:00:00.123Z", 0},
    {"2026-12-05T21:30:00Z", 1796506200},
    {"2026-12-05T22:30:00+01:00", 1796506200},
    {"2026-12-05T21:00:00-00:30", 1796506200},
    {"2000-02-29T12:00:00Z", 951825600},
    {"2024-02-29T00:00:00Z", 1709164800},
    {"2026-12-31T23:59:59Z", 1798761599},
    {"2026-12-31T23:59:60Z", 1798761600}, /* leap second */
    {"2038-01-19T03:14:08Z", 2147483648},
    {"9999-12-31T23:59:59Z", 253402300799},
    {"2026-12-05T21:30:00", -1}, /* no zone: ambiguous */
    {"2026-12-05 21:30:00Z", -1},
    {"2026-12-05t21:30:00Z", -1},
    {"2026-12-05T21:30:00z", -1},
    {"2026-12-05T21:30Z", -1},
    {"2026-12-5T21:30:00Z", -1},
    {"2026- 1-05T21:30:00Z", -1},
    {"2026-+1-05T21:30:00Z", -1},
    {"2026-12--5T21:30:00Z", -1},
    {" 2026-12-05T21:30:00Z", -1},
    {"+2026-12-05T21:30:00Z", -1},
    {"02026-12-05T21:30:00Z", -1},
    {"1969-12-31T23:59:59Z", -1},
    {"2026-00-05T21:30:00Z", -1},
    {"2026-13-05T21:30:00Z", -1},
    {"2026-12-00T21:30:00Z", -1},
    {"2026-12-32T21:30:00Z", -1},
    {"2026-02-29T00:00:00Z", -1}, /* not a leap year */
    {"1900-02-29T00:00:00Z", -1},
    {"2026-04-31T00:00:00Z", -1},
    {"2026-12-05T24:00:00Z", -1},
    {"2026-12-05T23:60:00Z", -1},
    {"2026-12-05T23:59:61Z", -1},
    {"2026-12-05T21:30:00.Z", -1},
    {"2026-12-05T21:30:00.5", -1},
    {"2026-12-05T21:30:00Zx", -1},
    {"2026-12-05T21:30:00+1:00", -1},
    {"2026-12-05T21:30:00+01:0", -1},
    {"2026-12-05T21:30:00+0100", -1},
    {"2026-12-06T11:30:00+14:00", 1796506200},
    {"2026-12-06T12:30:00+15:00", -1},
    {"2026-12-05T21:30:00+01:60", -1},
    {"2026-12-05T21:30:00+01:00x", -1},
    {"2026-12-05T21:30:00.0000000000000000000001Z", -1}, /* over 40 */
    {"", -1},
    {"x", -1},
};

static void test_time_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        int64_t got = web_time_parse(times[i].in);
        if (got != times[i].epoch) {
            fail_msg("time \"%s\": %lld, expected %lld", times[i].in,
                     (long long)got, (long long)times[i].epoch);
        }
    }
    assert_int_equal(web_time_parse(NULL), -1);
}

static const struct {
    int64_t epoch;
    const char *out;
} times_out[] = {
    {0, "1970-01-01T00:00:00Z"},
    {1, "1970-01-01T00:00:01Z"},
    {951825600, "2000-02-29T12:00:00Z"},
    {1709164800, "2024-02-29T00:00:00Z"},
    {1796506200, "2026-12-05T21:30:00Z"},
    {1798761599, "2026-12-31T23:59:59Z"},
    {2147483648, "2038-01-19T03:14:08Z"},
    {253402300799, "9999-12-31T23:59:59Z"},
};

static void test_time_format_table(void **state)
{
    char out[32];

    (void)state;
    for (size_t i = 0; i < sizeof(times_out) / sizeof(times_out[0]); i++) {
        web_time_format(out, times_out[i].epoch);
        if (strcmp(out, times_out[i].out) != 0 ||
            web_time_parse(out) != times_out[i].epoch) {
            fail_msg("time %lld: \"%s\"", (long long)times_out[i].epoch, out);
        }
    }
}

/* ---- Accept-Language ---- */

static const struct {
    const char *in;
    web_lang lang;
} langs[] = {
    {NULL, WEB_LANG_DE},
    {"", WEB_LANG_DE},
    {"en", WEB_LANG_EN},
    {"EN-gb", WEB_LANG_EN},
    {"de", WEB_LANG_DE},
    {"fr", WEB_LANG_DE},
    {"fr, en;q=0.5", WEB_LANG_EN},
    {"de-DE,de;q=0.9,en;q=0.8", WEB_LANG_DE},
    {"en-US,en;q=0.9,de;q=0.5", WEB_LANG_EN},
    {"en;q=0.5, de;q=0.5", WEB_LANG_DE}, /* German wins ties */
    {"de;q=0.1, en", WEB_LANG_EN},
    {"en;q=0", WEB_LANG_DE},
    {",,; ;q=", WEB_LANG_DE},
};

static void test_lang(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        if (web_lang_pick(langs[i].in) != langs[i].lang) {
            fail_msg("Accept-Language \"%s\"",
                     langs[i].in != NULL ? langs[i].in : "(none)");
        }
    }
}

/* ---- the one table from error codes to HTTP status ---- */

static const struct {
    int code;
    int status;
} statuses[] = {
    {0, 200},
    {IDM_EINTERNAL, 500},
    {IDM_EINVAL, 400},
    {IDM_ENOTFOUND, 404},
    {IDM_EEXISTS, 409},
    {IDM_EDB, 503},
    {IDM_ECONFIG, 500},
    {IDM_EIO, 503},
    {IDM_EAUTH, 401},
    {IDM_EDENIED, 403},
    {IDM_ELOCKED, 403},
    {IDM_ECHECKSUM, 400},
    {IDM_ETOOBIG, 413},
    {IDM_ECONFLICT, 409},
    {IDM_EUNAVAIL, 503},
    {-999, 500}, /* unknown: ours to fix */
};

static void test_error_status(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        if (web_error_status(statuses[i].code) != statuses[i].status) {
            fail_msg("status of %s: %d", idm_errname(statuses[i].code),
                     web_error_status(statuses[i].code));
        }
    }
}

static void test_time_format(void **state)
{
    char out[32];

    (void)state;
    web_time_format(out, 1796506200);
    assert_string_equal(out, "2026-12-05T21:30:00Z");
    assert_int_equal(web_time_parse(out), 1796506200);
    web_time_format(out, 0);
    assert_int_equal(web_time_parse(out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_decode),
        cmocka_unit_test(test_b64_roundtrip),
        cmocka_unit_test(test_b64_encode),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_format_table),
        cmocka_unit_test(test_lang),
        cmocka_unit_test(test_error_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
