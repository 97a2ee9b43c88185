/* SPDX-License-Identifier: EUPL-1.2
 * Decoding of incoming SAML protocol messages before Lasso sees them:
 * HTTP-Redirect (base64 + raw DEFLATE, with a cap on the inflated size)
 * and HTTP-POST (base64), refusing DTDs, oversized input and SHA-1, and
 * extracting the fields the checks need. Also the fuzz target.
 */
#ifndef SAML_DECODE_H
#define SAML_DECODE_H

#include <stddef.h>

#include "idm/common.h"
#include "idm/err.h"

/** Largest encoded message (base64 text) accepted. */
#define SAML_MSG_ENCODED_MAX (256 * 1024)
/** Largest decoded (inflated) XML accepted. */
#define SAML_MSG_XML_MAX (128 * 1024)
/** Longest RelayState accepted (SAML bindings 3.4.3, 3.5.3). */
#define SAML_RELAY_STATE_MAX 80

#define SAML_ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define SAML_ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

typedef enum saml_msg_kind {
    SAML_MSG_AUTHN_REQUEST,
    SAML_MSG_LOGOUT_REQUEST,
    SAML_MSG_LOGOUT_RESPONSE
} saml_msg_kind;

/** Fields of a decoded message; all strings owned, freed by
 * saml_msg_clear(). Absent values are NULL. */
typedef struct saml_msg {
    saml_msg_kind kind;
    char *xml; /* decoded XML text */
    size_t xml_len;
    struct _xmlDoc *doc; /* xml parsed (libxml2), as checked here */
    char *id;
    char *issuer;
    char *destination;
    char *issue_instant;
    char *in_response_to; /* LogoutResponse */
    char *status;         /* LogoutResponse top-level status code */
    /* AuthnRequest */
    char *acs_url;
    int acs_index; /* -1 if absent */
    char *protocol_binding;
    int force_authn;
    int is_passive;
    char *name_id_format; /* NameIDPolicy Format */
    /* LogoutRequest */
    char *name_id;
    char *session_index;
    /* signatures */
    int xml_signed;      /* enveloped ds:Signature on the root */
    int redirect_signed; /* Signature query parameter present */
    char *sig_alg;       /* SigAlg, or the XML SignatureMethod */
    /* HTTP-Redirect: the raw query pieces the signature covers */
    char *relay_state;        /* decoded, or NULL */
    char *signed_octets;      /* "SAMLRequest=..&RelayState=..&SigAlg=.." */
    unsigned char *signature; /* decoded Signature parameter */
    size_t signature_len;
} saml_msg;

/**
 * Decode an HTTP-Redirect query ("SAMLRequest=...&RelayState=...").
 * param names "SAMLRequest" or "SAMLResponse".
 * @return 0, IDM_EINVAL (malformed, DTD, SHA-1, ...), IDM_ETOOBIG.
 */
IDM_MUST_CHECK int saml_msg_decode_redirect(saml_msg *out, const char *query,
                                            size_t len, const char *param,
                                            idm_err *err);

/**
 * Decode an HTTP-POST message: the base64 value of SAMLRequest (or
 * SAMLResponse), already form-decoded, and the RelayState (may be NULL).
 */
IDM_MUST_CHECK int saml_msg_decode_post(saml_msg *out, const char *b64,
                                        size_t len, const char *relay_state,
                                        idm_err *err);

/** Free a message's fields. Accepts NULL. */
void saml_msg_clear(saml_msg *msg);

#endif /* SAML_DECODE_H */
