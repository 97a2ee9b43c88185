/* SPDX-License-Identifier: EUPL-1.2
 * The IdP's signing material: an RSA key (at least 2048 bits; Lasso fails
 * at signing with ECDSA), its certificate and an optional next certificate
 * published for rollover. The key is parsed once into LassoKeys so that
 * signing does not re-read PEM on every response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/alloc.h"
#include "crypto_int.h"
#include "saml/conf.h"
#include "web/codec.h"

#define PEM_MAX (64 * 1024)

static int read_file(char **out, const char *path, const char *what,
                     idm_err *err)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;

    *out = NULL;
    if (path == NULL) {
        return idm_err_set(err, IDM_ECONFIG, "[idp] %s is not set", what);
    }
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        idm_err_set(err, IDM_ECONFIG, "[idp] %s: cannot read \"%s\"", what,
                    path);
        idm_err_detail(err, "%s", gerr->message);
        g_error_free(gerr);
        return IDM_ECONFIG;
    }
    if (len == 0 || len > PEM_MAX || memchr(data, '\0', len) != NULL) {
        OPENSSL_cleanse(data, len);
        g_free(data);
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] %s: \"%s\" is empty, binary or too large",
                           what, path);
    }
    *out = idm_xstrndup(data, len);
    OPENSSL_cleanse(data, len);
    g_free(data);
    return 0;
}

/* DER of a PEM certificate as base64 (for ds:X509Certificate). */
static int cert_b64(char **out, X509 **x509_out, const char *pem,
                    const char *what, idm_err *err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *der = NULL;
    int len;

    BIO_free(bio);
    *out = NULL;
    if (x == NULL) {
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] %s is not a PEM certificate", what);
    }
    len = i2d_X509(x, &der);
    if (len <= 0) {
        X509_free(x);
        return idm_err_set(err, IDM_ECONFIG, "[idp] %s cannot be encoded",
                           what);
    }
    *out = web_b64_encode(der, (size_t)len);
    OPENSSL_free(der);
    if (x509_out != NULL) {
        *x509_out = x;
    } else {
        X509_free(x);
    }
    return 0;
}

int saml_keys_load(saml_keys *out, const idm_conf *conf, idm_err *err)
{
    const saml_conf *sc = saml_conf_get(conf);
    BIO *bio = NULL;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    char *next_pem = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = read_file(&out->key_pem, sc->key_file, "key_file", err);
    if (rc == 0) {
        rc = read_file(&out->cert_pem, sc->cert_file, "cert_file", err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    bio = BIO_new_mem_buf(out->key_pem, -1);
    pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    if (pkey == NULL) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] key_file is not an unencrypted PEM key");
        goto cleanup;
    }
    /* ECDSA keys load in Lasso but fail at signing (-416): RSA only */
    if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_bits(pkey) < 2048) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] key_file must be an RSA key of at least 2048 "
                         "bits");
        goto cleanup;
    }
    rc = cert_b64(&out->cert_b64, &cert, out->cert_pem, "cert_file", err);
    if (rc != 0) {
        goto cleanup;
    }
    if (X509_check_private_key(cert, pkey) != 1) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] cert_file does not belong to key_file");
        goto cleanup;
    }
    if (sc->next_cert_file != NULL) {
        rc = read_file(&next_pem, sc->next_cert_file, "next_cert_file", err);
        if (rc == 0) {
            rc = cert_b64(&out->next_cert_b64, NULL, next_pem, "next_cert_file",
                          err);
        }
        if (rc != 0) {
            goto cleanup;
        }
    }
    out->sign_key = lasso_key_new_for_signature_from_memory(
        out->key_pem, strlen(out->key_pem), NULL,
        LASSO_SIGNATURE_METHOD_RSA_SHA256, NULL);
    /* the certificate by file name: given PEM text, xmlsec 1.2.37 first
     * tries it as a file name and leaks that BIO (192 bytes) */
    out->meta_key = lasso_key_new_for_signature_from_memory(
        out->key_pem, strlen(out->key_pem), NULL,
        LASSO_SIGNATURE_METHOD_RSA_SHA256, sc->cert_file);
    if (out->sign_key == NULL || out->meta_key == NULL) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] key_file could not be loaded for signing");
        goto cleanup;
    }
    out->sign_md = EVP_MD_CTX_new();
    if (out->sign_md == NULL ||
        EVP_DigestSignInit(out->sign_md, NULL, web_sha256_md(), NULL, pkey) !=
            1) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] key_file cannot sign with RSA-SHA256");
        goto cleanup;
    }
    out->pkey = pkey;
    pkey = NULL;
cleanup:
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    X509_free(cert);
    free(next_pem);
    if (rc != 0) {
        saml_keys_clear(out);
    }
    return rc;
}

void saml_keys_clear(saml_keys *keys)
{
    if (keys == NULL) {
        return;
    }
    if (keys->key_pem != NULL) {
        OPENSSL_cleanse(keys->key_pem, strlen(keys->key_pem));
        free(keys->key_pem);
    }
    free(keys->cert_pem);
    free(keys->cert_b64);
    free(keys->next_cert_b64);
    EVP_MD_CTX_free(keys->sign_md);
    EVP_PKEY_free(keys->pkey);
    if (keys->sign_key != NULL) {
        g_object_unref(keys->sign_key);
    }
    if (keys->meta_key != NULL) {
        g_object_unref(keys->meta_key);
    }
    memset(keys, 0, sizeof(*keys));
}
