/* SPDX-License-Identifier: EUPL-1.2
 * Mapping of persons, organisational units and groups to LDAP entries
 * (inetOrgPerson + eduPerson + SCHAC + the project's idm* classes, see
 * deploy/ldap/README.md for the attribute table).
 */
#include <string.h>

#include <glib.h>

#include <idm/role.h>

#include "lsync/escape.h"
#include "lsync/map.h"

const char *const lsync_person_attrs[] = {
    "objectClass", "uid", "cn", "sn", "givenName", "displayName", "mail",
    "userPassword", "eduPersonAffiliation", "eduPersonPrincipalName",
    "eduPersonScopedAffiliation", "schacHomeOrganization", "idmPersonUUID",
    "idmSchoolCode", "idmOrgCode", "idmSchulConneXRole", "idmRoleContext",
    "idmInfoBlock", "idmProcessingRestricted", "idmAccountStatus", NULL};

const char *const lsync_org_attrs[] = {
    "objectClass", "ou", "description", "idmOrgType", "idmParentOrg",
    "idmSchoolCode", "idmSchoolBoard", NULL};

const char *const lsync_group_attrs[] = {
    "objectClass", "cn", "member", "description", "idmGroupKey",
    "idmOrgCode", "idmGroupKind", "idmSchoolYear", NULL};

char *lsync_map_person_dn(const lsync_map_opts *opts, const char *login)
{
    char *v = lsync_dn_escape_value(login);
    char *dn = g_strdup_printf("uid=%s,ou=" LSYNC_OU_PEOPLE ",%s", v,
                               opts->base);
    g_free(v);
    return dn;
}

char *lsync_map_org_dn(const lsync_map_opts *opts, const char *code)
{
    char *v = lsync_dn_escape_value(code);
    char *dn = g_strdup_printf("ou=%s,ou=" LSYNC_OU_ORGS ",%s", v, opts->base);
    g_free(v);
    return dn;
}

char *lsync_map_group_cn(const lsync_group *group)
{
    if (group->year != NULL && group->year[0] != '\0') {
        return g_strdup_printf("%s-%s-%s-%s", group->org_code, group->kind,
                               group->name, group->year);
    }
    return g_strdup_printf("%s-%s-%s", group->org_code, group->kind,
                           group->name);
}

char *lsync_map_group_dn(const lsync_map_opts *opts, const lsync_group *group)
{
    char *cn = lsync_map_group_cn(group);
    char *v = lsync_dn_escape_value(cn);
    char *dn = g_strdup_printf("cn=%s,ou=" LSYNC_OU_GROUPS ",%s", v,
                               opts->base);
    g_free(v);
    g_free(cn);
    return dn;
}

/* Refuse oversized values before they reach the server (STYLE.md 5). */
static int check_size(const lsync_entry *e, idm_err *err)
{
    if (strlen(e->dn) > LSYNC_VALUE_MAX) {
        return idm_err_set(err, IDM_EINVAL, "DN longer than %d bytes",
                           LSYNC_VALUE_MAX);
    }
    for (size_t i = 0; i < e->n; i++) {
        for (size_t j = 0; j < e->attrs[i].n; j++) {
            if (strlen(e->attrs[i].vals[j]) > LSYNC_VALUE_MAX) {
                return idm_err_set(err, IDM_EINVAL,
                                   "value of \"%s\" longer than %d bytes",
                                   e->attrs[i].name, LSYNC_VALUE_MAX);
            }
        }
    }
    return 0;
}

int lsync_map_person(lsync_entry **out, const lsync_map_opts *opts,
                     const lsync_person *p, idm_err *err)
{
    lsync_entry *e = NULL;
    char *dn = NULL;
    int rc = 0, names;

    *out = NULL;
    if (p->login == NULL || p->login[0] == '\0' || p->uuid == NULL) {
        return idm_err_set(err, IDM_EINVAL, "person without login or UUID");
    }
    dn = lsync_map_person_dn(opts, p->login);
    e = lsync_entry_new(dn);
    lsync_entry_add(e, "objectClass", "inetOrgPerson");
    lsync_entry_add(e, "objectClass", "eduPerson");
    lsync_entry_add(e, "objectClass", "schacContactLocation");
    lsync_entry_add(e, "objectClass", "idmPerson");
    lsync_entry_add(e, "uid", p->login);

    /* Auskunftssperre: names are withheld unless configured otherwise;
     * cn and sn are mandatory in person (RFC 4519), so they carry the
     * login, which the entry shows as uid anyway. */
    names = !p->info_block || opts->release_blocked_names;
    if (names) {
        char *cn = g_strdup_printf("%s %s", p->given_name, p->family_name);
        lsync_entry_add(e, "cn", cn);
        lsync_entry_add(e, "sn", p->family_name);
        lsync_entry_add(e, "givenName", p->given_name);
        lsync_entry_add(e, "displayName", cn);
        g_free(cn);
    } else {
        lsync_entry_add(e, "cn", p->login);
        lsync_entry_add(e, "sn", p->login);
    }
    if (names) {
        lsync_entry_add(e, "mail", p->mail);
    }
    /* Only an active account can bind: no hash, no bind (RFC 4513 5.1.3
     * simple bind fails with invalidCredentials). */
    if (p->status != NULL && strcmp(p->status, "active") == 0 &&
        p->password_hash != NULL && p->password_hash[0] != '\0') {
        char *pw = g_strdup_printf("{ARGON2}%s", p->password_hash);
        lsync_entry_add(e, "userPassword", pw);
        g_free(pw);
    }
    for (size_t i = 0; i < p->nroles; i++) {
        const lsync_role_ctx *r = &p->roles[i];
        const idm_role_info *info = idm_role_lookup(r->role);
        char *ctx;

        if (info == NULL) {
            rc = idm_err_set(err, IDM_EINVAL, "unknown role \"%s\"", r->role);
            goto cleanup;
        }
        for (size_t j = 0; info->affiliations[j] != NULL; j++) {
            lsync_entry_add(e, "eduPersonAffiliation", info->affiliations[j]);
            if (opts->scope != NULL) {
                char *sa = g_strdup_printf("%s@%s", info->affiliations[j],
                                           opts->scope);
                lsync_entry_add(e, "eduPersonScopedAffiliation", sa);
                g_free(sa);
            }
        }
        lsync_entry_add(e, "idmSchoolCode", r->school_code);
        lsync_entry_add(e, "idmOrgCode", r->org_code);
        lsync_entry_add(e, "idmSchulConneXRole", info->schulconnex);
        ctx = g_strdup_printf("%s:%s", r->org_code, r->role);
        lsync_entry_add(e, "idmRoleContext", ctx);
        g_free(ctx);
    }
    if (opts->scope != NULL) {
        char *eppn = g_strdup_printf("%s@%s", p->login, opts->scope);
        lsync_entry_add(e, "eduPersonPrincipalName", eppn);
        lsync_entry_add(e, "schacHomeOrganization", opts->scope);
        g_free(eppn);
    }
    lsync_entry_add(e, "idmPersonUUID", p->uuid);
    lsync_entry_add(e, "idmInfoBlock", p->info_block ? "TRUE" : "FALSE");
    lsync_entry_add(e, "idmProcessingRestricted",
                    p->processing_restricted ? "TRUE" : "FALSE");
    lsync_entry_add(e, "idmAccountStatus", p->status);
    rc = check_size(e, err);
    if (rc != 0) {
        goto cleanup;
    }
    lsync_entry_sort(e);
    *out = e;
    e = NULL;
cleanup:
    lsync_entry_free(e);
    g_free(dn);
    return rc;
}

int lsync_map_org(lsync_entry **out, const lsync_map_opts *opts,
                  const lsync_org *org, idm_err *err)
{
    lsync_entry *e = NULL;
    char *dn = NULL;
    int rc;

    *out = NULL;
    if (org->code == NULL || org->code[0] == '\0') {
        return idm_err_set(err, IDM_EINVAL, "organisational unit without code");
    }
    dn = lsync_map_org_dn(opts, org->code);
    e = lsync_entry_new(dn);
    lsync_entry_add(e, "objectClass", "organizationalUnit");
    lsync_entry_add(e, "objectClass", "idmOrgUnit");
    lsync_entry_add(e, "ou", org->code);
    lsync_entry_add(e, "description", org->name);
    lsync_entry_add(e, "idmOrgType", org->type);
    lsync_entry_add(e, "idmParentOrg", org->parent_code);
    lsync_entry_add(e, "idmSchoolCode", org->school_code);
    lsync_entry_add(e, "idmSchoolBoard", org->board_code);
    rc = check_size(e, err);
    if (rc != 0) {
        goto cleanup;
    }
    lsync_entry_sort(e);
    *out = e;
    e = NULL;
cleanup:
    lsync_entry_free(e);
    g_free(dn);
    return rc;
}

int lsync_map_group(lsync_entry **out, const lsync_map_opts *opts,
                    const lsync_group *g, idm_err *err)
{
    lsync_entry *e = NULL;
    char *dn = NULL, *cn = NULL;
    int rc;

    *out = NULL;
    if (g->nmembers == 0) {
        return 0; /* groupOfNames MUST have a member: no entry */
    }
    cn = lsync_map_group_cn(g);
    dn = lsync_map_group_dn(opts, g);
    e = lsync_entry_new(dn);
    lsync_entry_add(e, "objectClass", "groupOfNames");
    lsync_entry_add(e, "objectClass", "idmGroup");
    lsync_entry_add(e, "cn", cn);
    lsync_entry_add(e, "description", g->name);
    lsync_entry_add(e, "idmGroupKey", g->key);
    lsync_entry_add(e, "idmOrgCode", g->org_code);
    lsync_entry_add(e, "idmGroupKind", g->kind);
    lsync_entry_add(e, "idmSchoolYear", g->year);
    for (size_t i = 0; i < g->nmembers; i++) {
        char *m = lsync_map_person_dn(opts, g->member_logins[i]);
        lsync_entry_append(e, "member", m);
        g_free(m);
    }
    rc = check_size(e, err);
    if (rc != 0) {
        goto cleanup;
    }
    lsync_entry_sort(e);
    *out = e;
    e = NULL;
cleanup:
    lsync_entry_free(e);
    g_free(dn);
    g_free(cn);
    return rc;
}
