/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: Single Logout messages as /saml/slo decodes them (slo.c).
 * The first input byte picks the transport and the parameter, the rest is
 * the raw HTTP-Redirect query or the raw HTTP-POST form body:
 *   0: query, SAMLRequest     1: query, SAMLResponse
 *   2: form,  SAMLRequest     3: form,  SAMLResponse
 * A form goes through web_form_get() (the value and RelayState) and
 * saml_msg_decode_post(), a query through saml_msg_decode_redirect(); a
 * Redirect-signed message then through saml_verify_redirect() with an RSA
 * and an EC key the fuzzer cannot sign with. Besides sanitizer reports,
 * a decoded message must keep the promises slo.c relies on.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../fuzz.h"
#include "saml/decode.h"
#include "steps_int.h"
#include "web/codec.h"

static saml_sp_info *sp(void)
{
    static saml_sp_info info;
    static EVP_PKEY *keys[2];

    if (info.n_keys == 0) {
        /* once per process: keys nobody else holds */
        keys[0] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (keys[0] == NULL || keys[1] == NULL) {
            abort();
        }
        info.keys = keys;
        info.n_keys = 2;
    }
    return &info;
}

static void check(const saml_msg *m, const char *param, int post)
{
    if (m->xml == NULL || m->xml_len > SAML_MSG_XML_MAX || m->id == NULL ||
        m->id[0] == '\0' || m->issuer == NULL || m->issuer[0] == '\0' ||
        strstr(m->xml, "<!DOCTYPE") != NULL ||
        (m->kind != SAML_MSG_AUTHN_REQUEST &&
         m->kind != SAML_MSG_LOGOUT_REQUEST &&
         m->kind != SAML_MSG_LOGOUT_RESPONSE) ||
        (post && m->redirect_signed) || (!post && m->xml_signed) ||
        (m->redirect_signed &&
         (m->signed_octets == NULL || m->signature == NULL ||
          strncmp(m->signed_octets, param, strlen(param)) != 0)) ||
        ((m->xml_signed || m->redirect_signed) &&
         (m->sig_alg == NULL ||
          strcmp(m->sig_alg, SAML_ALG_RSA_SHA256) != 0))) {
        abort();
    }
    /* the strings slo.c reads are whole C strings */
    if ((m->name_id != NULL && strlen(m->name_id) > m->xml_len) ||
        (m->session_index != NULL && strlen(m->session_index) > m->xml_len) ||
        (m->status != NULL && strlen(m->status) > m->xml_len)) {
        abort();
    }
    /* a signature the fuzzer made never verifies, nor any without one */
    if (saml_verify_redirect(sp(), m) == 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *param;
    char *s, *b64 = NULL, *relay = NULL;
    saml_msg m;
    idm_err err = IDM_ERR_INIT;
    size_t n;
    int mode, rc;

    if (size < 1 || size > SAML_MSG_ENCODED_MAX + 1024) {
        return 0;
    }
    mode = data[0] & 3;
    param = mode & 1 ? "SAMLResponse" : "SAMLRequest";
    n = size - 1;
    /* the transports hand over NUL-terminated text with a length */
    s = malloc(n + 1);
    if (s == NULL) {
        return 0;
    }
    memcpy(s, data + 1, n);
    s[n] = '\0';
    if (mode < 2) {
        rc = saml_msg_decode_redirect(&m, s, n, param, &err);
    } else {
        b64 = web_form_get(s, n, param);
        relay = web_form_get(s, n, "RelayState");
        rc = saml_msg_decode_post(&m, b64, b64 != NULL ? strlen(b64) : 0, relay,
                                  &err);
    }
    if (rc == 0) {
        check(&m, param, mode >= 2);
        saml_msg_clear(&m);
    }
    free(b64);
    free(relay);
    free(s);
    return 0;
}
