/* SPDX-License-Identifier: EUPL-1.2
 * Small helpers of the web layer: the per-request pool,
 * base64, URL and HTML escaping, cookies, hashes, random tokens and
 * xsd:dateTime.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>

#include "web_int.h"

/* ---- pool ---- */

typedef struct pool_item {
    void (*fn)(void *);
    void *ptr;
} pool_item;

struct web_pool {
    GArray *items;
};

web_pool *web_pool_new(void)
{
    web_pool *pool = idm_xcalloc(1, sizeof(*pool));
    pool->items = g_array_sized_new(FALSE, FALSE, sizeof(pool_item), 16);
    return pool;
}

void web_pool_free(web_pool *pool)
{
    if (pool == NULL) {
        return;
    }
    /* newest first, like nested scopes */
    for (guint i = pool->items->len; i > 0; i--) {
        pool_item *it = &g_array_index(pool->items, pool_item, i - 1);
        it->fn(it->ptr);
    }
    g_array_free(pool->items, TRUE);
    free(pool);
}

void *web_pool_add(web_pool *pool, void (*fn)(void *), void *ptr)
{
    pool_item it = {fn, ptr};
    if (ptr != NULL) {
        g_array_append_val(pool->items, it);
    }
    return ptr;
}

char *web_pool_strdup(web_pool *pool, const char *s)
{
    return s == NULL ? NULL : web_pool_add(pool, free, idm_xstrdup(s));
}

char *web_pool_printf(web_pool *pool, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = idm_xvasprintf(fmt, ap);
    va_end(ap);
    return web_pool_add(pool, free, s);
}

/* ---- base64 ---- */

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

unsigned char *web_b64_decode(const char *in, size_t len, size_t max,
                              size_t *out_len)
{
    unsigned char *out;
    size_t n = 0, pad = 0;
    uint32_t acc = 0;
    int bits = 0;

    *out_len = 0;
    if (len / 4 * 3 > max + 3) {
        return NULL;
    }
    out = idm_xmalloc(len / 4 * 3 + 3);
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i], v;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad > 0 || (v = b64_value(c)) < 0) {
            goto bad; /* data after padding, or not base64 */
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            if (n > max) {
                goto bad;
            }
        }
    }
    if (pad > 2 || bits >= 6) {
        goto bad;
    }
    *out_len = n;
    return out;
bad:
    free(out);
    return NULL;
}

char *web_b64_encode(const unsigned char *in, size_t len)
{
    char *out = idm_xmalloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

char *web_b64url_encode(const unsigned char *in, size_t len)
{
    char *s = web_b64_encode(in, len);
    for (char *p = s; *p != '\0'; p++) {
        if (*p == '+') {
            *p = '-';
        } else if (*p == '/') {
            *p = '_';
        } else if (*p == '=') {
            *p = '\0';
            break;
        }
    }
    return s;
}

/* ---- URL and form encoding ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

char *web_url_decode(const char *in, size_t len)
{
    char *out = idm_xmalloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[n++] = ' ';
        } else if (in[i] == '%') {
            int h, l;
            if (i + 2 >= len || (h = hexval(in[i + 1])) < 0 ||
                (l = hexval(in[i + 2])) < 0) {
                goto bad;
            }
            out[n++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[n++] = in[i];
        }
        if (out[n - 1] == '\0') {
            goto bad;
        }
    }
    out[n] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

char *web_url_encode(const char *in)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(in);
    char *out = idm_xmalloc(3 * len + 1), *p = out;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return out;
}

int web_form_raw(const char *form, size_t len, const char *name,
                 const char **raw, size_t *raw_len)
{
    size_t nlen = strlen(name);
    const char *p = form, *end = form + len;
    int found = 0;

    *raw = NULL;
    *raw_len = 0;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp != NULL ? amp : end;
        if ((size_t)(e - p) > nlen && memcmp(p, name, nlen) == 0 &&
            p[nlen] == '=') {
            if (found) {
                return -1;
            }
            found = 1;
            *raw = p + nlen + 1;
            *raw_len = (size_t)(e - *raw);
        } else if ((size_t)(e - p) == nlen && memcmp(p, name, nlen) == 0) {
            if (found) {
                return -1;
            }
            found = 1;
            *raw = e;
            *raw_len = 0;
        }
        if (amp == NULL) {
            break; /* end + 1 would point past the buffer (C11 6.5.6) */
        }
        p = amp + 1;
    }
    return found;
}

char *web_form_get(const char *form, size_t len, const char *name)
{
    const char *raw;
    size_t rlen;

    if (form == NULL || web_form_raw(form, len, name, &raw, &rlen) != 1) {
        return NULL;
    }
    return web_url_decode(raw, rlen);
}

void web_html_append(GString *out, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, "&<>\"'");

        g_string_append_len(out, s, (gssize)n); /* a run needing nothing */
        s += n;
        switch (*s) {
        case '\0':
            return;
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        default: /* '\'' */
            g_string_append(out, "&#39;");
        }
        s++;
    }
}

char *web_cookie_get(const char *header, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = header;

    while (p != NULL && *p != '\0') {
        const char *e;
        while (*p == ' ' || *p == ';') {
            p++;
        }
        e = strchr(p, ';');
        if (e == NULL) {
            e = p + strlen(p);
        }
        if ((size_t)(e - p) > nlen && memcmp(p, name, nlen) == 0 &&
            p[nlen] == '=') {
            size_t vlen = (size_t)(e - p) - nlen - 1;
            /* tokens are base64url; anything longer is not ours */
            if (vlen == 0 || vlen > 128) {
                return NULL;
            }
            return idm_xstrndup(p + nlen + 1, vlen);
        }
        p = *e != '\0' ? e + 1 : e;
    }
    return NULL;
}

/* ---- hashes and randomness ---- */

/* OpenSSL 3 looks an algorithm up by name on every implicit use
 * (SHA256(), HMAC(), EVP_sha256() in an init): fetch SHA-256 once. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (sha256_md == NULL) {
        abort(); /* the default provider always has it */
    }
}

const EVP_MD *web_sha256_md(void)
{
    pthread_once(&sha256_once, sha256_fetch);
    return sha256_md;
}

void web_sha256(unsigned char out[32], const void *data, size_t len)
{
    if (EVP_Digest(data, len, out, NULL, web_sha256_md(), NULL) != 1) {
        abort(); /* cannot fail for SHA-256 in memory */
    }
}

void web_hmac_sha256(unsigned char out[32], const void *key, size_t klen,
                     const void *data, size_t len)
{
    unsigned int olen = 32;
    HMAC(web_sha256_md(), key, (int)klen, data, len, out, &olen);
}

EVP_MAC_CTX *web_mac_new(const void *key, size_t klen)
{
    char digest[] = "SHA2-256";
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", digest, 0),
        OSSL_PARAM_construct_end(),
    };

    EVP_MAC_free(mac); /* the context holds its own reference */
    if (ctx != NULL && EVP_MAC_init(ctx, key, klen, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

void web_mac(unsigned char out[32], const EVP_MAC_CTX *keyed, const void *data,
             size_t len)
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(keyed);
    size_t olen = 0;

    if (c == NULL || EVP_MAC_update(c, data, len) != 1 ||
        EVP_MAC_final(c, out, &olen, 32) != 1 || olen != 32) {
        abort(); /* out of memory: nothing sensible to return */
    }
    EVP_MAC_CTX_free(c);
}

void web_bytea_hex(char out[67], const unsigned char hash[32])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    for (int i = 0; i < 32; i++) {
        out[2 + 2 * i] = hex[hash[i] >> 4];
        out[3 + 2 * i] = hex[hash[i] & 15];
    }
    out[66] = '\0';
}

char *web_random_token(void)
{
    unsigned char buf[32];
    char *s;

    if (RAND_bytes(buf, sizeof(buf)) != 1) {
        fputs("<2>level=error comp=web event=rng.fail\n", stderr);
        abort();
    }
    s = web_b64url_encode(buf, sizeof(buf));
    OPENSSL_cleanse(buf, sizeof(buf));
    return s;
}

/* ---- time ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm: days since 1970-01-01 */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s, or -1 (sscanf's %d would take signs and
 * blanks: "2026- 1-05" was January). */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int64_t web_time_parse(const char *s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, off = 0, leap;
    const char *p;

    /* YYYY-MM-DDThh:mm:ss[.s+](Z|(+|-)hh:mm), digits exactly there */
    if (s == NULL || strlen(s) > 40 || strlen(s) < 20 || s[4] != '-' ||
        s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') {
        return -1;
    }
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    sec = digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60) {
        return -1;
    }
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap)) {
        return -1; /* 2026-02-30 is no day, not March 2 */
    }
    p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) {
            return -1;
        }
        while (isdigit((unsigned char)*p)) {
            p++;
        }
    }
    if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
               isdigit((unsigned char)p[2]) && p[3] == ':' &&
               isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh > 14 || om > 59) {
            return -1; /* xsd: -14:00 to +14:00 */
        }
        off = oh * 3600 + om * 60;
        if (*p == '+') {
            off = -off;
        }
        p += 6;
    } else {
        return -1; /* a time without zone is ambiguous: refuse */
    }
    if (*p != '\0') {
        return -1;
    }
    return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
           mi * 60 + sec + off;
}

void web_time_format(char out[32], int64_t epoch)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
