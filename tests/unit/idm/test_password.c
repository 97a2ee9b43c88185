/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for Argon2id password hashing: PHC round trips, malformed
 * hashes, parameter parsing, rehash detection and generated passwords.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "idm/password.h"

#define PASSWORD "correct horse battery staple"
#define FAST_PREFIX "$argon2id$v=19$m=1024,t=1,p=1$"

/* Small parameters keep the suite fast; one test uses the OWASP default. */
static const idm_argon2_params fast = {1024, 1, 1};

/* Generated passwords avoid the look-alikes 0 O 1 l I. */
static const char alphabet[] = "abcdefghijkmnopqrstuvwxyz"
                               "ABCDEFGHJKLMNPQRSTUVWXYZ"
                               "23456789";

/* Group fixture: one hash of PASSWORD with the fast parameters. */
typedef struct fixture {
    char *hash;
} fixture;

static int group_setup(void **state)
{
    fixture *fx = calloc(1, sizeof(*fx));
    idm_err err = IDM_ERR_INIT;

    if (fx == NULL) {
        return -1;
    }
    if (idm_password_hash(&fx->hash, &fast, PASSWORD, &err) != 0) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *fx = *state;

    if (fx != NULL) {
        free(fx->hash);
        free(fx);
    }
    return 0;
}

/* A copy of s with the first occurrence of from replaced by to. */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t pre, len;
    char *out;

    assert_non_null(at);
    pre = (size_t)(at - s);
    len = strlen(s) - strlen(from) + strlen(to);
    out = malloc(len + 1);
    assert_non_null(out);
    memcpy(out, s, pre);
    strcpy(out + pre, to);
    strcat(out, at + strlen(from));
    return out;
}

static char *hash_or_fail(const idm_argon2_params *params, const char *pw)
{
    idm_err err = IDM_ERR_INIT;
    char *hash = NULL;

    assert_int_equal(idm_password_hash(&hash, params, pw, &err), 0);
    assert_non_null(hash);
    return hash;
}

static void test_hash_verify_round_trip(void **state)
{
    fixture *fx = *state;
    idm_err err = IDM_ERR_INIT;
    char *hash;

    assert_non_null(fx->hash);
    assert_int_equal(strncmp(fx->hash, FAST_PREFIX, strlen(FAST_PREFIX)), 0);
    assert_int_equal(idm_password_verify(fx->hash, PASSWORD, &err), 0);

    /* non-ASCII passwords are hashed as their UTF-8 bytes */
    hash = hash_or_fail(&fast, "Grüße, Jürgen ✓");
    assert_int_equal(idm_password_verify(hash, "Grüße, Jürgen ✓", &err), 0);
    assert_int_equal(idm_password_verify(hash, "Grüsse, Jürgen ✓", &err),
                     IDM_EAUTH);
    free(hash);
}

static void test_verify_wrong_password(void **state)
{
    fixture *fx = *state;
    static const char *const wrong[] = {
        "Correct horse battery staple", /* case matters */
        "correct horse battery stapl",  /* prefix */
        "correct horse battery staple ", "", "x",
    };

    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        idm_err err = IDM_ERR_INIT;

        assert_int_equal(idm_password_verify(fx->hash, wrong[i], &err),
                         IDM_EAUTH);
        assert_int_equal(err.code, IDM_EAUTH);
        assert_string_equal(err.msg, "wrong password");
    }
}

static void test_verify_overlong_password(void **state)
{
    fixture *fx = *state;
    idm_err err = IDM_ERR_INIT;
    char *pw = malloc(IDM_PASSWORD_MAX_LEN + 2);

    assert_non_null(pw);
    memset(pw, 'a', IDM_PASSWORD_MAX_LEN + 1);
    pw[IDM_PASSWORD_MAX_LEN + 1] = '\0';
    assert_int_equal(idm_password_verify(fx->hash, pw, &err), IDM_EAUTH);
    free(pw);
}

static void test_verify_malformed(void **state)
{
    fixture *fx = *state;
    size_t len = strlen(fx->hash);
    char *argon2i = replace(fx->hash, "$argon2id$", "$argon2i$");
    char *argon2d = replace(fx->hash, "$argon2id$", "$argon2d$");
    char *v16 = replace(fx->hash, "$v=19$", "$v=16$");
    char *nov = replace(fx->hash, "$v=19$", "$");
    char *mid_params = strndup(fx->hash, strlen("$argon2id$v=19$m=1024,t"));
    char *no_dollar = strndup(fx->hash, strlen(FAST_PREFIX) - 1);
    char *no_salt = strndup(fx->hash, strlen(FAST_PREFIX));
    char *salt_only =
        strndup(fx->hash, (size_t)(strrchr(fx->hash, '$') - fx->hash));
    /* 41 of 43 digest characters: a base64 length no input can have
     * (a shorter but well-formed digest would give IDM_EAUTH instead) */
    char *short_hash = strndup(fx->hash, len - 2);
    char *bad_b64 = strdup(fx->hash);
    const char *const bad[] = {
        "",
        "garbage",
        "$",
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=1,p=1",
        "$2y$10$abcdefghijklmnopqrstuu5HGJ5MS1QDjAeWgs1F/Tx0lhsWh2b7a",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$!!!!",
        argon2i,
        argon2d,
        v16,
        nov,
        mid_params,
        no_dollar,
        no_salt,
        salt_only,
        short_hash,
        bad_b64,
    };
    /* Those whose parameter section is already broken: needs_rehash sees
     * them as made with other parameters. */
    const char *const bad_params[] = {
        "",
        "garbage",
        "$",
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=1,p=1",
        "$2y$10$abcdefghijklmnopqrstuu5HGJ5MS1QDjAeWgs1F/Tx0lhsWh2b7a",
        argon2i,
        argon2d,
        v16,
        nov,
        mid_params,
        no_dollar,
    };

    bad_b64[len - 5] = '*';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        idm_err err = IDM_ERR_INIT;
        int rc = idm_password_verify(bad[i], PASSWORD, &err);

        if (rc != IDM_EINVAL) {
            print_error("verify(\"%s\") = %d\n", bad[i], rc);
        }
        assert_int_equal(rc, IDM_EINVAL);
        assert_int_equal(err.code, IDM_EINVAL);
        assert_string_equal(err.msg, "stored password hash is malformed");
        /* whatever is malformed, a rehash is due (regression: a damaged
         * salt or digest used to pass the parameter check) */
        assert_int_equal(idm_password_needs_rehash(bad[i], &fast), 1);
    }
    {
        /* digits only: sscanf's %u used to take blanks and signs */
        static const char *const lax[] = {
            "$argon2id$v=19$m= 1024,t=1,p=1$c2FsdHNhbHRzYWx0$"
            "aGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$argon2id$v=19$m=-1,t=1,p=1$c2FsdHNhbHRzYWx0$"
            "aGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$argon2id$v=19$m=+1024,t=1,p=1$c2FsdHNhbHRzYWx0$"
            "aGFzaGhhc2hoYXNoaGFzaGhhc2g",
            "$argon2id$v=19$m=1024,t=1,p=99999999999$c2FsdHNhbHRzYWx0$"
            "aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        };
        idm_argon2_params p;
        for (size_t i = 0; i < sizeof(lax) / sizeof(lax[0]); i++) {
            assert_int_equal(idm_password_params(&p, lax[i]), IDM_EINVAL);
        }
    }
    for (size_t i = 0; i < sizeof(bad_params) / sizeof(bad_params[0]); i++) {
        idm_argon2_params p = {7, 7, 7};

        assert_int_equal(idm_password_params(&p, bad_params[i]), IDM_EINVAL);
        /* out is left alone on error */
        assert_int_equal(p.memory_kib, 7);
        assert_int_equal(p.iterations, 7);
        assert_int_equal(p.parallelism, 7);
        assert_int_equal(idm_password_needs_rehash(bad_params[i], &fast), 1);
    }
    assert_int_equal(idm_password_needs_rehash(NULL, &fast), 1);
    free(argon2i);
    free(argon2d);
    free(v16);
    free(nov);
    free(mid_params);
    free(no_dollar);
    free(no_salt);
    free(salt_only);
    free(short_hash);
    free(bad_b64);
}

static void test_params_parse(void **state)
{
    fixture *fx = *state;
    idm_argon2_params p = {0, 0, 0};

    assert_int_equal(idm_password_params(&p, fx->hash), 0);
    assert_int_equal(p.memory_kib, 1024);
    assert_int_equal(p.iterations, 1);
    assert_int_equal(p.parallelism, 1);

    assert_int_equal(idm_password_params(&p, "$argon2id$v=19$m=65536,t=3,"
                                             "p=4$c2FsdHNhbHRzYWx0c2FsdA$"
                                             "aGFzaGhhc2hoYXNoaGFzaA"),
                     0);
    assert_int_equal(p.memory_kib, 65536);
    assert_int_equal(p.iterations, 3);
    assert_int_equal(p.parallelism, 4);

    assert_int_equal(idm_password_params(&p, NULL), IDM_EINVAL);
}

static void test_needs_rehash(void **state)
{
    fixture *fx = *state;
    const idm_argon2_params same = {1024, 1, 1};
    const idm_argon2_params other_m = {2048, 1, 1};
    const idm_argon2_params other_t = {1024, 2, 1};
    const idm_argon2_params other_p = {1024, 1, 2};
    const idm_argon2_params owasp = IDM_ARGON2_PARAMS_INIT;

    assert_int_equal(idm_password_needs_rehash(fx->hash, &same), 0);
    assert_int_equal(idm_password_needs_rehash(fx->hash, &other_m), 1);
    assert_int_equal(idm_password_needs_rehash(fx->hash, &other_t), 1);
    assert_int_equal(idm_password_needs_rehash(fx->hash, &other_p), 1);
    assert_int_equal(idm_password_needs_rehash(fx->hash, &owasp), 1);
}

static void test_verify_uses_stored_params(void **state)
{
    const idm_argon2_params old = {2048, 2, 2};
    idm_err err = IDM_ERR_INIT;
    char *hash = hash_or_fail(&old, PASSWORD);

    (void)state;
    assert_non_null(strstr(hash, "$m=2048,t=2,p=2$"));
    /* a hash made with other parameters still verifies, and asks for an
     * upgrade to the current ones */
    assert_int_equal(idm_password_verify(hash, PASSWORD, &err), 0);
    assert_int_equal(idm_password_needs_rehash(hash, &fast), 1);
    assert_int_equal(idm_password_needs_rehash(hash, &old), 0);
    free(hash);
}

static void test_salts_differ(void **state)
{
    fixture *fx = *state;
    idm_err err = IDM_ERR_INIT;
    char *again = hash_or_fail(&fast, PASSWORD);
    size_t plen = strlen(FAST_PREFIX);
    size_t slen = (size_t)(strchr(fx->hash + plen, '$') - (fx->hash + plen));

    assert_string_not_equal(again, fx->hash);
    /* the salt itself differs, not only the digest */
    assert_true(slen > 0);
    assert_false(strncmp(again + plen, fx->hash + plen, slen) == 0);
    assert_int_equal(idm_password_verify(again, PASSWORD, &err), 0);
    assert_int_equal(idm_password_verify(fx->hash, PASSWORD, &err), 0);
    free(again);
}

static void test_hash_rejects_bad_lengths(void **state)
{
    idm_err err = IDM_ERR_INIT;
    char *hash = (char *)&err; /* must be reset to NULL */
    char *pw = malloc(IDM_PASSWORD_MAX_LEN + 2);

    (void)state;
    assert_non_null(pw);
    assert_int_equal(idm_password_hash(&hash, &fast, "", &err), IDM_EINVAL);
    assert_null(hash);
    assert_int_equal(err.code, IDM_EINVAL);
    assert_non_null(strstr(err.msg, "1 to 1024 bytes"));

    memset(pw, 'p', IDM_PASSWORD_MAX_LEN + 1);
    pw[IDM_PASSWORD_MAX_LEN + 1] = '\0';
    idm_err_clear(&err);
    assert_int_equal(idm_password_hash(&hash, &fast, pw, &err), IDM_EINVAL);
    assert_null(hash);

    /* exactly the maximum is accepted */
    pw[IDM_PASSWORD_MAX_LEN] = '\0';
    assert_int_equal(idm_password_hash(&hash, &fast, pw, &err), 0);
    assert_int_equal(idm_password_verify(hash, pw, &err), 0);
    free(hash);
    free(pw);
}

static void test_owasp_defaults(void **state)
{
    const idm_argon2_params owasp = IDM_ARGON2_PARAMS_INIT;
    idm_argon2_params p = {0, 0, 0};
    idm_err err = IDM_ERR_INIT;
    char *hash = hash_or_fail(&owasp, PASSWORD);

    (void)state;
    assert_int_equal(owasp.memory_kib, 19456);
    assert_int_equal(owasp.iterations, 2);
    assert_int_equal(owasp.parallelism, 1);
    assert_int_equal(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
    assert_int_equal(idm_password_params(&p, hash), 0);
    assert_int_equal(p.memory_kib, 19456);
    assert_int_equal(idm_password_verify(hash, PASSWORD, &err), 0);
    assert_int_equal(idm_password_verify(hash, "wrong", &err), IDM_EAUTH);
    assert_int_equal(idm_password_needs_rehash(hash, &owasp), 0);
    assert_int_equal(idm_password_needs_rehash(hash, &fast), 1);
    free(hash);
}

static void test_generate_length_and_alphabet(void **state)
{
    static const size_t lens[] = {8, 16, 20, 127, 128};

    (void)state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        idm_err err = IDM_ERR_INIT;
        char *pw = NULL;

        assert_int_equal(idm_password_generate(&pw, lens[i], &err), 0);
        assert_non_null(pw);
        assert_int_equal(strlen(pw), lens[i]);
        assert_int_equal(strspn(pw, alphabet), lens[i]);
        assert_null(strpbrk(pw, "0O1lI"));
        idm_password_free(pw);
    }
}

static void test_generate_uses_whole_alphabet(void **state)
{
    int seen[256] = {0};
    const size_t nalpha = sizeof(alphabet) - 1;

    (void)state;
    /* 25,600 draws from 57 characters: a missing one has odds of about
     * e^-449, so this fails only if the alphabet or the draw is wrong */
    for (int i = 0; i < 200; i++) {
        idm_err err = IDM_ERR_INIT;
        char *pw = NULL;

        assert_int_equal(idm_password_generate(&pw, 128, &err), 0);
        for (const char *c = pw; *c != '\0'; c++) {
            seen[(unsigned char)*c]++;
        }
        idm_password_free(pw);
    }
    assert_int_equal(nalpha, 57);
    for (size_t i = 0; i < nalpha; i++) {
        assert_true(seen[(unsigned char)alphabet[i]] > 0);
    }
    for (const char *c = "0O1lI"; *c != '\0'; c++) {
        assert_int_equal(seen[(unsigned char)*c], 0);
    }
}

static void test_generate_differs(void **state)
{
    idm_err err = IDM_ERR_INIT;
    char *a = NULL, *b = NULL;

    (void)state;
    assert_int_equal(idm_password_generate(&a, 16, &err), 0);
    assert_int_equal(idm_password_generate(&b, 16, &err), 0);
    assert_string_not_equal(a, b);
    idm_password_free(a);
    idm_password_free(b);
    idm_password_free(NULL); /* accepted, like free() */
}

static void test_generate_rejects_bad_lengths(void **state)
{
    static const size_t lens[] = {0, 1, 7, 129, 4096};

    (void)state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        idm_err err = IDM_ERR_INIT;
        char *pw = (char *)&err; /* must be reset to NULL */

        assert_int_equal(idm_password_generate(&pw, lens[i], &err), IDM_EINVAL);
        assert_null(pw);
        assert_int_equal(err.code, IDM_EINVAL);
    }
}

/* libpwquality + cracklib verdicts in our terms (issue 12). */
static void test_quality(void **state)
{
    static const struct {
        const char *pw;
        idm_pw_problem want;
    } cases[] = {
        {"Kx7-wirb3l-Tau8", IDM_PW_OK},
        {"kurz-1", IDM_PW_TOO_SHORT},
        {"1234567890", IDM_PW_SIMPLE},
        {"abcdefgh-Tx9", IDM_PW_SIMPLE},
        {"password123", IDM_PW_DICTIONARY},
        {"xanna.test-42", IDM_PW_CONTAINS_LOGIN},
        {"\xff\xfe-invalid-utf8", IDM_PW_NOT_UTF8},
    };
    idm_pw_problem got;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        idm_err err = IDM_ERR_INIT;
        int rc = idm_password_quality(&got, cases[i].pw, 10, "anna.test", &err);
        if (got != cases[i].want) {
            fail_msg("%s: problem %d, want %d (%s)", cases[i].pw, (int)got,
                     (int)cases[i].want, err.msg);
        }
        assert_int_equal(rc, cases[i].want == IDM_PW_OK ? 0 : IDM_EINVAL);
    }
    {
        idm_err err = IDM_ERR_INIT;
        assert_int_equal(idm_password_quality(&got, "123456", 10, NULL, &err),
                         IDM_EINVAL);
        assert_string_equal(err.msg,
                            "password: too short (at least 10 characters)");
    }
}

/* No character repeats or neighbours (ignoring case) the one before it:
 * uniform 16-character strings have such a step in 1 of 2, so 2,000
 * passwords without one mean the generator keeps the rule. */
static void test_generate_no_steps(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        idm_err err = IDM_ERR_INIT;
        char *pw = NULL;

        assert_int_equal(idm_password_generate(&pw, 16, &err), 0);
        for (size_t j = 1; pw[j] != '\0'; j++) {
            int a = g_ascii_tolower(pw[j - 1]), b = g_ascii_tolower(pw[j]);
            if (pw[j] == pw[j - 1] || a - b == 1 || b - a == 1) {
                fail_msg("%s: step at %zu", pw, j);
            }
        }
        idm_password_free(pw);
    }
}

/* Generated passwords pass the check given passwords must pass (about 1
 * in 150 uniform ones did not: cracklib's "too systematic"). */
static void test_generated_pass_quality(void **state)
{
    (void)state;
    for (int i = 0; i < 300; i++) {
        idm_err err = IDM_ERR_INIT;
        idm_pw_problem got;
        char *pw = NULL;

        assert_int_equal(idm_password_generate(&pw, 16, &err), 0);
        if (idm_password_quality(&got, pw, 16, "anna.mueller", &err) != 0) {
            fail_msg("generated %s refused: %s", pw, err.msg);
        }
        idm_password_free(pw);
    }
}

/* Words for every problem in both languages; the minimum is named. */
static void test_problem_text(void **state)
{
    char de[160], en[160];

    (void)state;
    for (int p = IDM_PW_OK; p <= IDM_PW_SAME_AS_INITIAL; p++) {
        idm_pw_problem_text(de, sizeof(de), (idm_pw_problem)p, 10, 0);
        idm_pw_problem_text(en, sizeof(en), (idm_pw_problem)p, 10, 1);
        assert_true(de[0] != '\0' && en[0] != '\0');
        assert_true(g_utf8_validate(de, -1, NULL));
        if (p != IDM_PW_OK) {
            assert_string_not_equal(de, en);
        }
    }
    assert_string_equal(
        idm_pw_problem_text(de, sizeof(de), IDM_PW_TOO_SHORT, 12, 0),
        "zu kurz (mindestens 12 Zeichen)");
    assert_string_equal(
        idm_pw_problem_text(en, sizeof(en), IDM_PW_TOO_SHORT, 12, 1),
        "too short (at least 12 characters)");
    assert_string_equal(
        idm_pw_problem_text(en, sizeof(en), IDM_PW_TOO_LONG, 12, 1),
        "too long (at most 1024 bytes)");
    /* a value out of range is never "ok" */
    assert_string_equal(
        idm_pw_problem_text(en, sizeof(en), (idm_pw_problem)99, 12, 1),
        "too simple (runs, repeats, few characters)");
    /* truncated, still terminated */
    assert_string_equal(
        idm_pw_problem_text(en, 4, IDM_PW_CONTAINS_LOGIN, 12, 1), "con");
}

/* Throttle keys: IPv4 (also mapped) whole, IPv6 by its /64. */
static void test_addr_key(void **state)
{
    static const char *const cases[][2] = {
        {"192.0.2.7", "192.0.2.7"},
        {"::ffff:192.0.2.7", "192.0.2.7"},
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
        {"2001:DB8:1:2::FFFF", "2001:db8:1:2::/64"},
        {"2001:db8::1", "2001:db8::/64"},
        {"::1", "::/64"},
        {"cli", "cli"},
        {"", ""},
    };
    char key[IDM_ADDR_KEY_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        idm_addr_key(key, sizeof(key), cases[i][0]);
        assert_string_equal(key, cases[i][1]);
    }
    idm_addr_key(key, sizeof(key), NULL);
    assert_string_equal(key, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verify_round_trip),
        cmocka_unit_test(test_verify_wrong_password),
        cmocka_unit_test(test_verify_overlong_password),
        cmocka_unit_test(test_verify_malformed),
        cmocka_unit_test(test_params_parse),
        cmocka_unit_test(test_needs_rehash),
        cmocka_unit_test(test_verify_uses_stored_params),
        cmocka_unit_test(test_salts_differ),
        cmocka_unit_test(test_hash_rejects_bad_lengths),
        cmocka_unit_test(test_owasp_defaults),
        cmocka_unit_test(test_generate_length_and_alphabet),
        cmocka_unit_test(test_generate_uses_whole_alphabet),
        cmocka_unit_test(test_generate_differs),
        cmocka_unit_test(test_generate_rejects_bad_lengths),
        cmocka_unit_test(test_generate_no_steps),
        cmocka_unit_test(test_generated_pass_quality),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_problem_text),
        cmocka_unit_test(test_addr_key),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
