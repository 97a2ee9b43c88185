/* SPDX-License-Identifier: EUPL-1.2
 * The SSO Response as it leaves the IdP: Lasso builds the SAML (Response,
 * Assertion, every element and attribute); this file turns it into bytes
 * with enveloped XML signatures (XML-DSig core 6: RSA-SHA256, SHA-256,
 * exclusive c14n) on the Assertions or the Response or both: one RSA
 * signature per Response by default (saml_sign_parts), as Shibboleth IdP
 * and Keycloak do, since at 3072 bits signing is nearly all of an SSO's
 * CPU. For an SP with an encryption key, each Assertion is signed (if it
 * is the signed part), then encrypted (encrypt.c), and the Response's
 * signature covers the EncryptedAssertion (SAML core 6.2).
 *
 * Why not Lasso's own signing: Lasso hands every element to xmlsec, which
 * c14ns through an XPath node set, writes the RSA KeyValue and asks the
 * OpenSSL 3 key for its numbers nine times per signature; that is a third
 * of the CPU of a signature (saml-bridge/README.md, "Benchmark"). The
 * signatures here are the construction xmlsec makes, with the same
 * libraries: libxml2's exclusive c14n, OpenSSL's SHA-256 and RSA with the
 * key parsed once.
 *
 * The Response is sent in its exclusive canonical form, which is what the
 * signer hashes anyway, so every element is canonicalised exactly once:
 *  - an element's digest is taken over its canonical bytes before its
 *    Signature exists, which is what the enveloped-signature transform
 *    gives the verifier;
 *  - its ds:Signature (SAML core 5.4.1: right after the Issuer), always
 *    the same elements, is written in canonical form and inserted after
 *    the Issuer's end tag;
 *  - the Assertions' bytes go before the Response's end tag (after
 *    Status, the schema's order).
 * This composition is exact because exclusive c14n renders a namespace
 * declaration on the first output element that uses the prefix, unless an
 * output ancestor rendered the same one: a Signature uses only "ds", and
 * an Assertion nothing the Response's start tag declares (checked:
 * composable() fails closed otherwise). Canonical text escapes every '<', so
 * the first "</p:Issuer>" is the Issuer's end tag.
 */
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include <lasso/xml/saml-2.0/samlp2_response.h>

#include "base/alloc.h"
#include "crypto_int.h"
#include "web/codec.h"
#include "xml_int.h"

#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_ENVELOPED DS_NS "enveloped-signature"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

static int append(void *out, const char *buf, int len)
{
    g_string_append_len(out, buf, len);
    return len;
}

/* Exclusive c14n (no comments, no inclusive prefixes) of doc, appended to
 * out. */
static int c14n_append(GString *out, xmlDoc *doc)
{
    xmlOutputBuffer *ob = xmlOutputBufferCreateIO(append, NULL, out, NULL);
    int n;

    if (ob == NULL) {
        return -1;
    }
    n = xmlC14NExecute(doc, NULL, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, ob);
    /* flushes; the result is bytes written or < 0 */
    return xmlOutputBufferClose(ob) < 0 || n < 0 ? -1 : 0;
}

static xmlNode *first_element(xmlNode *n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE) {
        n = n->next;
    }
    return n;
}

/* Remove every ds:Signature child (Lasso's templates). */
static void drop_signatures(xmlNode *el)
{
    xmlNode *c = el->children, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        if (saml__xml_is(c, DS_NS, "Signature")) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
}

/* "</p:name>" of an element, or "</name>" without a prefix. */
static char *end_tag(const xmlNode *el)
{
    const xmlChar *p = el->ns != NULL ? el->ns->prefix : NULL;

    return p != NULL ? idm_xasprintf("</%s:%s>", p, el->name)
                     : idm_xasprintf("</%s>", el->name);
}

/* The canonical text of our ds:SignedInfo between its start tag and
 * the element's ID, and from there to the digest (XML-DSig core 4.4;
 * empty elements have end tags in canonical XML). */
#define SI_HEAD                                                                \
    "<ds:CanonicalizationMethod Algorithm=\"" ALG_EXC_C14N "\">"               \
    "</ds:CanonicalizationMethod>"                                             \
    "<ds:SignatureMethod Algorithm=\"" ALG_RSA_SHA256                          \
    "\"></ds:SignatureMethod>"                                                 \
    "<ds:Reference URI=\"#"
#define SI_MID                                                                 \
    "\"><ds:Transforms>"                                                       \
    "<ds:Transform Algorithm=\"" ALG_ENVELOPED "\"></ds:Transform>"            \
    "<ds:Transform Algorithm=\"" ALG_EXC_C14N "\"></ds:Transform>"             \
    "</ds:Transforms>"                                                         \
    "<ds:DigestMethod Algorithm=\"" ALG_SHA256 "\"></ds:DigestMethod>"         \
    "<ds:DigestValue>"
#define SI_TAIL "</ds:DigestValue></ds:Reference></ds:SignedInfo>"

/* An ID that canonical XML writes as it is (no character to escape) and
 * that is an NCName, as xml:id and SAML's ID type require. */
static int plain_id(const char *id)
{
    if (id == NULL || !(g_ascii_isalpha(id[0]) || id[0] == '_')) {
        return 0;
    }
    for (const char *c = id; *c != '\0'; c++) {
        if (!g_ascii_isalnum(*c) && *c != '_' && *c != '-' && *c != '.') {
            return 0;
        }
    }
    return 1;
}

/*
 * The canonical ds:Signature over digest for the element with this ID,
 * appended to out, signed with the key. Our Signature is always the same
 * elements, so its exclusive canonical form is written directly: the
 * SignedInfo as the verifier canonicalises it on its own (with the ds
 * namespace, which it uses), inside the Signature without it (declared
 * by the Signature). There is no KeyInfo: SPs verify with the keys of
 * our metadata (metadata interoperability profile), which keeps every
 * Response about 3 KiB smaller than with the certificate.
 */
static int signature_append(GString *out, const unsigned char *digest,
                            unsigned dlen, const char *id,
                            const saml_keys *keys)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    GString *si = g_string_sized_new(1024);
    unsigned char rsa[1024];
    size_t slen = sizeof(rsa), body;
    char *b64 = web_b64_encode(digest, dlen), *sig = NULL;
    int rc = -1;

    if (md == NULL || !plain_id(id) ||
        (size_t)EVP_PKEY_get_size(keys->pkey) > sizeof(rsa)) {
        goto cleanup;
    }
    g_string_append(si, "<ds:SignedInfo xmlns:ds=\"" DS_NS "\">");
    body = si->len;
    g_string_append(si, SI_HEAD);
    g_string_append(si, id);
    g_string_append(si, SI_MID);
    g_string_append(si, b64);
    g_string_append(si, SI_TAIL);
    if (EVP_MD_CTX_copy_ex(md, keys->sign_md) != 1 ||
        EVP_DigestSign(md, rsa, &slen, (const unsigned char *)si->str,
                       si->len) != 1) {
        goto cleanup;
    }
    sig = web_b64_encode(rsa, slen);
    g_string_append(out, "<ds:Signature xmlns:ds=\"" DS_NS "\">"
                         "<ds:SignedInfo>");
    g_string_append_len(out, si->str + body, (gssize)(si->len - body));
    g_string_append(out, "<ds:SignatureValue>");
    g_string_append(out, sig);
    g_string_append(out, "</ds:SignatureValue></ds:Signature>");
    rc = 0;
cleanup:
    EVP_MD_CTX_free(md);
    g_string_free(si, TRUE);
    free(b64);
    free(sig);
    return rc;
}

unsigned saml_sign_parts(const char *sign, int wants_assertions_signed)
{
    if (sign != NULL && strcmp(sign, "both") == 0) {
        return SAML_SIGN_ASSERTION | SAML_SIGN_RESPONSE;
    }
    if (sign != NULL && strcmp(sign, "response") == 0) {
        return SAML_SIGN_RESPONSE;
    }
    if ((sign != NULL && strcmp(sign, "assertion") == 0) ||
        wants_assertions_signed) {
        return SAML_SIGN_ASSERTION;
    }
    /* NULL or a value the database should never hold: the Response,
     * whose signature covers the Assertions too */
    return SAML_SIGN_RESPONSE;
}

/*
 * The canonical bytes of el (the root of its document; an ID attribute and
 * a saml:Issuer first), with inner (canonical bytes of child elements to
 * add at the end, or NULL) and, if sign, with its signature, into out.
 */
static int sign_part(GString *out, xmlNode *el, const GString *inner,
                     int sign, const saml_keys *keys, idm_err *err)
{
    xmlChar *id = xmlGetProp(el, (const xmlChar *)"ID");
    xmlNode *issuer = first_element(el->children);
    GString *c = g_string_sized_new(8192), *sig = g_string_sized_new(1024);
    char *end = end_tag(el), *iend = NULL;
    const char *at;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    size_t tail = strlen(end), pos;
    int rc = -1;

    if (id == NULL || id[0] == '\0' || el->doc == NULL ||
        xmlDocGetRootElement(el->doc) != el ||
        !saml__xml_is(issuer, LASSO_SAML2_ASSERTION_HREF, "Issuer") ||
        c14n_append(c, el->doc) != 0 || c->len < tail ||
        memcmp(c->str + c->len - tail, end, tail) != 0) {
        goto cleanup;
    }
    if (inner != NULL) {
        g_string_insert_len(c, (gssize)(c->len - tail), inner->str,
                            (gssize)inner->len);
    }
    if (!sign) {
        g_string_append_len(out, c->str, (gssize)c->len);
        rc = 0;
        goto cleanup;
    }
    /* the Reference's digest: the element without its Signature */
    if (EVP_Digest(c->str, c->len, digest, &dlen, web_sha256_md(), NULL) != 1 ||
        signature_append(sig, digest, dlen, (const char *)id, keys) != 0) {
        goto cleanup;
    }
    iend = end_tag(issuer);
    at = strstr(c->str, iend);
    if (at == NULL) {
        goto cleanup;
    }
    pos = (size_t)(at - c->str) + strlen(iend);
    g_string_insert_len(c, (gssize)pos, sig->str, (gssize)sig->len);
    g_string_append_len(out, c->str, (gssize)c->len);
    rc = 0;
cleanup:
    if (rc != 0) {
        idm_err_set(err, IDM_EINTERNAL, "response not signed");
        idm_err_detail(err, "signing <%s> failed", (const char *)el->name);
    }
    xmlFree(id);
    free(end);
    free(iend);
    g_string_free(c, TRUE);
    g_string_free(sig, TRUE);
    return rc;
}

/* Lasso's XML of a node without Lasso's signing, as the root of a new
 * document: the class method builds the element; lasso_node_get_xmlNode()
 * would also sign it (and, for a Response, every Assertion inside it)
 * through xmlsec. */
static xmlDoc *lasso_doc(LassoNode *node)
{
    xmlNode *x = LASSO_NODE_GET_CLASS(node)->get_xmlNode(node, FALSE);
    xmlDoc *doc = x != NULL ? xmlNewDoc((const xmlChar *)"1.0") : NULL;

    if (doc == NULL) {
        xmlFreeNode(x);
        return NULL;
    }
    drop_signatures(x);
    xmlDocSetRootElement(doc, x);
    return doc;
}

/* What the composition needs of the Response's start tag: it declares
 * only the namespace of its own prefix (no prefixed attributes), and no
 * Assertion uses that prefix, so an Assertion's canonical bytes are the
 * same inside the Response as on their own. */
static int composable(const xmlNode *root, const GString *assertions)
{
    char *decl;
    int ok;

    if (root->ns == NULL || root->ns->prefix == NULL) {
        return 0;
    }
    for (const xmlAttr *a = root->properties; a != NULL; a = a->next) {
        if (a->ns != NULL) {
            return 0;
        }
    }
    decl = idm_xasprintf(" xmlns:%s=", root->ns->prefix);
    ok = strstr(assertions->str, decl) == NULL;
    free(decl);
    return ok;
}

int saml_sign_response(char **out, LassoLogin *login, const char *acs_url,
                       const saml_keys *keys, unsigned parts,
                       const saml_sp_info *sp, idm_err *err)
{
    LassoProfile *profile = LASSO_PROFILE(login);
    LassoSamlp2Response *resp;
    GList *assertions;
    xmlDoc *doc = NULL;
    GString *inner = g_string_sized_new(8192), *all = NULL;
    GString *one = g_string_sized_new(8192);
    int encrypt = sp != NULL && sp->encrypt && sp->enc_key != NULL;
    int rc = -1;

    *out = NULL;
    if (!LASSO_IS_SAMLP2_RESPONSE(profile->response)) {
        idm_err_set(err, IDM_EINTERNAL, "response not built");
        goto cleanup;
    }
    resp = LASSO_SAMLP2_RESPONSE(profile->response);
    /* core 3.2.2: a signed Response carries its Destination */
    g_free(resp->parent.Destination);
    resp->parent.Destination = g_strdup(acs_url);

    assertions = resp->Assertion;
    for (GList *a = assertions; a != NULL; a = a->next) {
        doc = lasso_doc(LASSO_NODE(a->data));
        g_string_truncate(one, 0);
        /* signed before it is encrypted: the SP checks the signature of
         * what it decrypts (SAML core 6.2) */
        if (doc == NULL ||
            sign_part(encrypt ? one : inner, xmlDocGetRootElement(doc), NULL,
                      (parts & SAML_SIGN_ASSERTION) != 0, keys, err) != 0 ||
            (encrypt &&
             saml_encrypt_assertion(inner, one->str, one->len, sp->enc_ctx,
                                    sp->enc_alg, err) != 0)) {
            goto cleanup;
        }
        xmlFreeDoc(doc);
        doc = NULL;
    }
    /* the Response without its Assertions: their bytes are in inner */
    resp->Assertion = NULL;
    doc = lasso_doc(LASSO_NODE(resp));
    resp->Assertion = assertions;
    if (doc == NULL || !composable(xmlDocGetRootElement(doc), inner)) {
        goto cleanup;
    }
    all = g_string_sized_new(inner->len + 4096);
    /* a Response without an Assertion (an error status) is signed
     * whatever parts says: the SP must be able to trust it */
    if (sign_part(all, xmlDocGetRootElement(doc), inner,
                  (parts & SAML_SIGN_RESPONSE) != 0 || assertions == NULL,
                  keys, err) != 0) {
        goto cleanup;
    }
    *out = web_b64_encode((const unsigned char *)all->str, all->len);
    rc = 0;
cleanup:
    if (rc != 0 && err->code == 0) {
        idm_err_set(err, IDM_EINTERNAL, "response not built");
    }
    xmlFreeDoc(doc);
    g_string_free(inner, TRUE);
    g_string_free(one, TRUE);
    if (all != NULL) {
        g_string_free(all, TRUE);
    }
    return rc;
}
