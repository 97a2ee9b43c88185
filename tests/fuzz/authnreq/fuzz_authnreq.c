/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: the AuthnRequest decoder in front of Lasso (saml/decode.h).
 * Every input goes through both bindings: as an HTTP-Redirect query
 * (SAMLRequest=base64(raw DEFLATE(XML))&RelayState&SigAlg&Signature) and as
 * the base64 value of an HTTP-POST SAMLRequest, and as an HTTP-POST form
 * body whose SAMLRequest and RelayState fields are form-decoded first (as
 * sso.c does). Besides crashes and
 * sanitizer reports, a successful decode must honour the decoder's
 * promises: the caps, an ID and an Issuer, no DTD, RSA-SHA256 only.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "saml/decode.h"
#include "web/codec.h" /* the form decoder (web_form_get) */

static void check(const saml_msg *m)
{
    if (m->xml == NULL || m->xml_len > SAML_MSG_XML_MAX || m->id == NULL ||
        m->id[0] == '\0' || m->issuer == NULL || m->issuer[0] == '\0' ||
        strstr(m->xml, "<!DOCTYPE") != NULL ||
        (m->relay_state != NULL && m->redirect_signed &&
         m->signed_octets == NULL) ||
        ((m->xml_signed || m->redirect_signed) &&
         (m->sig_alg == NULL ||
          strcmp(m->sig_alg, SAML_ALG_RSA_SHA256) != 0)) ||
        (m->xml_signed && m->redirect_signed)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    saml_msg m;
    idm_err err = IDM_ERR_INIT, err2 = IDM_ERR_INIT;

    if (size > SAML_MSG_ENCODED_MAX + 1024) {
        return 0;
    }
    /* the transports hand over NUL-terminated text with a length */
    s = malloc(size + 1);
    if (s == NULL) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    if (saml_msg_decode_redirect(&m, s, size, "SAMLRequest", &err) == 0) {
        check(&m);
        saml_msg_clear(&m);
    }
    if (saml_msg_decode_post(&m, s, size, "relay", &err2) == 0) {
        check(&m);
        saml_msg_clear(&m);
    }
    {
        idm_err err3 = IDM_ERR_INIT;
        char *b64 = web_form_get(s, size, "SAMLRequest");
        char *relay = web_form_get(s, size, "RelayState");

        if (b64 != NULL &&
            saml_msg_decode_post(&m, b64, strlen(b64), relay, &err3) == 0) {
            check(&m);
            saml_msg_clear(&m);
        }
        free(b64);
        free(relay);
    }
    free(s);
    return 0;
}
