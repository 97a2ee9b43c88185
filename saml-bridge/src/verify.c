/* SPDX-License-Identifier: EUPL-1.2
 * Signature checks shared by the protocol steps: the HTTP-Redirect query
 * signature (SAML bindings 3.4.4.1) with an SP's metadata keys. One
 * function, so SSO and SLO accept exactly the same signatures.
 */
#include <string.h>

#include <openssl/evp.h>

#include "steps_int.h"

int saml_verify_redirect(const saml_sp_info *sp, const saml_msg *m)
{
    if (sp == NULL || m == NULL || !m->redirect_signed ||
        m->signed_octets == NULL || m->signature == NULL ||
        m->signature_len == 0) {
        return -1;
    }
    for (int i = 0; i < sp->n_keys; i++) {
        EVP_MD_CTX *md;
        int ok;

        /* RSA-SHA256 is the only SigAlg decode.c lets through: a key of
         * another type must not verify under it */
        if (EVP_PKEY_base_id(sp->keys[i]) != EVP_PKEY_RSA) {
            continue;
        }
        md = EVP_MD_CTX_new();
        ok = md != NULL &&
             EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, sp->keys[i]) ==
                 1 &&
             EVP_DigestVerify(md, m->signature, m->signature_len,
                              (const unsigned char *)m->signed_octets,
                              strlen(m->signed_octets)) == 1;
        EVP_MD_CTX_free(md);
        if (ok) {
            return 0;
        }
    }
    return -1;
}
