/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: SP metadata validation (saml_sp__parse in sp.c), the gate
 * every SP passes through "idmctl sp add" and idmd's registry reload. Each
 * input is parsed with and without --allow-http. Besides crashes and
 * sanitizer reports it checks the parser's promises for accepted
 * metadata: an entityID, at least one ACS (one of them HTTP-POST), every
 * endpoint an https URL (or loopback http when allowed) without userinfo.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "saml/sp.h"
#include "registry_int.h"

static void check(const saml_sp_info *info, int allow_http)
{
    int post = 0;

    if (info->entity_id == NULL || info->entity_id[0] == '\0' ||
        info->n_acs < 1) {
        abort();
    }
    for (int i = 0; i < info->n_acs; i++) {
        if (info->acs[i].binding == NULL ||
            !saml_sp__endpoint_ok(info->acs[i].location, allow_http)) {
            abort();
        }
        post |= strcmp(info->acs[i].binding,
                       LASSO_SAML2_METADATA_BINDING_POST) == 0;
    }
    for (int i = 0; i < info->n_slo; i++) {
        if (info->slo[i].binding == NULL ||
            !saml_sp__endpoint_ok(info->slo[i].location, allow_http)) {
            abort();
        }
    }
    if (!post) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > SAML_METADATA_MAX) {
        return 0;
    }
    for (int allow_http = 0; allow_http <= 1; allow_http++) {
        saml_sp_info *info = NULL;
        char *valid_until = NULL;
        int n_certs = 0, wants_signed = 0;
        idm_err err = IDM_ERR_INIT;

        if (saml_sp__parse(&info, (const char *)data, size, allow_http,
                           &valid_until, &n_certs, &wants_signed, &err) == 0) {
            check(info, allow_http);
            if (n_certs < 0 || n_certs > info->n_keys) {
                abort();
            }
            saml_sp__info_free(info);
            free(valid_until);
        } else if (info != NULL || valid_until != NULL || err.code == 0) {
            abort();
        }
    }
    return 0;
}
