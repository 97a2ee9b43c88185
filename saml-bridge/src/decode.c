/* SPDX-License-Identifier: EUPL-1.2
 * Decoding of SAML protocol messages before Lasso sees them: every size is
 * capped before work is spent on it, DEFLATE output is bounded (no bombs),
 * DTDs are refused, and SHA-1 signatures are refused in both bindings.
 * A SAX pre-parse caps elements, depth and attributes before a tree is
 * built, and elements the schema allows once are refused when repeated.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <zlib.h>

#include "base/alloc.h"
#include "saml/decode.h"
#include "web/codec.h"
#include "xml_int.h"

#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"

void saml_msg_clear(saml_msg *m)
{
    if (m == NULL) {
        return;
    }
    free(m->xml);
    xmlFreeDoc(m->doc);
    free(m->id);
    free(m->issuer);
    free(m->destination);
    free(m->issue_instant);
    free(m->in_response_to);
    free(m->status);
    free(m->acs_url);
    free(m->protocol_binding);
    free(m->name_id_format);
    free(m->name_id);
    free(m->session_index);
    free(m->sig_alg);
    free(m->relay_state);
    free(m->signed_octets);
    free(m->signature);
    memset(m, 0, sizeof(*m));
}

static char *attr(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s;

    if (v == NULL) {
        return NULL;
    }
    s = idm_xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

static char *content(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s, *b, *e;

    if (v == NULL) {
        return NULL;
    }
    /* trim XML whitespace around element text */
    b = (char *)v;
    while (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t') {
        b++;
    }
    e = b + strlen(b);
    while (e > b &&
           (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t')) {
        e--;
    }
    s = idm_xstrndup(b, (size_t)(e - b));
    xmlFree(v);
    return s;
}

static int is_true(const char *v)
{
    return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* ---- the pre-parse: SAX, caps, no tree ---- */

typedef struct xml_pre {
    xmlParserCtxtPtr ctxt;
    int elements;
    int depth;
    int rc;          /* 0, IDM_EINVAL or IDM_ETOOBIG */
    const char *why; /* safe for users */
} xml_pre;

static void pre_stop(xml_pre *p, int rc, const char *why)
{
    if (p->rc == 0) {
        p->rc = rc;
        p->why = why;
    }
    xmlStopParser(p->ctxt);
}

static void pre_start(void *ud, const xmlChar *localname,
                      const xmlChar *prefix, const xmlChar *uri,
                      int nb_namespaces, const xmlChar **namespaces,
                      int nb_attributes, int nb_defaulted,
                      const xmlChar **attributes)
{
    xml_pre *p = ud;

    (void)localname;
    (void)prefix;
    (void)uri;
    (void)namespaces;
    (void)nb_defaulted;
    (void)attributes;
    if (++p->elements > SAML_XML_MAX_ELEMENTS) {
        pre_stop(p, IDM_ETOOBIG, "the message has too many elements");
    } else if (++p->depth > SAML_XML_MAX_DEPTH) {
        pre_stop(p, IDM_ETOOBIG, "the message is nested too deeply");
    } else if (nb_attributes > SAML_XML_MAX_ATTRS ||
               nb_namespaces > SAML_XML_MAX_NSDECLS) {
        pre_stop(p, IDM_ETOOBIG, "an element has too many attributes");
    }
}

static void pre_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
                    const xmlChar *uri)
{
    xml_pre *p = ud;

    (void)localname;
    (void)prefix;
    (void)uri;
    p->depth--;
}

/* SAML core 1.3: no DTDs, so no entities either */
static void pre_dtd(void *ud, const xmlChar *name, const xmlChar *ext_id,
                    const xmlChar *sys_id)
{
    (void)name;
    (void)ext_id;
    (void)sys_id;
    pre_stop(ud, IDM_EINVAL, "the message holds a DTD");
}

static void pre_entity(void *ud, const xmlChar *name, int type,
                       const xmlChar *public_id, const xmlChar *system_id,
                       xmlChar *content)
{
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    pre_stop(ud, IDM_EINVAL, "the message holds a DTD");
}

static xmlEntityPtr pre_get_entity(void *ud, const xmlChar *name)
{
    (void)name;
    pre_stop(ud, IDM_EINVAL, "the message holds a DTD");
    return NULL;
}

/* libxml2 would print to stderr without a structured handler */
static void pre_silent(void *ud, xmlErrorPtr e)
{
    (void)ud;
    (void)e;
}

int saml_xml_precheck(const char *xml, size_t len, idm_err *err)
{
    xmlSAXHandler sax;
    xml_pre p;
    int wf;

    if (xml == NULL || len == 0) {
        return idm_err_set(err, IDM_EINVAL, "no SAML message");
    }
    if (len > SAML_MSG_XML_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "the message is too large");
    }
    memset(&sax, 0, sizeof(sax));
    memset(&p, 0, sizeof(p));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = pre_start;
    sax.endElementNs = pre_end;
    sax.internalSubset = pre_dtd;
    sax.externalSubset = pre_dtd;
    sax.entityDecl = pre_entity;
    sax.getEntity = pre_get_entity;
    sax.getParameterEntity = pre_get_entity;
    sax.serror = pre_silent;
    /* no file name: with one, libxml2 asks the kernel for the working
     * directory (getcwd) on every message, to resolve relative URIs that
     * NONET and the DTD refusal never let it load */
    p.ctxt = xmlCreatePushParserCtxt(&sax, &p, NULL, 0, NULL);
    if (p.ctxt == NULL) {
        return idm_err_set(err, IDM_EINTERNAL, "could not decode message");
    }
    /* no network, no entity substitution, no DTD loading */
    xmlCtxtUseOptions(p.ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    (void)xmlParseChunk(p.ctxt, xml, (int)len, 1);
    wf = p.ctxt->wellFormed;
    xmlFreeParserCtxt(p.ctxt);
    if (p.rc != 0) {
        idm_err_set(err, p.rc, "%s", p.why);
        idm_err_detail(err, "pre-parse: %d elements seen, caps %d elements, "
                       "depth %d, %d attributes",
                       p.elements, SAML_XML_MAX_ELEMENTS, SAML_XML_MAX_DEPTH,
                       SAML_XML_MAX_ATTRS);
        return p.rc;
    }
    if (!wf || p.elements == 0) {
        return idm_err_set(err, IDM_EINVAL,
                           "the message is not well-formed XML");
    }
    return 0;
}

/* ---- the tree ---- */

/* Elements the schemas allow at most once under the root (SAML core
 * 3.2.1, 3.2.2, 3.4.1, 3.7.1, xmldsig 4.1): a repetition is an error, not
 * "the last one wins". */
static const struct {
    const char *ns;
    const char *name;
} singletons[] = {
    {NS_SAML, "Issuer"},      {NS_DS, "Signature"},
    {NS_SAMLP, "Extensions"}, {NS_SAMLP, "Status"},
    {NS_SAML, "Subject"},     {NS_SAMLP, "NameIDPolicy"},
    {NS_SAML, "Conditions"},  {NS_SAMLP, "RequestedAuthnContext"},
    {NS_SAMLP, "Scoping"},    {NS_SAML, "BaseID"},
    {NS_SAML, "NameID"},      {NS_SAML, "EncryptedID"},
};

/* 0, or -1 if an element allowed once appears twice among the children */
static int singletons_ok(const xmlNode *parent)
{
    unsigned seen = 0;

    for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
        for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]);
             i++) {
            if (saml__xml_is(c, singletons[i].ns, singletons[i].name)) {
                if (seen & (1u << i)) {
                    return -1;
                }
                seen |= 1u << i;
            }
        }
    }
    return 0;
}

/* Enveloped signature: SignatureMethod and DigestMethod must be SHA-256. */
static int check_xml_signature(saml_msg *m, const xmlNode *sig, idm_err *err)
{
    const xmlNode *si = NULL;
    int digest_ok = 0, n_ref = 0;

    for (const xmlNode *c = sig->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, NS_DS, "SignedInfo")) {
            if (si != NULL) {
                return idm_err_set(err, IDM_EINVAL, "malformed signature");
            }
            si = c;
        }
    }
    if (si == NULL) {
        return idm_err_set(err, IDM_EINVAL, "malformed signature");
    }
    for (const xmlNode *c = si->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, NS_DS, "SignatureMethod")) {
            if (m->sig_alg != NULL) {
                return idm_err_set(err, IDM_EINVAL, "malformed signature");
            }
            m->sig_alg = attr(c, "Algorithm");
        } else if (saml__xml_is(c, NS_DS, "Reference")) {
            int n_digest = 0;

            n_ref++;
            for (const xmlNode *r = c->children; r != NULL; r = r->next) {
                if (saml__xml_is(r, NS_DS, "DigestMethod")) {
                    char *a = attr(r, "Algorithm");
                    digest_ok = a != NULL && strcmp(a, SAML_ALG_SHA256) == 0;
                    free(a);
                    n_digest++;
                }
            }
            digest_ok = digest_ok && n_digest == 1;
        }
    }
    if (m->sig_alg == NULL || strcmp(m->sig_alg, SAML_ALG_RSA_SHA256) != 0 ||
        !digest_ok || n_ref != 1) {
        idm_err_set(err, IDM_EINVAL,
                    "signature algorithm not accepted (RSA-SHA256 only)");
        idm_err_detail(err, "SignatureMethod %s",
                       m->sig_alg != NULL ? m->sig_alg : "(none)");
        return IDM_EINVAL;
    }
    return 0;
}

static int parse_xml(saml_msg *m, idm_err *err)
{
    xmlDoc *doc = NULL;
    xmlNode *root;
    int rc = 0;

    /* SAML core 1.3: no DTDs; refuse before the parser sees one */
    if (memchr(m->xml, '\0', m->xml_len) != NULL ||
        g_strstr_len(m->xml, (gssize)m->xml_len, "<!DOCTYPE") != NULL ||
        g_strstr_len(m->xml, (gssize)m->xml_len, "<!ENTITY") != NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "the message holds a DTD or an invalid byte");
    }
    /* the caps, streaming, before a tree exists */
    rc = saml_xml_precheck(m->xml, m->xml_len, err);
    if (rc != 0) {
        return rc;
    }
    doc = xmlReadMemory(m->xml, (int)m->xml_len, "saml.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (doc == NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "the message is not well-formed "
                           "XML");
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = idm_err_set(err, IDM_EINVAL, "the message holds a DTD");
        goto cleanup;
    }
    root = xmlDocGetRootElement(doc);
    if (saml__xml_is(root, NS_SAMLP, "AuthnRequest")) {
        m->kind = SAML_MSG_AUTHN_REQUEST;
    } else if (saml__xml_is(root, NS_SAMLP, "LogoutRequest")) {
        m->kind = SAML_MSG_LOGOUT_REQUEST;
    } else if (saml__xml_is(root, NS_SAMLP, "LogoutResponse")) {
        m->kind = SAML_MSG_LOGOUT_RESPONSE;
    } else {
        rc = idm_err_set(err, IDM_EINVAL, "unexpected kind of SAML message");
        goto cleanup;
    }
    m->id = attr(root, "ID");
    m->destination = attr(root, "Destination");
    m->issue_instant = attr(root, "IssueInstant");
    m->in_response_to = attr(root, "InResponseTo");
    m->acs_url = attr(root, "AssertionConsumerServiceURL");
    m->protocol_binding = attr(root, "ProtocolBinding");
    {
        char *v = attr(root, "ForceAuthn");
        m->force_authn = is_true(v);
        free(v);
        v = attr(root, "IsPassive");
        m->is_passive = is_true(v);
        free(v);
        v = attr(root, "AssertionConsumerServiceIndex");
        m->acs_index = -1;
        if (v != NULL) {
            char *end;
            long idx = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || idx < 0 || idx > 65535) {
                free(v);
                rc = idm_err_set(err, IDM_EINVAL,
                                 "invalid AssertionConsumerServiceIndex");
                goto cleanup;
            }
            m->acs_index = (int)idx;
        }
        free(v);
        v = attr(root, "Version");
        if (v == NULL || strcmp(v, "2.0") != 0) {
            free(v);
            rc = idm_err_set(err, IDM_EINVAL, "not a SAML 2.0 message");
            goto cleanup;
        }
        free(v);
    }
    if (m->id == NULL || m->id[0] == '\0' || strlen(m->id) > 256) {
        rc = idm_err_set(err, IDM_EINVAL, "the message has no valid ID");
        goto cleanup;
    }
    if (singletons_ok(root) != 0) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "an element that may appear once is repeated");
        goto cleanup;
    }
    /* each field is set once: singletons_ok() refused repetitions (the
     * NULL checks keep that true should the table change) */
    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, NS_SAML, "Issuer") && m->issuer == NULL) {
            m->issuer = content(c);
        } else if (saml__xml_is(c, NS_SAMLP, "NameIDPolicy") &&
                   m->name_id_format == NULL) {
            m->name_id_format = attr(c, "Format");
        } else if (saml__xml_is(c, NS_SAML, "NameID") && m->name_id == NULL) {
            m->name_id = content(c);
        } else if (saml__xml_is(c, NS_SAMLP, "SessionIndex") &&
                   m->session_index == NULL) {
            /* core 3.7.1: SessionIndex may repeat; the first is used */
            m->session_index = content(c);
        } else if (saml__xml_is(c, NS_SAMLP, "Status")) {
            for (xmlNode *s = c->children; s != NULL; s = s->next) {
                if (!saml__xml_is(s, NS_SAMLP, "StatusCode")) {
                    continue;
                }
                /* core 3.2.2.1: one top-level StatusCode */
                if (m->status != NULL) {
                    rc = idm_err_set(err, IDM_EINVAL,
                                     "an element that may appear once is "
                                     "repeated");
                    goto cleanup;
                }
                m->status = attr(s, "Value");
            }
        } else if (saml__xml_is(c, NS_DS, "Signature")) {
            if (m->xml_signed) {
                rc = idm_err_set(err, IDM_EINVAL, "more than one signature");
                goto cleanup;
            }
            m->xml_signed = 1;
            rc = check_xml_signature(m, c, err);
            if (rc != 0) {
                goto cleanup;
            }
        }
    }
    if (m->issuer == NULL || m->issuer[0] == '\0' || strlen(m->issuer) > 1024) {
        rc = idm_err_set(err, IDM_EINVAL, "the message names no issuer");
        goto cleanup;
    }
    m->doc = doc;
    doc = NULL;
cleanup:
    xmlFreeDoc(doc);
    return rc;
}

/* Raw DEFLATE (SAML bindings 3.4.4.1) with a hard cap on the output. */
static int inflate_capped(char **out, size_t *out_len, const unsigned char *in,
                          size_t len, idm_err *err)
{
    z_stream zs;
    /* grown as needed: requests are a few KiB, the cap is 128 KiB, and a
     * cap-sized buffer per request is a fresh mapping to fault in */
    size_t cap = 8 * len + 1024;
    char *buf;
    int zrc, rc = 0;

    if (cap > SAML_MSG_XML_MAX + 1) {
        cap = SAML_MSG_XML_MAX + 1;
    }
    buf = idm_xmalloc(cap);
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, -15) != Z_OK) {
        free(buf);
        return idm_err_set(err, IDM_EINTERNAL, "could not decode message");
    }
    zs.next_in = (unsigned char *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    for (;;) {
        zs.next_out = (unsigned char *)buf + zs.total_out;
        zs.avail_out = (uInt)(cap - zs.total_out);
        zrc = inflate(&zs, Z_FINISH);
        if (zrc == Z_STREAM_END) {
            break;
        }
        if ((zrc != Z_OK && zrc != Z_BUF_ERROR) || zs.avail_out != 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "the message is not valid DEFLATE");
            goto cleanup;
        }
        if (cap > SAML_MSG_XML_MAX) {
            rc = idm_err_set(err, IDM_ETOOBIG, "the message is too large");
            goto cleanup;
        }
        cap = 2 * cap > SAML_MSG_XML_MAX + 1 ? SAML_MSG_XML_MAX + 1 : 2 * cap;
        buf = idm_xrealloc(buf, cap);
    }
    if (zs.total_out > SAML_MSG_XML_MAX) {
        rc = idm_err_set(err, IDM_ETOOBIG, "the message is too large");
        goto cleanup;
    }
    if (zs.total_out == cap) {
        buf = idm_xrealloc(buf, cap + 1);
    }
    buf[zs.total_out] = '\0';
    *out_len = zs.total_out;
    *out = buf;
    buf = NULL;
cleanup:
    inflateEnd(&zs);
    free(buf);
    return rc;
}

int saml_msg_decode_redirect(saml_msg *out, const char *query, size_t len,
                             const char *param, idm_err *err)
{
    const char *req_raw, *rs_raw, *alg_raw, *sig_raw;
    size_t req_len, rs_len, alg_len, sig_len;
    unsigned char *bin = NULL;
    char *b64 = NULL, *sig_b64 = NULL;
    size_t bin_len;
    int rc, has_rs, has_alg, has_sig;

    memset(out, 0, sizeof(*out));
    out->acs_index = -1;
    if (query == NULL || len > SAML_MSG_ENCODED_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "the message is too large");
    }
    if (web_form_raw(query, len, param, &req_raw, &req_len) != 1 ||
        req_len == 0) {
        return idm_err_set(err, IDM_EINVAL, "no single %s parameter", param);
    }
    has_rs = web_form_raw(query, len, "RelayState", &rs_raw, &rs_len);
    has_alg = web_form_raw(query, len, "SigAlg", &alg_raw, &alg_len);
    has_sig = web_form_raw(query, len, "Signature", &sig_raw, &sig_len);
    if (has_rs < 0 || has_alg < 0 || has_sig < 0) {
        return idm_err_set(err, IDM_EINVAL, "a parameter is repeated");
    }
    if (has_rs) {
        out->relay_state = web_url_decode(rs_raw, rs_len);
        if (out->relay_state == NULL) {
            rc = idm_err_set(err, IDM_EINVAL, "malformed RelayState");
            goto cleanup;
        }
    }
    if (has_alg != has_sig) {
        rc = idm_err_set(err, IDM_EINVAL, "SigAlg and Signature go together");
        goto cleanup;
    }
    if (has_sig) {
        out->redirect_signed = 1;
        out->sig_alg = web_url_decode(alg_raw, alg_len);
        if (out->sig_alg == NULL ||
            strcmp(out->sig_alg, SAML_ALG_RSA_SHA256) != 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "signature algorithm not accepted (RSA-SHA256 "
                             "only)");
            goto cleanup;
        }
        sig_b64 = web_url_decode(sig_raw, sig_len);
        if (sig_b64 == NULL ||
            (out->signature = web_b64_decode(sig_b64, strlen(sig_b64), 1024,
                                             &out->signature_len)) == NULL) {
            rc = idm_err_set(err, IDM_EINVAL, "malformed Signature");
            goto cleanup;
        }
        /* SAML bindings 3.4.4.1: the octets signed, in this order, with
         * the values exactly as received */
        out->signed_octets = idm_xasprintf(
            "%s=%.*s%s%.*s%s%.*s&SigAlg=%.*s", param, (int)req_len, req_raw,
            has_rs ? "&RelayState=" : "", (int)rs_len, has_rs ? rs_raw : "", "",
            0, "", (int)alg_len, alg_raw);
    }
    b64 = web_url_decode(req_raw, req_len);
    if (b64 == NULL) {
        rc = idm_err_set(err, IDM_EINVAL, "malformed %s", param);
        goto cleanup;
    }
    bin = web_b64_decode(b64, strlen(b64), SAML_MSG_XML_MAX, &bin_len);
    if (bin == NULL) {
        rc = idm_err_set(err, IDM_EINVAL, "%s is not base64", param);
        goto cleanup;
    }
    rc = inflate_capped(&out->xml, &out->xml_len, bin, bin_len, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = parse_xml(out, err);
    if (rc == 0 && out->xml_signed) {
        /* bindings 3.4.4.1: the XML signature is removed for Redirect */
        rc = idm_err_set(err, IDM_EINVAL,
                         "an XML signature is not allowed in HTTP-Redirect");
    }
cleanup:
    free(bin);
    free(b64);
    free(sig_b64);
    if (rc != 0) {
        saml_msg_clear(out);
    }
    return rc;
}

int saml_msg_decode_post(saml_msg *out, const char *b64, size_t len,
                         const char *relay_state, idm_err *err)
{
    unsigned char *bin = NULL;
    size_t bin_len;
    int rc;

    memset(out, 0, sizeof(*out));
    out->acs_index = -1;
    if (b64 == NULL || len == 0) {
        return idm_err_set(err, IDM_EINVAL, "no SAML message");
    }
    if (len > SAML_MSG_ENCODED_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "the message is too large");
    }
    bin = web_b64_decode(b64, len, SAML_MSG_XML_MAX, &bin_len);
    if (bin == NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "the message is not base64 or too large");
    }
    out->xml = idm_xstrndup((const char *)bin, bin_len);
    out->xml_len = bin_len;
    free(bin);
    if (relay_state != NULL) {
        out->relay_state = idm_xstrdup(relay_state);
    }
    rc = parse_xml(out, err);
    if (rc != 0) {
        saml_msg_clear(out);
    }
    return rc;
}

int saml_msg_decode_xml(saml_msg *out, const char *xml, size_t len,
                        const char *relay_state, idm_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    out->acs_index = -1;
    if (xml == NULL || len == 0) {
        return idm_err_set(err, IDM_EINVAL, "no SAML message");
    }
    if (len > SAML_MSG_XML_MAX) {
        return idm_err_set(err, IDM_ETOOBIG, "the message is too large");
    }
    out->xml = idm_xstrndup(xml, len);
    out->xml_len = len;
    if (relay_state != NULL) {
        out->relay_state = idm_xstrdup(relay_state);
    }
    rc = parse_xml(out, err);
    if (rc != 0) {
        saml_msg_clear(out);
    }
    return rc;
}
