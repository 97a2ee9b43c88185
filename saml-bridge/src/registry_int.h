/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge: the registered SPs as the IdP uses them and
 * the shared Lasso server snapshot built from them (server.c, sp.c).
 */
#ifndef SAML_REGISTRY_INT_H
#define SAML_REGISTRY_INT_H

#include <glib.h>
#include <lasso/lasso.h>
#include <libxml/tree.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>
#include <lasso/xml/saml-2.0/samlp2_status_response.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/err.h"

typedef struct saml_acs {
    int index;
    int is_default;
    char *binding;
    char *location;
} saml_acs;

typedef struct saml_slo_ep {
    char *binding;
    char *location;
} saml_slo_ep;

/* One registered SP as the IdP uses it; immutable once built. */
typedef struct saml_sp_info {
    char *entity_id;
    char *app_key;
    int allow_http;
    int sign_requests;
    int wants_assertions_signed; /* metadata: WantAssertionsSigned */
    unsigned sign_parts;         /* SAML_SIGN_* of its SSO Responses */
    saml_acs *acs;
    int n_acs;
    saml_slo_ep *slo;
    int n_slo;
    EVP_PKEY **keys; /* signing keys from the metadata */
    int n_keys;
    EVP_PKEY *enc_key;       /* metadata: first encryption key, or NULL */
    EVP_PKEY_CTX *enc_ctx;   /* its saml_encrypt_key_ctx(), or NULL */
    unsigned enc_alg;        /* SAML_ENC_* the metadata allows */
    int encrypt;             /* assertions encrypted to enc_key */
    atomic_ulong assertions; /* metrics */
} saml_sp_info;

/* Read-only snapshot: one LassoServer per metadata version, shared by all
 * threads and replaced as a whole (refcounted) when SPs change. */
typedef struct saml_server {
    atomic_int refs;
    int64_t version;
    LassoServer *lasso;
    GHashTable *sps; /* entity_id -> saml_sp_info* */
} saml_server;

/* Parse SP metadata into an info record (the validation of sp.c). */
int saml_sp__parse(saml_sp_info **out, const char *metadata, size_t len,
                   int allow_http, char **valid_until_out, int *n_certs_out,
                   int *wants_signed_out, idm_err *err);
void saml_sp__info_free(saml_sp_info *info);
/* 1 if url may be an SP endpoint (ACS, SLO): parsed with GUri, https with
 * a host and no userinfo, or with allow_http http on a loopback host
 * (127.0.0.0/8, ::1, localhost); else 0. */
int saml_sp__endpoint_ok(const char *url, int allow_http);

/* lasso_init() once per process (idp.c); 0 or Lasso's code. */
int saml__lasso_init(void);

#endif /* SAML_REGISTRY_INT_H */
