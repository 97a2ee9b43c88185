/* SPDX-License-Identifier: EUPL-1.2
 * Decoding of incoming SAML protocol messages before Lasso sees them:
 * HTTP-Redirect (base64 + raw DEFLATE, with a cap on the inflated size)
 * and HTTP-POST (base64), refusing DTDs, oversized input and SHA-1, and
 * extracting the fields the checks need. Also the fuzz target.
 */
#ifndef SAML_DECODE_H
#define SAML_DECODE_H

#include <stddef.h>

#include "base/common.h"
#include "base/err.h"

/** Largest encoded message (base64 text) accepted: base64 of the largest
 * decoded message, with room for line breaks and a query's other fields. */
#define SAML_MSG_ENCODED_MAX (64 * 1024)
/** Largest decoded (inflated) XML accepted. A real AuthnRequest or
 * LogoutRequest is 1-6 KiB, with an XML signature and certificate. */
#define SAML_MSG_XML_MAX (32 * 1024)
/* Caps of the pre-parse (saml_xml_precheck), checked while libxml2's SAX
 * parser streams the message and before any tree is built. A signed
 * AuthnRequest has about 15 elements, depth 5 (Signature/KeyInfo/
 * X509Data/X509Certificate), at most 12 attributes on the root and a few
 * namespace declarations; the caps leave room for Extensions and
 * RequestedAuthnContext without letting quadratic code in Lasso loose. */
/** Most elements in one message. */
#define SAML_XML_MAX_ELEMENTS 256
/** Deepest element nesting (the root is depth 1). */
#define SAML_XML_MAX_DEPTH 16
/** Most attributes on one element (namespace declarations not counted). */
#define SAML_XML_MAX_ATTRS 16
/** Most namespace declarations on one element. */
#define SAML_XML_MAX_NSDECLS 16
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

/**
 * The pre-parse: stream xml (len bytes) through libxml2's SAX parser
 * without network, DTD or entity expansion, and stop at the first
 * element, depth, attribute or namespace count above the SAML_XML_MAX_*
 * caps, at a DTD or at malformed XML. Cost is linear and bounded by len.
 * @return 0, IDM_EINVAL (malformed, DTD), IDM_ETOOBIG (a cap exceeded).
 */
IDM_MUST_CHECK int saml_xml_precheck(const char *xml, size_t len,
                                     idm_err *err);

/**
 * Decode a message already decoded once and stored by us (a pending
 * AuthnRequest): xml (len bytes) through the same caps and checks.
 */
IDM_MUST_CHECK int saml_msg_decode_xml(saml_msg *out, const char *xml,
                                       size_t len, const char *relay_state,
                                       idm_err *err);

/** Free a message's fields. Accepts NULL. */
void saml_msg_clear(saml_msg *msg);

#endif /* SAML_DECODE_H */
