/* SPDX-License-Identifier: EUPL-1.2
 * The attributes released to a service provider: exactly those of the
 * rights policy's decision (idm_policy_release()), named by their SAML
 * Name (urn:oid or OASIS URN, NameFormat uri) with the policy name as
 * FriendlyName. Nothing is added here. pairwise-id and subject-id have no
 * stored value: the IdP computes them (SAML V2.0 Subject Identifier
 * Attributes Profile), scoped with @IDM_POLICY_DOMAIN.
 */
#include <stdlib.h>
#include <string.h>

#include "steps_int.h"

/* subject-id is the same for every SP: the pairwise HMAC with an empty
 * entityID, which no SP can have (the registry refuses it). */
#define SUBJECT_ID_LABEL ""

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

/* "<64 hex>@schule-mv.de": the unique-id part of the profile's syntax
 * ([a-zA-Z0-9][a-zA-Z0-9=-]{0,126}) and a scope the platform owns; id is
 * the pairwise HMAC for label, computed here if NULL. */
static void add_scoped_id(LassoSaml2Attribute *a, const saml_idp *idp,
                          const char *person_uuid, const char *label,
                          const char *id)
{
    char *own =
        id == NULL ? saml_nameid_pairwise(idp, person_uuid, label) : NULL;
    char *v = idm_xasprintf("%s@%s", id != NULL ? id : own, IDM_POLICY_DOMAIN);

    add_value(a, v);
    free(v);
    free(own);
}

int saml_attributes_build(GList **out, web_ctx *ctx, const saml_sp_info *sp,
                          const char *person_uuid, const char *pairwise,
                          const idm_decision *d, const idm_subject *subject,
                          idm_err *err)
{
    idm_attr_value *values = NULL;
    size_t n = 0;
    GList *list = NULL;

    (void)err;
    *out = NULL;
    idm_policy_release(&values, &n, d, subject);
    for (size_t i = 0; i < n; i++) {
        const idm_attr_info *info = values[i].info;
        LassoSaml2Attribute *a = attribute(info->saml, info->name);

        if (info->attr == IDM_ATTR_PAIRWISE_ID) {
            add_scoped_id(a, saml_idp_of(ctx), person_uuid, sp->entity_id,
                          pairwise);
        } else if (info->attr == IDM_ATTR_SUBJECT_ID) {
            add_scoped_id(a, saml_idp_of(ctx), person_uuid, SUBJECT_ID_LABEL,
                          NULL);
        } else {
            for (char **v = values[i].values; v != NULL && *v != NULL; v++) {
                add_value(a, *v);
            }
        }
        if (a->AttributeValue == NULL) {
            g_object_unref(a);
            continue;
        }
        list = g_list_append(list, a);
    }
    idm_attr_values_free(values, n);
    *out = list;
    return 0;
}
