/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge: the IdP's signing material (keys.c), signed
 * SSO Responses (sign.c) and encrypted assertions (encrypt.c).
 */
#ifndef SAML_CRYPTO_INT_H
#define SAML_CRYPTO_INT_H

#include <glib.h>
#include <lasso/lasso.h>
#include <openssl/evp.h>

#include "base/conf.h"
#include "base/err.h"
#include "registry_int.h"

/* ---- keys ---- */

typedef struct saml_keys {
    char *key_pem; /* wiped on free */
    char *cert_pem;
    char *cert_b64;      /* DER base64 for metadata */
    char *next_cert_b64; /* or NULL */
    LassoKey *sign_key;  /* preloaded key, no certificate in KeyInfo */
    LassoKey *meta_key;  /* key with certificate, signs the metadata */
    EVP_PKEY *pkey;      /* the same key, for HTTP-Redirect signatures */
    EVP_MD_CTX *sign_md; /* RSA-SHA256 with pkey, initialised once: a
                          * copy per signature skips the provider fetch */
} saml_keys;

int saml_keys_load(saml_keys *out, const idm_conf *conf, idm_err *err);
void saml_keys_clear(saml_keys *keys);

/* ---- signed Responses (sign.c) ---- */

#define SAML_SIGN_ASSERTION 1u
#define SAML_SIGN_RESPONSE 2u

/* What an SP's Responses get signed (saml_sp.sign, NULL: per metadata):
 * one signature by default, on the Assertion if wants_assertions_signed,
 * else on the Response. */
unsigned saml_sign_parts(const char *sign, int wants_assertions_signed);

/* The login's Response with Destination acs_url, as base64 in *out
 * (free()); enveloped RSA-SHA256 signatures on every Assertion if parts
 * has SAML_SIGN_ASSERTION, on the Response if it has SAML_SIGN_RESPONSE
 * or carries no Assertion (error Responses are always signed). If sp
 * encrypts (sp->encrypt), every Assertion becomes an EncryptedAssertion
 * after it is signed. */
int saml_sign_response(char **out, LassoLogin *login, const char *acs_url,
                       const saml_keys *keys, unsigned parts,
                       const saml_sp_info *sp, idm_err *err);

/* ---- encrypted assertions (encrypt.c) ---- */

#define SAML_ENC_AES256_GCM 1u
#define SAML_ENC_AES128_CBC 2u

/* The content encryption for an SP whose encryption KeyDescriptor lists
 * md:EncryptionMethods (any_listed) including AES-256-GCM (gcm) or
 * AES-128-CBC (cbc128): AES-256-GCM unless it lists only the latter. */
unsigned saml_enc_from_methods(int any_listed, int gcm, int cbc128);

/* The RSA-OAEP-MGF1P encryption context for an SP's key (RSA, at most
 * 8192 bits), set up once per SP (OpenSSL 3 looks up the algorithms and
 * builds the parameters on every set-up); NULL if it cannot be made.
 * Free with EVP_PKEY_CTX_free(). */
EVP_PKEY_CTX *saml_encrypt_key_ctx(EVP_PKEY *sp_key);

/* A saml:EncryptedAssertion (canonical form) of the canonical Assertion
 * bytes, appended to out: content key wrapped with RSA-OAEP-MGF1P by a
 * copy of key_ctx (saml_encrypt_key_ctx()), content encrypted with alg
 * (SAML_ENC_*). */
int saml_encrypt_assertion(GString *out, const char *assertion, size_t len,
                           const EVP_PKEY_CTX *key_ctx, unsigned alg,
                           idm_err *err);

#endif /* SAML_CRYPTO_INT_H */
