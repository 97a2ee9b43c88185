/* SPDX-License-Identifier: EUPL-1.2
 * The policy engine against the shipped catalogue: every application for
 * every role at every kind of unit (expected values written down from the
 * catalogue's specification, not read from the files), conditions, a role
 * at two schools, the privacy rules, and delegated administration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm/policy.h"

static idm_policy *policy;

static int group_setup(void **state)
{
    idm_err err = IDM_ERR_INIT;

    (void)state;
    if (idm_policy_load(&policy, IDM_TEST_POLICIES_DIR, NULL, NULL, &err) !=
        0) {
        fprintf(stderr, "cannot load the policy: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    idm_policy_unref(policy);
    return 0;
}

/* A subject with the given roles, all at the given units. */
typedef struct fake {
    idm_subject s;
    idm_subject_role roles[4];
    char *groups[4];
} fake;

static void fake_init(fake *f, const char *login)
{
    memset(f, 0, sizeof(*f));
    f->s.login = (char *)(uintptr_t)login;
    f->s.uuid = (char *)(uintptr_t) "00000000-0000-4000-8000-000000000001";
    f->s.given_name = (char *)(uintptr_t) "Erika";
    f->s.family_name = (char *)(uintptr_t) "Mustermann";
    f->s.birth_date = (char *)(uintptr_t) "2010-06-15";
    f->s.active = 1;
    f->s.roles = f->roles;
    f->s.staff_groups = f->groups;
}

static void fake_role(fake *f, idm_role role, idm_org_type type,
                      const char *code, const char *class_name)
{
    idm_subject_role *r = &f->roles[f->s.nroles++];

    r->role = role;
    r->org_type = type;
    r->org_code = (char *)(uintptr_t)code;
    r->school_code = NULL;
    if (type == IDM_ORG_SCHOOL) {
        static char codes[8][16];
        static int next;
        char *c = codes[next++ % 8];
        snprintf(c, 16, "DE-MV-%s", code);
        r->school_code = c;
    }
    r->group_name = (char *)(uintptr_t)class_name;
}

/* The unit type where each role is held in these tests. */
static idm_org_type home_of(idm_role role)
{
    switch (role) {
    case IDM_ROLE_AUTHORITY_STAFF:
    case IDM_ROLE_AUTHORITY_ADMIN:
        return IDM_ORG_AUTHORITY;
    case IDM_ROLE_MINISTRY_STAFF:
    case IDM_ROLE_MINISTRY_ADMIN:
        return IDM_ORG_MINISTRY;
    default:
        return IDM_ORG_SCHOOL;
    }
}

static const char *code_of(idm_org_type t)
{
    return t == IDM_ORG_SCHOOL      ? "75123"
           : t == IDM_ORG_AUTHORITY ? "ssa-schwerin"
           : t == IDM_ORG_MINISTRY  ? "bm-mv"
                                    : "lk-nwm";
}

/*
 * Expected verdicts, one string per role in idm_role order, one letter per
 * application in APPS order: A allow, R reauth, - deny. From the issue:
 * lms: pupils, teachers, trainees, pedagogical staff, school leaders.
 * stundenplan: everyone with a role at the school; guardians read-only.
 * klassenbuch: teachers, trainees, school leaders.
 * notenbuch: teachers, school leaders; pupils and guardians view.
 * schulverwaltung: school leaders, school office, school authorities.
 * auswertung: school leaders, boards, authorities, ministry.
 * mail: everyone employed at a school, authority and ministry staff.
 * stellenboerse: school leaders, authorities, ministry.
 * diagnostik (reauth): special-needs teachers, school leaders,
 *   authorities, ministry.
 * personalverwaltung (reauth): authority and ministry staff.
 */
static const char *const APPS[] = {
    "lms",
    "stundenplan",
    "klassenbuch",
    "notenbuch",
    "schulverwaltung",
    "auswertung",
    "mail",
    "stellenboerse",
    "diagnostik",
    "personalverwaltung",
};
#define NAPPS (sizeof(APPS) / sizeof(APPS[0]))

static const char *const EXPECTED[IDM_ROLE__COUNT] = {
    /*                         lms stu kla not sch aus mai ste dia per */
    [IDM_ROLE_PUPIL] = "A"
                       "A"
                       "-"
                       "A"
                       "-"
                       "-"
                       "-"
                       "-"
                       "-"
                       "-",
    [IDM_ROLE_TEACHER] = "A"
                         "A"
                         "A"
                         "A"
                         "-"
                         "-"
                         "A"
                         "-"
                         "-"
                         "-",
    [IDM_ROLE_TRAINEE] = "A"
                         "A"
                         "A"
                         "-"
                         "-"
                         "-"
                         "A"
                         "-"
                         "-"
                         "-",
    [IDM_ROLE_PEDAGOGICAL_STAFF] = "A"
                                   "A"
                                   "-"
                                   "-"
                                   "-"
                                   "-"
                                   "A"
                                   "-"
                                   "-"
                                   "-",
    [IDM_ROLE_MUNICIPAL_STAFF] = "-"
                                 "A"
                                 "-"
                                 "-"
                                 "A"
                                 "-"
                                 "A"
                                 "-"
                                 "-"
                                 "-",
    [IDM_ROLE_SCHOOL_LEADER] = "A"
                               "A"
                               "A"
                               "A"
                               "A"
                               "A"
                               "A"
                               "A"
                               "R"
                               "-",
    [IDM_ROLE_GUARDIAN] = "-"
                          "A"
                          "-"
                          "A"
                          "-"
                          "-"
                          "-"
                          "-"
                          "-"
                          "-",
    [IDM_ROLE_AUTHORITY_STAFF] = "-"
                                 "-"
                                 "-"
                                 "-"
                                 "A"
                                 "A"
                                 "A"
                                 "A"
                                 "R"
                                 "R",
    [IDM_ROLE_MINISTRY_STAFF] = "-"
                                "-"
                                "-"
                                "-"
                                "-"
                                "A"
                                "A"
                                "A"
                                "R"
                                "R",
    [IDM_ROLE_SCHOOL_ADMIN] = "-"
                              "A"
                              "-"
                              "-"
                              "-"
                              "-"
                              "-"
                              "-"
                              "-"
                              "-",
    [IDM_ROLE_AUTHORITY_ADMIN] = "-"
                                 "-"
                                 "-"
                                 "-"
                                 "-"
                                 "-"
                                 "-"
                                 "-"
                                 "-"
                                 "-",
    [IDM_ROLE_MINISTRY_ADMIN] = "-"
                                "-"
                                "-"
                                "-"
                                "-"
                                "-"
                                "-"
                                "-"
                                "-"
                                "-",
};

static char letter(idm_verdict v)
{
    return v == IDM_VERDICT_ALLOW ? 'A' : v == IDM_VERDICT_REAUTH ? 'R' : '-';
}

static void test_catalogue_is_complete(void **state)
{
    (void)state;
    assert_int_equal(idm_policy_app_count(policy), NAPPS);
    for (size_t a = 0; a < NAPPS; a++) {
        const idm_app *app = idm_policy_app_find(policy, APPS[a]);
        assert_non_null(app);
        assert_true(strlen(app->name) > 0);
        assert_true(strlen(app->description) > 0);
        assert_true(strlen(app->category) > 0);
        assert_non_null(strstr(app->portal_url, "https://"));
    }
    assert_int_equal(idm_policy_app_find(policy, "diagnostik")->sso,
                     IDM_SSO_REAUTH);
    assert_int_equal(idm_policy_app_find(policy, "personalverwaltung")->sso,
                     IDM_SSO_REAUTH);
    assert_true(idm_policy_app_find(policy, "diagnostik")->session_max <= 900);
    assert_null(idm_policy_app_find(policy, "nosuch"));
}

static void test_every_app_for_every_role(void **state)
{
    (void)state;
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        idm_org_type t = home_of((idm_role)r);
        fake f;

        fake_init(&f, "probe");
        fake_role(&f, (idm_role)r, t, code_of(t), NULL);
        for (size_t a = 0; a < NAPPS; a++) {
            idm_decision d;
            idm_policy_decide(&d, policy, APPS[a], &f.s, "2026-11-22");
            if (letter(d.verdict) != EXPECTED[r][a]) {
                print_error("%s at %s for %s: got %c, expected %c (%s)\n",
                            idm_role_get((idm_role)r)->name, code_of(t),
                            APPS[a], letter(d.verdict), EXPECTED[r][a],
                            d.reason);
            }
            assert_int_equal(letter(d.verdict), EXPECTED[r][a]);
            if (d.verdict == IDM_VERDICT_DENY) {
                assert_null(d.rule_id);
                assert_int_equal(d.attributes, 0);
            } else {
                assert_non_null(d.rule_id);
                assert_true(d.attributes & (1u << IDM_ATTR_PAIRWISE_ID));
            }
        }
    }
}

static void test_scope_matters(void **state)
{
    fake f;
    idm_decision d;

    (void)state;
    /* municipal staff of a school board reach the reporting system, those
     * at a school only their school's office software */
    fake_init(&f, "board");
    fake_role(&f, IDM_ROLE_MUNICIPAL_STAFF, IDM_ORG_SCHOOL_BOARD, "lk-nwm",
              NULL);
    idm_policy_decide(&d, policy, "auswertung", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_ALLOW);
    assert_string_equal(d.grants, "board");
    idm_policy_decide(&d, policy, "schulverwaltung", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_DENY);
    idm_policy_decide(&d, policy, "mail", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_DENY);
}

static void test_grants_view_and_read_roles(void **state)
{
    fake f;
    idm_decision d;

    (void)state;
    fake_init(&f, "parent");
    fake_role(&f, IDM_ROLE_GUARDIAN, IDM_ORG_SCHOOL, "75123", NULL);
    idm_policy_decide(&d, policy, "stundenplan", &f.s, "2026-11-22");
    assert_string_equal(d.grants, "read");
    idm_policy_decide(&d, policy, "notenbuch", &f.s, "2026-11-22");
    assert_string_equal(d.grants, "view");
    fake_init(&f, "teacher");
    fake_role(&f, IDM_ROLE_TEACHER, IDM_ORG_SCHOOL, "75123", NULL);
    idm_policy_decide(&d, policy, "notenbuch", &f.s, "2026-11-22");
    assert_string_equal(d.grants, "edit");
}

static void test_special_needs_teacher(void **state)
{
    fake f;
    idm_decision d;

    (void)state;
    fake_init(&f, "foerder");
    fake_role(&f, IDM_ROLE_TEACHER, IDM_ORG_SCHOOL, "75123", NULL);
    idm_policy_decide(&d, policy, "diagnostik", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_DENY);
    /* the staff group of another school does not count */
    f.groups[0] = (char *)(uintptr_t) "71234/Sonderpädagogik";
    idm_policy_decide(&d, policy, "diagnostik", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_DENY);
    f.groups[0] = (char *)(uintptr_t) "75123/Sonderpädagogik";
    idm_policy_decide(&d, policy, "diagnostik", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_REAUTH);
    assert_string_equal(d.rule_id, "special-needs-teachers");
    assert_true(d.session_max <= 900);
}

static void test_role_at_two_schools(void **state)
{
    fake f;
    idm_decision d;
    idm_attr_value *v = NULL;
    size_t n = 0;
    int codes = 0, classes = 0;

    (void)state;
    fake_init(&f, "wanderer");
    fake_role(&f, IDM_ROLE_TEACHER, IDM_ORG_SCHOOL, "75123", NULL);
    fake_role(&f, IDM_ROLE_PUPIL, IDM_ORG_SCHOOL, "71234", "BF-Kfz 1");
    idm_policy_decide(&d, policy, "lms", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_ALLOW);
    assert_int_equal(d.nmatches, 2);
    idm_policy_release(&v, &n, &d, &f.s);
    for (size_t i = 0; i < n; i++) {
        if (v[i].info->attr == IDM_ATTR_SCHOOL_CODE) {
            for (size_t k = 0; v[i].values[k] != NULL; k++) {
                codes++;
            }
        }
        if (v[i].info->attr == IDM_ATTR_SCHOOL_CLASS) {
            assert_string_equal(v[i].values[0], "DE-MV-71234:BF-Kfz 1");
            classes++;
        }
    }
    assert_int_equal(codes, 2);
    assert_int_equal(classes, 1);
    idm_attr_values_free(v, n);

    /* klassenbuch: only the teacher context counts */
    idm_policy_decide(&d, policy, "klassenbuch", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_ALLOW);
    assert_int_equal(d.nmatches, 1);
    assert_string_equal(f.s.roles[d.matches[0]].org_code, "75123");
}

static int released(const idm_decision *d, idm_attr a)
{
    return (d->attributes & (1u << a)) != 0;
}

static void test_privacy_flags_withhold_names(void **state)
{
    fake f;
    idm_decision d;

    (void)state;
    for (int flag = 0; flag < 2; flag++) {
        fake_init(&f, "geschuetzt");
        fake_role(&f, IDM_ROLE_PUPIL, IDM_ORG_SCHOOL, "75123", "7a");
        if (flag == 0) {
            f.s.info_block = 1;
        } else {
            f.s.processing_restricted = 1;
        }
        idm_policy_decide(&d, policy, "lms", &f.s, "2026-11-22");
        assert_int_equal(d.verdict, IDM_VERDICT_ALLOW);
        assert_true(d.privacy_reduced);
        assert_true(released(&d, IDM_ATTR_PAIRWISE_ID));
        assert_true(released(&d, IDM_ATTR_AFFILIATION));
        assert_true(released(&d, IDM_ATTR_SCHULCONNEX_ROLE));
        assert_false(released(&d, IDM_ATTR_GIVEN_NAME));
        assert_false(released(&d, IDM_ATTR_SN));
        assert_false(released(&d, IDM_ATTR_DISPLAY_NAME));
        assert_false(released(&d, IDM_ATTR_SCHOOL_CODE));
        assert_false(released(&d, IDM_ATTR_SCHOOL_CLASS));
    }
    /* the mail system is entitled: a mailbox needs the owner's name */
    fake_init(&f, "lehrerin");
    fake_role(&f, IDM_ROLE_TEACHER, IDM_ORG_SCHOOL, "75123", NULL);
    f.s.info_block = 1;
    idm_policy_decide(&d, policy, "mail", &f.s, "2026-11-22");
    assert_false(d.privacy_reduced);
    assert_true(released(&d, IDM_ATTR_GIVEN_NAME));
    /* without flags nothing is withheld */
    f.s.info_block = 0;
    idm_policy_decide(&d, policy, "lms", &f.s, "2026-11-22");
    assert_false(d.privacy_reduced);
    assert_true(released(&d, IDM_ATTR_DISPLAY_NAME));
}

static void test_release_values(void **state)
{
    fake f;
    idm_decision d;
    idm_attr_value *v = NULL;
    size_t n = 0;

    (void)state;
    fake_init(&f, "mia");
    fake_role(&f, IDM_ROLE_PUPIL, IDM_ORG_SCHOOL, "75123", "7a");
    idm_policy_decide(&d, policy, "notenbuch", &f.s, "2026-11-22");
    idm_policy_release(&v, &n, &d, &f.s);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        const char *first = v[i].values[0];
        switch (v[i].info->attr) {
        case IDM_ATTR_PAIRWISE_ID:
            assert_null(first); /* computed per SP by the IdP */
            break;
        case IDM_ATTR_GIVEN_NAME:
            assert_string_equal(first, "Erika");
            break;
        case IDM_ATTR_SN:
            assert_string_equal(first, "Mustermann");
            break;
        case IDM_ATTR_SCHOOL_CODE:
            assert_string_equal(first, "DE-MV-75123");
            break;
        case IDM_ATTR_SCHOOL_CLASS:
            assert_string_equal(first, "DE-MV-75123:7a");
            break;
        case IDM_ATTR_ENTITLEMENT:
            assert_string_equal(first, "urn:de:schule-mv:app:notenbuch:view");
            break;
        default:
            fail_msg("attribute %s is not in notenbuch's release list",
                     v[i].info->name);
        }
    }
    idm_attr_values_free(v, n);
    /* a denial releases nothing */
    idm_policy_decide(&d, policy, "mail", &f.s, "2026-11-22");
    idm_policy_release(&v, &n, &d, &f.s);
    assert_int_equal(n, 0);
    idm_attr_values_free(v, n);
}

static void test_inactive_and_unknown(void **state)
{
    fake f;
    idm_decision d;

    (void)state;
    fake_init(&f, "gesperrt");
    fake_role(&f, IDM_ROLE_TEACHER, IDM_ORG_SCHOOL, "75123", NULL);
    f.s.active = 0;
    idm_policy_decide(&d, policy, "lms", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_DENY);
    assert_non_null(strstr(d.reason, "not active"));
    f.s.active = 1;
    idm_policy_decide(&d, policy, "nosuch", &f.s, "2026-11-22");
    assert_int_equal(d.verdict, IDM_VERDICT_DENY);
    assert_null(d.app);
    assert_non_null(strstr(d.reason, "no application"));
    /* no roles at all: default deny everywhere */
    fake_init(&f, "niemand");
    for (size_t a = 0; a < NAPPS; a++) {
        idm_policy_decide(&d, policy, APPS[a], &f.s, "2026-11-22");
        assert_int_equal(d.verdict, IDM_VERDICT_DENY);
        assert_non_null(strstr(d.reason, "default deny"));
    }
}

static void test_attribute_catalogue(void **state)
{
    (void)state;
    for (int a = 0; a < IDM_ATTR__COUNT; a++) {
        const idm_attr_info *info = idm_attr_get((idm_attr)a);
        assert_non_null(info);
        assert_ptr_equal(idm_attr_lookup(info->name), info);
        assert_true(strncmp(info->saml, "urn:", 4) == 0);
    }
    assert_string_equal(idm_attr_lookup("givenName")->saml, "urn:oid:2.5.4.42");
    assert_null(idm_attr_lookup("eduPersonPrincipalName"));
}

static void test_matrix_helper(void **state)
{
    const char *grants;
    int cond;

    (void)state;
    assert_int_equal(idm_policy_role_verdict(policy, "diagnostik",
                                             IDM_ROLE_TEACHER, &grants, &cond),
                     IDM_VERDICT_REAUTH);
    assert_true(cond);
    assert_int_equal(idm_policy_role_verdict(policy, "notenbuch",
                                             IDM_ROLE_PUPIL, &grants, &cond),
                     IDM_VERDICT_ALLOW);
    assert_string_equal(grants, "view");
    assert_false(cond);
    assert_int_equal(idm_policy_role_verdict(policy, "mail", IDM_ROLE_GUARDIAN,
                                             &grants, &cond),
                     IDM_VERDICT_DENY);
}

/* Copy the shipped policy into a fresh temp dir; returns it (g_free). */
static char *copy_policy(void)
{
    static const char *const parts[] = {"schema", "apps"};
    char *dir = g_dir_make_tmp("idm-policy-XXXXXX", NULL);
    char *src, *dst;
    gchar *data = NULL;
    gsize len;

    assert_non_null(dir);
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
        GDir *d;
        const char *name;

        src = g_build_filename(IDM_TEST_POLICIES_DIR, parts[i], NULL);
        dst = g_build_filename(dir, parts[i], NULL);
        assert_int_equal(g_mkdir(dst, 0700), 0);
        d = g_dir_open(src, 0, NULL);
        assert_non_null(d);
        while ((name = g_dir_read_name(d)) != NULL) {
            char *from = g_build_filename(src, name, NULL);
            char *to = g_build_filename(dst, name, NULL);
            assert_true(g_file_get_contents(from, &data, &len, NULL));
            assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
            g_free(data);
            g_free(from);
            g_free(to);
        }
        g_dir_close(d);
        g_free(src);
        g_free(dst);
    }
    src = g_build_filename(IDM_TEST_POLICIES_DIR, "admin.xml", NULL);
    dst = g_build_filename(dir, "admin.xml", NULL);
    assert_true(g_file_get_contents(src, &data, &len, NULL));
    assert_true(g_file_set_contents(dst, data, (gssize)len, NULL));
    g_free(data);
    g_free(src);
    g_free(dst);
    return dir;
}

static void replace_in(const char *file, const char *from, const char *to)
{
    gchar *data = NULL, **parts, *joined;

    assert_true(g_file_get_contents(file, &data, NULL, NULL));
    assert_non_null(strstr(data, from));
    parts = g_strsplit(data, from, 2);
    joined = g_strjoinv(to, parts);
    assert_true(g_file_set_contents(file, joined, -1, NULL));
    g_strfreev(parts);
    g_free(joined);
    g_free(data);
}

static void test_store_reload(void **state)
{
    char *dir = copy_policy();
    char *lms = g_build_filename(dir, "apps", "lms.xml", NULL);
    char *rm = g_strdup_printf("rm -rf '%s'", dir);
    idm_policy_store *store = NULL;
    idm_policy *before, *now;
    idm_err err = IDM_ERR_INIT;

    (void)state;
    assert_int_equal(idm_policy_store_open(&store, dir, &err), 0);
    before = idm_policy_store_get(store);
    assert_int_equal(idm_policy_store_poll(store, NULL, NULL, &err), 0);

    /* a broken edit is refused and the active policy stays */
    replace_in(lms, "roles=\"pupil teacher", "roles=\"pupil wizard teacher");
    assert_int_equal(idm_policy_store_poll(store, NULL, NULL, &err),
                     IDM_EINVAL);
    assert_non_null(strstr(err.msg, "lms.xml"));
    assert_int_equal(idm_policy_store_refused(store), 1);
    now = idm_policy_store_get(store);
    assert_ptr_equal(now, before);
    idm_policy_unref(now);
    /* and it is not retried until the files change again */
    assert_int_equal(idm_policy_store_poll(store, NULL, NULL, &err), 0);

    /* a valid edit is picked up; the old snapshot stays usable */
    replace_in(lms, "roles=\"pupil wizard teacher", "roles=\"teacher");
    assert_int_equal(idm_policy_store_poll(store, NULL, NULL, &err), 1);
    now = idm_policy_store_get(store);
    assert_ptr_not_equal(now, before);
    {
        fake f;
        idm_decision d;
        fake_init(&f, "pupil");
        fake_role(&f, IDM_ROLE_PUPIL, IDM_ORG_SCHOOL, "75123", NULL);
        idm_policy_decide(&d, now, "lms", &f.s, "2026-11-22");
        assert_int_equal(d.verdict, IDM_VERDICT_DENY); /* the new rule */
        idm_policy_decide(&d, before, "lms", &f.s, "2026-11-22");
        assert_int_equal(d.verdict, IDM_VERDICT_ALLOW); /* the old one */
    }
    idm_policy_unref(now);
    idm_policy_unref(before);
    assert_int_equal(idm_policy_store_reload(store, NULL, NULL, &err), 0);
    idm_policy_store_free(store);
    assert_int_equal(system(rm), 0);
    g_free(rm);
    g_free(lms);
    g_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue_is_complete),
        cmocka_unit_test(test_every_app_for_every_role),
        cmocka_unit_test(test_scope_matters),
        cmocka_unit_test(test_grants_view_and_read_roles),
        cmocka_unit_test(test_special_needs_teacher),
        cmocka_unit_test(test_role_at_two_schools),
        cmocka_unit_test(test_privacy_flags_withhold_names),
        cmocka_unit_test(test_release_values),
        cmocka_unit_test(test_inactive_and_unknown),
        cmocka_unit_test(test_attribute_catalogue),
        cmocka_unit_test(test_matrix_helper),
        cmocka_unit_test(test_store_reload),
    };

    return cmocka_run_group_tests_name("unit.policy", tests, group_setup,
                                       group_teardown);
}
