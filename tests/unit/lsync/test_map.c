/* SPDX-License-Identifier: EUPL-1.2
 * Unit tests of the entry mapping: persons (roles to eduPerson and
 * SchulConneX, status to userPassword, information-release block), orgs,
 * groups, and LDIF output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "lsync/map.h"

static const lsync_map_opts opts = {"dc=schule-mv,dc=de", "schule-mv.de", 0};

static const lsync_role_ctx roles[] = {
    {"75123", "DE-MV-75123", "teacher"},
    {"75123", "DE-MV-75123", "school_admin"},
    {"71234", "DE-MV-71234", "pupil"},
};

static lsync_person person(void)
{
    lsync_person p;
    memset(&p, 0, sizeof(p));
    p.uuid = "5f0c1a2e-0000-4000-8000-000000000001";
    p.login = "anna.mueller";
    p.given_name = "Anna";
    p.family_name = "M\xc3\xbcller, Jr";
    p.status = "active";
    p.password_hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA";
    p.roles = roles;
    p.nroles = 3;
    return p;
}

static char *joined(const lsync_entry *e, const char *attr)
{
    const lsync_attr *a = lsync_entry_get(e, attr);
    return a == NULL ? g_strdup("") : g_strjoinv(" ", a->vals);
}

static void expect_attr(const lsync_entry *e, const char *attr,
                        const char *want)
{
    char *got = joined(e, attr);
    assert_string_equal(got, want);
    g_free(got);
}

static void test_person(void **state)
{
    lsync_person p = person();
    lsync_entry *e = NULL;
    idm_err err = IDM_ERR_INIT;
    (void)state;
    assert_int_equal(lsync_map_person(&e, &opts, &p, &err), 0);
    assert_string_equal(e->dn, "uid=anna.mueller,ou=people,dc=schule-mv,dc=de");
    expect_attr(e, "cn", "Anna M\xc3\xbcller, Jr");
    expect_attr(e, "sn", "M\xc3\xbcller, Jr");
    expect_attr(e, "eduPersonAffiliation", "employee faculty member student");
    expect_attr(e, "idmSchulConneXRole", "Lehr Lern OrgAdmin");
    expect_attr(e, "idmSchoolCode", "DE-MV-71234 DE-MV-75123");
    expect_attr(e, "idmRoleContext",
                "71234:pupil 75123:school_admin 75123:teacher");
    expect_attr(e, "userPassword",
                "{ARGON2}$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA");
    expect_attr(e, "eduPersonPrincipalName", "anna.mueller@schule-mv.de");
    expect_attr(e, "schacHomeOrganization", "schule-mv.de");
    expect_attr(e, "idmInfoBlock", "FALSE");
    lsync_entry_free(e);
}

static void test_person_not_active(void **state)
{
    static const char *const st[] = {"locked", "disabled", NULL};
    (void)state;
    for (size_t i = 0; st[i] != NULL; i++) {
        lsync_person p = person();
        lsync_entry *e = NULL;
        p.status = st[i];
        assert_int_equal(lsync_map_person(&e, &opts, &p, NULL), 0);
        assert_null(lsync_entry_get(e, "userPassword"));
        expect_attr(e, "idmAccountStatus", st[i]);
        lsync_entry_free(e);
    }
}

static void test_person_info_block(void **state)
{
    lsync_person p = person();
    lsync_entry *e = NULL;
    lsync_map_opts o = opts;
    (void)state;
    p.info_block = 1;
    assert_int_equal(lsync_map_person(&e, &opts, &p, NULL), 0);
    expect_attr(e, "cn", "anna.mueller");
    expect_attr(e, "sn", "anna.mueller");
    assert_null(lsync_entry_get(e, "givenName"));
    assert_null(lsync_entry_get(e, "displayName"));
    expect_attr(e, "idmInfoBlock", "TRUE");
    lsync_entry_free(e);
    o.release_blocked_names = 1;
    assert_int_equal(lsync_map_person(&e, &o, &p, NULL), 0);
    expect_attr(e, "givenName", "Anna");
    lsync_entry_free(e);
}

static void test_person_errors(void **state)
{
    lsync_person p = person();
    lsync_role_ctx bad = {"75123", NULL, "wizard"};
    lsync_entry *e = NULL;
    idm_err err = IDM_ERR_INIT;
    char big[LSYNC_VALUE_MAX + 2];
    (void)state;
    p.roles = &bad;
    p.nroles = 1;
    assert_int_equal(lsync_map_person(&e, &opts, &p, &err), IDM_EINVAL);
    assert_null(e);
    p = person();
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    p.family_name = big;
    assert_int_equal(lsync_map_person(&e, &opts, &p, &err), IDM_EINVAL);
    p = person();
    p.login = NULL;
    assert_int_equal(lsync_map_person(&e, &opts, &p, &err), IDM_EINVAL);
}

static void test_group(void **state)
{
    static const char *const members[] = {"b.b", "a.a", NULL};
    lsync_group g = {"g:7", "75123", "course", "Info, \"AG\"+#", "2026/27",
                     members, 2};
    lsync_entry *e = NULL;
    (void)state;
    assert_int_equal(lsync_map_group(&e, &opts, &g, NULL), 0);
    assert_string_equal(
        e->dn, "cn=75123-course-Info\\, \\\"AG\\\"\\+#-2026/27,ou=groups,"
               "dc=schule-mv,dc=de");
    expect_attr(e, "member",
                "uid=a.a,ou=people,dc=schule-mv,dc=de "
                "uid=b.b,ou=people,dc=schule-mv,dc=de");
    expect_attr(e, "idmGroupKey", "g:7");
    lsync_entry_free(e);
    g.nmembers = 0;
    e = NULL;
    assert_int_equal(lsync_map_group(&e, &opts, &g, NULL), 0);
    assert_null(e); /* no member, no groupOfNames */
}

static void test_org_and_ldif(void **state)
{
    lsync_org o = {"75123", "school", "Gymnasium Neukl\xc3\xb6ster",
                   "ssa-schwerin", "DE-MV-75123", NULL};
    lsync_entry *e = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp;
    (void)state;
    assert_int_equal(lsync_map_org(&e, &opts, &o, NULL), 0);
    assert_string_equal(e->dn, "ou=75123,ou=orgs,dc=schule-mv,dc=de");
    fp = open_memstream(&buf, &len);
    assert_int_equal(lsync_entry_write_ldif(fp, e, NULL), 0);
    fclose(fp);
    assert_non_null(strstr(buf, "dn: ou=75123,ou=orgs,dc=schule-mv,dc=de\n"));
    /* non-ASCII goes base64 (RFC 2849) */
    assert_non_null(strstr(buf, "description:: R3ltbmFzaXVtIE5ldWtsw7ZzdGVy\n"));
    assert_non_null(strstr(buf, "idmParentOrg: ssa-schwerin\n"));
    free(buf);
    lsync_entry_free(e);
    assert_int_equal(lsync_ldif_safe(" lead"), 0);
    assert_int_equal(lsync_ldif_safe(":x"), 0);
    assert_int_equal(lsync_ldif_safe("<x"), 0);
    assert_int_equal(lsync_ldif_safe("a\nb"), 0);
    assert_int_equal(lsync_ldif_safe("ok value"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_person),
        cmocka_unit_test(test_person_not_active),
        cmocka_unit_test(test_person_info_block),
        cmocka_unit_test(test_person_errors),
        cmocka_unit_test(test_group),
        cmocka_unit_test(test_org_and_ldif),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
