/* SPDX-License-Identifier: EUPL-1.2
 * SAML round trips in one process (STYLE.md section 9): Lasso service
 * providers built from tests/data/saml/sp{1,2}-metadata.xml and their keys
 * send AuthnRequests straight into web_site_handle() (no HTTP), the IdP
 * runs against the real PostgreSQL of tests/harness/pg, and the SP side
 * processes the Response with lasso_login_process_authn_response_msg().
 * Every AuthnRequest check has a failing case asserting the error page
 * and the audit event; the golden cases are data in
 * tests/data/saml/authn-<case>/case.ini (run by test_golden_case).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <lasso/lasso.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmltree.h>
#include <zlib.h>

#include "base/conf.h"
#include "base/db.h"
#include "idm/conf.h"
#include "base/log.h"
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
#define IDP_ENTITY IDP_BASE "/saml/metadata"
#define IDP_SSO IDP_BASE "/saml/sso"
#define PASSWORD "Secret-Pass-123"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_SHA1 "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
#define PPT "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
#define FMT_PERSISTENT "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
#define FMT_TRANSIENT "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
#define FMT_UNSPECIFIED                                                        \
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define FMT_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define REJECT "saml.authn_reject"
#define NSP 2
/* tests/integration/hostile/test_sso_hostile.c reuses this file's
 * fixture and helpers with its own database and main() */
#ifndef SAML_SSO_TEST_DB
#define SAML_SSO_TEST_DB "saml_sso"
#endif
/* more [idp] lines of such a file's config */
#ifndef SAML_SSO_TEST_IDP_CONF
#define SAML_SSO_TEST_IDP_CONF ""
#endif

/* sp1 does not sign its requests; sp2 is registered with sign_requests */
static const char *const sp_name[NSP] = {"sp1", "sp2"};
static const char *const sp_entity[NSP] = {"https://sp1.test.invalid/sp",
                                           "https://sp2.test.invalid/sp"};

static struct {
    char conninfo[512];
    char *data; /* tests/data/saml */
    idm_conf *conf;
    web_site *web;
    saml_idp *idp;
    PGconn *pg;
    char *login;
    LassoServer *sp[NSP];
    LassoServer *sp2_sha1; /* sp2 signing XML with RSA-SHA1 */
    EVP_PKEY *sp_key[NSP];
    int addr; /* a fresh client address per request */
    const char *client_addr; /* else this one, if set */
    const char *lang;        /* Accept-Language, if set (else en) */
    char *dump; /* every Response taken, for the schema check */
    int n_dump;
} g;

/* ---- small helpers ---- */

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

/* The last audit row, after writing the rejections counted in memory
 * (else an earlier test's would count as written since). */
static long audit_max_id(void)
{
    idm_err err = IDM_ERR_INIT;
    char *v;
    long n;

    /* rejections of earlier steps still counted in memory belong before
     * the mark, not after it */
    if (g.idp != NULL && web_site_reject_flush(g.web, 1, &err) != 0) {
        fail_msg("reject flush: %s", err.msg);
    }
    v = sql1("SELECT coalesce(max(id), 0) FROM audit_log", 0, NULL);
    n = strtol(v, NULL, 10);

    g_free(v);
    return n;
}

/* The audit events written since `since`, as "action|sp|reason" lines;
 * rejections counted in memory are written first (one row per address,
 * reason and minute; every request here comes from a new address). */
static char *audit_since(long since)
{
    char buf[32];
    const char *p[1] = {buf};
    idm_err err = IDM_ERR_INIT;

    if (web_site_reject_flush(g.web, 1, &err) != 0) {
        fail_msg("reject flush: %s", err.msg);
    }
    snprintf(buf, sizeof(buf), "%ld", since);
    return sql1("SELECT coalesce(string_agg(action || '|' || "
                "coalesce(details->>'sp', '-') || '|' || "
                "coalesce(details->>'reason', '-'), E'\\n' ORDER BY id), '') "
                "FROM audit_log WHERE id > $1::bigint",
                1, p);
}

static char *html_escape(const char *s)
{
    GString *o = g_string_new(NULL);

    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            g_string_append(o, "&amp;");
            break;
        case '<':
            g_string_append(o, "&lt;");
            break;
        case '>':
            g_string_append(o, "&gt;");
            break;
        case '"':
            g_string_append(o, "&quot;");
            break;
        case '\'':
            g_string_append(o, "&#39;");
            break;
        default:
            g_string_append_c(o, *s);
        }
    }
    return g_string_free(o, FALSE);
}

static char *html_unescape(const char *s, size_t n)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'},
                {"&lt;", '<'},
                {"&gt;", '>'},
                {"&quot;", '"'},
                {"&#39;", '\''}};
    GString *o = g_string_new(NULL);

    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < G_N_ELEMENTS(ents); k++) {
            size_t l = strlen(ents[k].ent);
            if (i + l <= n && strncmp(s + i, ents[k].ent, l) == 0) {
                g_string_append_c(o, ents[k].c);
                i += l - 1;
                break;
            }
        }
        if (k == G_N_ELEMENTS(ents)) {
            g_string_append_c(o, s[i]);
        }
    }
    return g_string_free(o, FALSE);
}

/* The (unescaped) value of a hidden input in a page, or NULL. */
static char *form_value(const char *page, const char *name)
{
    char *key = g_strdup_printf("name=\"%s\" value=\"", name);
    const char *b = strstr(page, key), *e;

    if (b == NULL) {
        g_free(key);
        return NULL;
    }
    b += strlen(key);
    g_free(key);
    e = strchr(b, '"');
    assert_non_null(e);
    return html_unescape(b, (size_t)(e - b));
}

static char *urlenc(const char *s)
{
    return g_uri_escape_string(s, NULL, FALSE);
}

/* ---- the browser ---- */

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

static void take_cookies(browser *br, const web_response *r)
{
    for (int i = 0; i < r->nheaders; i++) {
        const char *v = r->headers[i].value;
        char **slot;
        size_t n;

        if (strcmp(r->headers[i].name, "Set-Cookie") != 0) {
            continue;
        }
        /* IDP_BASE is https: both cookies carry the __Host- prefix, which
         * browsers accept only with Secure, Path=/ and no Domain */
        if (strncmp(v, "__Host-idm_b=", 13) == 0) {
            slot = &br->b;
        } else if (strncmp(v, "__Host-idm_s=", 13) == 0) {
            slot = &br->s;
        } else if (strncmp(v, "__Host-idm_d=", 13) == 0) {
            slot = NULL; /* the device cookie: checked, not sent back */
        } else {
            assert_null(strstr(v, "idm_"));
            continue;
        }
        assert_non_null(strstr(v, "; Secure"));
        assert_non_null(strstr(v, "; Path=/;"));
        assert_null(strstr(v, "Domain="));
        if (slot == NULL) {
            continue;
        }
        g_free(*slot);
        *slot = NULL;
        n = strcspn(v + 13, ";");
        if (strstr(v, "Max-Age=0") == NULL && n > 0) {
            *slot = g_strndup(v + 13, n);
        }
    }
}

/* One request through the IdP as a browser would send it. */
static void http(web_response *out, browser *br, const char *method,
                 const char *path, const char *query, const char *body)
{
    char addr[32], *cookie;
    web_request req;

    cookie = g_strdup_printf(
        "%s%s%s%s", br->b != NULL ? "__Host-idm_b=" : "",
        br->b != NULL ? br->b : "", br->s != NULL ? "; __Host-idm_s=" : "",
        br->s != NULL ? br->s : "");
    snprintf(addr, sizeof(addr), "192.0.2.%d", 1 + (g.addr++ % 250));
    if (g.client_addr != NULL) {
        snprintf(addr, sizeof(addr), "%s", g.client_addr);
    }
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    req.body_len = body != NULL ? strlen(body) : 0;
    req.content_type =
        body != NULL ? "application/x-www-form-urlencoded" : NULL;
    req.cookie = cookie[0] != '\0' ? cookie : NULL;
    req.accept_language = g.lang != NULL ? g.lang : "en";
    req.client_addr = addr;
    web_site_handle(out, g.web, &req);
    take_cookies(br, out);
    g_free(cookie);
}

/* ---- AuthnRequests ---- */

typedef struct req_opts {
    int sp;                  /* index into sp_name */
    int post;                /* HTTP-POST, else HTTP-Redirect */
    const char *sign;        /* none, rsa-sha256, rsa-sha1, bad, lasso,
                              * lasso-sha1, lasso-tampered */
    const char *issuer;      /* NULL: the SP's entityID */
    const char *destination; /* NULL: ours; "": none */
    long instant_offset;     /* seconds added to IssueInstant */
    const char *acs_url;
    int acs_index; /* -1: absent */
    int force_authn;
    int is_passive;
    const char *relay_state;
    int dtd;                /* a DOCTYPE in front of the root */
    const char *payload;    /* bomb, oversized: replaces the message */
    int binding_with_index; /* ProtocolBinding despite an index */
    const char *nameid_format; /* NULL: persistent; "none": no policy */
    const char *sp_name_qualifier; /* NameIDPolicy SPNameQualifier */
    int no_allow_create;           /* AllowCreate="false" */
} req_opts;

#define REQ_OPTS_INIT                                                          \
    {                                                                          \
        0, 0, "none", NULL, NULL, 0, NULL, -1, 0, 0, NULL, 0, NULL, 0, NULL,   \
            NULL, 0                                                            \
    }

/* A built request: the SP's login object and what the browser sends. */
typedef struct sent {
    LassoLogin *login;
    char *id;
    char *query; /* HTTP-Redirect */
    char *body;  /* HTTP-POST */
} sent;

static void sent_clear(sent *s)
{
    if (s->login != NULL) {
        g_object_unref(s->login);
    }
    g_free(s->id);
    g_free(s->query);
    g_free(s->body);
    memset(s, 0, sizeof(*s));
}

static char *deflate_raw(const char *in, size_t len, size_t *out_len)
{
    z_stream zs;
    uLong cap = compressBound((uLong)len) + 64;
    unsigned char *out = g_malloc(cap);

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(
        deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return (char *)out;
}

/* RSA signature of the SP over octets, base64. */
static char *rsa_sign(int sp, const EVP_MD *md, const char *octets)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[512];
    size_t n = sizeof(sig);
    char *b64;

    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, g.sp_key[sp]), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &n, (const unsigned char *)octets,
                                    strlen(octets)),
                     1);
    EVP_MD_CTX_free(ctx);
    b64 = g_base64_encode(sig, n);
    return b64;
}

/* HTTP-Redirect query of an XML text, signed as the options say. */
static char *redirect_query(const req_opts *o, const char *xml, size_t len)
{
    size_t dlen;
    char *def = deflate_raw(xml, len, &dlen);
    char *b64 = g_base64_encode((const guchar *)def, dlen);
    char *enc = urlenc(b64);
    GString *q = g_string_new("SAMLRequest=");

    g_string_append(q, enc);
    if (o->relay_state != NULL) {
        char *rs = urlenc(o->relay_state);
        g_string_append_printf(q, "&RelayState=%s", rs);
        g_free(rs);
    }
    if (strcmp(o->sign, "none") != 0) {
        int sha1 = strcmp(o->sign, "rsa-sha1") == 0;
        char *alg = urlenc(sha1 ? ALG_SHA1 : ALG_SHA256);
        char *sig, *sigenc;

        g_string_append_printf(q, "&SigAlg=%s", alg);
        sig = rsa_sign(o->sp, sha1 ? EVP_sha1() : EVP_sha256(), q->str);
        if (strcmp(o->sign, "bad") == 0) {
            /* a valid signature over other octets */
            char *other = g_strdup_printf("%s&x", q->str);
            g_free(sig);
            sig = rsa_sign(o->sp, EVP_sha256(), other);
            g_free(other);
        } else {
            assert_true(strcmp(o->sign, "rsa-sha256") == 0 || sha1);
        }
        sigenc = urlenc(sig);
        g_string_append_printf(q, "&Signature=%s", sigenc);
        g_free(sig);
        g_free(sigenc);
        g_free(alg);
    }
    g_free(def);
    g_free(b64);
    g_free(enc);
    return g_string_free(q, FALSE);
}

static char *post_body(const req_opts *o, const char *b64)
{
    char *enc = urlenc(b64), *rs = NULL, *body;

    if (o->relay_state != NULL) {
        rs = urlenc(o->relay_state);
    }
    body =
        g_strdup_printf("SAMLRequest=%s%s%s", enc,
                        rs != NULL ? "&RelayState=" : "", rs != NULL ? rs : "");
    g_free(enc);
    g_free(rs);
    return body;
}

/* Payloads that never reach XML parsing. */
static void build_payload(sent *s, const req_opts *o)
{
    if (strcmp(o->payload, "bomb") == 0) {
        /* about 1 KiB compressed, 1 MiB inflated: over the 128 KiB cap */
        size_t n = 1024 * 1024;
        char *xml = g_malloc(n);
        memset(xml, ' ', n);
        memcpy(xml, "<a>", 3);
        s->query = redirect_query(o, xml, n);
        assert_true(strlen(s->query) < 8 * 1024);
        g_free(xml);
    } else if (strcmp(o->payload, "oversized") == 0) {
        /* 300 KiB of base64: over the 256 KiB cap for an encoded message */
        size_t n = 300 * 1024;
        char *b64 = g_malloc(n + 1);
        memset(b64, 'A', n);
        b64[n] = '\0';
        if (o->post) {
            s->body = post_body(o, b64);
        } else {
            s->query = g_strdup_printf("SAMLRequest=%s", b64);
        }
        g_free(b64);
    } else {
        fail_msg("unknown payload %s", o->payload);
    }
}

/* The request without the signature template Lasso adds for an SP that
 * has a key: the test signs (or not) by itself. */
static GString *unsigned_xml(const char *xml)
{
    xmlDoc *doc =
        xmlReadMemory(xml, (int)strlen(xml), "req.xml", NULL, XML_PARSE_NONET);
    xmlNode *root, *next;
    xmlBuffer *buf = xmlBufferCreate();
    GString *out;

    assert_non_null(doc);
    root = xmlDocGetRootElement(doc);
    for (xmlNode *c = root->children; c != NULL; c = next) {
        next = c->next;
        if (c->type == XML_ELEMENT_NODE &&
            strcmp((const char *)c->name, "Signature") == 0) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    assert_true(xmlNodeDump(buf, doc, root, 0, 0) > 0);
    out = g_string_new((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    assert_null(strstr(out->str, "Signature"));
    return out;
}

static void build_request(sent *s, const req_opts *o)
{
    LassoProfile *profile;
    LassoSamlp2AuthnRequest *ar;
    LassoSamlp2RequestAbstract *ra;
    LassoServer *srv =
        strcmp(o->sign, "lasso-sha1") == 0 ? g.sp2_sha1 : g.sp[o->sp];
    int lasso_sign = strncmp(o->sign, "lasso", 5) == 0;

    memset(s, 0, sizeof(*s));
    if (o->payload != NULL) {
        build_payload(s, o);
        return;
    }
    s->login = lasso_login_new(srv);
    assert_non_null(s->login);
    profile = LASSO_PROFILE(s->login);
    assert_int_equal(
        lasso_login_init_authn_request(s->login, IDP_ENTITY,
                                       o->post ? LASSO_HTTP_METHOD_POST
                                               : LASSO_HTTP_METHOD_REDIRECT),
        0);
    ar = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    ra = LASSO_SAMLP2_REQUEST_ABSTRACT(ar);
    if (ar->NameIDPolicy == NULL) {
        ar->NameIDPolicy =
            LASSO_SAMLP2_NAME_ID_POLICY(lasso_samlp2_name_id_policy_new());
    }
    g_free(ar->NameIDPolicy->Format);
    ar->NameIDPolicy->Format =
        g_strdup(o->nameid_format != NULL ? o->nameid_format : FMT_PERSISTENT);
    ar->NameIDPolicy->AllowCreate = o->no_allow_create ? FALSE : TRUE;
    ar->NameIDPolicy->SPNameQualifier = g_strdup(o->sp_name_qualifier);
    if (o->nameid_format != NULL && strcmp(o->nameid_format, "none") == 0) {
        g_object_unref(ar->NameIDPolicy);
        ar->NameIDPolicy = NULL;
    }
    g_free(ar->ProtocolBinding);
    ar->ProtocolBinding = NULL;
    if (o->acs_index < 0 || o->binding_with_index) {
        /* core 3.4.1: not together with an index */
        ar->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
    }
    ar->ForceAuthn = o->force_authn ? TRUE : FALSE;
    ar->IsPassive = o->is_passive ? TRUE : FALSE;
    ar->AssertionConsumerServiceIndex = o->acs_index;
    g_free(ar->AssertionConsumerServiceURL);
    ar->AssertionConsumerServiceURL = g_strdup(o->acs_url);
    if (o->issuer != NULL) {
        g_free(ra->Issuer->content);
        ra->Issuer->content = g_strdup(o->issuer);
    }
    if (o->instant_offset != 0) {
        char t[32];
        time_t when = time(NULL) + o->instant_offset;
        strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime(&when));
        g_free(ra->IssueInstant);
        ra->IssueInstant = g_strdup(t);
    }
    g_free(ra->Destination);
    ra->Destination = o->destination == NULL      ? g_strdup(IDP_SSO)
                      : o->destination[0] != '\0' ? g_strdup(o->destination)
                                                  : NULL;
    s->id = g_strdup(ra->ID);
    if (o->relay_state != NULL) {
        g_free(profile->msg_relayState);
        profile->msg_relayState = g_strdup(o->relay_state);
    }
    if (lasso_sign) {
        /* the request as Lasso's own SP code builds and signs it */
        lasso_profile_set_signature_hint(profile,
                                         LASSO_PROFILE_SIGNATURE_HINT_FORCE);
        assert_int_equal(lasso_login_build_authn_request_msg(s->login), 0);
        if (o->post) {
            char *b64 = g_strdup(profile->msg_body);
            if (strcmp(o->sign, "lasso-tampered") == 0) {
                /* change a signed attribute after signing */
                gsize n;
                guchar *xml = g_base64_decode(b64, &n);
                char *x = g_strndup((const char *)xml, n), *t;
                char *at = strstr(x, "IssueInstant=\"");
                assert_non_null(at);
                t = g_strdup_printf("%.*sConsent=\"urn:oasis:names:tc:SAML:"
                                    "2.0:consent:unspecified\" %s",
                                    (int)(at - x), x, at);
                g_free(b64);
                b64 = g_base64_encode((const guchar *)t, strlen(t));
                g_free(t);
                g_free(x);
                g_free(xml);
            }
            s->body = post_body(o, b64);
            g_free(b64);
        } else {
            const char *q = strchr(profile->msg_url, '?');
            assert_non_null(q);
            s->query = g_strdup(q + 1);
        }
        return;
    }
    {
        char *xml = lasso_node_export_to_xml(LASSO_NODE(ar));
        GString *x = unsigned_xml(xml);

        g_free(xml);
        if (o->dtd) {
            const char *decl = strstr(x->str, "?>");
            gssize at = decl != NULL ? decl - x->str + 2 : 0;
            g_string_insert(x, at,
                            "<!DOCTYPE samlp:AuthnRequest [<!ENTITY e "
                            "\"entity\">]>");
        }
        if (o->post) {
            char *b64 = g_base64_encode((const guchar *)x->str, x->len);
            assert_string_equal(o->sign, "none");
            s->body = post_body(o, b64);
            g_free(b64);
        } else {
            s->query = redirect_query(o, x->str, x->len);
        }
        g_string_free(x, TRUE);
    }
}

static void send_request(web_response *out, browser *br, const sent *s)
{
    if (s->body != NULL) {
        http(out, br, "POST", "/saml/sso", NULL, s->body);
    } else {
        http(out, br, "GET", "/saml/sso", s->query, NULL);
    }
}

/* Assert an error page with this reason and exactly one audit event. */
static void assert_rejected(const web_response *r, long audit_before,
                            int status, const char *sp, const char *reason)
{
    char *esc = html_escape(reason), *events, *want;

    assert_int_equal(r->status, status);
    assert_non_null(r->body);
    if (strstr(r->body, esc) == NULL) {
        char *ev = audit_since(audit_before);
        fail_msg("reason \"%s\" not on the page; audit: %s", reason, ev);
    }
    assert_null(header(r, "Location"));
    assert_null(strstr(r->body, "SAMLResponse"));
    events = audit_since(audit_before);
    want = g_strdup_printf(REJECT "|%s|%s", sp != NULL ? sp : "-", reason);
    assert_string_equal(events, want);
    g_free(esc);
    g_free(events);
    g_free(want);
}

/* ---- login and the SP side ---- */

/* After a 303 to /login: show the form, post the password. */
static void do_login(web_response *out, browser *br,
                     const web_response *redirect)
{
    const char *loc = header(redirect, "Location");
    web_response page;
    char *csrf, *p, *body, *pq, *pe;

    assert_int_equal(redirect->status, 303);
    assert_non_null(loc);
    assert_true(strncmp(loc, "/login?", 7) == 0);
    http(&page, br, "GET", "/login", loc + 7, NULL);
    assert_int_equal(page.status, 200);
    csrf = form_value(page.body, "csrf");
    p = form_value(page.body, "p");
    assert_non_null(csrf);
    assert_non_null(p);
    pq = urlenc(csrf);
    pe = urlenc(p);
    body = g_strdup_printf("csrf=%s&p=%s&login=%s&password=%s", pq, pe, g.login,
                           PASSWORD);
    http(out, br, "POST", "/login", NULL, body);
    g_free(body);
    g_free(pq);
    g_free(pe);
    g_free(csrf);
    g_free(p);
    web_response_clear(&page);
}

/* The decoded SAMLResponse of an auto-POST form to acs. */
typedef struct got {
    char *b64;
    xmlDoc *doc;
    xmlXPathContext *xp;
    char *relay_state;
} got;

static void got_clear(got *g2)
{
    g_free(g2->b64);
    g_free(g2->relay_state);
    if (g2->xp != NULL) {
        xmlXPathFreeContext(g2->xp);
    }
    xmlFreeDoc(g2->doc);
    memset(g2, 0, sizeof(*g2));
}

static void take_response(got *out, const web_response *r, const char *acs)
{
    char *action, *want;
    guchar *xml;
    gsize n;

    memset(out, 0, sizeof(*out));
    if (r->status != 200 || strstr(r->body, "SAMLResponse") == NULL) {
        const char *e = strstr(r->body, "</h1>");
        fail_msg("no SAML response (%d): %s", r->status, e != NULL ? e : "");
    }
    want = g_strdup_printf("<form method=\"post\" action=\"%s\">", acs);
    action = strstr(r->body, want);
    assert_non_null(action);
    g_free(want);
    out->b64 = form_value(r->body, "SAMLResponse");
    out->relay_state = form_value(r->body, "RelayState");
    xml = g_base64_decode(out->b64, &n);
    {
        char *f = g_strdup_printf("%s/%03d-response.xml", g.dump, ++g.n_dump);
        assert_true(g_file_set_contents(f, (const char *)xml, (gssize)n, NULL));
        g_free(f);
    }
    out->doc = xmlReadMemory((const char *)xml, (int)n, "r.xml", NULL,
                             XML_PARSE_NONET);
    g_free(xml);
    assert_non_null(out->doc);
    out->xp = xmlXPathNewContext(out->doc);
    xmlXPathRegisterNs(out->xp, (const xmlChar *)"samlp",
                       (const xmlChar *)"urn:oasis:names:tc:SAML:2.0:protocol");
    xmlXPathRegisterNs(
        out->xp, (const xmlChar *)"saml",
        (const xmlChar *)"urn:oasis:names:tc:SAML:2.0:assertion");
    xmlXPathRegisterNs(out->xp, (const xmlChar *)"ds",
                       (const xmlChar *)"http://www.w3.org/2000/09/xmldsig#");
}

/* String value of an XPath expression over the response ("" if none). */
static char *xpath(const got *r, const char *expr)
{
    char *full = g_strdup_printf("string(%s)", expr);
    xmlXPathObject *o = xmlXPathEvalExpression((const xmlChar *)full, r->xp);
    char *v;

    assert_non_null(o);
    v = g_strdup(o->stringval != NULL ? (const char *)o->stringval : "");
    xmlXPathFreeObject(o);
    g_free(full);
    return v;
}

static void assert_xpath(const got *r, const char *expr, const char *want)
{
    char *v = xpath(r, expr);

    if (strcmp(v, want) != 0) {
        fail_msg("%s: \"%s\", want \"%s\"", expr, v, want);
    }
    g_free(v);
}

static int64_t xsd_time(const char *s)
{
    GDateTime *dt = g_date_time_new_from_iso8601(s, NULL);
    int64_t t;

    assert_non_null(dt);
    t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return t;
}

/* Lasso's SP accepts it: status Success, the signature there is verified.
 * Lasso's FORCE hint wants both the Response and the Assertion signed;
 * idmd signs one of them (test_sign_parts checks which, and that it
 * verifies), so the SP verifies as mod_auth_mellon does, with MAYBE
 * (test_response_signatures checks FORCE on a Response with both). */
static void sp_accepts(const sent *s, const got *r)
{
    LassoProfile *profile = LASSO_PROFILE(s->login);
    int rc;

    /* a signed Assertion may be inside an EncryptedAssertion */
    assert_xpath(r,
                 "count(//ds:Signature) >= 1 or "
                 "count(/samlp:Response/saml:EncryptedAssertion) = 1",
                 "true");
    lasso_profile_set_signature_verify_hint(
        profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
    rc = lasso_login_process_authn_response_msg(s->login, r->b64);
    if (rc != 0) {
        fail_msg("lasso SP: %d %s", rc, lasso_strerror(rc));
    }
    /* 0, or "not found" for the part idmd did not sign; a bad signature
     * fails above */
    rc = lasso_profile_get_signature_status(profile);
    if (rc != 0 && rc != LASSO_DS_ERROR_SIGNATURE_NOT_FOUND) {
        fail_msg("lasso SP: signature status %d %s", rc, lasso_strerror(rc));
    }
    assert_int_equal(lasso_login_accept_sso(s->login), 0);
}

/* Request, login if asked, the Response the browser would post. */
static void fetch_response(got *out, browser *br, sent *s, const req_opts *o,
                           const char *acs)
{
    web_response r1, r2;

    build_request(s, o);
    send_request(&r1, br, s);
    if (r1.status == 303) {
        do_login(&r2, br, &r1);
        take_response(out, &r2, acs);
        web_response_clear(&r2);
    } else {
        take_response(out, &r1, acs);
    }
    web_response_clear(&r1);
}

/* The full round trip: request, login if asked, response to the SP. */
static void round_trip(got *out, browser *br, sent *s, const req_opts *o,
                       const char *acs)
{
    fetch_response(out, br, s, o, acs);
    sp_accepts(s, out);
}

/* ---- fixture ---- */

static void add_sp(idm_db *db, int i, int sign_requests)
{
    static const idm_actor actor = {"system:test", "test"};
    char *name = g_strdup_printf("%s-metadata.xml", sp_name[i]);
    char *md = slurp(name), *entity = NULL;
    /* bound to an application the policy admits teachers to */
    saml_sp_new sp = {"lms", md, strlen(md), 0, sign_requests, NULL, NULL};
    idm_err err = IDM_ERR_INIT;

    if (saml_sp_add(&entity, db, &actor, &sp, 0, &err) != 0) {
        fail_msg("sp add %s: %s (%s)", sp_name[i], err.msg, err.detail);
    }
    assert_string_equal(entity, sp_entity[i]);
    free(entity);
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
    u.password = PASSWORD;
    u.org_code = "75123";
    u.role = "teacher";
    if (idm_user_add(&g.login, NULL, db, g.conf, &actor, &u, &err) != 0) {
        fail_msg("user add: %s (%s)", err.msg, err.detail);
    }
}

static void make_sp_server(int i, const char *idp_md, int sha1)
{
    char *mdn = g_strdup_printf("%s-metadata.xml", sp_name[i]);
    char *keyn = g_strdup_printf("%s.key", sp_name[i]);
    char *crtn = g_strdup_printf("%s.crt", sp_name[i]);
    char *md = slurp(mdn), *key = slurp(keyn), *crt = slurp(crtn);
    BIO *bio = BIO_new_mem_buf(key, -1);

    LassoServer *srv = lasso_server_new_from_buffers(md, key, NULL, crt);

    assert_non_null(srv);
    srv->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
    assert_int_equal(lasso_server_add_provider_from_buffer(
                         srv, LASSO_PROVIDER_ROLE_IDP, idp_md, NULL, NULL),
                     0);
    {
        /* a preloaded key, as the IdP does: Lasso re-reading the PEM for
         * every message leaks a BIO (xmlSecOpenSSLAppKeyCertLoad); sha1:
         * what a legacy SP sends, messages signed RSA-SHA1 */
        LassoKey *k = lasso_key_new_for_signature_from_memory(
            key, strlen(key), NULL,
            sha1 ? LASSO_SIGNATURE_METHOD_RSA_SHA1
                 : LASSO_SIGNATURE_METHOD_RSA_SHA256,
            NULL);
        assert_non_null(k);
        assert_int_equal(lasso_provider_set_server_signing_key(
                             lasso_server_get_provider(srv, IDP_ENTITY), k),
                         0);
        g_object_unref(k);
    }
    if (sha1) {
        g.sp2_sha1 = srv;
    } else {
        g.sp[i] = srv;
        g.sp_key[i] = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        assert_non_null(g.sp_key[i]);
    }
    BIO_free(bio);
    g_free(md);
    g_free(key);
    g_free(crt);
    g_free(mdn);
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
    web_response md;
    browser br = {0};
    int applied = 0;

    (void)state;
    if (st == NULL || src == NULL) {
        fprintf(stderr, "IDM_TEST_STATE and IDM_SOURCE_DIR must be set\n");
        return -1;
    }
    g.data = g_build_filename(src, "tests", "data", "saml", NULL);
    g.dump = g_dir_make_tmp("idm-saml-sso-XXXXXX", NULL);
    if (g.dump == NULL) {
        return -1;
    }
    if (testpg_newdb(g.conninfo, sizeof(g.conninfo), SAML_SSO_TEST_DB) != 0) {
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
                           "pairwise_salt_file = %s\n" SAML_SSO_TEST_IDP_CONF,
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
    add_sp(db, 0, 0);
    add_sp(db, 1, 1);
    idm_db_close(db);
    if (web_site_new(&g.web, g.conf, 2, &err) != 0 ||
        saml_idp_new(&g.idp, g.web, &err) != 0) {
        fprintf(stderr, "setup: idp: %s (%s)\n", err.msg, err.detail);
        return -1;
    }
    g.pg = PQconnectdb(g.conninfo);
    if (PQstatus(g.pg) != CONNECTION_OK) {
        return -1;
    }
    http(&md, &br, "GET", "/saml/metadata", NULL, NULL);
    if (md.status != 200) {
        return -1;
    }
    for (int i = 0; i < NSP; i++) {
        make_sp_server(i, md.body, 0);
    }
    make_sp_server(1, md.body, 1);
    web_response_clear(&md);
    browser_clear(&br);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NSP; i++) {
        if (g.sp[i] != NULL) {
            lasso_server_destroy(g.sp[i]);
        }
        EVP_PKEY_free(g.sp_key[i]);
    }
    if (g.sp2_sha1 != NULL) {
        lasso_server_destroy(g.sp2_sha1);
    }
    saml_idp_free(g.idp);
    web_site_free(g.web);
    PQfinish(g.pg);
    if (g.dump != NULL) {
        char *cmd = g_strdup_printf("rm -rf '%s'", g.dump);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", g.dump);
        }
        g_free(cmd);
        g_free(g.dump);
    }
    idm_conf_free(g.conf);
    free(g.login);
    g_free(g.data);
    return 0;
}

/* ---- the positive path ---- */

static void check_assertion(const got *r, const sent *s, const char *sp,
                            const char *acs)
{
    int64_t now = (int64_t)time(NULL), t;
    char *v;

    assert_xpath(r, "/samlp:Response/samlp:Status/samlp:StatusCode/@Value",
                 LASSO_SAML2_STATUS_CODE_SUCCESS);
    assert_xpath(r, "/samlp:Response/@InResponseTo", s->id);
    assert_xpath(r, "/samlp:Response/@Destination", acs);
    assert_xpath(r, "/samlp:Response/saml:Issuer", IDP_ENTITY);
    /* one RSA-SHA256 signature with a SHA-256 digest: on the Assertion
     * for sp2 (WantAssertionsSigned="true" in its metadata), else on the
     * Response */
    assert_xpath(r, "count(//ds:Signature)", "1");
    assert_xpath(r,
                 strcmp(sp, sp_entity[1]) == 0
                     ? "/samlp:Response/saml:Assertion/ds:Signature/"
                       "ds:SignedInfo/ds:SignatureMethod/@Algorithm"
                     : "/samlp:Response/ds:Signature/ds:SignedInfo/"
                       "ds:SignatureMethod/@Algorithm",
                 ALG_SHA256);
    assert_xpath(r, "//ds:Signature/ds:SignedInfo/ds:Reference/"
                    "ds:DigestMethod/@Algorithm",
                 "http://www.w3.org/2001/04/xmlenc#sha256");
    assert_xpath(r, "count(/samlp:Response/saml:Assertion)", "1");
    assert_xpath(r, "count(//saml:EncryptedAssertion)", "0");
    /* audience */
    assert_xpath(r,
                 "//saml:Assertion/saml:Conditions/"
                 "saml:AudienceRestriction/saml:Audience",
                 sp);
    /* bearer confirmation: Recipient, InResponseTo, NotOnOrAfter */
    assert_xpath(r, "//saml:SubjectConfirmation/@Method",
                 "urn:oasis:names:tc:SAML:2.0:cm:bearer");
    assert_xpath(r, "//saml:SubjectConfirmationData/@Recipient", acs);
    assert_xpath(r, "//saml:SubjectConfirmationData/@InResponseTo", s->id);
    v = xpath(r, "//saml:SubjectConfirmationData/@NotOnOrAfter");
    t = xsd_time(v);
    assert_true(t > now &&
                t <= now + saml_conf_get(g.conf)->assertion_lifetime + 5);
    g_free(v);
    /* authentication statement */
    v = xpath(r, "//saml:AuthnStatement/@SessionIndex");
    assert_true(strlen(v) > 0);
    g_free(v);
    assert_xpath(r,
                 "//saml:AuthnStatement/saml:AuthnContext/"
                 "saml:AuthnContextClassRef",
                 PPT);
    /* pairwise persistent NameID */
    assert_xpath(r, "//saml:Subject/saml:NameID/@Format", FMT_PERSISTENT);
    assert_xpath(r, "//saml:Subject/saml:NameID/@SPNameQualifier", sp);
    assert_xpath(r, "//saml:Subject/saml:NameID/@NameQualifier", IDP_ENTITY);
}

static char *name_id(const got *r)
{
    return xpath(r, "//saml:Subject/saml:NameID");
}

/* Redirect (sp1, unsigned) and POST (sp2, signed by Lasso): login, SSO,
 * every property of the Response, pairwise NameIDs. */
static void test_positive_path(void **state)
{
    browser br = {0};
    req_opts o1 = REQ_OPTS_INIT, o2 = REQ_OPTS_INIT;
    sent s1, s2, s3;
    got r1, r2, r3;
    char *n1, *n2, *n3;
    long before = audit_max_id();
    char *events, *want;

    (void)state;
    round_trip(&r1, &br, &s1, &o1, "https://sp1.test.invalid/acs");
    check_assertion(&r1, &s1, sp_entity[0], "https://sp1.test.invalid/acs");
    assert_non_null(br.s);
    /* SSO from the session: the same person at another SP, over POST with
     * an XML signature, to its second ACS by index */
    o2.sp = 1;
    o2.post = 1;
    o2.sign = "lasso";
    o2.acs_index = 1;
    round_trip(&r2, &br, &s2, &o2, "https://sp2.test.invalid/acs2");
    check_assertion(&r2, &s2, sp_entity[1], "https://sp2.test.invalid/acs2");
    /* and sp1 again, by exact ACS URL, from the session */
    o1.acs_url = "https://sp1.test.invalid/acs2";
    round_trip(&r3, &br, &s3, &o1, "https://sp1.test.invalid/acs2");
    check_assertion(&r3, &s3, sp_entity[0], "https://sp1.test.invalid/acs2");
    n1 = name_id(&r1);
    n2 = name_id(&r2);
    n3 = name_id(&r3);
    assert_true(strlen(n1) >= 16);
    assert_string_equal(n1, n3);     /* stable per SP */
    assert_string_not_equal(n1, n2); /* different between SPs */
    assert_null(strstr(n1, g.login));
    /* the login is not released (pysaml2 e2e checks the attributes) */
    assert_null(strstr((const char *)r1.b64, g.login));
    events = audit_since(before);
    want = g_strdup_printf("login.ok|-|-\n"
                           "saml.assertion_issue|%s|-\n"
                           "saml.assertion_issue|%s|-\n"
                           "saml.assertion_issue|%s|-",
                           sp_entity[0], sp_entity[1], sp_entity[0]);
    assert_string_equal(events, want);
    g_free(events);
    g_free(want);
    g_free(n1);
    g_free(n2);
    g_free(n3);
    got_clear(&r1);
    got_clear(&r2);
    got_clear(&r3);
    sent_clear(&s1);
    sent_clear(&s2);
    sent_clear(&s3);
    browser_clear(&br);
}

/* A request from an SSO session to sp1's default ACS: the Response. */
static void sso_again(got *out, browser *br, sent *s, const req_opts *o)
{
    web_response r;

    build_request(s, o);
    send_request(&r, br, s);
    take_response(out, &r, "https://sp1.test.invalid/acs");
    web_response_clear(&r);
}

/* The NameID sp1 (bound to lms, whose policy lists only persistent)
 * gets, per NameIDPolicy (SAML core 3.4.1.1). */
static void test_nameid_policy(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    sent s;
    got r;
    char *pairwise, *t1, *t2, *stored;
    static const char *const persistent_for[] = {"none", FMT_UNSPECIFIED,
                                                 NULL};

    (void)state;
    round_trip(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
    pairwise = name_id(&r);
    got_clear(&r);
    sent_clear(&s);
    /* no NameIDPolicy, or unspecified: the policy's preferred format */
    for (size_t i = 0; i < 2; i++) {
        o.nameid_format = persistent_for[i];
        sso_again(&r, &br, &s, &o);
        sp_accepts(&s, &r);
        assert_xpath(&r, "//saml:Subject/saml:NameID/@Format",
                     FMT_PERSISTENT);
        assert_xpath(&r, "//saml:Subject/saml:NameID", pairwise);
        got_clear(&r);
        sent_clear(&s);
    }
    /* AllowCreate="false": pairwise ids exist in advance */
    o.nameid_format = NULL;
    o.no_allow_create = 1;
    o.sp_name_qualifier = sp_entity[0]; /* its own namespace */
    sso_again(&r, &br, &s, &o);
    sp_accepts(&s, &r);
    assert_xpath(&r, "//saml:Subject/saml:NameID", pairwise);
    assert_xpath(&r, "//saml:Subject/saml:NameID/@SPNameQualifier",
                 sp_entity[0]);
    got_clear(&r);
    sent_clear(&s);
    /* another SP's namespace: never its pairwise id */
    o.sp_name_qualifier = sp_entity[1];
    sso_again(&r, &br, &s, &o);
    assert_xpath(&r, "//samlp:StatusCode/samlp:StatusCode/@Value",
                 LASSO_SAML2_STATUS_CODE_INVALID_NAME_ID_POLICY);
    assert_xpath(&r, "count(//saml:Assertion)", "0");
    got_clear(&r);
    sent_clear(&s);
    /* a format the IdP does not issue fails closed */
    o.sp_name_qualifier = NULL;
    o.no_allow_create = 0;
    o.nameid_format = FMT_EMAIL;
    sso_again(&r, &br, &s, &o);
    assert_xpath(&r, "//samlp:StatusCode/samlp:StatusCode/@Value",
                 LASSO_SAML2_STATUS_CODE_INVALID_NAME_ID_POLICY);
    assert_xpath(&r, "count(//saml:Assertion)", "0");
    got_clear(&r);
    sent_clear(&s);
    /* transient: always allowed, one per IdP session and SP, and the
     * NameID Single Logout will be asked about is the one stored */
    o.nameid_format = FMT_TRANSIENT;
    sso_again(&r, &br, &s, &o);
    sp_accepts(&s, &r);
    assert_xpath(&r, "//saml:Subject/saml:NameID/@Format", FMT_TRANSIENT);
    t1 = name_id(&r);
    got_clear(&r);
    sent_clear(&s);
    stored = sql1("SELECT name_id || ' ' || name_id_format "
                  "FROM saml_session_sp WHERE sp_entity_id = $1 "
                  "ORDER BY issued_at DESC LIMIT 1",
                  1, (const char *const[]){sp_entity[0]});
    assert_non_null(stored);
    {
        char *want = g_strdup_printf("%s %s", t1, FMT_TRANSIENT);
        assert_string_equal(stored, want);
        g_free(want);
    }
    sso_again(&r, &br, &s, &o);
    sp_accepts(&s, &r);
    t2 = name_id(&r);
    assert_true(strlen(t1) >= 32);
    assert_string_not_equal(t1, pairwise);
    /* the second assertion of the session to sp1 names the first one's
     * NameID: a LogoutRequest with either finds the session */
    assert_string_equal(t1, t2);
    g_free(stored);
    stored = sql1("SELECT name_id FROM saml_session_sp "
                  "WHERE sp_entity_id = $1 "
                  "ORDER BY issued_at DESC LIMIT 1",
                  1, (const char *const[]){sp_entity[0]});
    assert_non_null(stored);
    assert_string_equal(stored, t1);
    got_clear(&r);
    sent_clear(&s);
    /* another IdP session (a new login in another browser): another
     * transient NameID, not linkable to the first */
    {
        browser br2 = {0};
        char *t3;

        round_trip(&r, &br2, &s, &o, "https://sp1.test.invalid/acs");
        assert_xpath(&r, "//saml:Subject/saml:NameID/@Format", FMT_TRANSIENT);
        t3 = name_id(&r);
        assert_true(strlen(t3) >= 32);
        assert_string_not_equal(t3, t1);
        assert_string_not_equal(t3, pairwise);
        got_clear(&r);
        sent_clear(&s);
        g_free(t3);
        browser_clear(&br2);
    }
    g_free(stored);
    g_free(t1);
    g_free(t2);
    g_free(pairwise);
    browser_clear(&br);
}

/*
 * xmlsec's verdict on the ds:Signature child of el, with the IdP's
 * certificate as the only key and only same-document references (an
 * implementation independent of the signing code in sign.c).
 */
static int xmlsec_verifies(xmlDoc *doc, xmlNode *el)
{
    xmlNode *sig = xmlSecFindChild(el, xmlSecNodeSignature, xmlSecDSigNs);
    xmlSecDSigCtx *ctx = xmlSecDSigCtxCreate(NULL);
    char *crt = data_path("idp.crt");
    xmlAttr *id = xmlHasProp(el, (const xmlChar *)"ID");
    xmlChar *idv = xmlGetProp(el, (const xmlChar *)"ID");
    int ok;

    assert_non_null(sig);
    assert_non_null(ctx);
    assert_non_null(idv);
    if (xmlGetID(doc, idv) == NULL) {
        assert_non_null(xmlAddID(NULL, doc, idv, id));
    }
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    ctx->signKey = xmlSecCryptoAppKeyLoad(crt, xmlSecKeyDataFormatCertPem, NULL,
                                          NULL, NULL);
    assert_non_null(ctx->signKey);
    assert_int_equal(xmlSecDSigCtxVerify(ctx, sig), 0);
    ok = ctx->status == xmlSecDSigStatusSucceeded;
    xmlSecDSigCtxDestroy(ctx);
    xmlFree(idv);
    g_free(crt);
    return ok;
}

/* What idmd signs for SP i (saml_sp_set_sign; NULL: per metadata),
 * effective at once. */
static void set_sign(int i, const char *sign)
{
    static const idm_actor actor = {"system:test", "test"};
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;

    if (idm_db_open(&db, g.conf, &err) != 0 ||
        saml_sp_set_sign(db, &actor, sp_entity[i], sign, &err) != 0 ||
        saml_idp_refresh(g.idp, 1, &err) != 0) {
        fail_msg("set sign: %s (%s)", err.msg, err.detail);
    }
    idm_db_close(db);
}

static xmlNode *xp_node(const got *r, const char *path)
{
    xmlXPathObject *o = xmlXPathEvalExpression((const xmlChar *)path, r->xp);
    xmlNode *n;

    assert_non_null(o);
    assert_non_null(o->nodesetval);
    assert_int_equal(o->nodesetval->nodeNr, 1);
    n = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    return n;
}

/* The Response's and the Assertion's signatures verify with xmlsec and
 * the IdP's certificate; after a change to the signed content (the
 * NameID) both fail, and Lasso's SP refuses the Response. */
static void test_response_signatures(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    sent s;
    got r;
    xmlNode *resp, *asrt, *nid;
    char *xml, *b64;
    int len;

    (void)state;
    set_sign(0, "both");
    round_trip(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
    set_sign(0, NULL);
    resp = xp_node(&r, "/samlp:Response");
    asrt = xp_node(&r, "/samlp:Response/saml:Assertion");
    /* each Signature right after its Issuer, over its own ID */
    assert_xpath(&r, "local-name(/samlp:Response/*[2])", "Signature");
    assert_xpath(&r, "local-name(/samlp:Response/saml:Assertion/*[2])",
                 "Signature");
    assert_xpath(&r,
                 "/samlp:Response/ds:Signature/ds:SignedInfo/ds:Reference/"
                 "@URI = concat('#', /samlp:Response/@ID)",
                 "true");
    assert_xpath(&r,
                 "/samlp:Response/saml:Assertion/ds:Signature/ds:SignedInfo/"
                 "ds:Reference/@URI = concat('#', "
                 "/samlp:Response/saml:Assertion/@ID)",
                 "true");
    /* no KeyInfo: the SP takes our keys from the metadata */
    assert_xpath(&r, "count(//ds:KeyInfo)", "0");
    assert_true(xmlsec_verifies(r.doc, asrt));
    assert_true(xmlsec_verifies(r.doc, resp));

    /* tampered: another NameID */
    nid = xp_node(&r, "//saml:Subject/saml:NameID");
    xmlNodeSetContent(nid, (const xmlChar *)"someone-else");
    assert_false(xmlsec_verifies(r.doc, asrt));
    assert_false(xmlsec_verifies(r.doc, resp));
    xmlDocDumpMemory(r.doc, (xmlChar **)&xml, &len);
    b64 = g_base64_encode((const guchar *)xml, (gsize)len);
    lasso_profile_set_signature_verify_hint(
        LASSO_PROFILE(s.login), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
    assert_int_not_equal(lasso_login_process_authn_response_msg(s.login, b64),
                         0);
    g_free(b64);
    xmlFree(xml);
    got_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* One signature per Response (saml_sp.sign): per metadata by default,
 * the Assertion or the Response as set; each verifies with xmlsec and
 * Lasso's SP accepts the Response. */
static void test_sign_parts(void **state)
{
    static const struct {
        const char *sign;
        const char *count_resp, *count_asrt;
    } cases[] = {
        {NULL, "1", "0"}, /* sp1's metadata does not want signed assertions */
        {"assertion", "0", "1"},
        {"response", "1", "0"},
        {"both", "1", "1"},
    };
    browser br = {0};

    (void)state;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        req_opts o = REQ_OPTS_INIT;
        sent s;
        got r;

        set_sign(0, cases[i].sign);
        round_trip(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
        assert_xpath(&r, "count(/samlp:Response/ds:Signature)",
                     cases[i].count_resp);
        assert_xpath(&r, "count(/samlp:Response/saml:Assertion/ds:Signature)",
                     cases[i].count_asrt);
        for (int tampered = 0; tampered < 2; tampered++) {
            if (tampered) {
                xmlNodeSetContent(xp_node(&r, "//saml:Subject/saml:NameID"),
                                  (const xmlChar *)"someone-else");
            }
            if (cases[i].count_resp[0] == '1') {
                assert_int_equal(
                    xmlsec_verifies(r.doc, xp_node(&r, "/samlp:Response")),
                    !tampered);
            }
            if (cases[i].count_asrt[0] == '1') {
                assert_int_equal(
                    xmlsec_verifies(
                        r.doc, xp_node(&r, "/samlp:Response/saml:Assertion")),
                    !tampered);
            }
        }
        got_clear(&r);
        sent_clear(&s);
    }
    set_sign(0, NULL);
    browser_clear(&br);
}

/* ---- encrypted assertions ---- */

#define ALG_GCM "http://www.w3.org/2009/xmlenc11#aes256-gcm"
#define ALG_CBC "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
#define ALG_OAEP "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
#define XENC_DATA "/samlp:Response/saml:EncryptedAssertion/xenc:EncryptedData"

/* Register sp1 again (replace) from its metadata, with its certificate
 * also published for encryption when enc, the KeyDescriptor listing the
 * md:EncryptionMethod methods (NULL: none), effective at once. */
static void sp1_metadata(int enc, const char *methods)
{
    static const idm_actor actor = {"system:test", "test"};
    char *md = slurp("sp1-metadata.xml"), *kd, *end, *full = md;
    saml_sp_new sp = {"lms", NULL, 0, 0, 0, NULL, NULL};
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;

    if (enc) {
        kd = strstr(md, "<md:KeyDescriptor use=\"signing\">");
        assert_non_null(kd);
        end = strstr(kd, "</md:KeyDescriptor>");
        assert_non_null(end);
        kd += strlen("<md:KeyDescriptor use=\"signing\">");
        /* the signing KeyDescriptor, then one for encryption with the
         * same KeyInfo, then the rest (from its end tag on) */
        full = g_strdup_printf(
            "%.*s<md:KeyDescriptor use=\"encryption\">%.*s%s%s",
            (int)(end - md) + (int)strlen("</md:KeyDescriptor>"), md,
            (int)(end - kd), kd, methods != NULL ? methods : "", end);
    }
    sp.metadata = full;
    sp.metadata_len = strlen(full);
    if (idm_db_open(&db, g.conf, &err) != 0 ||
        saml_sp_add(NULL, db, &actor, &sp, 1, &err) != 0 ||
        saml_idp_refresh(g.idp, 1, &err) != 0) {
        fail_msg("sp1 metadata: %s (%s)", err.msg, err.detail);
    }
    idm_db_close(db);
    if (full != md) {
        g_free(full);
    }
    g_free(md);
}

/* saml_sp_set_encrypt on SP i ("yes", "no", NULL); returns its code. */
static int set_encrypt(int i, const char *encrypt)
{
    static const idm_actor actor = {"system:test", "test"};
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    int rc;

    assert_int_equal(idm_db_open(&db, g.conf, &err), 0);
    rc = saml_sp_set_encrypt(db, &actor, sp_entity[i], encrypt, &err);
    if (rc == 0 && saml_idp_refresh(g.idp, 1, &err) != 0) {
        fail_msg("refresh: %s (%s)", err.msg, err.detail);
    }
    idm_db_close(db);
    return rc;
}

/* xmlsec decrypts the EncryptedData of the Response with sp1's private
 * key (an implementation independent of encrypt.c); the Assertion takes
 * its place. 1 if it decrypted. */
static int xmlsec_decrypts(got *r)
{
    xmlSecKeysMngr *mngr = xmlSecKeysMngrCreate();
    xmlSecEncCtx *ctx = NULL;
    xmlSecKey *key;
    char *keyf = data_path("sp1.key");
    int ok;

    assert_non_null(mngr);
    assert_int_equal(xmlSecCryptoAppDefaultKeysMngrInit(mngr), 0);
    key =
        xmlSecCryptoAppKeyLoad(keyf, xmlSecKeyDataFormatPem, NULL, NULL, NULL);
    assert_non_null(key);
    assert_int_equal(xmlSecCryptoAppDefaultKeysMngrAdoptKey(mngr, key), 0);
    ctx = xmlSecEncCtxCreate(mngr);
    assert_non_null(ctx);
    ok = xmlSecEncCtxDecrypt(ctx, xp_node(r, XENC_DATA)) == 0 &&
         ctx->resultReplaced;
    xmlSecEncCtxDestroy(ctx);
    xmlSecKeysMngrDestroy(mngr);
    g_free(keyf);
    return ok;
}

static void xp_xenc(got *r)
{
    xmlXPathRegisterNs(r->xp, (const xmlChar *)"xenc",
                       (const xmlChar *)"http://www.w3.org/2001/04/xmlenc#");
}

/* One encrypted round trip to sp1: an EncryptedAssertion with alg, no
 * plain Assertion; Lasso's SP (as in mod_auth_mellon) decrypts and
 * accepts it; xmlsec decrypts it too and, if the Assertion is the signed
 * part, its signature verifies after decryption. */
static void encrypted_round_trip(const char *alg, int assertion_signed)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    sent s;
    got r;

    round_trip(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
    xp_xenc(&r);
    assert_xpath(&r, "count(/samlp:Response/saml:Assertion)", "0");
    assert_xpath(&r, "count(/samlp:Response/saml:EncryptedAssertion)", "1");
    assert_xpath(&r, XENC_DATA "/xenc:EncryptionMethod/@Algorithm", alg);
    assert_xpath(&r,
                 XENC_DATA "/ds:KeyInfo/xenc:EncryptedKey/"
                           "xenc:EncryptionMethod/@Algorithm",
                 ALG_OAEP);
    /* Lasso's SP saw the attributes of the decrypted Assertion */
    assert_non_null(LASSO_PROFILE(s.login)->nameIdentifier);
    if (!assertion_signed) {
        /* over the EncryptedAssertion, before decryption */
        assert_true(xmlsec_verifies(r.doc, xp_node(&r, "/samlp:Response")));
    }
    assert_true(xmlsec_decrypts(&r));
    assert_xpath(&r,
                 "count(/samlp:Response/saml:EncryptedAssertion/"
                 "saml:Assertion/saml:Subject/saml:NameID)",
                 "1");
    if (assertion_signed) {
        /* signed before it was encrypted */
        assert_true(xmlsec_verifies(
            r.doc, xp_node(&r, "/samlp:Response/saml:EncryptedAssertion/"
                               "saml:Assertion")));
    }
    got_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* Encrypted assertions: AES-256-GCM with RSA-OAEP by default when the
 * SP's metadata has an encryption key, signed before encryption or under
 * the Response's signature; AES-128-CBC when the metadata lists only it;
 * none with --encrypt no or without a key; a changed ciphertext is
 * refused by the SP. */
/* An SP set to --encrypt yes whose metadata then loses its encryption key
 * (a refresh dropped it) gets no plain Assertion: idmd skips the SP. */
static void test_encrypt_yes_fails_closed(void **state)
{
    const char *p[1] = {sp_entity[0]};
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r;
    sent s;
    long before;
    char *v;
    idm_err err = IDM_ERR_INIT;

    (void)state;
    sp1_metadata(1, NULL);
    assert_int_equal(set_encrypt(0, "yes"), 0);
    sp1_metadata(0, NULL); /* the key is gone, the choice stays */
    v = sql1("UPDATE saml_sp SET encrypt = true WHERE entity_id = $1 "
             "RETURNING encrypt",
             1, p);
    assert_string_equal(v, "t");
    g_free(v);
    assert_int_equal(saml_idp_refresh(g.idp, 1, &err), 0);
    before = audit_max_id();
    build_request(&s, &o);
    send_request(&r, &br, &s);
    assert_rejected(&r, before, 400, sp_entity[0],
                    "unknown application (issuer not registered)");
    web_response_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
    assert_int_equal(set_encrypt(0, NULL), 0);
}

static void test_encrypted_assertions(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    sent s;
    got r;
    xmlNode *cv;
    xmlChar *c;
    char *xml, *b64;
    int len;

    (void)state;
    /* no encryption key in sp2's metadata: --encrypt yes is refused */
    assert_int_equal(set_encrypt(1, "yes"), IDM_EINVAL);

    sp1_metadata(1, NULL);
    encrypted_round_trip(ALG_GCM, 0); /* the Response signed */
    set_sign(0, "assertion");
    encrypted_round_trip(ALG_GCM, 1);

    /* tampered ciphertext (the Response is unsigned here): GCM's tag
     * fails and the SP refuses the Response */
    fetch_response(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
    xp_xenc(&r);
    cv = xp_node(&r, XENC_DATA "/xenc:CipherData/xenc:CipherValue");
    c = xmlNodeGetContent(cv);
    c[20] = c[20] == 'A' ? 'B' : 'A';
    xmlNodeSetContent(cv, c);
    xmlFree(c);
    xmlDocDumpMemory(r.doc, (xmlChar **)&xml, &len);
    b64 = g_base64_encode((const guchar *)xml, (gsize)len);
    lasso_profile_set_signature_verify_hint(
        LASSO_PROFILE(s.login), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
    assert_true(lasso_login_process_authn_response_msg(s.login, b64) != 0 ||
                lasso_login_accept_sso(s.login) != 0);
    assert_null(LASSO_PROFILE(s.login)->nameIdentifier);
    assert_false(xmlsec_decrypts(&r));
    g_free(b64);
    xmlFree(xml);
    got_clear(&r);
    sent_clear(&s);

    /* metadata listing only AES-128-CBC */
    set_sign(0, NULL);
    sp1_metadata(1, "<md:EncryptionMethod Algorithm=\"" ALG_CBC "\"/>");
    encrypted_round_trip(ALG_CBC, 0);
    /* both listed: the stronger one */
    sp1_metadata(1, "<md:EncryptionMethod Algorithm=\"" ALG_CBC "\"/>"
                    "<md:EncryptionMethod Algorithm=\"" ALG_GCM "\"/>");
    encrypted_round_trip(ALG_GCM, 0);

    /* --encrypt no: a plain Assertion again */
    assert_int_equal(set_encrypt(0, "no"), 0);
    round_trip(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
    assert_xpath(&r, "count(/samlp:Response/saml:Assertion)", "1");
    assert_xpath(&r, "count(//saml:EncryptedAssertion)", "0");
    got_clear(&r);
    sent_clear(&s);
    assert_int_equal(set_encrypt(0, NULL), 0);

    /* the original metadata, without an encryption key: plain */
    sp1_metadata(0, NULL);
    assert_int_equal(set_encrypt(0, "yes"), IDM_EINVAL);
    round_trip(&r, &br, &s, &o, "https://sp1.test.invalid/acs");
    assert_xpath(&r, "count(//saml:EncryptedAssertion)", "0");
    got_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* Lasso's own signed HTTP-Redirect request (sp2 must sign): accepted. */
static void test_signed_redirect_ok(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    sent s;
    got r;

    (void)state;
    o.sp = 1;
    o.sign = "lasso";
    o.relay_state = "state-1";
    round_trip(&r, &br, &s, &o, "https://sp2.test.invalid/acs");
    assert_non_null(strstr(s.query, "&Signature="));
    check_assertion(&r, &s, sp_entity[1], "https://sp2.test.invalid/acs");
    assert_string_equal(r.relay_state, "state-1");
    got_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* Our own RSA-SHA256 Redirect signature with a RelayState (covered). */
static void test_signed_redirect_openssl_ok(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r;
    sent s;

    (void)state;
    o.sp = 1;
    o.sign = "rsa-sha256";
    o.relay_state = "a b&c";
    build_request(&s, &o);
    send_request(&r, &br, &s);
    assert_int_equal(r.status, 303);
    assert_true(strncmp(header(&r, "Location"), "/login?p=", 9) == 0);
    web_response_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* A replayed ID is refused, and the replay cache is PostgreSQL's. */
static void test_replay_cache_in_db(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r;
    sent s;
    char *n;
    long before;
    const char *p[2];

    (void)state;
    build_request(&s, &o);
    send_request(&r, &br, &s);
    assert_int_equal(r.status, 303);
    web_response_clear(&r);
    p[0] = sp_entity[0];
    p[1] = s.id;
    n = sql1("SELECT count(*) FROM saml_replay WHERE sp_entity_id = $1 "
             "AND request_id = $2 AND expires_at > now()",
             2, p);
    assert_string_equal(n, "1");
    g_free(n);
    /* another browser, same request: refused */
    browser_clear(&br);
    before = audit_max_id();
    send_request(&r, &br, &s);
    assert_rejected(&r, before, 400, sp_entity[0], "the request was replayed");
    web_response_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* A normal RelayState comes back HTML-escaped in the auto-POST form. */
static void test_relay_state_echoed_escaped(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    sent s;
    got r;
    web_response raw;
    web_response r1;
    const char *rs = "<script>\"x'&y</script>";

    (void)state;
    o.relay_state = rs;
    build_request(&s, &o);
    send_request(&r1, &br, &s);
    do_login(&raw, &br, &r1);
    assert_null(strstr(raw.body, "<script>\""));
    assert_non_null(strstr(raw.body,
                           "name=\"RelayState\" value=\"&lt;script&gt;&quot;"
                           "x&#39;&amp;y&lt;/script&gt;\""));
    take_response(&r, &raw, "https://sp1.test.invalid/acs");
    assert_string_equal(r.relay_state, rs);
    sp_accepts(&s, &r);
    got_clear(&r);
    web_response_clear(&raw);
    web_response_clear(&r1);
    sent_clear(&s);
    browser_clear(&br);
}

/* ForceAuthn: a session exists, yet the password is asked again. */
static void test_force_authn_reauthenticates(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r, r2;
    sent s0, s;
    got g0, g1;
    char *first_session, *i0, *i1;

    (void)state;
    round_trip(&g0, &br, &s0, &o, "https://sp1.test.invalid/acs");
    first_session = g_strdup(br.s);
    o.force_authn = 1;
    build_request(&s, &o);
    send_request(&r, &br, &s);
    assert_int_equal(r.status, 303); /* no SSO from the session */
    /* server-side: nothing in the URL for a client to drop */
    assert_null(strstr(header(&r, "Location"), "force"));
    sleep(1); /* a later AuthnInstant */
    do_login(&r2, &br, &r);
    take_response(&g1, &r2, "https://sp1.test.invalid/acs");
    sp_accepts(&s, &g1);
    assert_string_not_equal(first_session, br.s); /* a new session */
    i0 = xpath(&g0, "//saml:AuthnStatement/@AuthnInstant");
    i1 = xpath(&g1, "//saml:AuthnStatement/@AuthnInstant");
    assert_true(xsd_time(i1) > xsd_time(i0));
    g_free(i0);
    g_free(i1);
    g_free(first_session);
    got_clear(&g0);
    got_clear(&g1);
    web_response_clear(&r);
    web_response_clear(&r2);
    sent_clear(&s0);
    sent_clear(&s);
    browser_clear(&br);
}

/* IsPassive without a session: a NoPassive Response, no login page. */
static void test_is_passive_without_session(void **state)
{
    browser br = {0};
    req_opts o = REQ_OPTS_INIT;
    web_response r;
    sent s;
    got g1;
    long before = audit_max_id();
    char *events, *want;
    int rc;

    (void)state;
    o.is_passive = 1;
    build_request(&s, &o);
    send_request(&r, &br, &s);
    take_response(&g1, &r, "https://sp1.test.invalid/acs");
    assert_xpath(&g1, "/samlp:Response/samlp:Status/samlp:StatusCode/@Value",
                 LASSO_SAML2_STATUS_CODE_RESPONDER);
    assert_xpath(&g1,
                 "/samlp:Response/samlp:Status/samlp:StatusCode/"
                 "samlp:StatusCode/@Value",
                 LASSO_SAML2_STATUS_CODE_NO_PASSIVE);
    assert_xpath(&g1, "/samlp:Response/@InResponseTo", s.id);
    assert_xpath(&g1, "count(//saml:Assertion)", "0");
    /* Lasso's SP reads it as "no passive" */
    lasso_profile_set_signature_verify_hint(
        LASSO_PROFILE(s.login), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
    rc = lasso_login_process_authn_response_msg(s.login, g1.b64);
    assert_int_equal(rc, LASSO_PROFILE_ERROR_STATUS_NOT_SUCCESS);
    assert_int_equal(lasso_profile_get_signature_status(LASSO_PROFILE(s.login)),
                     0);
    events = audit_since(before);
    want = g_strdup_printf(REJECT "|%s|passive request without a session",
                           sp_entity[0]);
    assert_string_equal(events, want);
    assert_null(br.s);
    g_free(events);
    g_free(want);
    got_clear(&g1);
    web_response_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
}

/* ---- leak measurement (valgrind, saml-bridge/README.md) ---- */

static int repeat_count(void)
{
    const char *n = getenv("IDM_TEST_REPEAT");
    return n != NULL ? atoi(n) : 3;
}

/* N signed HTTP-Redirect requests through the IdP (verified with OpenSSL,
 * Lasso gets the query without the signature), each parked for login.
 * Under ASan this must not leak; under valgrind the difference between
 * two values of IDM_TEST_REPEAT is the loss per request. */
static void test_signed_redirect_repeat(void **state)
{
    int n = repeat_count();

    (void)state;
    for (int i = 0; i < n; i++) {
        browser br = {0};
        req_opts o = REQ_OPTS_INIT;
        web_response r;
        sent s;

        o.sp = 1;
        o.sign = "lasso";
        o.relay_state = "r";
        build_request(&s, &o);
        send_request(&r, &br, &s);
        assert_int_equal(r.status, 303);
        web_response_clear(&r);
        sent_clear(&s);
        browser_clear(&br);
    }
}

/* For comparison, what the IdP avoids: Lasso verifying the signed
 * Redirect query itself. Only with IDM_TEST_LASSO_REDIRECT set (Lasso
 * leaks on this path, so it would fail the ASan run). */
static void test_lasso_redirect_verify_repeat(void **state)
{
    char *key, *crt, *spmd;
    web_response md;
    browser br = {0};
    LassoServer *idp;
    int n = repeat_count();

    (void)state;
    if (getenv("IDM_TEST_LASSO_REDIRECT") == NULL) {
        skip();
    }
    key = slurp("idp.key");
    crt = slurp("idp.crt");
    spmd = slurp("sp2-metadata.xml");
    http(&md, &br, "GET", "/saml/metadata", NULL, NULL);
    idp = lasso_server_new_from_buffers(md.body, key, NULL, crt);
    assert_non_null(idp);
    assert_int_equal(lasso_server_add_provider_from_buffer(
                         idp, LASSO_PROVIDER_ROLE_SP, spmd, NULL, NULL),
                     0);
    for (int i = 0; i < n; i++) {
        req_opts o = REQ_OPTS_INIT;
        LassoLogin *login = lasso_login_new(idp);
        sent s;

        o.sp = 1;
        o.sign = "lasso";
        o.relay_state = "r";
        build_request(&s, &o);
        lasso_profile_set_signature_verify_hint(
            LASSO_PROFILE(login), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
        assert_int_equal(lasso_login_process_authn_request_msg(login, s.query),
                         0);
        assert_int_equal(
            lasso_profile_get_signature_status(LASSO_PROFILE(login)), 0);
        g_object_unref(login);
        sent_clear(&s);
    }
    lasso_server_destroy(idp);
    web_response_clear(&md);
    browser_clear(&br);
    g_free(key);
    g_free(crt);
    g_free(spmd);
}

/* ---- golden cases: tests/data/saml/authn-<case>/case.ini ---- */

static void test_golden_case(void **state)
{
    const char *dir = *state;
    char *path = g_build_filename(dir, "case.ini", NULL);
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    req_opts o = REQ_OPTS_INIT;
    browser br = {0};
    web_response r;
    sent s;
    char *sp, *binding, *sign = NULL, *issuer = NULL, *dest = NULL;
    char *acs = NULL, *relay = NULL, *payload = NULL, *reason, *audit_sp;
    long before;
    int status, repeat;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
        fail_msg("%s: %s", path, gerr->message);
    }
    sp = g_key_file_get_string(kf, "request", "sp", NULL);
    assert_non_null(sp);
    o.sp = strcmp(sp, "sp2") == 0;
    binding = g_key_file_get_string(kf, "request", "binding", NULL);
    assert_non_null(binding);
    o.post = strcmp(binding, "post") == 0;
    sign = g_key_file_get_string(kf, "request", "sign", NULL);
    o.sign = sign != NULL ? sign : "none";
    o.issuer = issuer = g_key_file_get_string(kf, "request", "issuer", NULL);
    if (g_key_file_has_key(kf, "request", "destination", NULL)) {
        o.destination = dest =
            g_key_file_get_string(kf, "request", "destination", NULL);
    }
    o.instant_offset =
        g_key_file_get_integer(kf, "request", "issue_instant_offset", NULL);
    o.acs_url = acs = g_key_file_get_string(kf, "request", "acs_url", NULL);
    if (g_key_file_has_key(kf, "request", "acs_index", NULL)) {
        o.acs_index = g_key_file_get_integer(kf, "request", "acs_index", NULL);
    }
    o.relay_state = relay =
        g_key_file_get_string(kf, "request", "relay_state", NULL);
    o.dtd = g_key_file_get_boolean(kf, "request", "dtd", NULL);
    o.binding_with_index =
        g_key_file_get_boolean(kf, "request", "binding_with_index", NULL);
    o.payload = payload = g_key_file_get_string(kf, "request", "payload", NULL);
    repeat = g_key_file_get_integer(kf, "request", "send", NULL);
    status = g_key_file_get_integer(kf, "expect", "status", NULL);
    reason = g_key_file_get_string(kf, "expect", "reason", NULL);
    audit_sp = g_key_file_get_string(kf, "expect", "audit_sp", NULL);
    assert_non_null(reason);
    assert_non_null(audit_sp);
    {
        char *action = g_key_file_get_string(kf, "expect", "audit", NULL);
        assert_non_null(action);
        assert_string_equal(action, REJECT);
        g_free(action);
    }
    build_request(&s, &o);
    for (int i = 1; i < repeat; i++) {
        /* earlier sends are accepted (parked for the login) */
        send_request(&r, &br, &s);
        assert_int_equal(r.status, 303);
        web_response_clear(&r);
        browser_clear(&br);
    }
    before = audit_max_id();
    send_request(&r, &br, &s);
    assert_rejected(&r, before, status,
                    strcmp(audit_sp, "-") == 0 ? NULL : audit_sp, reason);
    web_response_clear(&r);
    sent_clear(&s);
    browser_clear(&br);
    g_key_file_free(kf);
    g_free(path);
    g_free(sp);
    g_free(binding);
    g_free(sign);
    g_free(issuer);
    g_free(dest);
    g_free(acs);
    g_free(relay);
    g_free(payload);
    g_free(reason);
    g_free(audit_sp);
}

/* Runs last: every Response the tests above received (successes, signed
 * in each way, NoPassive, InvalidNameIDPolicy, ...) validates against the
 * OASIS SAML 2.0 schemas (xsd_check.sh). */
static void test_zz_schema_valid(void **state)
{
    const char *src = getenv("IDM_SOURCE_DIR");
    char *cmd;
    int rc;

    (void)state;
    assert_true(g.n_dump >= 1);
    cmd = g_strdup_printf("sh '%s/tests/integration/saml/xsd_check.sh' "
                          "'%s'/*.xml",
                          src, g.dump);
    rc = system(cmd);
    g_free(cmd);
    assert_int_equal(rc, 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#ifndef SAML_SSO_TEST_NO_MAIN
int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_positive_path),
        cmocka_unit_test(test_nameid_policy),
        cmocka_unit_test(test_response_signatures),
        cmocka_unit_test(test_sign_parts),
        cmocka_unit_test(test_encrypted_assertions),
        cmocka_unit_test(test_encrypt_yes_fails_closed),
        cmocka_unit_test(test_signed_redirect_ok),
        cmocka_unit_test(test_signed_redirect_openssl_ok),
        cmocka_unit_test(test_replay_cache_in_db),
        cmocka_unit_test(test_relay_state_echoed_escaped),
        cmocka_unit_test(test_force_authn_reauthenticates),
        cmocka_unit_test(test_is_passive_without_session),
        cmocka_unit_test(test_signed_redirect_repeat),
        cmocka_unit_test(test_lasso_redirect_verify_repeat),
    };
    const char *src = getenv("IDM_SOURCE_DIR");
    char *data;
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    struct CMUnitTest *tests;
    size_t n = 0;
    DIR *d;
    struct dirent *e;
    int rc;

    if (src == NULL) {
        fprintf(stderr, "IDM_SOURCE_DIR must be set\n");
        return 1;
    }
    if (getenv("IDM_TEST_FILTER") != NULL) {
        /* e.g. IDM_TEST_FILTER='*repeat' for the valgrind runs */
        cmocka_set_test_filter(getenv("IDM_TEST_FILTER"));
    }
    if (getenv("IDM_TEST_LOG") != NULL) {
        /* the IdP's log lines (reject details) on stderr */
        idm_log_set(idm_log_stderr, NULL, IDM_LOG_DEBUG);
    }
    data = g_build_filename(src, "tests", "data", "saml", NULL);
    d = opendir(data);
    if (d == NULL) {
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "authn-", 6) == 0) {
            g_ptr_array_add(dirs, g_build_filename(data, e->d_name, NULL));
        }
    }
    closedir(d);
    qsort(dirs->pdata, dirs->len, sizeof(char *), by_name);
    tests = calloc(G_N_ELEMENTS(fixed) + dirs->len + 1, sizeof(*tests));
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
        tests[n++] = fixed[i];
    }
    for (guint i = 0; i < dirs->len; i++) {
        const char *dir = g_ptr_array_index(dirs, i);
        tests[n].name = strrchr(dir, '/') + 1;
        tests[n].test_func = test_golden_case;
        tests[n].initial_state = (void *)(uintptr_t)dir;
        n++;
    }
    tests[n].name = "test_zz_schema_valid";
    tests[n].test_func = test_zz_schema_valid;
    n++;
    rc = _cmocka_run_group_tests("saml_sso", tests, n, group_setup,
                                 group_teardown);
    free(tests);
    g_ptr_array_free(dirs, TRUE);
    g_free(data);
    return rc;
}
#endif /* SAML_SSO_TEST_NO_MAIN */
