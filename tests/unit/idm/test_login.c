/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for login names: transliteration (idm_login_fold), pattern
 * expansion and cutting, numeric suffixes and the pure pick over taken logins.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "idm/login.h"

/* Code points spelled out, so that each test says what it feeds in. */
#define CAPITAL_SHARP_S "\xE1\xBA\x9E" /* U+1E9E */
#define COMB_DIAERESIS "\xCC\x88"      /* U+0308 */
#define COMB_ACUTE "\xCC\x81"          /* U+0301 */
#define COMB_CARON "\xCC\x8C"          /* U+030C */
#define RIGHT_QUOTE "\xE2\x80\x99"     /* U+2019 */
#define MODIFIER_APOSTROPHE "\xCA\xBC" /* U+02BC */
#define ACUTE_ACCENT "\xC2\xB4"        /* U+00B4 */
#define NO_BREAK_SPACE "\xC2\xA0"      /* U+00A0 */
#define EN_DASH "\xE2\x80\x93"         /* U+2013 */
#define UNICODE_HYPHEN "\xE2\x80\x90"  /* U+2010 */
#define TRADE_MARK "\xE2\x84\xA2"      /* U+2122 */

/* Every test owns one idm_err, reset before each case. */
static int setup_err(void **state)
{
    idm_err *err = calloc(1, sizeof(*err));

    if (err == NULL) {
        return -1;
    }
    *state = err;
    return 0;
}

static int teardown_err(void **state)
{
    free(*state);
    *state = NULL;
    return 0;
}

/* Fold name and compare with want; prints the input on mismatch. */
static void check_fold(const char *name, const char *want)
{
    idm_err err = IDM_ERR_INIT;
    char *got = NULL;
    int rc = idm_login_fold(&got, name, &err);

    if (rc != 0 || got == NULL || strcmp(got, want) != 0) {
        print_error("fold(\"%s\"): rc=%d got \"%s\" want \"%s\"\n", name, rc,
                    got != NULL ? got : "(null)", want);
    }
    assert_int_equal(rc, 0);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* Expand pattern and compare with want. */
static void check_base(const char *pattern, const char *given,
                       const char *family, int max_len, const char *want)
{
    idm_err err = IDM_ERR_INIT;
    char out[IDM_LOGIN_MAX + 1];
    int rc;

    memset(out, 'X', sizeof(out));
    rc =
        idm_login_base(out, sizeof(out), pattern, given, family, max_len, &err);
    if (rc != 0 || strcmp(out, want) != 0) {
        print_error("base(\"%s\", \"%s\", \"%s\", %d): rc=%d (%s) got "
                    "\"%s\" want \"%s\"\n",
                    pattern, given != NULL ? given : "(null)",
                    family != NULL ? family : "(null)", max_len, rc, err.msg,
                    rc == 0 ? out : "", want);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(out, want);
    assert_true(strlen(out) <= (size_t)max_len);
    assert_true(idm_login_valid(out, max_len));
}

/* Candidate n of base and compare with want. */
static void check_candidate(const char *base, unsigned n, int max_len,
                            const char *want)
{
    idm_err err = IDM_ERR_INIT;
    char out[IDM_LOGIN_MAX + 16];
    int rc = idm_login_candidate(out, sizeof(out), base, n, max_len, &err);

    assert_int_equal(rc, 0);
    assert_string_equal(out, want);
    assert_true(strlen(out) <= (size_t)max_len);
}

/* ---- idm_login_fold ---------------------------------------------------- */

static void test_fold_umlauts(void **state)
{
    (void)state;
    check_fold("Müller", "mueller");
    check_fold("Öztürk", "oeztuerk");
    check_fold("Jürgen", "juergen");
    check_fold("Ärger", "aerger");
    check_fold("ÄÖÜ äöü", "aeoeue-aeoeue");
}

static void test_fold_sharp_s(void **state)
{
    (void)state;
    check_fold("Strauß", "strauss");
    check_fold("Weiß", "weiss");
    /* capital sharp s (DIN 91379) */
    check_fold("STRAU" CAPITAL_SHARP_S, "strauss");
    check_fold(CAPITAL_SHARP_S "a", "ssa");
}

static void test_fold_decomposed(void **state)
{
    (void)state;
    /* u + combining diaeresis must fold like precomposed ü */
    check_fold("Mu" COMB_DIAERESIS "ller", "mueller");
    check_fold("O" COMB_DIAERESIS "ztu" COMB_DIAERESIS "rk", "oeztuerk");
    check_fold("Jose" COMB_ACUTE, "jose");
    /* J + caron has no precomposed form: the base letter stays */
    check_fold("J" COMB_CARON "an", "jan");
}

static void test_fold_accents_and_latin_letters(void **state)
{
    (void)state;
    check_fold("José", "jose");
    check_fold("François", "francois");
    check_fold("Łukasz", "lukasz");
    check_fold("Søren", "soren");
    check_fold("Dvořák", "dvorak");
    check_fold("Ægir", "aegir");
    check_fold("Œuvre", "oeuvre");
    check_fold("Þór", "thor");
    check_fold("Đorđević", "dordevic");
    check_fold("Ĳssel", "ijssel");
    check_fold("Nguyễn", "nguyen");
    check_fold("Ştefan", "stefan");
    check_fold("Çelik", "celik");
    check_fold("Ñúñez", "nunez");
}

static void test_fold_apostrophes(void **state)
{
    (void)state;
    check_fold("O'Brien", "obrien");
    check_fold("D" RIGHT_QUOTE "Angelo", "dangelo");
    check_fold("N" MODIFIER_APOSTROPHE "Diaye", "ndiaye");
    check_fold("D" ACUTE_ACCENT "Amico", "damico");
    check_fold("O`Neill", "oneill");
}

static void test_fold_hyphens_and_spaces(void **state)
{
    (void)state;
    check_fold("Müller-Lüdenscheidt", "mueller-luedenscheidt");
    check_fold("von der Heide", "von-der-heide");
    check_fold("Anna Lena", "anna-lena");
    check_fold("de la Cruz", "de-la-cruz");
    check_fold("van 't Hoff", "van-t-hoff");
    check_fold("Anna_Lena", "anna-lena");
    check_fold("Jean" NO_BREAK_SPACE "Luc", "jean-luc");
    check_fold("Anna" EN_DASH "Lena", "anna-lena");
    check_fold("Anna" UNICODE_HYPHEN "Lena", "anna-lena");
    check_fold("Anna\tLena", "anna-lena");
}

static void test_fold_collapses_separators(void **state)
{
    (void)state;
    check_fold("Anna  Lena", "anna-lena");
    check_fold("Anna - Lena", "anna-lena");
    check_fold("Anna--Lena", "anna-lena");
    check_fold("a..b", "a.b");
    /* a dot next to a hyphen survives, the hyphen goes */
    check_fold("a-.b", "a.b");
    check_fold("a.-b", "a.b");
    check_fold("St. John", "st.john");
}

static void test_fold_trims_punctuation(void **state)
{
    (void)state;
    check_fold("--Anna--", "anna");
    check_fold("...x.", "x");
    check_fold(" Anna ", "anna");
    check_fold("-.Anna.-", "anna");
    check_fold("'Anna'", "anna");
}

static void test_fold_drops_other_characters(void **state)
{
    (void)state;
    check_fold("A&B!", "ab");
    check_fold("Anna (Lena)", "anna-lena");
    check_fold("Anna2", "anna2");
    check_fold("Émile" TRADE_MARK, "emile");
}

static void test_fold_nothing_usable(void **state)
{
    (void)state;
    check_fold("", "");
    check_fold("'", "");
    check_fold("山田", "");
    check_fold("Ωμέγα", "");
    check_fold(" - . ", "");
}

static void test_fold_invalid_utf8(void **state)
{
    idm_err *err = *state;
    char sentinel = 'x';
    char *out = &sentinel;
    static const char *const bad[] = {
        "\xFF",          /* never valid in UTF-8 */
        "M\xC3\x28ller", /* bad continuation byte */
        "Mu\xCC",        /* truncated sequence */
        "\xC0\xAF",      /* overlong '/' */
        "\xED\xA0\x80",  /* UTF-16 surrogate */
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        idm_err_clear(err);
        assert_int_equal(idm_login_fold(&out, bad[i], err), IDM_EINVAL);
        assert_null(out);
        assert_int_equal(err->code, IDM_EINVAL);
        assert_non_null(strstr(err->msg, "UTF-8"));
    }
    assert_int_equal(idm_login_fold(&out, NULL, err), IDM_EINVAL);
    assert_null(out);
}

/* ---- idm_login_base ---------------------------------------------------- */

static void test_base_patterns(void **state)
{
    (void)state;
    check_base("{given}.{family}", "Anna", "Müller", 32, "anna.mueller");
    check_base("{g}.{family}", "Anna", "Müller", 32, "a.mueller");
    check_base("{family}{g}", "Anna", "Müller", 32, "muellera");
    check_base("{given}{f}", "Anna", "Müller", 32, "annam");
    check_base("{f}{g}", "Anna", "Berg", 32, "ba");
    /* {g} takes the first login character, after folding */
    check_base("{g}.{family}", "Özlem", "Kaya", 32, "o.kaya");
    check_base("{g}{family}", "'Ali", "Kaya", 32, "akaya");
    /* literal text: lower-cased, anything outside [a-z0-9.-] dropped */
    check_base("S.{family}", "Anna", "Berg", 32, "s.berg");
    check_base("x_{given}", "Anna", "Berg", 32, "xanna");
}

static void test_base_compound_names(void **state)
{
    (void)state;
    check_base("{given}.{family}", "Anna Lena", "von der Heide", 64,
               "anna-lena.von-der-heide");
    check_base("{given}.{family}", "Jürgen", "Müller-Lüdenscheidt", 64,
               "juergen.mueller-luedenscheidt");
    check_base("{given}.{family}", "Siobhán", "O'Brien", 64, "siobhan.obrien");
    check_base("{g}.{family}", "Luca", "D" RIGHT_QUOTE "Angelo", 64,
               "l.dangelo");
}

static void test_base_separators_collapse(void **state)
{
    (void)state;
    /* a doubled separator in the pattern or at a name's edge collapses */
    check_base("{given}..{family}", "Anna", "Berg", 32, "anna.berg");
    check_base("{given}.{family}", "Anna-", "-Berg", 32, "anna.berg");
    check_base("{given}-{family}", "Anna", "-Berg", 32, "anna-berg");
    check_base(".{given}.{family}.", "Anna", "Berg", 32, "anna.berg");
}

static void test_base_one_name_unusable(void **state)
{
    (void)state;
    /* one usable name alone still yields a login */
    check_base("{given}.{family}", "山田", "Müller", 32, "mueller");
    check_base("{given}.{family}", "Anna", "山田", 32, "anna");
    check_base("{given}.{family}", "'", "Berg", 32, "berg");
    check_base("{given}.{family}", NULL, "Berg", 32, "berg");
    check_base("{given}.{family}", "Anna", NULL, 32, "anna");
    check_base("{g}.{family}", "", "Berg", 32, "berg");
}

static void test_base_nothing_usable(void **state)
{
    idm_err *err = *state;
    char out[IDM_LOGIN_MAX + 1];

    assert_int_equal(idm_login_base(out, sizeof(out), "{given}.{family}",
                                    "山田", "'", 32, err),
                     IDM_EINVAL);
    assert_int_equal(err->code, IDM_EINVAL);
    assert_non_null(strstr(err->msg, "no usable login characters"));
    assert_string_equal(out, "");

    idm_err_clear(err);
    assert_int_equal(
        idm_login_base(out, sizeof(out), "{given}.{family}", "", "", 32, err),
        IDM_EINVAL);
    assert_string_equal(out, "");

    idm_err_clear(err);
    assert_int_equal(
        idm_login_base(out, sizeof(out), "{g}{f}", "Ωμέγα", "Ἀθῆναι", 32, err),
        IDM_EINVAL);

    /* only punctuation from the pattern itself is not a login either */
    idm_err_clear(err);
    assert_int_equal(idm_login_base(out, sizeof(out), "{given}-.-{family}", "'",
                                    "山田", 32, err),
                     IDM_EINVAL);
}

static void test_base_invalid_utf8(void **state)
{
    idm_err *err = *state;
    char out[IDM_LOGIN_MAX + 1];

    assert_int_equal(idm_login_base(out, sizeof(out), "{given}.{family}",
                                    "Anna", "M\xC3\x28ller", 32, err),
                     IDM_EINVAL);
    assert_non_null(strstr(err->msg, "UTF-8"));
    assert_string_equal(out, "");

    idm_err_clear(err);
    assert_int_equal(idm_login_base(out, sizeof(out), "{given}.{family}",
                                    "\xFF", "Berg", 32, err),
                     IDM_EINVAL);
    assert_string_equal(out, "");
}

static void test_base_max_length(void **state)
{
    (void)state;
    check_base("{given}.{family}", "Maximiliane", "Mueller-Luedenscheidt", 16,
               "maximiliane.muel");
    check_base("{given}.{family}", "Anna", "Berg", 9, "anna.berg");
    check_base("{given}.{family}", "Anna", "Berg", 8, "anna.ber");
    /* a cut that ends on '.' or '-' drops it */
    check_base("{given}.{family}", "Anna", "Mueller", 5, "anna");
    check_base("{given}-{family}", "Anna", "Mueller", 5, "anna");
    check_base("{given}.{family}", "Anna-Lena", "Berg", 5, "anna");
    check_base("{given}.{family}", "Annabelle", "Xyz", 10, "annabelle");
}

static void test_base_cut_never_ends_in_punctuation(void **state)
{
    static const char *const families[] = {
        "Müller-Lüdenscheidt",
        "von der Heide",
        "St. John",
        "O'Brien",
    };
    idm_err err = IDM_ERR_INIT;
    char out[IDM_LOGIN_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        for (int max_len = 1; max_len <= 40; max_len++) {
            size_t len;

            assert_int_equal(idm_login_base(out, sizeof(out),
                                            "{given}.{family}", "Anna Lena",
                                            families[i], max_len, &err),
                             0);
            len = strlen(out);
            assert_true(len > 0 && len <= (size_t)max_len);
            assert_true(out[len - 1] != '.' && out[len - 1] != '-');
            assert_true(idm_login_valid(out, max_len));
        }
    }
}

static void test_base_buffer_too_small(void **state)
{
    idm_err *err = *state;
    char out[5];

    assert_int_equal(idm_login_base(out, sizeof(out), "{given}.{family}",
                                    "Anna", "Berg", 32, err),
                     IDM_ETOOBIG);
    assert_string_equal(out, "");
    /* exactly fitting is fine */
    idm_err_clear(err);
    assert_int_equal(
        idm_login_base(out, sizeof(out), "{given}", "Anna", "Berg", 32, err),
        0);
    assert_string_equal(out, "anna");
}

/* ---- idm_login_candidate ----------------------------------------------- */

static void test_candidate_suffix(void **state)
{
    (void)state;
    check_candidate("anna.mueller", 0, 32, "anna.mueller");
    check_candidate("anna.mueller", 1, 32, "anna.mueller");
    check_candidate("anna.mueller", 2, 32, "anna.mueller2");
    check_candidate("anna.mueller", 10, 32, "anna.mueller10");
    check_candidate("anna.mueller", 123, 32, "anna.mueller123");
}

static void test_candidate_shortens_base(void **state)
{
    (void)state;
    check_candidate("anna.mueller", 1, 12, "anna.mueller");
    check_candidate("anna.mueller", 2, 12, "anna.muelle2");
    check_candidate("anna.mueller", 10, 12, "anna.muell10");
    check_candidate("anna.mueller", 100, 12, "anna.muel100");
    /* a cut ending on '.' drops it rather than gluing "anna.2" */
    check_candidate("anna.mueller", 2, 6, "anna2");
    check_candidate("anna.mueller", 100, 6, "ann100");
    check_candidate("abcdefgh", 9, 8, "abcdefg9");
    check_candidate("abcdefgh", 10, 8, "abcdef10");
}

static void test_candidate_errors(void **state)
{
    idm_err *err = *state;
    char out[IDM_LOGIN_MAX + 16];
    char tiny[4];

    /* no room for the suffix at all */
    assert_int_equal(idm_login_candidate(out, sizeof(out), "abc", 10, 2, err),
                     IDM_ETOOBIG);
    assert_int_equal(err->code, IDM_ETOOBIG);
    idm_err_clear(err);
    assert_int_equal(idm_login_candidate(out, sizeof(out), "abc", 1, 0, err),
                     IDM_ETOOBIG);
    idm_err_clear(err);
    assert_int_equal(
        idm_login_candidate(tiny, sizeof(tiny), "abcdef", 2, 32, err),
        IDM_ETOOBIG);
    assert_non_null(strstr(err->msg, "buffer"));
}

/* The buffer must hold the tidied candidate, not the cut base; on an
 * error out is left as it was. */
static void test_candidate_small_buffer(void **state)
{
    idm_err *err = *state;
    char out[5];

    assert_int_equal(
        idm_login_candidate(out, sizeof(out), "anna.mueller", 0, 5, err), 0);
    assert_string_equal(out, "anna");
    assert_int_equal(idm_login_candidate(out, 4, "-abc", 1, 32, err), 0);
    assert_string_equal(out, "abc");
    memset(out, 'x', sizeof(out));
    assert_int_equal(
        idm_login_candidate(out, sizeof(out), "abcdef", 2, 32, err),
        IDM_ETOOBIG);
    assert_memory_equal(out, "xxxxx", sizeof(out));
    idm_err_clear(err);
}

static void test_candidate_always_valid(void **state)
{
    static const char *const bases[] = {
        "anna.mueller", "a.b", "x", "mueller-luedenscheidt", "anna-lena.berg",
    };
    idm_err err = IDM_ERR_INIT;
    char out[IDM_LOGIN_MAX + 16];

    (void)state;
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        for (int max_len = 8; max_len <= 24; max_len++) {
            for (unsigned n = 1; n <= 1200; n++) {
                assert_int_equal(idm_login_candidate(out, sizeof(out), bases[i],
                                                     n, max_len, &err),
                                 0);
                assert_true(strlen(out) <= (size_t)max_len);
                assert_true(idm_login_valid(out, max_len));
            }
        }
    }
}

/* ---- idm_login_pick ---------------------------------------------------- */

static void test_pick_free_base(void **state)
{
    static const char *const taken[] = {"anna.berg", "anna.mueller3"};

    (void)state;
    assert_int_equal(idm_login_pick("anna.mueller", NULL, 0, 32), 1);
    assert_int_equal(idm_login_pick("anna.mueller", taken, 2, 32), 1);
}

static void test_pick_collisions(void **state)
{
    static const char *const one[] = {"anna.mueller"};
    static const char *const three[] = {"anna.mueller3", "anna.mueller",
                                        "anna.mueller2"};

    (void)state;
    assert_int_equal(idm_login_pick("anna.mueller", one, 1, 32), 2);
    assert_int_equal(idm_login_pick("anna.mueller", three, 3, 32), 4);
}

static void test_pick_gaps(void **state)
{
    static const char *const gap[] = {"anna.mueller", "anna.mueller3"};
    static const char *const gap2[] = {"anna.mueller", "anna.mueller2",
                                       "anna.mueller4", "anna.mueller5"};

    (void)state;
    assert_int_equal(idm_login_pick("anna.mueller", gap, 2, 32), 2);
    assert_int_equal(idm_login_pick("anna.mueller", gap2, 4, 32), 3);
}

static void test_pick_ignores_lookalikes(void **state)
{
    /* what a LIKE 'prefix%' query returns: longer names, other suffixes */
    static const char *const taken[] = {
        "anna.muellerova", "anna.mueller-berg", "anna.mueller02",
        "anna.mueller",    "anna.muellers2",
    };

    (void)state;
    assert_int_equal(idm_login_pick("anna.mueller", taken, 5, 32), 2);
}

static void test_pick_cut_bases(void **state)
{
    static const char *const t1[] = {"abcdefgh"};
    static const char *const t2[] = {"abcdefgh", "abcdefg2", "abcdefg3",
                                     "abcdefg4", "abcdefg5", "abcdefg6",
                                     "abcdefg7", "abcdefg8", "abcdefg9"};
    /* uncut names would never have been issued at max_len 8 */
    static const char *const t3[] = {"abcdefgh", "abcdefgh2"};
    static const char *const t4[] = {"anna.b", "anna2"};
    idm_err err = IDM_ERR_INIT;
    char out[IDM_LOGIN_MAX + 16];
    unsigned n;

    (void)state;
    assert_int_equal(idm_login_pick("abcdefgh", t1, 1, 8), 2);
    n = idm_login_pick("abcdefgh", t2, 9, 8);
    assert_int_equal(n, 10);
    assert_int_equal(
        idm_login_candidate(out, sizeof(out), "abcdefgh", n, 8, &err), 0);
    assert_string_equal(out, "abcdef10");
    assert_int_equal(idm_login_pick("abcdefgh", t3, 2, 8), 2);
    /* "anna.b" cut for a suffix is "anna" + "2" */
    assert_int_equal(idm_login_pick("anna.b", t4, 2, 6), 3);
}

static void test_pick_result_is_free(void **state)
{
    enum { NTAKEN = 150 };
    char names[NTAKEN][IDM_LOGIN_MAX + 16];
    const char *taken[NTAKEN];
    idm_err err = IDM_ERR_INIT;
    char out[IDM_LOGIN_MAX + 16];
    unsigned n;

    (void)state;
    /* every candidate 1..150 of the cut base is taken, in reverse order */
    for (unsigned i = 0; i < NTAKEN; i++) {
        assert_int_equal(idm_login_candidate(names[i], sizeof(names[i]),
                                             "maximiliane.mueller", NTAKEN - i,
                                             12, &err),
                         0);
        taken[i] = names[i];
    }
    n = idm_login_pick("maximiliane.mueller", taken, NTAKEN, 12);
    assert_int_equal(n, NTAKEN + 1);
    assert_int_equal(idm_login_candidate(out, sizeof(out),
                                         "maximiliane.mueller", n, 12, &err),
                     0);
    assert_string_equal(out, "maximilia151");
    for (unsigned i = 0; i < NTAKEN; i++) {
        assert_string_not_equal(out, taken[i]);
    }
}

static void test_pick_stops_when_no_suffix_fits(void **state)
{
    static const char *const taken[] = {"a"};

    (void)state;
    /* max_len 1 leaves no room for "2"; the caller's candidate call fails */
    assert_int_equal(idm_login_pick("a", taken, 1, 1), 2);
}

/* ---- idm_login_valid --------------------------------------------------- */

static void test_valid(void **state)
{
    char longest[IDM_LOGIN_MAX + 2];

    (void)state;
    assert_true(idm_login_valid("anna.mueller", 32));
    assert_true(idm_login_valid("a", 32));
    assert_true(idm_login_valid("0815", 32));
    assert_true(idm_login_valid("anna-lena.berg2", 32));
    assert_true(idm_login_valid("abcdefgh", 8));

    assert_false(idm_login_valid("", 32));
    assert_false(idm_login_valid("abcdefghi", 8));
    assert_false(idm_login_valid("Anna", 32));
    assert_false(idm_login_valid("anNa", 32));
    assert_false(idm_login_valid("-anna", 32));
    assert_false(idm_login_valid(".anna", 32));
    assert_false(idm_login_valid("anna_berg", 32));
    assert_false(idm_login_valid("anna berg", 32));
    assert_false(idm_login_valid("anna@school", 32));
    assert_false(idm_login_valid("m\xC3\xBCller", 32));

    memset(longest, 'a', sizeof(longest) - 1);
    longest[IDM_LOGIN_MAX] = '\0';
    assert_true(idm_login_valid(longest, IDM_LOGIN_MAX));
    /* IDM_LOGIN_MAX caps whatever max_len says */
    longest[IDM_LOGIN_MAX] = 'a';
    longest[IDM_LOGIN_MAX + 1] = '\0';
    assert_false(idm_login_valid(longest, IDM_LOGIN_MAX + 10));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_err, teardown_err)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fold_umlauts),
        T(test_fold_sharp_s),
        T(test_fold_decomposed),
        T(test_fold_accents_and_latin_letters),
        T(test_fold_apostrophes),
        T(test_fold_hyphens_and_spaces),
        T(test_fold_collapses_separators),
        T(test_fold_trims_punctuation),
        T(test_fold_drops_other_characters),
        T(test_fold_nothing_usable),
        T(test_fold_invalid_utf8),
        T(test_base_patterns),
        T(test_base_compound_names),
        T(test_base_separators_collapse),
        T(test_base_one_name_unusable),
        T(test_base_nothing_usable),
        T(test_base_invalid_utf8),
        T(test_base_max_length),
        T(test_base_cut_never_ends_in_punctuation),
        T(test_base_buffer_too_small),
        T(test_candidate_suffix),
        T(test_candidate_shortens_base),
        T(test_candidate_errors),
        T(test_candidate_small_buffer),
        T(test_candidate_always_valid),
        T(test_pick_free_base),
        T(test_pick_collisions),
        T(test_pick_gaps),
        T(test_pick_ignores_lookalikes),
        T(test_pick_cut_bases),
        T(test_pick_result_is_free),
        T(test_pick_stops_when_no_suffix_fits),
        T(test_valid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
