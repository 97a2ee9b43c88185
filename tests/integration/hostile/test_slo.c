/* SPDX-License-Identifier: EUPL-1.2
 * Hostile Single Logout (issue 12): LogoutRequests as an attacker would
 * send them, straight into web_site_handle() on the real PostgreSQL of
 * tests/harness/pg. Sessions are made in the database (a cookie token,
 * the SPs with the NameID and SessionIndex each was given); the SPs are
 * tests/data/saml/sp1 and sp2, signing with their keys (OpenSSL for the
 * HTTP-Redirect query, Lasso for the XML signature of HTTP-POST). Each
 * case asserts the safe outcome: the session lives (or ends only as the
 * rules say), the refusal is audited, other SPs' NameIDs go only to their
 * own SLO endpoint. Run under ASan, whose leak check at exit catches the
 * old per-request leak of signed POST requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <lasso/lasso.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "base/conf.h"
#include "base/db.h"
#include "idm/conf.h"
#include "idm/migrate.h"
#include "idm/org.h"
#include "idm/user.h"
#include "saml/conf.h"
#include "saml/idp.h"
#include "web/conf.h"
#include "web/web.h"
#include "saml/sp.h"
#include "testpg.h"

#define IDP_BASE "https://idp.test.invalid"
#define IDP_SLO IDP_BASE "/saml/slo"
#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define FMT_PERSISTENT "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
#define ST_PARTIAL "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"
#define ST_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define ST_UNKNOWN "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
#define REJECT "saml.logout_reject"
#define NSP 2

static const char *const sp_name[NSP] = {"sp1", "sp2"};
static const char *const sp_entity[NSP] = {"https://sp1.test.invalid/sp",
                                           "https://sp2.test.invalid/sp"};
static const char *const sp_slo[NSP] = {"https://sp1.test.invalid/slo",
                                        "https://sp2.test.invalid/slo"};

static struct {
    char conninfo[512];
    char *data;
    idm_conf *conf;
    web_site *web;
    saml_idp *idp;
    PGconn *pg;
    char *login;
    EVP_PKEY *key[NSP];
    LassoKey *xml_key[NSP];      /* no certificate in KeyInfo */
    LassoKey *xml_key_cert[NSP]; /* with the SP's certificate in KeyInfo */
    int serial;
} g;

/* ---- helpers ---- */

static char *data_path(const char *name)
{
    return g_build_filename(g.data, name, NULL);
}

static char *slurp(const char *name)
{
    char *path = data_path(name), *text = NULL;

    assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

static char *sql1(const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(g.pg, sql, n, NULL, params, NULL, NULL, 0);
    char *v = NULL;

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(g.pg));
    }
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        v = g_strdup(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return v;
}

static long audit_max_id(void)
{
    idm_err err = IDM_ERR_INIT;
    char *v;

    /* rejections of earlier steps still counted in memory belong before
     * the mark, not after it */
    if (g.idp != NULL && web_site_reject_flush(g.web, 1, &err) != 0) {
        fail_msg("reject flush: %s", err.msg);
    }
    v = sql1("SELECT coalesce(max(id), 0) FROM audit_log", 0, NULL);
    long n = strtol(v, NULL, 10);

    g_free(v);
    return n;
}

/* "action|sp|reason" of the audit rows since `since`, one a line. */
static char *audit_since(long since)
{
    char buf[32];
    const char *p[1] = {buf};
    idm_err err = IDM_ERR_INIT;

    /* rejections are audited in aggregate: write the buckets first */
    assert_int_equal(web_site_reject_flush(g.web, 1, &err), 0);

    snprintf(buf, sizeof(buf), "%ld", since);
    return sql1("SELECT coalesce(string_agg(action || '|' || "
                "coalesce(details->>'sp', '-') || '|' || "
                "coalesce(details->>'reason', '-'), E'\\n' ORDER BY id), '') "
                "FROM audit_log WHERE id > $1::bigint",
                1, p);
}

static char *urlenc(const char *s)
{
    GString *o = g_string_new(NULL);

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (g_ascii_isalnum(*p) || strchr("-._~", *p) != NULL) {
            g_string_append_c(o, (char)*p);
        } else {
            g_string_append_printf(o, "%%%02X", *p);
        }
    }
    return g_string_free(o, FALSE);
}

typedef struct browser {
    char *b; /* idm_b */
    char *s; /* idm_s */
} browser;

static void browser_clear(browser *br)
{
    g_free(br->b);
    g_free(br->s);
    memset(br, 0, sizeof(*br));
}

static const char *header(const web_response *r, const char *name)
{
    for (int i = 0; i < r->nheaders; i++) {
        if (g_ascii_strcasecmp(r->headers[i].name, name) == 0) {
            return r->headers[i].value;
        }
    }
    return NULL;
}

/* IDP_BASE is https: both cookies carry the __Host- prefix. */
#define COOKIE_B "__Host-idm_b="
#define COOKIE_S "__Host-idm_s="

static void take_cookies(browser *br, const web_response *r)
{
    for (int i = 0; i < r->nheaders; i++) {
        const char *v = r->headers[i].value;
        char **slot;
        size_t n, skip;

        if (strcmp(r->headers[i].name, "Set-Cookie") != 0) {
            continue;
        }
        if (strncmp(v, COOKIE_B, strlen(COOKIE_B)) == 0) {
            slot = &br->b;
            skip = strlen(COOKIE_B);
        } else if (strncmp(v, COOKIE_S, strlen(COOKIE_S)) == 0) {
            slot = &br->s;
            skip = strlen(COOKIE_S);
        } else {
            continue;
        }
        g_free(*slot);
        *slot = NULL;
        n = strcspn(v + skip, ";");
        if (strstr(v, "Max-Age=0") == NULL && n > 0) {
            *slot = g_strndup(v + skip, n);
        }
    }
}

static void http(web_response *out, browser *br, const char *method,
                 const char *path, const char *query, const char *body)
{
    char *cookie = g_strdup_printf(
        "%s%s%s%s", br->b != NULL ? COOKIE_B : "", br->b != NULL ? br->b : "",
        br->s != NULL ? "; " COOKIE_S : "", br->s != NULL ? br->s : "");
    web_request req;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    req.body_len = body != NULL ? strlen(body) : 0;
    req.content_type =
        body != NULL ? "application/x-www-form-urlencoded" : NULL;
    req.cookie = cookie[0] != '\0' ? cookie : NULL;
    req.accept_language = "en";
    req.client_addr = "192.0.2.7";
    web_site_handle(out, g.web, &req);
    take_cookies(br, out);
    g_free(cookie);
}

/* ---- sessions made in the database ---- */

typedef struct sess {
    char *id;
    char *token; /* the cookie */
    char nid[NSP][64], si[NSP][64];
} sess;

/* A session of the test user in which the SPs with has[i] got an
 * assertion (NameID and SessionIndex unique per session and SP). */
static void sess_new(sess *s, const int has[NSP])
{
    unsigned char raw[32];
    char *t;

    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < sizeof(raw); i++) {
        raw[i] = (unsigned char)g_random_int();
    }
    t = g_base64_encode(raw, sizeof(raw));
    /* base64url without padding: 43 characters, as idmd makes them */
    for (char *p = t; *p != '\0'; p++) {
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    }
    t[43] = '\0';
    s->token = t;
    s->id = sql1("INSERT INTO saml_session (token_hash, person_uuid, login, "
                 "expires_at) SELECT sha256(convert_to($1, 'UTF8')), "
                 "gen_random_uuid(), $2, now() + interval '1 hour' "
                 "RETURNING id",
                 2, (const char *const[]){s->token, g.login});
    assert_non_null(s->id);
    for (int i = 0; i < NSP; i++) {
        char *r;

        if (!has[i]) {
            continue;
        }
        g.serial++;
        snprintf(s->nid[i], sizeof(s->nid[i]), "nid-%s-%d", sp_name[i],
                 g.serial);
        snprintf(s->si[i], sizeof(s->si[i]), "_si-%s-%d", sp_name[i], g.serial);
        r = sql1("INSERT INTO saml_session_sp (session_id, sp_entity_id, "
                 "name_id, name_id_format, session_index) VALUES "
                 "($1::bigint, $2, $3, $4, $5) RETURNING 1",
                 5,
                 (const char *const[]){s->id, sp_entity[i], s->nid[i],
                                       FMT_PERSISTENT, s->si[i]});
        g_free(r);
    }
}

static void sess_clear(sess *s)
{
    g_free(s->id);
    g_free(s->token);
    memset(s, 0, sizeof(*s));
}

static int sess_alive(const sess *s)
{
    char *v = sql1("SELECT count(*) FROM saml_session WHERE id = $1::bigint", 1,
                   (const char *const[]){s->id});
    int n = atoi(v);

    g_free(v);
    return n == 1;
}

/* ---- LogoutRequests ---- */

/* nid or si NULL: that element is left out. */
static char *logout_xml(int issuer, const char *nid, const char *si,
                        char **id_out)
{
    char now[32], *id, *xml;
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    id = g_strdup_printf("_hostile-slo-%d-%ld", ++g.serial, (long)t);
    xml = g_strdup_printf(
        "<samlp:LogoutRequest xmlns:samlp=\"" NS_SAMLP "\" "
        "xmlns:saml=\"" NS_SAML "\" ID=\"%s\" Version=\"2.0\" "
        "IssueInstant=\"%s\" Destination=\"" IDP_SLO "\">"
        "<saml:Issuer>%s</saml:Issuer>%s%s%s%s%s%s</samlp:LogoutRequest>",
        id, now, sp_entity[issuer],
        nid != NULL ? "<saml:NameID Format=\"" FMT_PERSISTENT "\">" : "",
        nid != NULL ? nid : "", nid != NULL ? "</saml:NameID>" : "",
        si != NULL ? "<samlp:SessionIndex>" : "", si != NULL ? si : "",
        si != NULL ? "</samlp:SessionIndex>" : "");
    if (id_out != NULL) {
        *id_out = id;
    } else {
        g_free(id);
    }
    return xml;
}

static char *b64_sig(int key, const char *octets)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t n = sizeof(sig);

    assert_non_null(ctx);
    assert_int_equal(
        EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, g.key[key]), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)octets,
                                    strlen(octets)),
                     1);
    EVP_MD_CTX_free(ctx);
    return g_base64_encode(sig, n);
}

static char *deflate_b64(const char *in)
{
    z_stream zs;
    uLong cap = compressBound((uLong)strlen(in)) + 64;
    unsigned char *out = g_malloc(cap);
    char *b64;

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(
        deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)in;
    zs.avail_in = (uInt)strlen(in);
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    b64 = g_base64_encode(out, zs.total_out);
    deflateEnd(&zs);
    g_free(out);
    return b64;
}

enum { SIG_NONE = -1, SIG_BAD = -2 };

/* HTTP-Redirect query of param; key: the SP whose key signs, SIG_NONE,
 * or SIG_BAD (sp1's signature over other octets). */
static char *redirect_msg(const char *param, const char *xml, int key,
                          const char *relay)
{
    char *b64 = deflate_b64(xml), *enc = urlenc(b64);
    GString *q = g_string_new(param);

    g_string_append_c(q, '=');

    g_string_append(q, enc);
    if (relay != NULL) {
        char *r = urlenc(relay);
        g_string_append_printf(q, "&RelayState=%s", r);
        g_free(r);
    }
    if (key != SIG_NONE) {
        char *alg = urlenc(ALG_SHA256), *sig, *senc;

        g_string_append_printf(q, "&SigAlg=%s", alg);
        if (key == SIG_BAD) {
            char *other = g_strdup_printf("%s&x", q->str);
            sig = b64_sig(0, other);
            g_free(other);
        } else {
            sig = b64_sig(key, q->str);
        }
        senc = urlenc(sig);
        g_string_append_printf(q, "&Signature=%s", senc);
        g_free(sig);
        g_free(senc);
        g_free(alg);
    }
    g_free(b64);
    g_free(enc);
    return g_string_free(q, FALSE);
}

static char *redirect_query(const char *xml, int key, const char *relay)
{
    return redirect_msg("SAMLRequest", xml, key, relay);
}

/* A ds:Signature of the right shape with a made-up value. */
#define BOGUS_SIGNATURE                                                        \
    "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"           \
    "<ds:SignedInfo><ds:CanonicalizationMethod "                               \
    "Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"                  \
    "<ds:SignatureMethod Algorithm=\"" ALG_SHA256 "\"/>"                       \
    "<ds:Reference URI=\"#%s\"><ds:Transforms><ds:Transform "                  \
    "Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"    \
    "</ds:Transforms><ds:DigestMethod "                                        \
    "Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"                  \
    "<ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</"           \
    "ds:DigestValue>"                                                          \
    "</ds:Reference></ds:SignedInfo><ds:SignatureValue>%s</ds:SignatureValue>" \
    "</ds:Signature>"

/* Lasso appends the enveloped signature; the schema (and Lasso reading
 * it) wants it right after the Issuer. Moving it keeps it valid. */
static void move_signature(xmlNode *root)
{
    xmlNode *issuer = NULL, *sig = NULL;

    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (strcmp((const char *)c->name, "Issuer") == 0 && issuer == NULL) {
            issuer = c;
        } else if (strcmp((const char *)c->name, "Signature") == 0) {
            sig = c;
        }
    }
    assert_non_null(issuer);
    assert_non_null(sig);
    xmlUnlinkNode(sig);
    assert_non_null(xmlAddNextSibling(issuer, sig));
}

enum { XS_NONE, XS_SIGN, XS_SIGN_CERT, XS_BOGUS, XS_TAMPER };

/* HTTP-POST body of param; how: XS_*, key: the SP whose key signs;
 * tamper: for XS_TAMPER, the signed text whose first letter changes. */
static char *post_msg(const char *param, const char *xml, const char *id,
                      int how, int key, const char *relay, const char *tamper)
{
    char *text = NULL, *b64, *enc, *body;

    if (how == XS_NONE) {
        text = g_strdup(xml);
    } else if (how == XS_BOGUS) {
        /* right after the Issuer, where an enveloped signature goes */
        const char *p = strstr(xml, "</saml:Issuer>") + 14;
        GString *pad = g_string_new(NULL);
        char *sig;

        /* a large SignatureValue: the old code leaked the form value */
        for (int i = 0; i < 2048; i++) {
            g_string_append(pad, "QUFB");
        }
        sig = g_strdup_printf(BOGUS_SIGNATURE, id, pad->str);
        text = g_strdup_printf("%.*s%s%s", (int)(p - xml), xml, sig, p);
        g_free(sig);
        g_string_free(pad, TRUE);
    } else {
        xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "x.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NODICT);
        LassoKey *k =
            how == XS_SIGN_CERT ? g.xml_key_cert[key] : g.xml_key[key];
        xmlChar *mem = NULL;
        int size = 0;

        assert_non_null(doc);
        assert_non_null(
            lasso_key_saml2_xml_sign(k, id, xmlDocGetRootElement(doc)));
        move_signature(xmlDocGetRootElement(doc));
        xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
        text = g_strndup((const char *)mem, (gsize)size);
        xmlFree(mem);
        xmlFreeDoc(doc);
        if (how == XS_TAMPER) {
            /* signed content changed after signing */
            char *p = strstr(text, tamper);
            assert_non_null(p);
            p[0] = 'N';
        }
    }
    b64 = g_base64_encode((const guchar *)text, strlen(text));
    enc = urlenc(b64);
    if (relay != NULL) {
        char *r = urlenc(relay);
        body = g_strdup_printf("%s=%s&RelayState=%s", param, enc, r);
        g_free(r);
    } else {
        body = g_strdup_printf("%s=%s", param, enc);
    }
    g_free(text);
    g_free(b64);
    g_free(enc);
    return body;
}

/* A LogoutRequest's HTTP-POST body; XS_TAMPER changes the NameID. */
static char *post_body(const char *xml, const char *id, int how, int key,
                       const char *relay)
{
    return post_msg("SAMLRequest", xml, id, how, key, relay, "nid-");
}

/* The XML of the SAMLRequest/SAMLResponse in a Redirect Location. */
static char *location_xml(const char *loc, const char *param)
{
    char *key = g_strdup_printf("%s=", param);
    const char *p = strstr(loc, key), *e;
    char *raw, *b64;
    guchar *bin;
    gsize n;
    z_stream zs;
    char *out = g_malloc0(65536);

    assert_non_null(p);
    p += strlen(key);
    e = p + strcspn(p, "&");
    raw = g_strndup(p, (gsize)(e - p));
    b64 = g_uri_unescape_string(raw, NULL);
    assert_non_null(b64);
    bin = g_base64_decode(b64, &n);
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, -15), Z_OK);
    zs.next_in = bin;
    zs.avail_in = (uInt)n;
    zs.next_out = (unsigned char *)out;
    zs.avail_out = 65535;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    inflateEnd(&zs);
    g_free(key);
    g_free(raw);
    g_free(b64);
    g_free(bin);
    return out;
}

static void send_redirect(web_response *out, browser *br, const char *q)
{
    http(out, br, "GET", "/saml/slo", q, NULL);
}

/* The query of a Redirect Location carries the IdP's RSA-SHA256
 * signature (bindings 3.4.4.1) made with idp.key. */
static int idp_signed(const char *loc)
{
    const char *q = strchr(loc, '?'), *sig = strstr(loc, "&Signature=");
    char *path = data_path("idp.crt"), *raw, *b64;
    guchar *bin;
    gsize n;
    FILE *f = fopen(path, "r");
    X509 *crt = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pub = crt != NULL ? X509_get_pubkey(crt) : NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok;

    assert_non_null(q);
    assert_non_null(sig);
    assert_non_null(pub);
    raw = g_strdup(sig + 11);
    b64 = g_uri_unescape_string(raw, NULL);
    bin = g_base64_decode(b64, &n);
    ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
         EVP_DigestVerify(md, bin, n, (const unsigned char *)q + 1,
                          (size_t)(sig - q - 1)) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    X509_free(crt);
    fclose(f);
    g_free(bin);
    g_free(b64);
    g_free(raw);
    g_free(path);
    return ok;
}

/* Refused: a 400 page, the session alive, the reason audited. */
static void assert_refused(const web_response *r, const sess *s, long since,
                           const char *reason)
{
    char *audit = audit_since(since);

    assert_int_equal(r->status, 400);
    assert_null(header(r, "Location"));
    assert_true(sess_alive(s));
    if (strstr(audit, REJECT) == NULL || strstr(audit, reason) == NULL) {
        fail_msg("audit: want %s with \"%s\", got \"%s\"", REJECT, reason,
                 audit);
    }
    assert_null(strstr(audit, "saml.logout|"));
    g_free(audit);
}

static const int SP1[NSP] = {1, 0}, BOTH[NSP] = {1, 1};

/* ---- cases ---- */

static void test_unsigned_redirect_refused(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    long a = audit_max_id();
    char *xml, *q;

    (void)state;
    sess_new(&s, SP1);
    xml = logout_xml(0, s.nid[0], s.si[0], NULL);
    q = redirect_query(xml, SIG_NONE, NULL);
    /* with the victim's cookie too: a forged request ends nothing */
    br.s = g_strdup(s.token);
    send_redirect(&r, &br, q);
    assert_refused(&r, &s, a, "logout requests must be signed");
    assert_non_null(br.s);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_unsigned_post_refused(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    long a = audit_max_id();
    char *xml, *id, *body;

    (void)state;
    sess_new(&s, SP1);
    xml = logout_xml(0, s.nid[0], s.si[0], &id);
    body = post_body(xml, id, XS_NONE, 0, NULL);
    br.s = g_strdup(s.token);
    http(&r, &br, "POST", "/saml/slo", NULL, body);
    assert_refused(&r, &s, a, "logout requests must be signed");
    web_response_clear(&r);
    g_free(body);
    g_free(id);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_bad_signature_refused(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    long a = audit_max_id();
    char *xml, *id, *body, *q;

    (void)state;
    sess_new(&s, SP1);
    xml = logout_xml(0, s.nid[0], s.si[0], &id);
    q = redirect_query(xml, SIG_BAD, NULL);
    send_redirect(&r, &br, q);
    assert_refused(&r, &s, a, "the request signature is invalid");
    web_response_clear(&r);
    /* a made-up ds:Signature, many times: refused, and (ASan at exit) no
     * leak; a signed message with its NameID changed after signing */
    for (int i = 0; i < 20; i++) {
        a = audit_max_id();
        body = post_body(xml, id, XS_BOGUS, 0, NULL);
        http(&r, &br, "POST", "/saml/slo", NULL, body);
        assert_refused(&r, &s, a, "the request signature is invalid");
        web_response_clear(&r);
        g_free(body);
    }
    a = audit_max_id();
    body = post_body(xml, id, XS_TAMPER, 0, NULL);
    http(&r, &br, "POST", "/saml/slo", NULL, body);
    assert_refused(&r, &s, a, "the request signature is invalid");
    web_response_clear(&r);
    g_free(body);
    g_free(q);
    g_free(id);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_other_sp_key_refused(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    long a = audit_max_id();
    char *xml, *id, *body, *q;

    (void)state;
    sess_new(&s, SP1);
    /* sp1's NameID and SessionIndex, in sp1's name, signed by sp2 */
    xml = logout_xml(0, s.nid[0], s.si[0], &id);
    q = redirect_query(xml, 1, NULL);
    send_redirect(&r, &br, q);
    assert_refused(&r, &s, a, "the request signature is invalid");
    web_response_clear(&r);
    a = audit_max_id();
    body = post_body(xml, id, XS_SIGN, 1, NULL);
    http(&r, &br, "POST", "/saml/slo", NULL, body);
    assert_refused(&r, &s, a, "the request signature is invalid");
    web_response_clear(&r);
    g_free(body);
    /* sp2's certificate in KeyInfo does not make it sp1's key */
    a = audit_max_id();
    body = post_body(xml, id, XS_SIGN_CERT, 1, NULL);
    http(&r, &br, "POST", "/saml/slo", NULL, body);
    assert_refused(&r, &s, a, "the request signature is invalid");
    web_response_clear(&r);
    g_free(body);
    g_free(q);
    g_free(id);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_no_session_index_refused(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    long a = audit_max_id();
    char *xml, *q;

    (void)state;
    sess_new(&s, BOTH);
    /* a NameID alone, validly signed, without a cookie */
    xml = logout_xml(0, s.nid[0], NULL, NULL);
    q = redirect_query(xml, 0, NULL);
    send_redirect(&r, &br, q);
    assert_refused(&r, &s, a, "NameID and the SessionIndex");
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

/* Signed by sp `issuer`, matching no session: the SP gets a LogoutResponse
 * Requester/UnknownPrincipal, nothing ends, the refusal is audited. */
static void assert_unknown(int issuer, const char *nid, const char *si,
                           browser *br, const sess *victim)
{
    web_response r;
    long a = audit_max_id();
    char *xml = logout_xml(issuer, nid, si, NULL);
    char *q = redirect_query(xml, issuer, "rs-1");
    char *resp, *audit;
    const char *loc;

    send_redirect(&r, br, q);
    assert_int_equal(r.status, 303);
    loc = header(&r, "Location");
    assert_non_null(loc);
    assert_true(g_str_has_prefix(loc, sp_slo[issuer]));
    resp = location_xml(loc, "SAMLResponse");
    assert_non_null(strstr(resp, ST_UNKNOWN));
    assert_null(strstr(resp, ST_SUCCESS));
    assert_true(sess_alive(victim));
    audit = audit_since(a);
    assert_non_null(strstr(audit, "no session matches"));
    assert_null(strstr(audit, "saml.logout|"));
    g_free(audit);
    g_free(resp);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
}

static void test_wrong_session_index_refused(void **state)
{
    sess s;
    browser br = {0};

    (void)state;
    sess_new(&s, SP1);
    assert_unknown(0, s.nid[0], "_not-the-index", &br, &s);
    /* with the victim's cookie: still nothing ends */
    br.s = g_strdup(s.token);
    assert_unknown(0, s.nid[0], "_not-the-index", &br, &s);
    assert_non_null(br.s);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_sp_without_assertion_refused(void **state)
{
    sess s;
    browser br = {0};

    (void)state;
    /* only sp1 got an assertion; sp2 (validly signing) names sp1's ids */
    sess_new(&s, SP1);
    assert_unknown(1, s.nid[0], s.si[0], &br, &s);
    br.s = g_strdup(s.token);
    assert_unknown(1, s.nid[0], s.si[0], &br, &s);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_cookie_alone_ends_nothing(void **state)
{
    sess victim, other;
    browser br = {0};
    web_response r;
    char *xml, *q, *resp;
    const char *loc;

    (void)state;
    /* the victim's browser follows a cross-site link carrying a valid,
     * signed LogoutRequest for another person's session: that one ends,
     * the victim's cookie and session stay */
    sess_new(&victim, BOTH);
    sess_new(&other, SP1);
    xml = logout_xml(0, other.nid[0], other.si[0], NULL);
    q = redirect_query(xml, 0, NULL);
    br.s = g_strdup(victim.token);
    send_redirect(&r, &br, q);
    assert_int_equal(r.status, 303);
    loc = header(&r, "Location");
    assert_true(g_str_has_prefix(loc, sp_slo[0]));
    resp = location_xml(loc, "SAMLResponse");
    assert_non_null(strstr(resp, ST_SUCCESS));
    assert_true(sess_alive(&victim));
    assert_false(sess_alive(&other));
    assert_non_null(br.s);
    assert_string_equal(br.s, victim.token);
    g_free(resp);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&victim);
    sess_clear(&other);
}

static void test_replay_refused(void **state)
{
    sess s, s2;
    browser br = {0};
    web_response r;
    long a;
    char *xml, *id, *q, *body, *one;

    (void)state;
    sess_new(&s, SP1);
    xml = logout_xml(0, s.nid[0], s.si[0], &id);
    q = redirect_query(xml, 0, NULL);
    send_redirect(&r, &br, q);
    assert_int_equal(r.status, 303);
    assert_false(sess_alive(&s));
    web_response_clear(&r);
    /* the same request again, now naming a live session (the same ids
     * given again in a new session): refused as replayed */
    sess_new(&s2, SP1);
    one = sql1("UPDATE saml_session_sp SET name_id = $2, "
               "session_index = $3 WHERE session_id = $1::bigint "
               "RETURNING 1",
               3, (const char *const[]){s2.id, s.nid[0], s.si[0]});
    assert_non_null(one);
    g_free(one);
    a = audit_max_id();
    send_redirect(&r, &br, q);
    assert_refused(&r, &s2, a, "the request was replayed");
    web_response_clear(&r);
    /* and over HTTP-POST, with the same ID */
    a = audit_max_id();
    body = post_body(xml, id, XS_SIGN, 0, NULL);
    http(&r, &br, "POST", "/saml/slo", NULL, body);
    assert_refused(&r, &s2, a, "the request was replayed");
    web_response_clear(&r);
    g_free(body);
    g_free(q);
    g_free(id);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
    sess_clear(&s2);
}

/* The walk: with the session's cookie, sp1's valid request sends the
 * browser to sp2's SLO endpoint with sp2's NameID (and nothing of sp1's),
 * sp2's answer brings it back to sp1 with Success. */
static void walk(int post)
{
    sess s;
    browser br = {0};
    web_response r;
    char *xml, *id, *q, *lr, *resp, *rq, *rs = NULL;
    const char *loc;
    long a = audit_max_id();

    sess_new(&s, BOTH);
    br.s = g_strdup(s.token);
    xml = logout_xml(0, s.nid[0], s.si[0], &id);
    if (post) {
        q = post_body(xml, id, XS_SIGN, 0, "rs-walk");
        http(&r, &br, "POST", "/saml/slo", NULL, q);
    } else {
        q = redirect_query(xml, 0, "rs-walk");
        send_redirect(&r, &br, q);
    }
    assert_int_equal(r.status, 303);
    assert_false(sess_alive(&s));
    assert_null(br.s); /* the cookie is cleared */
    loc = header(&r, "Location");
    assert_true(g_str_has_prefix(loc, sp_slo[1]));
    assert_true(idp_signed(loc));
    lr = location_xml(loc, "SAMLRequest");
    assert_non_null(strstr(lr, s.nid[1]));
    assert_non_null(strstr(lr, s.si[1]));
    assert_null(strstr(lr, s.nid[0]));
    assert_null(strstr(lr, s.si[0]));
    assert_null(strstr(loc, s.nid[0]));
    {
        /* sp2 answers, over HTTP-Redirect, with the RelayState it got */
        const char *p = strstr(loc, "RelayState=");
        char *in = g_strdup(strstr(lr, " ID=\"") + 5), *raw;
        char *rxml;

        assert_non_null(p);
        raw = g_strndup(p + 11, strcspn(p + 11, "&"));
        rs = g_uri_unescape_string(raw, NULL);
        in[strcspn(in, "\"")] = '\0';
        rxml = g_strdup_printf(
            "<samlp:LogoutResponse xmlns:samlp=\"" NS_SAMLP "\" "
            "xmlns:saml=\"" NS_SAML "\" ID=\"_r%d\" Version=\"2.0\" "
            "IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"" IDP_SLO
            "\" InResponseTo=\"%s\"><saml:Issuer>%s</saml:Issuer>"
            "<samlp:Status><samlp:StatusCode Value=\"" ST_SUCCESS
            "\"/></samlp:Status></samlp:LogoutResponse>",
            ++g.serial, in, sp_entity[1]);
        rq = redirect_msg("SAMLResponse", rxml, 1, rs);
        g_free(rxml);
        g_free(raw);
        g_free(in);
    }
    web_response_clear(&r);
    http(&r, &br, "GET", "/saml/slo", rq, NULL);
    assert_int_equal(r.status, 303);
    loc = header(&r, "Location");
    assert_true(g_str_has_prefix(loc, sp_slo[0]));
    assert_non_null(strstr(loc, "RelayState=rs-walk"));
    resp = location_xml(loc, "SAMLResponse");
    assert_non_null(strstr(resp, ST_SUCCESS));
    assert_null(strstr(resp, ST_PARTIAL));
    assert_null(strstr(resp, s.nid[1]));
    g_free(resp);
    web_response_clear(&r);
    /* sp2's LogoutResponse once more: replayed */
    http(&r, &br, "GET", "/saml/slo", rq, NULL);
    assert_int_equal(r.status, 400);
    {
        char *audit = audit_since(a);
        assert_non_null(strstr(audit, "the response was replayed"));
        g_free(audit);
    }
    web_response_clear(&r);
    g_free(rs);
    g_free(rq);
    g_free(lr);
    g_free(q);
    g_free(id);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

static void test_walk_redirect(void **state)
{
    (void)state;
    walk(0);
}

static void test_walk_post(void **state)
{
    (void)state;
    walk(1);
}

static void test_no_walk_without_cookie(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    char *xml, *q, *resp;
    const char *loc;

    (void)state;
    /* a valid request (e.g. sent by sp1 itself) without the session's
     * cookie: the session ends, but sp2's NameID is handed to no one;
     * sp1 learns PartialLogout */
    sess_new(&s, BOTH);
    xml = logout_xml(0, s.nid[0], s.si[0], NULL);
    q = redirect_query(xml, 0, NULL);
    send_redirect(&r, &br, q);
    assert_int_equal(r.status, 303);
    assert_false(sess_alive(&s));
    loc = header(&r, "Location");
    assert_true(g_str_has_prefix(loc, sp_slo[0]));
    assert_true(idp_signed(loc));
    assert_null(strstr(loc, "SAMLRequest="));
    resp = location_xml(loc, "SAMLResponse");
    assert_non_null(strstr(resp, ST_PARTIAL));
    assert_null(strstr(resp, s.nid[1]));
    assert_null(strstr(resp, s.si[1]));
    assert_null(r.body != NULL ? strstr(r.body, s.nid[1]) : NULL);
    g_free(resp);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    browser_clear(&br);
    sess_clear(&s);
}

/* The portal's CSRF token for this browser. */
static char *portal_csrf(browser *br)
{
    web_response r;
    const char *p;
    char *v;

    http(&r, br, "GET", "/", NULL, NULL);
    assert_int_equal(r.status, 200);
    p = strstr(r.body, "name=\"csrf\" value=\"");
    assert_non_null(p);
    p += 19;
    v = g_strndup(p, strcspn(p, "\""));
    web_response_clear(&r);
    return v;
}

static void test_own_logout_needs_post_csrf(void **state)
{
    sess s;
    browser br = {0};
    web_response r;
    char *csrf, *body, *lr;
    const char *loc;

    (void)state;
    sess_new(&s, BOTH);
    br.s = g_strdup(s.token);
    csrf = portal_csrf(&br);
    /* a cross-site GET */
    http(&r, &br, "GET", "/logout", NULL, NULL);
    assert_int_equal(r.status, 404);
    assert_true(sess_alive(&s));
    web_response_clear(&r);
    /* a POST without, or with a wrong, token */
    http(&r, &br, "POST", "/logout", NULL, "x=1");
    assert_int_equal(r.status, 400);
    assert_true(sess_alive(&s));
    web_response_clear(&r);
    http(&r, &br, "POST", "/logout", NULL, "csrf=AAAAAAAAAAAAAAAAAAAAAAAA");
    assert_int_equal(r.status, 400);
    assert_true(sess_alive(&s));
    web_response_clear(&r);
    /* the button: the session ends, the walk visits sp1 first */
    body = g_strdup_printf("csrf=%s", csrf);
    http(&r, &br, "POST", "/logout", NULL, body);
    assert_int_equal(r.status, 303);
    assert_false(sess_alive(&s));
    loc = header(&r, "Location");
    assert_true(g_str_has_prefix(loc, sp_slo[0]));
    assert_true(idp_signed(loc));
    lr = location_xml(loc, "SAMLRequest");
    assert_non_null(strstr(lr, s.nid[0]));
    assert_null(strstr(lr, s.nid[1]));
    g_free(lr);
    web_response_clear(&r);
    g_free(body);
    g_free(csrf);
    browser_clear(&br);
    sess_clear(&s);
}

/* ---- LogoutResponses to the walk ---- */

/* A walk that stands at sp2: sp1 logged out a session of both SPs in the
 * session's browser, which now carries sp2's LogoutRequest. */
typedef struct walk_st {
    sess s;
    browser br;
    char *rs;  /* the walk's RelayState, as sp2 got it */
    char *req; /* the ID of the LogoutRequest sp2 got */
} walk_st;

static void walk_start(walk_st *w)
{
    web_response r;
    char *xml, *q, *lr, *raw;
    const char *loc, *p;

    memset(w, 0, sizeof(*w));
    sess_new(&w->s, BOTH);
    w->br.s = g_strdup(w->s.token);
    xml = logout_xml(0, w->s.nid[0], w->s.si[0], NULL);
    q = redirect_query(xml, 0, "rs-walk");
    send_redirect(&r, &w->br, q);
    assert_int_equal(r.status, 303);
    assert_false(sess_alive(&w->s));
    loc = header(&r, "Location");
    assert_true(g_str_has_prefix(loc, sp_slo[1]));
    lr = location_xml(loc, "SAMLRequest");
    p = strstr(loc, "RelayState=");
    assert_non_null(p);
    raw = g_strndup(p + 11, strcspn(p + 11, "&"));
    w->rs = g_uri_unescape_string(raw, NULL);
    p = strstr(lr, " ID=\"");
    assert_non_null(p);
    w->req = g_strndup(p + 5, strcspn(p + 5, "\""));
    g_free(raw);
    g_free(lr);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
}

static void walk_clear(walk_st *w)
{
    browser_clear(&w->br);
    sess_clear(&w->s);
    g_free(w->rs);
    g_free(w->req);
    memset(w, 0, sizeof(*w));
}

/* A LogoutResponse of sp `issuer` to in_response_to with the status
 * (ST_SUCCESS if NULL); *id_out: its ID. */
static char *response_xml(int issuer, const char *in_response_to,
                          const char *status, char **id_out)
{
    char now[32], *xml;
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    *id_out = g_strdup_printf("_hostile-resp-%d-%ld", ++g.serial, (long)t);
    xml = g_strdup_printf(
        "<samlp:LogoutResponse xmlns:samlp=\"" NS_SAMLP "\" "
        "xmlns:saml=\"" NS_SAML "\" ID=\"%s\" Version=\"2.0\" "
        "IssueInstant=\"%s\" Destination=\"" IDP_SLO "\" "
        "InResponseTo=\"%s\"><saml:Issuer>%s</saml:Issuer>"
        "<samlp:Status><samlp:StatusCode Value=\"%s\"/></samlp:Status>"
        "</samlp:LogoutResponse>",
        *id_out, now, in_response_to, sp_entity[issuer],
        status != NULL ? status : ST_SUCCESS);
    return xml;
}

/* Rows of the replay cache for sp's message ID. */
static int replay_rows(int sp, const char *id)
{
    char *v = sql1("SELECT count(*) FROM saml_replay WHERE sp_entity_id = $1 "
                   "AND request_id = $2",
                   2, (const char *const[]){sp_entity[sp], id});
    int n = atoi(v);

    g_free(v);
    return n;
}

/* 1 if the walk still waits at sp2 (its row, keyed by the RelayState). */
static int walk_waits(const walk_st *w)
{
    char *v = sql1("SELECT count(*) FROM saml_pending WHERE id_hash = "
                   "sha256(convert_to($1, 'UTF8')) AND binding = 'logout'",
                   1, (const char *const[]){w->rs});
    int n = atoi(v);

    g_free(v);
    return n;
}

/* Refused: a 400 page, the reason audited, nothing written for the
 * response (no replay entry of sp's id), the walk where it was. */
static void assert_response_refused(const web_response *r, const walk_st *w,
                                    long since, const char *reason, int sp,
                                    const char *id)
{
    char *audit = audit_since(since);

    assert_int_equal(r->status, 400);
    assert_null(header(r, "Location"));
    if (strstr(audit, REJECT) == NULL || strstr(audit, reason) == NULL) {
        fail_msg("audit: want %s with \"%s\", got \"%s\"", REJECT, reason,
                 audit);
    }
    assert_int_equal(replay_rows(sp, id), 0);
    assert_int_equal(walk_waits(w), 1);
    g_free(audit);
}

/* The walk went on to its end: the browser is back at sp1 with Success
 * (and PartialLogout if sp2's answer did not count as logged out), the
 * walk's row gone, the response's ID (sp2's) in the replay cache. */
static void assert_walk_done(const web_response *r, const walk_st *w,
                             const char *id, int partial)
{
    const char *loc = header(r, "Location");
    char *resp;

    assert_int_equal(r->status, 303);
    assert_non_null(loc);
    assert_true(g_str_has_prefix(loc, sp_slo[0]));
    assert_non_null(strstr(loc, "RelayState=rs-walk"));
    resp = location_xml(loc, "SAMLResponse");
    assert_non_null(strstr(resp, ST_SUCCESS));
    if (partial) {
        assert_non_null(strstr(resp, ST_PARTIAL));
    } else {
        assert_null(strstr(resp, ST_PARTIAL));
    }
    assert_int_equal(walk_waits(w), 0);
    assert_int_equal(replay_rows(1, id), 1);
    g_free(resp);
}

/* sp2's answer refused as sp2's, the walk moved on all the same: the
 * reason audited, the walk at its end with PartialLogout to sp1 (sp2 not
 * listed as logged out), the response's ID in the replay cache. */
static void assert_refused_moved_on(const web_response *r, const walk_st *w,
                                    long since, const char *reason,
                                    const char *id)
{
    char *audit = audit_since(since);

    if (strstr(audit, REJECT) == NULL || strstr(audit, reason) == NULL) {
        fail_msg("audit: want %s with \"%s\", got \"%s\"", REJECT, reason,
                 audit);
    }
    assert_walk_done(r, w, id, 1);
    g_free(audit);
}

/* A LogoutResponse answering no walk writes nothing: not without the
 * walk's RelayState, not in another browser, not from another SP than the
 * one the walk waits for; the right one moves the walk on once, its
 * replay refused. */
static void test_response_unknown_writes_nothing(void **state)
{
    walk_st w;
    browser other = {0};
    web_response r;
    long a;
    char *xml, *id, *q;

    (void)state;
    walk_start(&w);
    /* sp1, which is not the SP the walk waits for, answers sp2's request */
    xml = response_xml(0, w.req, NULL, &id);
    q = redirect_msg("SAMLResponse", xml, 0, w.rs);
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_response_refused(&r, &w, a, "unexpected logout response", 0, id);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    g_free(id);
    /* sp2's answer to its request, signed, but without the RelayState */
    xml = response_xml(1, w.req, NULL, &id);
    q = redirect_msg("SAMLResponse", xml, 1, NULL);
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_response_refused(&r, &w, a, "unexpected logout response", 1, id);
    web_response_clear(&r);
    g_free(q);
    /* with it, in another browser: not its walk, and its ID not burnt */
    q = redirect_msg("SAMLResponse", xml, 1, w.rs);
    a = audit_max_id();
    http(&r, &other, "GET", "/saml/slo", q, NULL);
    assert_response_refused(&r, &w, a, "unexpected logout response", 1, id);
    web_response_clear(&r);
    /* in the walk's browser: the walk ends at sp1 */
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_walk_done(&r, &w, id, 0);
    web_response_clear(&r);
    /* the same response again: replayed, nothing more written */
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_int_equal(r.status, 400);
    {
        char *audit = audit_since(a);
        assert_non_null(strstr(audit, "the response was replayed"));
        g_free(audit);
    }
    assert_int_equal(replay_rows(1, id), 1);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    g_free(id);
    browser_clear(&other);
    walk_clear(&w);
}

/* sp2, the SP the walk waits for, answers a request we never sent
 * (InResponseTo): refused as sp2's answer, audited, but the walk goes
 * on, so a confused SP keeps no one logged in at the SPs after it. sp2's
 * real answer then finds no walk. */
static void test_response_wrong_request_moves_on(void **state)
{
    walk_st w;
    web_response r;
    long a;
    char *xml, *id, *q;

    (void)state;
    walk_start(&w);
    xml = response_xml(1, "_not-our-request", NULL, &id);
    q = redirect_msg("SAMLResponse", xml, 1, w.rs);
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_refused_moved_on(&r, &w, a, "unexpected logout response", id);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    g_free(id);
    xml = response_xml(1, w.req, NULL, &id);
    q = redirect_msg("SAMLResponse", xml, 1, w.rs);
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_int_equal(r.status, 400);
    assert_int_equal(replay_rows(1, id), 0);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    g_free(id);
    walk_clear(&w);
}

/* sp2 has signing keys in its metadata: its LogoutResponses must be
 * signed with them, over HTTP-POST (enveloped XML signature) as over
 * HTTP-Redirect. Unsigned, made-up, foreign-key and changed ones are
 * refused as sp2's answer and audited; the walk goes on without sp2
 * listed as logged out (PartialLogout to sp1). sp2's own signed one
 * counts it as logged out. */
static void test_response_signature_required(void **state)
{
    static const struct {
        int how, key;
        const char *reason;
    } bad[] = {
        {XS_NONE, 1, "logout responses must be signed"},
        {XS_BOGUS, 1, "the response signature is invalid"},
        {XS_SIGN, 0, "the response signature is invalid"},
        {XS_SIGN_CERT, 0, "the response signature is invalid"},
        {XS_TAMPER, 1, "the response signature is invalid"},
    };
    walk_st w;
    web_response r;
    long a;
    char *xml, *id, *body, *q;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        walk_start(&w);
        xml = response_xml(1, w.req, NULL, &id);
        body = post_msg("SAMLResponse", xml, id, bad[i].how, bad[i].key, w.rs,
                        "status:Success");
        a = audit_max_id();
        http(&r, &w.br, "POST", "/saml/slo", NULL, body);
        assert_refused_moved_on(&r, &w, a, bad[i].reason, id);
        web_response_clear(&r);
        g_free(body);
        g_free(xml);
        g_free(id);
        walk_clear(&w);
    }
    /* unsigned, or signed by another SP, over HTTP-Redirect */
    walk_start(&w);
    xml = response_xml(1, w.req, NULL, &id);
    q = redirect_msg("SAMLResponse", xml, SIG_NONE, w.rs);
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_refused_moved_on(&r, &w, a, "logout responses must be signed", id);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    g_free(id);
    walk_clear(&w);
    walk_start(&w);
    xml = response_xml(1, w.req, NULL, &id);
    q = redirect_msg("SAMLResponse", xml, 0, w.rs);
    a = audit_max_id();
    http(&r, &w.br, "GET", "/saml/slo", q, NULL);
    assert_refused_moved_on(&r, &w, a, "the response signature is invalid", id);
    web_response_clear(&r);
    g_free(q);
    g_free(xml);
    g_free(id);
    walk_clear(&w);
    /* a made-up signature on an answer that is not Success (Lasso reports
     * the status before it looks at the signature): refused all the same */
    walk_start(&w);
    xml = response_xml(1, w.req, "urn:oasis:names:tc:SAML:2.0:status:Responder",
                       &id);
    body = post_msg("SAMLResponse", xml, id, XS_BOGUS, 1, w.rs, NULL);
    a = audit_max_id();
    http(&r, &w.br, "POST", "/saml/slo", NULL, body);
    assert_refused_moved_on(&r, &w, a, "the response signature is invalid", id);
    web_response_clear(&r);
    g_free(body);
    g_free(xml);
    g_free(id);
    walk_clear(&w);
    /* signed by sp2 over HTTP-POST: sp2 logged out, the walk to its end */
    walk_start(&w);
    xml = response_xml(1, w.req, NULL, &id);
    body = post_msg("SAMLResponse", xml, id, XS_SIGN, 1, w.rs, NULL);
    http(&r, &w.br, "POST", "/saml/slo", NULL, body);
    assert_walk_done(&r, &w, id, 0);
    web_response_clear(&r);
    g_free(body);
    g_free(xml);
    g_free(id);
    walk_clear(&w);
}

/* A signed answer other than Success moves the walk on as well; sp2 is
 * not listed as logged out, so sp1 gets PartialLogout. */
static void test_response_not_success_signed(void **state)
{
    walk_st w;
    web_response r;
    char *xml, *id, *body;

    (void)state;
    walk_start(&w);
    xml = response_xml(1, w.req, "urn:oasis:names:tc:SAML:2.0:status:Responder",
                       &id);
    body = post_msg("SAMLResponse", xml, id, XS_SIGN, 1, w.rs, NULL);
    http(&r, &w.br, "POST", "/saml/slo", NULL, body);
    assert_walk_done(&r, &w, id, 1);
    web_response_clear(&r);
    g_free(body);
    g_free(xml);
    g_free(id);
    walk_clear(&w);
}

/* ---- fixture ---- */

static void add_sp(idm_db *db, int i)
{
    static const idm_actor actor = {"system:test", "test"};
    char *name = g_strdup_printf("%s-metadata.xml", sp_name[i]);
    char *md = slurp(name);
    /* neither signs its AuthnRequests: SLO asks for signatures anyway */
    saml_sp_new sp = {"lms", md, strlen(md), 0, 0, NULL, NULL};
    idm_err err = IDM_ERR_INIT;

    if (saml_sp_add(NULL, db, &actor, &sp, 0, &err) != 0) {
        fail_msg("sp add %s: %s (%s)", sp_name[i], err.msg, err.detail);
    }
    g_free(md);
    g_free(name);
}

static void make_user(idm_db *db)
{
    static const idm_actor actor = {"system:test", "test"};
    idm_org_new m = {IDM_ORG_MINISTRY, "bm", NULL, "Ministerium", NULL, NULL};
    idm_org_new a = {IDM_ORG_AUTHORITY, "ssa", NULL, "Schulamt", "bm", NULL};
    idm_org_new s = {IDM_ORG_SCHOOL, NULL, "75123", "Gymnasium", "ssa", NULL};
    idm_user_new u = IDM_USER_NEW_INIT;
    idm_err err = IDM_ERR_INIT;

    assert_int_equal(idm_org_add(db, &actor, &m, &err), 0);
    assert_int_equal(idm_org_add(db, &actor, &a, &err), 0);
    assert_int_equal(idm_org_add(db, &actor, &s, &err), 0);
    u.given_name = "Anna";
    u.family_name = "Test";
    u.password = "Secret-Pass-123";
    u.org_code = "75123";
    u.role = "teacher";
    if (idm_user_add(&g.login, NULL, db, g.conf, &actor, &u, &err) != 0) {
        fail_msg("user add: %s (%s)", err.msg, err.detail);
    }
}

static void load_keys(int i)
{
    char *keyn = g_strdup_printf("%s.key", sp_name[i]);
    char *crtn = g_strdup_printf("%s.crt", sp_name[i]);
    char *key = slurp(keyn), *crtp = data_path(crtn);
    BIO *bio = BIO_new_mem_buf(key, -1);

    g.key[i] = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(g.key[i]);
    g.xml_key[i] = lasso_key_new_for_signature_from_memory(
        key, strlen(key), NULL, LASSO_SIGNATURE_METHOD_RSA_SHA256, NULL);
    g.xml_key_cert[i] = lasso_key_new_for_signature_from_memory(
        key, strlen(key), NULL, LASSO_SIGNATURE_METHOD_RSA_SHA256, crtp);
    assert_non_null(g.xml_key[i]);
    assert_non_null(g.xml_key_cert[i]);
    BIO_free(bio);
    g_free(key);
    g_free(crtp);
    g_free(keyn);
    g_free(crtn);
}

static int group_setup(void **state)
{
    const char *st = getenv("IDM_TEST_STATE");
    const char *src = getenv("IDM_SOURCE_DIR");
    char *dir, *text, *key, *crt, *salt;
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    int applied = 0;

    (void)state;
    if (st == NULL || src == NULL) {
        fprintf(stderr, "IDM_TEST_STATE and IDM_SOURCE_DIR must be set\n");
        return -1;
    }
    g.data = g_build_filename(src, "tests", "data", "saml", NULL);
    if (testpg_newdb(g.conninfo, sizeof(g.conninfo), "hostile_slo") != 0) {
        return -1;
    }
    dir = g_build_filename(src, "migrations", NULL);
    key = data_path("idp.key");
    crt = data_path("idp.crt");
    salt = data_path("pairwise_salt");
    text = g_strdup_printf("[database]\nconninfo = %s\nmigrations_dir = %s\n"
                           "[password]\nargon2_memory_kib = 1024\n"
                           "argon2_iterations = 1\n"
                           "[idp]\nbase_url = " IDP_BASE "\n"
                           "key_file = %s\ncert_file = %s\n"
                           "pairwise_salt_file = %s\n",
                           g.conninfo, dir, key, crt, salt);
    if (idm_core_conf_register(&err) != 0 || web_conf_register(&err) != 0 ||
        saml_conf_register(&err) != 0 ||
        idm_conf_load_data(&g.conf, text, strlen(text), "test.conf", &err) !=
            0 ||
        idm_db_open(&db, g.conf, &err) != 0 ||
        idm_migrate_apply(&applied, db, dir, &err) != 0) {
        fprintf(stderr, "setup: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    g_free(text);
    g_free(dir);
    g_free(key);
    g_free(crt);
    g_free(salt);
    make_user(db);
    for (int i = 0; i < NSP; i++) {
        add_sp(db, i);
        load_keys(i);
    }
    idm_db_close(db);
    if (web_site_new(&g.web, g.conf, 2, &err) != 0 ||
        saml_idp_new(&g.idp, g.web, &err) != 0) {
        fprintf(stderr, "setup: idp: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    g.pg = PQconnectdb(g.conninfo);
    return PQstatus(g.pg) == CONNECTION_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NSP; i++) {
        EVP_PKEY_free(g.key[i]);
        if (g.xml_key[i] != NULL) {
            g_object_unref(g.xml_key[i]);
        }
        if (g.xml_key_cert[i] != NULL) {
            g_object_unref(g.xml_key_cert[i]);
        }
    }
    saml_idp_free(g.idp);
    web_site_free(g.web);
    PQfinish(g.pg);
    idm_conf_free(g.conf);
    free(g.login);
    g_free(g.data);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsigned_redirect_refused),
        cmocka_unit_test(test_unsigned_post_refused),
        cmocka_unit_test(test_bad_signature_refused),
        cmocka_unit_test(test_other_sp_key_refused),
        cmocka_unit_test(test_no_session_index_refused),
        cmocka_unit_test(test_wrong_session_index_refused),
        cmocka_unit_test(test_sp_without_assertion_refused),
        cmocka_unit_test(test_cookie_alone_ends_nothing),
        cmocka_unit_test(test_replay_refused),
        cmocka_unit_test(test_walk_redirect),
        cmocka_unit_test(test_walk_post),
        cmocka_unit_test(test_no_walk_without_cookie),
        cmocka_unit_test(test_response_unknown_writes_nothing),
        cmocka_unit_test(test_response_wrong_request_moves_on),
        cmocka_unit_test(test_response_signature_required),
        cmocka_unit_test(test_response_not_success_signed),
        cmocka_unit_test(test_own_logout_needs_post_csrf),
    };

    return cmocka_run_group_tests_name("hostile_slo", tests, group_setup,
                                       group_teardown);
}
