/* SPDX-License-Identifier: EUPL-1.2
 * Encoding helpers for untrusted input and tokens: base64, URL and form
 * decoding, HTML escaping, cookies, SHA-256 and HMAC, random tokens,
 * bytea literals and xsd:dateTime.
 */
#ifndef WEB_CODEC_H
#define WEB_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/evp.h>

/** Base64 (whitespace ignored, strict otherwise). NULL on bad input or if
 * the result would exceed max; free(). */
unsigned char *web_b64_decode(const char *in, size_t len, size_t max,
                              size_t *out_len);
/** Base64 with padding; free(). */
char *web_b64_encode(const unsigned char *in, size_t len);
/** base64url without padding, for tokens; free(). */
char *web_b64url_encode(const unsigned char *in, size_t len);

/** Form/query decoding ('+' is a space). NULL on a bad %-escape or NUL;
 * free(). */
char *web_url_decode(const char *in, size_t len);
/** Percent-encode all but unreserved characters; free(). */
char *web_url_encode(const char *in);

/** Find name in an application/x-www-form-urlencoded string; raw points at
 * the undecoded value. Returns 1 if found exactly once, 0 if absent, -1 if
 * repeated. */
int web_form_raw(const char *form, size_t len, const char *name,
                 const char **raw, size_t *raw_len);
/** Decoded value of a field (found once), else NULL; free(). */
char *web_form_get(const char *form, size_t len, const char *name);

/** HTML-escape into a GString (text and attribute values). */
void web_html_append(GString *out, const char *s);

/** Cookie value by name from a Cookie header (NULL if absent or
 * repeated); free(). */
char *web_cookie_get(const char *header, const char *name);

/** SHA-256, fetched from the provider once (thread-safe). */
const EVP_MD *web_sha256_md(void);
void web_sha256(unsigned char out[32], const void *data, size_t len);
/** HMAC-SHA256 keyed once (NULL if OpenSSL fails; free with
 * EVP_MAC_CTX_free); web_mac() computes with a copy, so one keyed context
 * serves every thread. */
EVP_MAC_CTX *web_mac_new(const void *key, size_t klen);
void web_mac(unsigned char out[32], const EVP_MAC_CTX *keyed, const void *data,
             size_t len);
void web_hmac_sha256(unsigned char out[32], const void *key, size_t klen,
                     const void *data, size_t len);
/** bytea literal "\\x.." for a 32-byte hash; out holds 67 bytes. */
void web_bytea_hex(char out[67], const unsigned char hash[32]);
/** 32 random bytes as base64url (43 chars); aborts if the RNG fails;
 * free(). */
char *web_random_token(void);

/** xsd:dateTime to seconds since the epoch; -1 if unparsable. */
int64_t web_time_parse(const char *s);
/** epoch as xsd:dateTime UTC ("2026-01-02T03:04:05Z") into out[32]. */
void web_time_format(char out[32], int64_t epoch);

#endif /* WEB_CODEC_H */
