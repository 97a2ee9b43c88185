/* SPDX-License-Identifier: EUPL-1.2
 * The attributes released to a service provider. All selection happens in
 * saml_attributes_build(): the rights policy engine (issue 4) plugs in
 * here. Until it lands, every SP gets the same minimal set: pairwise-id,
 * givenName, sn, displayName, eduPersonAffiliation and
 * schacHomeOrganization. No eduPersonPrincipalName (it leaks the login).
 */
#include <stdlib.h>
#include <string.h>

#include "idm/grant.h"
#include "idm/role.h"
#include "idm/user.h"
#include "saml_int.h"

#define OID_GIVEN "urn:oid:2.5.4.42"
#define OID_SN "urn:oid:2.5.4.4"
#define OID_DISPLAY "urn:oid:2.16.840.1.113730.3.1.241"
#define OID_AFFILIATION "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"
#define OID_HOME_ORG "urn:oid:1.3.6.1.4.1.25178.1.2.9"
#define ID_PAIRWISE "urn:oasis:names:tc:SAML:attribute:pairwise-id"

static LassoSaml2Attribute *attribute(const char *name, const char *friendly)
{
    LassoSaml2Attribute *a = LASSO_SAML2_ATTRIBUTE(lasso_saml2_attribute_new());
    a->Name = g_strdup(name);
    a->NameFormat = g_strdup(LASSO_SAML2_ATTRIBUTE_NAME_FORMAT_URI);
    a->FriendlyName = g_strdup(friendly);
    return a;
}

static void add_value(LassoSaml2Attribute *a, const char *value)
{
    LassoSaml2AttributeValue *v =
        LASSO_SAML2_ATTRIBUTE_VALUE(lasso_saml2_attribute_value_new());
    LassoMiscTextNode *t = lasso_misc_text_node_new_with_string(value);

    t->text_child = TRUE;
    v->any = g_list_append(v->any, t);
    a->AttributeValue = g_list_append(a->AttributeValue, v);
}

static GList *add_single(GList *list, const char *name, const char *friendly,
                         const char *value)
{
    LassoSaml2Attribute *a;

    if (value == NULL || value[0] == '\0') {
        return list;
    }
    a = attribute(name, friendly);
    add_value(a, value);
    return g_list_append(list, a);
}

/* The scope of scoped values: the host of the public base URL. */
static char *scope_of(const char *base_url)
{
    const char *h = strstr(base_url, "://");
    size_t n;

    h = h != NULL ? h + 3 : base_url;
    n = strcspn(h, ":/");
    return saml__xstrndup(h, n);
}

int saml_attributes_build(GList **out, saml_ctx *ctx, const saml_sp_info *sp,
                          const char *pairwise_id, idm_err *err)
{
    idm_user *user = NULL;
    idm_grant *grants = NULL;
    size_t n_grants = 0;
    GList *list = NULL;
    GHashTable *seen = NULL;
    LassoSaml2Attribute *aff = NULL;
    char *scope = scope_of(ctx->idp->conf->idp_base_url), *display = NULL;
    idm_db *db;
    int rc;

    (void)sp; /* TODO(#4): the policy decides per application key */
    *out = NULL;
    rc = saml_ctx_db(&db, ctx, err);
    if (rc == 0) {
        rc = idm_user_lookup(&user, db, ctx->session.login, err);
    }
    if (rc == 0) {
        rc = idm_grant_list(&grants, &n_grants, db, ctx->session.login, NULL, 0,
                            err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    {
        char *v = saml__printf("%s@%s", pairwise_id, scope);
        list = add_single(list, ID_PAIRWISE, "pairwise-id", v);
        free(v);
    }
    list = add_single(list, OID_GIVEN, "givenName", user->given_name);
    list = add_single(list, OID_SN, "sn", user->family_name);
    display = saml__printf("%s %s", user->given_name, user->family_name);
    list = add_single(list, OID_DISPLAY, "displayName", display);
    seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < n_grants; i++) {
        const idm_role_info *ri = idm_role_lookup(grants[i].role);
        if (!grants[i].active || ri == NULL || ri->affiliations == NULL) {
            continue;
        }
        for (const char *const *a = ri->affiliations; *a != NULL; a++) {
            if (g_hash_table_contains(seen, *a)) {
                continue;
            }
            g_hash_table_add(seen, (gpointer)(uintptr_t)*a);
            if (aff == NULL) {
                aff = attribute(OID_AFFILIATION, "eduPersonAffiliation");
            }
            add_value(aff, *a);
        }
    }
    if (aff != NULL) {
        list = g_list_append(list, aff);
    }
    list = add_single(list, OID_HOME_ORG, "schacHomeOrganization", scope);
    *out = list;
    list = NULL;
cleanup:
    g_list_free_full(list, g_object_unref);
    if (seen != NULL) {
        g_hash_table_destroy(seen);
    }
    idm_user_free(user);
    idm_grants_free(grants, n_grants);
    free(scope);
    free(display);
    return rc;
}
