/* SPDX-License-Identifier: EUPL-1.2
 * Encrypted assertions (SAML core 2.3.4, XML Encryption 1.1): the
 * canonical bytes of a (signed) Assertion become a saml:EncryptedAssertion
 * for an SP whose metadata has an encryption key. Content: AES-256-GCM
 * (xmlenc11#aes256-gcm), or AES-128-CBC for an SP whose metadata lists
 * only that; key transport: RSA-OAEP with MGF1 and SHA-1
 * (xmlenc#rsa-oaep-mgf1p), the OAEP variant every SP library here
 * decrypts (xmlsec 1.2 has no xmlenc11#rsa-oaep). SHA-1 only pads the
 * random key inside OAEP; it signs and hashes nothing, and OAEP with
 * SHA-1 has no known weakness (BSI TR-02102-1 allows it for key
 * transport).
 *
 * The element is written in exclusive canonical form, like sign.c's
 * output, so that a Response signature over it composes: it declares
 * "saml" itself (the Response's start tag declares only its own prefix),
 * "xenc" on EncryptedData and "ds" on KeyInfo, the first elements that
 * use them; the EncryptedKey sits in the KeyInfo, as Lasso writes it.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "base/alloc.h"
#include "crypto_int.h"
#include "web/codec.h"

#define XENC_NS "http://www.w3.org/2001/04/xmlenc#"
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define SAML_NS "urn:oasis:names:tc:SAML:2.0:assertion"

/* The SP's metadata: md:EncryptionMethod of its encryption key. */
unsigned saml_enc_from_methods(int any_listed, int gcm, int cbc128)
{
    /* metadata 2.4.1.1: the listed methods are the ones the SP
     * supports; AES-128-CBC only when it names nothing better we
     * speak */
    if (any_listed && !gcm && cbc128) {
        return SAML_ENC_AES128_CBC;
    }
    return SAML_ENC_AES256_GCM;
}

/* OpenSSL 3 looks an algorithm up by name on every implicit use (a
 * third of the cost of an encryption): fetched once. */
static EVP_CIPHER *gcm, *cbc;
static EVP_MD *sha1;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
    sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

EVP_PKEY_CTX *saml_encrypt_key_ctx(EVP_PKEY *sp_key)
{
    EVP_PKEY_CTX *pc = NULL;

    pthread_once(&fetched, fetch);
    if (sp_key == NULL || sha1 == NULL ||
        EVP_PKEY_get_base_id(sp_key) != EVP_PKEY_RSA ||
        EVP_PKEY_get_size(sp_key) > 1024) {
        return NULL;
    }
    pc = EVP_PKEY_CTX_new(sp_key, NULL);
    if (pc == NULL || EVP_PKEY_encrypt_init(pc) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(pc, sha1) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pc, sha1) != 1) {
        EVP_PKEY_CTX_free(pc);
        return NULL;
    }
    return pc;
}

/* RSA-OAEP (MGF1, SHA-1) of the content key with the SP's key: a copy of
 * the SP's context (saml_encrypt_key_ctx), which is never changed and
 * may be copied by several threads at once (EVP_PKEY_CTX_dup only reads
 * it and takes references). */
static char *wrap_key(const unsigned char *key, size_t klen,
                      const EVP_PKEY_CTX *key_ctx)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_dup(key_ctx);
    unsigned char wrapped[1024];
    size_t wlen = sizeof(wrapped);
    char *out = NULL;

    if (pc != NULL && EVP_PKEY_encrypt(pc, wrapped, &wlen, key, klen) == 1) {
        out = web_b64_encode(wrapped, wlen);
    }
    EVP_PKEY_CTX_free(pc);
    return out;
}

/* IV || ciphertext (|| tag for GCM) of in, base64 (XML Enc 1.1 5.2);
 * iv: ivlen random bytes. */
static char *seal(const unsigned char *key, const unsigned char *iv,
                  unsigned alg, const char *in, size_t len)
{
    const EVP_CIPHER *c = alg == SAML_ENC_AES128_CBC ? cbc : gcm;
    size_t ivlen = alg == SAML_ENC_AES128_CBC ? 16 : 12;
    size_t tlen = alg == SAML_ENC_AES128_CBC ? 0 : 16;
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    unsigned char *buf = NULL;
    char *out = NULL;
    int n1 = 0, n2 = 0;

    if (cc == NULL || len > 64u * 1024 * 1024) {
        goto cleanup;
    }
    /* CBC pads up to one block (the XML Enc padding is PKCS#7's) */
    buf = idm_xmalloc(ivlen + len + 16 + tlen);
    memcpy(buf, iv, ivlen);
    if (EVP_EncryptInit_ex(cc, c, NULL, NULL, NULL) != 1 ||
        (tlen != 0 && EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_SET_IVLEN,
                                          (int)ivlen, NULL) != 1) ||
        EVP_EncryptInit_ex(cc, NULL, NULL, key, buf) != 1 ||
        EVP_EncryptUpdate(cc, buf + ivlen, &n1, (const unsigned char *)in,
                          (int)len) != 1 ||
        EVP_EncryptFinal_ex(cc, buf + ivlen + n1, &n2) != 1 ||
        (tlen != 0 &&
         EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, (int)tlen,
                             buf + ivlen + (size_t)n1 + (size_t)n2) != 1)) {
        goto cleanup;
    }
    out = web_b64_encode(buf, ivlen + (size_t)n1 + (size_t)n2 + tlen);
cleanup:
    EVP_CIPHER_CTX_free(cc);
    free(buf);
    return out;
}

int saml_encrypt_assertion(GString *out, const char *assertion, size_t len,
                           const EVP_PKEY_CTX *key_ctx, unsigned alg,
                           idm_err *err)
{
    /* the content key, then the IV (16 bytes at most): one draw from the
     * DRBG, which asks the kernel for the pid on every call */
    unsigned char key[32 + 16];
    size_t klen = alg == SAML_ENC_AES128_CBC ? 16 : 32;
    char *wrapped = NULL, *data = NULL;
    int rc = -1;

    pthread_once(&fetched, fetch);
    if (key_ctx == NULL || gcm == NULL || cbc == NULL || sha1 == NULL ||
        (alg != SAML_ENC_AES256_GCM && alg != SAML_ENC_AES128_CBC) ||
        RAND_bytes(key, (int)(klen + 16)) != 1) {
        goto cleanup;
    }
    wrapped = wrap_key(key, klen, key_ctx);
    data = wrapped != NULL ? seal(key, key + klen, alg, assertion, len) : NULL;
    if (data == NULL) {
        goto cleanup;
    }
    g_string_append(out, "<saml:EncryptedAssertion xmlns:saml=\"" SAML_NS "\">"
                         "<xenc:EncryptedData xmlns:xenc=\"" XENC_NS "\" "
                         "Type=\"" XENC_NS "Element\">"
                         "<xenc:EncryptionMethod Algorithm=\"");
    g_string_append(out, alg == SAML_ENC_AES128_CBC
                             ? XENC_NS "aes128-cbc"
                             : "http://www.w3.org/2009/xmlenc11#aes256-gcm");
    g_string_append(out, "\"></xenc:EncryptionMethod>"
                         "<ds:KeyInfo xmlns:ds=\"" DS_NS "\">"
                         "<xenc:EncryptedKey>"
                         "<xenc:EncryptionMethod Algorithm=\"" XENC_NS
                         "rsa-oaep-mgf1p\">"
                         "<ds:DigestMethod Algorithm=\"" DS_NS "sha1\">"
                         "</ds:DigestMethod></xenc:EncryptionMethod>"
                         "<xenc:CipherData><xenc:CipherValue>");
    g_string_append(out, wrapped);
    g_string_append(out, "</xenc:CipherValue></xenc:CipherData>"
                         "</xenc:EncryptedKey></ds:KeyInfo>"
                         "<xenc:CipherData><xenc:CipherValue>");
    g_string_append(out, data);
    g_string_append(out, "</xenc:CipherValue></xenc:CipherData>"
                         "</xenc:EncryptedData></saml:EncryptedAssertion>");
    rc = 0;
cleanup:
    OPENSSL_cleanse(key, sizeof(key));
    if (rc != 0) {
        idm_err_set(err, IDM_EINTERNAL, "response not built");
        idm_err_detail(err, "encrypting the assertion failed");
    }
    free(wrapped);
    free(data);
    return rc;
}
