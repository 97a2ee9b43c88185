/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests for the role table and unit types, plus the small pure helpers
 * of the model: idm_err, idm_name_normalize and idm_date_parse.
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

#include "base/err.h"
#include "idm/org.h"
#include "idm/role.h"
#include "idm/user.h"

/* Code points spelled out, so that each test says what it feeds in. */
#define CAPITAL_SHARP_S "\xE1\xBA\x9E"      /* U+1E9E */
#define COMB_DIAERESIS "\xCC\x88"           /* U+0308 */
#define COMB_ACUTE "\xCC\x81"               /* U+0301 */
#define COMB_CARON "\xCC\x8C"               /* U+030C */
#define COMB_MACRON "\xCC\x84"              /* U+0304 */
#define COMB_BREVE "\xCC\x86"               /* U+0306 */
#define COMB_RING_BELOW "\xCC\xA5"          /* U+0325 */
#define COMB_OGONEK "\xCC\xA8"              /* U+0328 */
#define COMB_DOUBLE_MACRON_BELOW "\xCD\x9F" /* U+035F */
#define RIGHT_QUOTE "\xE2\x80\x99"          /* U+2019 */
#define MODIFIER_APOSTROPHE "\xCA\xBC"      /* U+02BC */

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

static int has_affiliation(const idm_role_info *info, const char *aff)
{
    for (const char *const *a = info->affiliations; *a != NULL; a++) {
        if (strcmp(*a, aff) == 0) {
            return 1;
        }
    }
    return 0;
}

/* SchulConneX codes "must be interpreted independently of case"
 * (SchulConneX Codelisten), so compare them that way. */
static void assert_schulconnex(const idm_role_info *info, const char *code)
{
    if (g_ascii_strcasecmp(info->schulconnex, code) != 0) {
        print_error("%s: SchulConneX \"%s\", want \"%s\"\n", info->name,
                    info->schulconnex, code);
    }
    assert_int_equal(g_ascii_strcasecmp(info->schulconnex, code), 0);
}

/* ---- role table -------------------------------------------------------- */

static void test_role_round_trip(void **state)
{
    (void)state;
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        const idm_role_info *info = idm_role_get((idm_role)r);

        assert_non_null(info);
        assert_int_equal(info->role, r);
        assert_non_null(info->name);
        assert_ptr_equal(idm_role_lookup(info->name), info);
        /* names are unique */
        for (int o = 0; o < r; o++) {
            assert_string_not_equal(idm_role_get((idm_role)o)->name,
                                    info->name);
        }
    }
}

static void test_role_names(void **state)
{
    static const struct {
        const char *name;
        idm_role role;
    } names[] = {
        {"pupil", IDM_ROLE_PUPIL},
        {"teacher", IDM_ROLE_TEACHER},
        {"trainee", IDM_ROLE_TRAINEE},
        {"pedagogical_staff", IDM_ROLE_PEDAGOGICAL_STAFF},
        {"municipal_staff", IDM_ROLE_MUNICIPAL_STAFF},
        {"school_leader", IDM_ROLE_SCHOOL_LEADER},
        {"guardian", IDM_ROLE_GUARDIAN},
        {"authority_staff", IDM_ROLE_AUTHORITY_STAFF},
        {"ministry_staff", IDM_ROLE_MINISTRY_STAFF},
        {"school_admin", IDM_ROLE_SCHOOL_ADMIN},
        {"authority_admin", IDM_ROLE_AUTHORITY_ADMIN},
        {"ministry_admin", IDM_ROLE_MINISTRY_ADMIN},
    };

    (void)state;
    assert_int_equal(sizeof(names) / sizeof(names[0]), IDM_ROLE__COUNT);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const idm_role_info *info = idm_role_lookup(names[i].name);

        assert_non_null(info);
        assert_int_equal(info->role, names[i].role);
        assert_string_equal(idm_role_get(names[i].role)->name, names[i].name);
    }
}

static void test_role_unknown(void **state)
{
    static const char *const unknown[] = {
        "",      "Teacher", "TEACHER", "teacher ",     " teacher",
        "admin", "student", "Lehr",    "school-admin", "pupils",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_null(idm_role_lookup(unknown[i]));
    }
    assert_null(idm_role_lookup(NULL));
    assert_null(idm_role_get(IDM_ROLE__COUNT));
    assert_null(idm_role_get((idm_role)(IDM_ROLE__COUNT + 7)));
}

static void test_role_every_entry_complete(void **state)
{
    const unsigned all_types = (1u << IDM_ORG__COUNT) - 1;

    (void)state;
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        const idm_role_info *info = idm_role_get((idm_role)r);

        assert_non_null(info->label_de);
        assert_non_null(info->label_en);
        assert_true(info->label_de[0] != '\0');
        assert_true(info->label_en[0] != '\0');
        assert_true(g_utf8_validate(info->label_de, -1, NULL));
        assert_non_null(info->affiliations);
        assert_non_null(info->schulconnex);
        assert_true(info->schulconnex[0] != '\0');
        /* valid somewhere, and only at unit types that exist */
        assert_true(info->org_types != 0);
        assert_int_equal(info->org_types & ~all_types, 0);
        assert_true(info->is_admin == 0 || info->is_admin == 1);
    }
}

static void test_role_mapping(void **state)
{
    const idm_role_info *pupil = idm_role_lookup("pupil");
    const idm_role_info *teacher = idm_role_lookup("teacher");
    const idm_role_info *trainee = idm_role_lookup("trainee");
    const idm_role_info *guardian = idm_role_lookup("guardian");
    const idm_role_info *leader = idm_role_lookup("school_leader");

    (void)state;
    assert_schulconnex(pupil, "Lern");
    assert_true(has_affiliation(pupil, "student"));
    assert_false(has_affiliation(pupil, "faculty"));
    assert_false(has_affiliation(pupil, "employee"));

    assert_schulconnex(teacher, "Lehr");
    assert_true(has_affiliation(teacher, "faculty"));
    assert_false(has_affiliation(teacher, "student"));

    assert_schulconnex(trainee, "Lehr");
    assert_true(has_affiliation(trainee, "faculty"));

    assert_schulconnex(guardian, "SorgBer");
    assert_true(has_affiliation(guardian, "affiliate"));
    /* a guardian is neither staff nor pupil of the school */
    assert_false(has_affiliation(guardian, "student"));
    assert_false(has_affiliation(guardian, "faculty"));
    assert_false(has_affiliation(guardian, "member"));

    assert_schulconnex(leader, "Leit");
    assert_true(has_affiliation(leader, "faculty"));
    assert_false(leader->is_admin);
}

static void test_role_admins(void **state)
{
    static const struct {
        const char *name;
        const char *schulconnex;
    } admins[] = {
        {"school_admin", "OrgAdmin"},
        {"authority_admin", "OrgAdmin"},
        {"ministry_admin", "SysAdmin"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(admins) / sizeof(admins[0]); i++) {
        const idm_role_info *info = idm_role_lookup(admins[i].name);

        assert_non_null(info);
        assert_int_equal(info->is_admin, 1);
        assert_schulconnex(info, admins[i].schulconnex);
    }
    /* nobody else administers */
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        const idm_role_info *info = idm_role_get((idm_role)r);

        if (r != IDM_ROLE_SCHOOL_ADMIN && r != IDM_ROLE_AUTHORITY_ADMIN &&
            r != IDM_ROLE_MINISTRY_ADMIN) {
            assert_int_equal(info->is_admin, 0);
        }
    }
}

static void test_role_valid_at(void **state)
{
    /* expected[role] = {ministry, authority, school, school_board} */
    static const int expected[IDM_ROLE__COUNT][IDM_ORG__COUNT] = {
        [IDM_ROLE_PUPIL] = {0, 0, 1, 0},
        [IDM_ROLE_TEACHER] = {0, 0, 1, 0},
        [IDM_ROLE_TRAINEE] = {0, 0, 1, 0},
        [IDM_ROLE_PEDAGOGICAL_STAFF] = {0, 0, 1, 0},
        [IDM_ROLE_MUNICIPAL_STAFF] = {0, 0, 1, 1},
        [IDM_ROLE_SCHOOL_LEADER] = {0, 0, 1, 0},
        [IDM_ROLE_GUARDIAN] = {0, 0, 1, 0},
        [IDM_ROLE_AUTHORITY_STAFF] = {0, 1, 0, 0},
        [IDM_ROLE_MINISTRY_STAFF] = {1, 0, 0, 0},
        [IDM_ROLE_SCHOOL_ADMIN] = {0, 0, 1, 0},
        [IDM_ROLE_AUTHORITY_ADMIN] = {0, 1, 0, 0},
        [IDM_ROLE_MINISTRY_ADMIN] = {1, 0, 0, 0},
    };

    (void)state;
    assert_true(idm_role_valid_at(IDM_ROLE_TEACHER, IDM_ORG_SCHOOL));
    assert_false(idm_role_valid_at(IDM_ROLE_TEACHER, IDM_ORG_AUTHORITY));
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        for (int t = 0; t < IDM_ORG__COUNT; t++) {
            int got = idm_role_valid_at((idm_role)r, (idm_org_type)t);

            if (got != expected[r][t]) {
                print_error("%s at %s: got %d\n",
                            idm_role_get((idm_role)r)->name,
                            idm_org_type_name((idm_org_type)t), got);
            }
            assert_int_equal(got, expected[r][t]);
        }
        /* fail closed on types that do not exist */
        assert_false(idm_role_valid_at((idm_role)r, IDM_ORG__COUNT));
    }
    assert_false(idm_role_valid_at(IDM_ROLE__COUNT, IDM_ORG_SCHOOL));
}

/* ---- unit types -------------------------------------------------------- */

static void test_org_type_round_trip(void **state)
{
    static const char *const names[IDM_ORG__COUNT] = {
        [IDM_ORG_MINISTRY] = "ministry",
        [IDM_ORG_AUTHORITY] = "authority",
        [IDM_ORG_SCHOOL] = "school",
        [IDM_ORG_SCHOOL_BOARD] = "school_board",
    };

    (void)state;
    for (int t = 0; t < IDM_ORG__COUNT; t++) {
        idm_org_type parsed = IDM_ORG__COUNT;

        assert_string_equal(idm_org_type_name((idm_org_type)t), names[t]);
        assert_int_equal(idm_org_type_parse(&parsed, names[t]), 0);
        assert_int_equal(parsed, t);
    }
}

static void test_org_type_unknown(void **state)
{
    static const char *const bad[] = {"",      "School",       "schools",
                                      "board", "school-board", "ministry "};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        idm_org_type parsed = IDM_ORG_SCHOOL_BOARD;

        assert_int_equal(idm_org_type_parse(&parsed, bad[i]), IDM_EINVAL);
        assert_int_equal(parsed, IDM_ORG_SCHOOL_BOARD); /* untouched */
    }
    {
        idm_org_type parsed = IDM_ORG_SCHOOL;

        assert_int_equal(idm_org_type_parse(&parsed, NULL), IDM_EINVAL);
    }
    assert_string_equal(idm_org_type_name(IDM_ORG__COUNT), "unknown");
    assert_string_equal(idm_org_type_name((idm_org_type)42), "unknown");
}

/* ---- idm_err ----------------------------------------------------------- */

static void test_err_texts(void **state)
{
    (void)state;
    /* the one list in err.h is what both lookups return */
#define CHECK_CODE(name, value, text)                                          \
    assert_string_equal(idm_strerror(value), text);                            \
    assert_string_equal(idm_errname(value), #name);                            \
    assert_int_equal(name, value);
    IDM_ERROR_LIST(CHECK_CODE)
#undef CHECK_CODE

    assert_string_equal(idm_strerror(IDM_ENOTFOUND), "not found");
    assert_string_equal(idm_errname(IDM_EAUTH), "IDM_EAUTH");
    assert_string_equal(idm_strerror(-999), "unknown error");
    assert_string_equal(idm_strerror(1), "unknown error");
    assert_string_equal(idm_errname(-999), "IDM_E?");
    assert_string_equal(idm_errname(1), "IDM_E?");
}

static void test_err_set(void **state)
{
    idm_err *err = *state;
    const idm_err zero = IDM_ERR_INIT;

    assert_int_equal(zero.code, IDM_OK);
    assert_string_equal(zero.msg, "");
    assert_string_equal(zero.detail, "");

    strcpy(err->detail, "stale detail");
    assert_int_equal(
        idm_err_set(err, IDM_ENOTFOUND, "no user \"%s\" in %d", "anna.berg", 3),
        IDM_ENOTFOUND);
    assert_int_equal(err->code, IDM_ENOTFOUND);
    assert_string_equal(err->msg, "no user \"anna.berg\" in 3");
    assert_string_equal(err->detail, ""); /* set clears detail */

    /* err may be NULL: the code still comes back */
    assert_int_equal(idm_err_set(NULL, IDM_EDB, "ignored %d", 1), IDM_EDB);
}

static void test_err_set_default_text(void **state)
{
    idm_err *err = *state;
    /* through a pointer without the format attribute: a NULL format is
     * allowed by the API and means "use idm_strerror()" */
    int (*set)(idm_err *, int, const char *, ...) = idm_err_set;

    assert_int_equal(set(err, IDM_ELOCKED, NULL), IDM_ELOCKED);
    assert_string_equal(err->msg, "account locked");
}

static void test_err_set_truncates(void **state)
{
    idm_err *err = *state;
    char long_text[600];

    memset(long_text, 'm', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(idm_err_set(err, IDM_EINVAL, "%s", long_text), IDM_EINVAL);
    assert_int_equal(strlen(err->msg), sizeof(err->msg) - 1);
}

static void test_err_detail(void **state)
{
    idm_err *err = *state;

    idm_err_set(err, IDM_EDB, "database error");
    idm_err_detail(err, "SQLSTATE %s", "23505");
    assert_string_equal(err->detail, "SQLSTATE 23505");
    idm_err_detail(err, "constraint %s", "account_login_key");
    assert_string_equal(err->detail,
                        "SQLSTATE 23505; constraint account_login_key");
    idm_err_detail(err, "try %d", 2);
    assert_string_equal(err->detail,
                        "SQLSTATE 23505; constraint account_login_key; try 2");
    /* detail does not touch code or msg */
    assert_int_equal(err->code, IDM_EDB);
    assert_string_equal(err->msg, "database error");

    /* a new error starts a new detail */
    idm_err_set(err, IDM_EIO, "read failed");
    idm_err_detail(err, "errno %d", 5);
    assert_string_equal(err->detail, "errno 5");

    idm_err_detail(NULL, "ignored %d", 1); /* accepted */
}

static void test_err_detail_full(void **state)
{
    idm_err *err = *state;
    char chunk[300];

    memset(chunk, 'd', sizeof(chunk) - 1);
    chunk[sizeof(chunk) - 1] = '\0';
    idm_err_set(err, IDM_EDB, "database error");
    idm_err_detail(err, "%s", chunk);
    idm_err_detail(err, "%s", chunk);
    /* truncated, still terminated */
    assert_int_equal(strlen(err->detail), sizeof(err->detail) - 1);
    assert_int_equal(strncmp(err->detail + 299, "; d", 3), 0);
    idm_err_detail(err, "more");
    assert_int_equal(strlen(err->detail), sizeof(err->detail) - 1);
    assert_null(strstr(err->detail, "more"));
}

static void test_err_clear(void **state)
{
    idm_err *err = *state;

    idm_err_set(err, IDM_EDENIED, "no");
    idm_err_detail(err, "policy %s", "x");
    idm_err_clear(err);
    assert_int_equal(err->code, IDM_OK);
    assert_string_equal(err->msg, "");
    assert_string_equal(err->detail, "");
    idm_err_clear(NULL); /* accepted */
}

/* ---- idm_name_normalize ------------------------------------------------ */

static void check_name(const char *in, const char *want)
{
    idm_err err = IDM_ERR_INIT;
    char *out = NULL;
    int rc = idm_name_normalize(&out, "given", in, &err);

    if (rc != 0) {
        print_error("normalize(\"%s\"): %s\n", in, err.msg);
    }
    assert_int_equal(rc, 0);
    assert_non_null(out);
    assert_string_equal(out, want);
    g_free(out);
}

static void check_name_rejected(const char *in, const char *why)
{
    idm_err err = IDM_ERR_INIT;
    char sentinel = 'x';
    char *out = &sentinel;
    int rc = idm_name_normalize(&out, "family", in, &err);

    if (rc != IDM_EINVAL) {
        print_error("normalize(\"%s\") accepted as \"%s\"\n",
                    in != NULL ? in : "(null)", rc == 0 ? out : "");
        if (rc == 0) {
            g_free(out);
        }
    }
    assert_int_equal(rc, IDM_EINVAL);
    assert_null(out);
    assert_int_equal(strncmp(err.msg, "family: ", 8), 0);
    assert_non_null(strstr(err.msg, why));
}

static void test_name_nfc_and_trim(void **state)
{
    (void)state;
    check_name("Anna", "Anna");
    check_name("  Anna  ", "Anna");
    check_name("\tAnna Lena\n", "Anna Lena");
    /* u + combining diaeresis composes to U+00FC */
    check_name("Mu" COMB_DIAERESIS "ller", "Müller");
    /* e + combining acute composes to U+00E9 */
    check_name("Rene" COMB_ACUTE, "René");
    /* Unicode spaces too (regression: only ASCII blanks were trimmed) */
    check_name("\u00a0Anna\u2003", "Anna");
    check_name("Anna\u00a0Lena", "Anna\u00a0Lena");
}

static void test_name_din91379(void **state)
{
    (void)state;
    /* letter + combining mark sequences without a precomposed form,
     * from DIN 91379 "bllt1"; already NFC, so kept byte for byte */
    check_name("L" COMB_RING_BELOW COMB_MACRON "ena",
               "L" COMB_RING_BELOW COMB_MACRON "ena");
    check_name("J" COMB_CARON "an", "J" COMB_CARON "an");
    check_name("C" COMB_OGONEK COMB_BREVE "a", "C" COMB_OGONEK COMB_BREVE "a");
    check_name("K" COMB_DOUBLE_MACRON_BELOW "Han",
               "K" COMB_DOUBLE_MACRON_BELOW "Han");
    check_name("Ǻsa", "Ǻsa");
    check_name("Ştefan Şerban", "Ştefan Şerban");
    check_name("STRAU" CAPITAL_SHARP_S, "STRAU" CAPITAL_SHARP_S);
    check_name("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai");
    /* apostrophes, particles, hyphens */
    check_name("O'Brien", "O'Brien");
    check_name("D" RIGHT_QUOTE "Angelo", "D" RIGHT_QUOTE "Angelo");
    check_name("N" MODIFIER_APOSTROPHE "Diaye",
               "N" MODIFIER_APOSTROPHE "Diaye");
    check_name("von der Heide", "von der Heide");
    check_name("de la Cruz y Olivares", "de la Cruz y Olivares");
    check_name("Müller-Lüdenscheidt", "Müller-Lüdenscheidt");
}

static void test_name_control_characters(void **state)
{
    (void)state;
    check_name_rejected("An\tna", "(U+0009)");
    check_name_rejected("An\nna", "(U+000A)");
    check_name_rejected("An\x01na", "(U+0001)");
    check_name_rejected("Anna\x7F", "(U+007F)");
    check_name_rejected("An\xC2\x85na", "(U+0085)");     /* NEL */
    check_name_rejected("An\xE2\x80\xAEna", "(U+202E)"); /* RLO */
    check_name_rejected("An\xE2\x80\x8Dna", "(U+200D)"); /* ZWJ */
    check_name_rejected("An\xE2\x80\xA8na", "(U+2028)"); /* LINE SEP */
    check_name_rejected("An\xEE\x80\x80na", "(U+E000)"); /* private use */
    check_name_rejected("An\xCD\xB8na", "(U+0378)");     /* unassigned */
}

static void test_name_length(void **state)
{
    GString *s = g_string_new(NULL);
    char *out = NULL;
    idm_err err = IDM_ERR_INIT;

    (void)state;
    check_name_rejected("", "must be 1 to 200 characters");
    check_name_rejected("   ", "must be 1 to 200 characters");
    check_name_rejected(" \t\n ", "must be 1 to 200 characters");

    /* 200 decomposed ä: 400 code points in, 200 characters after NFC */
    for (int i = 0; i < 200; i++) {
        g_string_append(s, "a" COMB_DIAERESIS);
    }
    assert_int_equal(idm_name_normalize(&out, "given", s->str, &err), 0);
    assert_int_equal(g_utf8_strlen(out, -1), 200);
    assert_int_equal(strlen(out), 400);
    g_free(out);

    g_string_append(s, "x");
    check_name_rejected(s->str, "must be 1 to 200 characters");
    g_string_free(s, TRUE);
}

static void test_name_invalid_utf8(void **state)
{
    (void)state;
    check_name_rejected("\xFF", "not valid UTF-8");
    check_name_rejected("M\xC3\x28ller", "not valid UTF-8");
    check_name_rejected("Mu\xCC", "not valid UTF-8");
    check_name_rejected("\xC0\xAF", "not valid UTF-8");
    check_name_rejected(NULL, "not valid UTF-8");
}

/* ---- idm_date_parse ---------------------------------------------------- */

static void check_date(const char *in, const char *want)
{
    idm_err err = IDM_ERR_INIT;
    char out[11];
    int rc;

    memset(out, 'X', sizeof(out));
    rc = idm_date_parse(out, "birth", in, &err);
    if (rc != 0) {
        print_error("date(\"%s\"): %s\n", in, err.msg);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(out, want);
}

static void check_date_rejected(const char *in)
{
    idm_err err = IDM_ERR_INIT;
    char out[11];
    int rc;

    memset(out, 'X', sizeof(out));
    rc = idm_date_parse(out, "birth", in, &err);
    if (rc != IDM_EINVAL) {
        print_error("date(\"%s\") accepted\n", in != NULL ? in : "(null)");
    }
    assert_int_equal(rc, IDM_EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(err.code, IDM_EINVAL);
    assert_int_equal(strncmp(err.msg, "birth: ", 7), 0);
    assert_non_null(strstr(err.msg, "is not a date"));
    if (in != NULL) {
        char *quoted = g_strdup_printf("\"%s\"", in);

        assert_non_null(strstr(err.msg, quoted));
        g_free(quoted);
    }
}

static void test_date_formats(void **state)
{
    (void)state;
    check_date("2012-05-17", "2012-05-17");
    check_date("17.05.2012", "2012-05-17");
    check_date("2020-02-29", "2020-02-29");
    check_date("29.02.2020", "2020-02-29");
    check_date("2000-02-29", "2000-02-29");
    check_date("1900-01-01", "1900-01-01");
    check_date("01.01.1900", "1900-01-01");
    check_date("31.12.9999", "9999-12-31");
}

static void test_date_rejected(void **state)
{
    static const char *const bad[] = {
        "31.02.2020",  "2020-13-01",  "1.1.2020",    "2020-01-01x",
        "2020-01-01 ", "29.02.2019",  "29.02.1900",  "1899-12-31",
        "31.12.1899",  "2020-00-10",  "2020-01-00",  "00.01.2020",
        "32.01.2020",  "2020/01/01",  "20200101",    "2020-1-1",
        "01-01-2020",  "2020.01.01",  "+2020-01-01", "",
        "01.01.20201", "10000-01-01", "2020-02-30",  "x",
        /* sscanf's %u used to accept blanks and signs in a field */
        " 1.01.2020",  "+1.01.2020",  "2020-+1-01",  "2020- 1-01",
        "01.-1.2020",  "01.01.+020",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check_date_rejected(bad[i]);
    }
    check_date_rejected(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_err, teardown_err)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_role_round_trip),
        T(test_role_names),
        T(test_role_unknown),
        T(test_role_every_entry_complete),
        T(test_role_mapping),
        T(test_role_admins),
        T(test_role_valid_at),
        T(test_org_type_round_trip),
        T(test_org_type_unknown),
        T(test_err_texts),
        T(test_err_set),
        T(test_err_set_default_text),
        T(test_err_set_truncates),
        T(test_err_detail),
        T(test_err_detail_full),
        T(test_err_clear),
        T(test_name_nfc_and_trim),
        T(test_name_din91379),
        T(test_name_control_characters),
        T(test_name_length),
        T(test_name_invalid_utf8),
        T(test_date_formats),
        T(test_date_rejected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
