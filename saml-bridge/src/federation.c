/* SPDX-License-Identifier: EUPL-1.2
 * Federation metadata: fetch a signed aggregate (or one SP's signed
 * metadata) over HTTPS, verify its enveloped signature with the pinned
 * key before reading anything else in it, keep the last good copy, log
 * what changed and refresh the SPs mapped from it. Never adds an SP.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <glib.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>

#include "base/alloc.h"
#include "base/log.h"
#include "saml/federation.h"
#include "saml/sp.h"
#include "registry_int.h"
#include "web/codec.h"
#include "xml_int.h"

#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define FED_MAX_DEPTH 8         /* nested EntitiesDescriptors */
#define FED_MAX_ENTITIES 200000 /* eduGAIN has ~10,000 */
#define FED_MIN_RSA_BITS 2048
#define FED_HTTP_TIMEOUT 300L

/* ---- small helpers ---- */

/* xs:duration (PnYnMnDTnHnMnS, fractions of seconds ignored) in seconds;
 * years count 365 days, months 30. -1 if unparsable or negative. */
static int64_t duration_parse(const char *s)
{
    int64_t total = 0;
    int time_part = 0;
    const char *p = s;

    if (p == NULL || *p++ != 'P' || *p == '\0') {
        return -1;
    }
    while (*p != '\0') {
        int64_t v = 0;
        int digits = 0;
        if (*p == 'T') {
            if (time_part) {
                return -1;
            }
            time_part = 1;
            p++;
            continue;
        }
        while (*p >= '0' && *p <= '9' && digits < 10) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (*p == '.' && time_part) {
            p++;
            while (*p >= '0' && *p <= '9') {
                p++;
            }
        }
        if (digits == 0) {
            return -1;
        }
        switch (*p++) {
        case 'Y':
            total += v * 365 * 86400;
            break;
        case 'M':
            total += time_part ? v * 60 : v * 30 * 86400;
            break;
        case 'D':
            total += v * 86400;
            break;
        case 'H':
            total += v * 3600;
            break;
        case 'S':
            total += v;
            break;
        default:
            return -1;
        }
        if (total > (int64_t)INT_MAX * 100) {
            return -1;
        }
    }
    return total;
}

/* ---- fetching ---- */

typedef struct sink {
    GString *buf;
    size_t max;
    int too_big;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
    sink *s = data;
    size_t len = size * n;

    if (len > s->max || s->buf->len > s->max - len) {
        s->too_big = 1;
        return 0; /* aborts the transfer */
    }
    g_string_append_len(s->buf, p, (gssize)len);
    return len;
}

/* GET url over HTTPS (TLS verified), at most max bytes after decoding. */
static int fetch(char **out, size_t *len_out, const char *url,
                 const saml_federation_opts *opts, idm_err *err)
{
    static int curl_ready;
    char ebuf[CURL_ERROR_SIZE] = "";
    sink s = {NULL, 0, 0};
    CURL *c = NULL;
    CURLcode cc;
    long status = 0;
    int rc = 0;

    *out = NULL;
    *len_out = 0;
    if (strncmp(url, "https://", 8) != 0) {
        return idm_err_set(err, IDM_EINVAL, "url \"%.200s\" is not https", url);
    }
    if (!curl_ready) {
        /* idmctl is single-threaded; curl_global_init is not thread-safe */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            return idm_err_set(err, IDM_EINTERNAL, "libcurl did not start");
        }
        curl_ready = 1;
    }
    s.buf = g_string_sized_new(64 * 1024);
    s.max = opts != NULL && opts->max_bytes > 0 ? opts->max_bytes
                                                : SAML_FEDERATION_MAX;
    c = curl_easy_init();
    if (c == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "libcurl did not start");
        goto cleanup;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (opts != NULL && opts->ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, opts->ca_file);
    }
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* capped decoded */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, FED_HTTP_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "idmctl-federation/1");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    cc = curl_easy_perform(c);
    if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        rc = idm_err_set(err, IDM_ETOOBIG,
                         "metadata from \"%.200s\" is larger than %zu bytes",
                         url, s.max);
        goto cleanup;
    }
    if (cc != CURLE_OK) {
        rc = idm_err_set(err, IDM_EIO, "could not fetch \"%.200s\": %.200s",
                         url, ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cc));
        goto cleanup;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        rc = idm_err_set(err, IDM_EIO,
                         "could not fetch \"%.200s\": HTTP status %ld", url,
                         status);
        goto cleanup;
    }
    *len_out = s.buf->len;
    *out = g_string_free(s.buf, FALSE);
    s.buf = NULL;
cleanup:
    if (s.buf != NULL) {
        g_string_free(s.buf, TRUE);
    }
    if (c != NULL) {
        curl_easy_cleanup(c);
    }
    return rc;
}

/* ---- parsing and verification ---- */

/* Parse without network, DTD or entity substitution. */
static int parse(xmlDoc **out, const char *xml, size_t len, idm_err *err)
{
    xmlDoc *doc;

    *out = NULL;
    if (xml == NULL || len == 0 || len > SAML_FEDERATION_MAX) {
        return idm_err_set(err, IDM_EINVAL,
                           "metadata is empty or larger than %d bytes",
                           SAML_FEDERATION_MAX);
    }
    if (memchr(xml, '\0', len) != NULL ||
        g_strstr_len(xml, (gssize)len, "<!DOCTYPE") != NULL ||
        g_strstr_len(xml, (gssize)len, "<!ENTITY") != NULL) {
        return idm_err_set(err, IDM_EINVAL, "metadata must not contain a DTD");
    }
    doc = xmlReadMemory(xml, (int)len, "federation.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (doc == NULL) {
        return idm_err_set(err, IDM_EINVAL, "metadata is not well-formed XML");
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        return idm_err_set(err, IDM_EINVAL, "metadata must not contain a DTD");
    }
    *out = doc;
    return 0;
}

static int pinned_key(xmlSecKeyPtr *out, const char *cert_pem, idm_err *err)
{
    BIO *bio = NULL;
    X509 *x = NULL;
    EVP_PKEY *pk = NULL;
    xmlSecKeyDataPtr data = NULL;
    xmlSecKeyPtr key = NULL;
    int rc = 0;

    *out = NULL;
    bio = BIO_new_mem_buf(cert_pem, -1);
    x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    pk = x != NULL ? X509_get_pubkey(x) : NULL;
    if (pk == NULL) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the pinned certificate is not a PEM certificate");
        goto cleanup;
    }
    if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
        EVP_PKEY_get_bits(pk) < FED_MIN_RSA_BITS) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the pinned certificate must hold an RSA key of at "
                         "least %d bits",
                         FED_MIN_RSA_BITS);
        goto cleanup;
    }
    data = xmlSecOpenSSLEvpKeyAdopt(pk);
    if (data == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "xmlsec refused the pinned key");
        goto cleanup;
    }
    pk = NULL; /* owned by data */
    key = xmlSecKeyCreate();
    if (key == NULL || xmlSecKeySetValue(key, data) < 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "xmlsec refused the pinned key");
        goto cleanup;
    }
    data = NULL; /* owned by key */
    *out = key;
    key = NULL;
cleanup:
    if (key != NULL) {
        xmlSecKeyDestroy(key);
    }
    if (data != NULL) {
        xmlSecKeyDataDestroy(data);
    }
    EVP_PKEY_free(pk);
    X509_free(x);
    BIO_free(bio);
    return rc;
}

static int element_children(const xmlNode *n, const char *ns, const char *name,
                            xmlNode **first)
{
    int count = 0;

    *first = NULL;
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, ns, name)) {
            if (count++ == 0) {
                *first = c;
            }
        }
    }
    return count;
}

/* The root element's enveloped signature, by the pinned key only: one
 * ds:Signature child of the root with one Reference whose URI is the
 * root's ID (registered here as the only ID of the document, so that a
 * wrapped copy elsewhere cannot be what the digest covers), RSA-SHA256
 * or stronger, SHA-256 or stronger digests, only the enveloped and c14n
 * transforms. KeyInfo in the document is ignored. */
static int verify_root(xmlDoc *doc, xmlNode *root, const char *cert_pem,
                       idm_err *err)
{
    xmlSecDSigCtxPtr ctx = NULL;
    xmlSecKeyPtr key = NULL;
    xmlNode *sig, *si, *ref;
    xmlAttr *id_attr;
    char *id = NULL, *uri = NULL;
    int rc = 0;

    if (saml__lasso_init() != 0) {
        return idm_err_set(err, IDM_EINTERNAL, "xmlsec did not start");
    }
    id_attr = xmlHasNsProp(root, (const xmlChar *)"ID", NULL);
    id = saml__xml_prop(root, "ID");
    if (id_attr == NULL || id == NULL || id[0] == '\0') {
        rc = idm_err_set(err, IDM_EINVAL,
                         "metadata is not signed (its root has no ID)");
        goto cleanup;
    }
    if (element_children(root, NS_DS, "Signature", &sig) != 1) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "metadata must carry exactly one signature on its "
                         "root element");
        goto cleanup;
    }
    if (element_children(sig, NS_DS, "SignedInfo", &si) != 1 ||
        element_children(si, NS_DS, "Reference", &ref) != 1) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the metadata signature must have one Reference");
        goto cleanup;
    }
    uri = saml__xml_prop(ref, "URI");
    if (uri == NULL || uri[0] != '#' || strcmp(uri + 1, id) != 0) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the metadata signature does not cover the root "
                         "element");
        goto cleanup;
    }
    if (xmlGetID(doc, (const xmlChar *)id) == NULL &&
        xmlAddID(NULL, doc, (const xmlChar *)id, id_attr) == NULL) {
        rc = idm_err_set(err, IDM_EINVAL, "metadata root ID is not unique");
        goto cleanup;
    }
    if (xmlGetID(doc, (const xmlChar *)id) != id_attr) {
        rc = idm_err_set(err, IDM_EINVAL, "metadata root ID is not unique");
        goto cleanup;
    }
    rc = pinned_key(&key, cert_pem, err);
    if (rc != 0) {
        goto cleanup;
    }
    ctx = xmlSecDSigCtxCreate(NULL); /* no keys manager: no other key */
    if (ctx == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "xmlsec did not start");
        goto cleanup;
    }
    ctx->signKey = key;
    key = NULL; /* owned by ctx */
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    if (xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) <
            0 ||
        xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformInclC14NId) <
            0 ||
        xmlSecDSigCtxEnableSignatureTransform(
            ctx, xmlSecOpenSSLTransformRsaSha256GetKlass()) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(
            ctx, xmlSecOpenSSLTransformRsaSha384GetKlass()) < 0 ||
        xmlSecDSigCtxEnableSignatureTransform(
            ctx, xmlSecOpenSSLTransformRsaSha512GetKlass()) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) <
            0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId) <
            0 ||
        xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformInclC14NId) <
            0 ||
        xmlSecDSigCtxEnableReferenceTransform(
            ctx, xmlSecOpenSSLTransformSha256GetKlass()) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(
            ctx, xmlSecOpenSSLTransformSha384GetKlass()) < 0 ||
        xmlSecDSigCtxEnableReferenceTransform(
            ctx, xmlSecOpenSSLTransformSha512GetKlass()) < 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "xmlsec did not start");
        goto cleanup;
    }
    if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the metadata signature could not be checked "
                         "(unsupported or weak algorithm, or malformed)");
        goto cleanup;
    }
    if (ctx->status != xmlSecDSigStatusSucceeded) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the metadata signature is not valid for the pinned "
                         "certificate");
        goto cleanup;
    }
cleanup:
    if (ctx != NULL) {
        xmlSecDSigCtxDestroy(ctx);
    }
    if (key != NULL) {
        xmlSecKeyDestroy(key);
    }
    free(uri);
    free(id);
    return rc;
}

/* Parse, verify the signature, then validUntil; for an aggregate the
 * root is md:EntitiesDescriptor with a validUntil, else EntityDescriptor.
 * valid_out (epoch, 0 if none) and cache_out (seconds, -1 if none) may be
 * NULL. */
static int verify_doc(xmlDoc **out, const char *xml, size_t len,
                      const char *cert_pem, int aggregate, int64_t *valid_out,
                      int64_t *cache_out, idm_err *err)
{
    xmlDoc *doc = NULL;
    xmlNode *root;
    char *v = NULL, *cd = NULL;
    int64_t t = 0, cache = -1;
    int rc;

    *out = NULL;
    rc = parse(&doc, xml, len, err);
    if (rc != 0) {
        return rc;
    }
    root = xmlDocGetRootElement(doc);
    if (!saml__xml_is(root, NS_MD,
               aggregate ? "EntitiesDescriptor" : "EntityDescriptor")) {
        rc = idm_err_set(err, IDM_EINVAL, "metadata root must be md:%s",
                         aggregate ? "EntitiesDescriptor" : "EntityDescriptor");
        goto cleanup;
    }
    /* nothing of the document is read before its signature verified */
    rc = verify_root(doc, root, cert_pem, err);
    if (rc != 0) {
        goto cleanup;
    }
    v = saml__xml_prop(root, "validUntil");
    if (v == NULL && aggregate) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "federation metadata has no validUntil");
        goto cleanup;
    }
    if (v != NULL) {
        t = web_time_parse(v);
        if (t < 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "metadata validUntil \"%.40s\" is not a time", v);
            goto cleanup;
        }
        if (t <= (int64_t)time(NULL)) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "metadata expired (validUntil %.40s)", v);
            goto cleanup;
        }
    }
    cd = saml__xml_prop(root, "cacheDuration");
    if (cd != NULL) {
        cache = duration_parse(cd);
        if (cache < 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "metadata cacheDuration \"%.40s\" is not a "
                             "duration",
                             cd);
            goto cleanup;
        }
    }
    if (valid_out != NULL) {
        *valid_out = t;
    }
    if (cache_out != NULL) {
        *cache_out = cache;
    }
    *out = doc;
    doc = NULL;
cleanup:
    free(cd);
    free(v);
    xmlFreeDoc(doc);
    return rc;
}

int saml_federation_verify(const char *xml, size_t len, const char *cert_pem,
                           int aggregate, idm_err *err)
{
    xmlDoc *doc = NULL;
    int rc = verify_doc(&doc, xml, len, cert_pem, aggregate, NULL, NULL, err);

    xmlFreeDoc(doc);
    return rc;
}

/* ---- entities ---- */

/* entityID -> SHA-256 (hex) of its serialisation, for the change log. */
static void collect(GHashTable *out, GHashTable *nodes, xmlNode *n, int depth,
                    int *dup)
{
    for (xmlNode *c = n->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, NS_MD, "EntitiesDescriptor") && depth < FED_MAX_DEPTH) {
            collect(out, nodes, c, depth + 1, dup);
        } else if (saml__xml_is(c, NS_MD, "EntityDescriptor")) {
            char *id = saml__xml_prop(c, "entityID");
            xmlBuffer *b;
            unsigned char md[32];
            char hex[65];

            if (id == NULL || id[0] == '\0' ||
                g_hash_table_size(out) >= FED_MAX_ENTITIES) {
                free(id);
                continue;
            }
            if (g_hash_table_contains(out, id)) {
                *dup = 1;
                free(id);
                continue;
            }
            b = xmlBufferCreate();
            xmlNodeDump(b, c->doc, c, 0, 0);
            EVP_Digest(xmlBufferContent(b), (size_t)xmlBufferLength(b), md,
                       NULL, EVP_sha256(), NULL);
            xmlBufferFree(b);
            for (int i = 0; i < 32; i++) {
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
            }
            if (nodes != NULL) {
                g_hash_table_insert(nodes, idm_xstrdup(id), c);
            }
            g_hash_table_insert(out, id, idm_xstrdup(hex));
        }
    }
}

static GHashTable *entity_table(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
}

static int entities(GHashTable **out, GHashTable **nodes_out, xmlDoc *doc,
                    idm_err *err)
{
    GHashTable *t = entity_table();
    GHashTable *nodes = NULL;
    xmlNode *root = xmlDocGetRootElement(doc);
    int dup = 0;

    if (nodes_out != NULL) {
        nodes = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
    }
    if (saml__xml_is(root, NS_MD, "EntityDescriptor")) {
        xmlNode holder;
        memset(&holder, 0, sizeof(holder));
        holder.children = root;
        collect(t, nodes, &holder, 0, &dup);
    } else {
        collect(t, nodes, root, 0, &dup);
    }
    if (dup) {
        g_hash_table_destroy(t);
        if (nodes != NULL) {
            g_hash_table_destroy(nodes);
        }
        *out = NULL;
        if (nodes_out != NULL) {
            *nodes_out = NULL;
        }
        return idm_err_set(err, IDM_EINVAL, "metadata lists an entityID twice");
    }
    *out = t;
    if (nodes_out != NULL) {
        *nodes_out = nodes;
    }
    return 0;
}

/* One EntityDescriptor as a document of its own, its own signature left
 * out (it would no longer match) and validUntil at most valid_until. */
static char *extract(xmlNode *entity, int64_t valid_until)
{
    xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *copy = xmlDocCopyNode(entity, doc, 1);
    xmlChar *mem = NULL;
    int size = 0;
    char *s;

    xmlDocSetRootElement(doc, copy);
    /* declarations of the aggregate that the entity may use in QName
     * values (xsi:type="xs:string") which reconciliation cannot see */
    for (const xmlNode *a = entity->parent;
         a != NULL && a->type == XML_ELEMENT_NODE; a = a->parent) {
        for (const xmlNs *ns = a->nsDef; ns != NULL; ns = ns->next) {
            if (xmlSearchNs(doc, copy, ns->prefix) == NULL) {
                xmlNewNs(copy, ns->href, ns->prefix);
            }
        }
    }
    xmlReconciliateNs(doc, copy);
    for (xmlNode *c = copy->children, *next; c != NULL; c = next) {
        next = c->next;
        if (saml__xml_is(c, NS_DS, "Signature")) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    if (valid_until > 0) {
        char *v = saml__xml_prop(copy, "validUntil");
        int64_t own = v != NULL ? web_time_parse(v) : -1;
        if (own < 0 || own > valid_until) {
            char buf[32];
            web_time_format(buf, valid_until);
            xmlSetProp(copy, (const xmlChar *)"validUntil",
                       (const xmlChar *)buf);
        }
        free(v);
    }
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    s = idm_xstrndup((const char *)mem, (size_t)size);
    xmlFree(mem);
    xmlFreeDoc(doc);
    return s;
}

/* ---- records ---- */

static char *cell(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL
                                      : idm_xstrdup(PQgetvalue(res, row, col));
}

#define TS(col)                                                                \
    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define FED_COLS                                                                                                              \
    "f.name, f.kind, f.url, " TS("f.valid_until") ", " TS(                                                                    \
        "f.fetched_at") ", " TS("f.next_refresh") ", f.last_error, " TS("f."                                                  \
                                                                        "last"                                                \
                                                                        "_err"                                                \
                                                                        "or_"                                                 \
                                                                        "at") ", (SELECT count(*) FROM saml_federation_sp m " \
                                                                              "WHERE m.federation_id = f.id)"

static void fill(saml_federation_record *r, const PGresult *res, int row)
{
    r->name = cell(res, row, 0);
    r->kind = cell(res, row, 1);
    r->url = cell(res, row, 2);
    r->valid_until = cell(res, row, 3);
    r->fetched_at = cell(res, row, 4);
    r->next_refresh = cell(res, row, 5);
    r->last_error = cell(res, row, 6);
    r->last_error_at = cell(res, row, 7);
    r->n_mapped = atoi(PQgetvalue(res, row, 8));
}

int saml_federation_list(saml_federation_record **out, size_t *n, idm_db *db,
                         idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    rc = idm_db_query(
        &res, db, "SELECT " FED_COLS " FROM saml_federation f ORDER BY f.name",
        0, NULL, err);
    if (rc != 0) {
        return rc;
    }
    *n = (size_t)PQntuples(res);
    *out = idm_xcalloc(*n + 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        fill(&(*out)[i], res, (int)i);
        (*out)[i].n_entities = -1;
    }
    PQclear(res);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int saml_federation_get(saml_federation_record **out, idm_db *db,
                        const char *name, idm_err *err)
{
    PGresult *res = NULL;
    const char *params[1] = {name};
    saml_federation_record *r = NULL;
    xmlDoc *doc = NULL;
    GHashTable *ents = NULL;
    int rc;

    *out = NULL;
    rc = idm_db_query(&res, db,
                      "SELECT " FED_COLS
                      ", f.metadata FROM saml_federation f WHERE f.name = $1",
                      1, params, err);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no federation \"%.200s\"", name);
        goto cleanup;
    }
    r = idm_xcalloc(1, sizeof(*r));
    fill(r, res, 0);
    if (!PQgetisnull(res, 0, 9)) {
        const char *m = PQgetvalue(res, 0, 9);
        rc = parse(&doc, m, strlen(m), err);
        if (rc == 0) {
            rc = entities(&ents, NULL, doc, err);
        }
        if (rc != 0) {
            goto cleanup;
        }
        {
            GHashTableIter it;
            gpointer k;
            size_t i = 0;
            r->n_entities = (int)g_hash_table_size(ents);
            r->entities =
                idm_xcalloc((size_t)r->n_entities + 1, sizeof(char *));
            g_hash_table_iter_init(&it, ents);
            while (g_hash_table_iter_next(&it, &k, NULL)) {
                r->entities[i++] = idm_xstrdup(k);
            }
            qsort(r->entities, i, sizeof(char *), cmp_str);
        }
    }
    *out = r;
    r = NULL;
cleanup:
    if (ents != NULL) {
        g_hash_table_destroy(ents);
    }
    xmlFreeDoc(doc);
    saml_federation_records_free(r, 1);
    PQclear(res);
    return rc;
}

void saml_federation_records_free(saml_federation_record *records, size_t n)
{
    if (records == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        saml_federation_record *r = &records[i];
        free(r->name);
        free(r->kind);
        free(r->url);
        free(r->valid_until);
        free(r->fetched_at);
        free(r->next_refresh);
        free(r->last_error);
        free(r->last_error_at);
        if (r->entities != NULL) {
            for (int j = 0; j < r->n_entities; j++) {
                free(r->entities[j]);
            }
            free(r->entities);
        }
    }
    free(records);
}

/* ---- registration ---- */

static int check_cert(const char *cert_pem, idm_err *err)
{
    xmlSecKeyPtr key = NULL;
    int rc;

    if (cert_pem == NULL || strlen(cert_pem) > SAML_FEDERATION_CERT_MAX) {
        return idm_err_set(err, IDM_EINVAL,
                           "the pinned certificate is missing or too large");
    }
    if (saml__lasso_init() != 0) {
        return idm_err_set(err, IDM_EINTERNAL, "xmlsec did not start");
    }
    rc = pinned_key(&key, cert_pem, err);
    if (key != NULL) {
        xmlSecKeyDestroy(key);
    }
    return rc;
}

static int check_url(const char *url, idm_err *err)
{
    if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0' ||
        url[8] == '/' || strlen(url) > 2048 ||
        strpbrk(url, " \"<>\r\n\t") != NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "url \"%.200s\" is not an https URL",
                           url != NULL ? url : "");
    }
    return 0;
}

int saml_federation_add(idm_db *db, const idm_actor *actor, const char *name,
                        const char *url, const char *cert_pem, idm_err *err)
{
    PGresult *res = NULL;
    const char *params[3] = {name, url, cert_pem};
    int rc, tx = 0;

    if (name == NULL ||
        !g_regex_match_simple("^[a-z][a-z0-9_.-]{0,63}$", name, 0, 0)) {
        return idm_err_set(err, IDM_EINVAL,
                           "federation name must match [a-z][a-z0-9_.-]*, at "
                           "most 64 characters");
    }
    rc = check_url(url, err);
    if (rc == 0) {
        rc = check_cert(cert_pem, err);
    }
    if (rc != 0) {
        return rc;
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_query(&res, db,
                      "INSERT INTO saml_federation (name, kind, url, cert_pem) "
                      "VALUES ($1, 'aggregate', $2, $3) RETURNING id",
                      3, params, err);
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err, "federation \"%.200s\" is already registered", name);
    }
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_audit_write(db, actor, "federation.add", name, IDM_AUDIT_OK, NULL,
                         err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    return rc;
}

int saml_federation_remove(idm_db *db, const idm_actor *actor, const char *name,
                           idm_err *err)
{
    PGresult *res = NULL;
    const char *params[1] = {name};
    int rc, tx = 0;

    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_query(
        &res, db, "DELETE FROM saml_federation WHERE name = $1 RETURNING id", 1,
        params, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no federation \"%.200s\"", name);
        goto cleanup;
    }
    rc = idm_audit_write(db, actor, "federation.remove", name, IDM_AUDIT_OK,
                         NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    return rc;
}

/* Insert the mapping of an SP just registered; on failure the SP goes. */
static int link_sp(idm_db *db, const idm_actor *actor, const char *entity_id,
                   const char *federation, idm_err *err)
{
    PGresult *res = NULL;
    const char *params[2] = {entity_id, federation};
    int rc;

    rc = idm_db_query(&res, db,
                      "INSERT INTO saml_federation_sp (entity_id, "
                      "federation_id) SELECT $1, id FROM saml_federation "
                      "WHERE name = $2 RETURNING entity_id",
                      2, params, err);
    PQclear(res);
    if (rc != 0) {
        idm_err tmp = IDM_ERR_INIT;
        if (saml_sp_remove(db, actor, entity_id, &tmp) != 0) {
            idm_log(IDM_LOG_ERROR, "saml", "federation.map_failed",
                    "detail=\"%s\"", tmp.msg);
        }
    }
    return rc;
}

int saml_federation_map(idm_db *db, const idm_actor *actor,
                        const char *federation, const char *entity_id,
                        const char *app_key, int allow_http, int sign_requests,
                        idm_err *err)
{
    PGresult *res = NULL;
    const char *params[1] = {federation};
    xmlDoc *doc = NULL;
    GHashTable *ents = NULL, *nodes = NULL;
    xmlNode *node;
    saml_sp_new sp = {0};
    char *md = NULL, *added = NULL;
    int64_t valid;
    int rc;

    rc = idm_db_query(&res, db,
                      "SELECT metadata, "
                      "extract(epoch FROM valid_until)::bigint, "
                      "valid_until > now() "
                      "FROM saml_federation WHERE name = $1 "
                      "AND kind = 'aggregate'",
                      1, params, err);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no federation \"%.200s\"",
                         federation);
        goto cleanup;
    }
    if (PQgetisnull(res, 0, 0)) {
        rc = idm_err_set(err, IDM_ENOTFOUND,
                         "federation \"%.200s\" has no verified copy yet "
                         "(run idmctl federation refresh)",
                         federation);
        goto cleanup;
    }
    if (PQgetvalue(res, 0, 2)[0] != 't') {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the copy of federation \"%.200s\" has expired",
                         federation);
        goto cleanup;
    }
    valid = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    {
        const char *m = PQgetvalue(res, 0, 0);
        rc = parse(&doc, m, strlen(m), err);
    }
    if (rc == 0) {
        rc = entities(&ents, &nodes, doc, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    node = g_hash_table_lookup(nodes, entity_id);
    if (node == NULL) {
        rc = idm_err_set(err, IDM_ENOTFOUND,
                         "federation \"%.200s\" has no entity \"%.200s\"",
                         federation, entity_id);
        goto cleanup;
    }
    md = extract(node, valid);
    sp.app_key = app_key;
    sp.metadata = md;
    sp.metadata_len = strlen(md);
    sp.allow_http = allow_http;
    sp.sign_requests = sign_requests;
    rc = saml_sp_add(&added, db, actor, &sp, 0, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = link_sp(db, actor, added, federation, err);
cleanup:
    free(added);
    free(md);
    if (nodes != NULL) {
        g_hash_table_destroy(nodes);
    }
    if (ents != NULL) {
        g_hash_table_destroy(ents);
    }
    xmlFreeDoc(doc);
    PQclear(res);
    return rc;
}

static int64_t next_refresh(int64_t cache, int64_t valid)
{
    int64_t now = (int64_t)time(NULL);
    int64_t d = cache >= 0 ? cache : SAML_FEDERATION_REFRESH_DEFAULT;

    if (d < SAML_FEDERATION_REFRESH_MIN) {
        d = SAML_FEDERATION_REFRESH_MIN;
    }
    if (d > SAML_FEDERATION_REFRESH_MAX) {
        d = SAML_FEDERATION_REFRESH_MAX;
    }
    /* refresh well before the copy expires */
    if (valid > 0 && now + d > valid - (valid - now) / 4) {
        d = (valid - now) * 3 / 4;
        if (d < 60) {
            d = 60;
        }
    }
    return now + d;
}

int saml_federation_add_sp(char **entity_out, idm_db *db,
                           const idm_actor *actor, const char *url,
                           const char *cert_pem, const char *app_key,
                           int allow_http, int sign_requests,
                           const saml_federation_opts *opts, idm_err *err)
{
    PGresult *res = NULL;
    xmlDoc *doc = NULL;
    char *xml = NULL, *entity = NULL, *added = NULL;
    char valid_s[32] = "", next_s[32];
    const char *params[7];
    saml_sp_new sp = {0};
    int64_t valid = 0, cache = -1;
    size_t len = 0;
    int rc;

    if (entity_out != NULL) {
        *entity_out = NULL;
    }
    rc = check_url(url, err);
    if (rc == 0) {
        rc = check_cert(cert_pem, err);
    }
    if (rc == 0) {
        rc = fetch(&xml, &len, url, opts, err);
    }
    if (rc == 0) {
        rc = verify_doc(&doc, xml, len, cert_pem, 0, &valid, &cache, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    entity = extract(xmlDocGetRootElement(doc), valid);
    sp.app_key = app_key;
    sp.metadata = entity;
    sp.metadata_len = strlen(entity);
    sp.allow_http = allow_http;
    sp.sign_requests = sign_requests;
    rc = saml_sp_add(&added, db, actor, &sp, 0, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (valid > 0) {
        web_time_format(valid_s, valid);
    }
    web_time_format(next_s, next_refresh(cache, valid));
    params[0] = added;
    params[1] = url;
    params[2] = cert_pem;
    params[3] = xml;
    params[4] = valid > 0 ? valid_s : NULL;
    params[5] = next_s;
    rc = idm_db_query(&res, db,
                      "INSERT INTO saml_federation (name, kind, url, cert_pem, "
                      "metadata, valid_until, fetched_at, next_refresh) "
                      "VALUES ($1, 'entity', $2, $3, $4, $5, now(), $6) "
                      "RETURNING id",
                      6, params, err);
    if (rc == 0) {
        rc = link_sp(db, actor, added, added, err);
    } else {
        idm_err tmp = IDM_ERR_INIT;
        if (saml_sp_remove(db, actor, added, &tmp) != 0) {
            idm_log(IDM_LOG_ERROR, "saml", "federation.map_failed",
                    "detail=\"%s\"", tmp.msg);
        }
    }
    if (rc == 0 && entity_out != NULL) {
        *entity_out = added;
        added = NULL;
    }
cleanup:
    PQclear(res);
    free(added);
    free(entity);
    free(xml);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- refresh ---- */

typedef struct source {
    char *id, *name, *kind, *url, *cert_pem, *metadata;
} source;

static void log_changes(const char *name, GHashTable *old_t, GHashTable *new_t,
                        int *added, int *removed, int *changed)
{
    GHashTableIter it;
    gpointer k, v;
    char qn[160], qe[1100];

    *added = *removed = *changed = 0;
    g_hash_table_iter_init(&it, new_t);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *o = old_t != NULL ? g_hash_table_lookup(old_t, k) : NULL;
        const char *what = o == NULL           ? "added"
                           : strcmp(o, v) != 0 ? "changed"
                                               : NULL;
        if (what == NULL) {
            continue;
        }
        (*what == 'a' ? (*added)++ : (*changed)++);
        idm_log(IDM_LOG_NOTICE, "saml", "federation.entity",
                "federation=%s change=%s entity=%s",
                idm_log_quote(qn, sizeof(qn), name), what,
                idm_log_quote(qe, sizeof(qe), k));
    }
    if (old_t == NULL) {
        return;
    }
    g_hash_table_iter_init(&it, old_t);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (!g_hash_table_contains(new_t, k)) {
            (*removed)++;
            idm_log(IDM_LOG_NOTICE, "saml", "federation.entity",
                    "federation=%s change=removed entity=%s",
                    idm_log_quote(qn, sizeof(qn), name),
                    idm_log_quote(qe, sizeof(qe), k));
        }
    }
}

/* New metadata for the SPs mapped from this source (key rollover etc.);
 * an SP whose entity vanished or no longer validates keeps what it had. */
static int update_sps(int *updated_out, idm_db *db, const source *src,
                      GHashTable *nodes, int64_t valid, idm_err *err)
{
    PGresult *res = NULL;
    const char *params[4] = {src->id, NULL, NULL, NULL};
    char qn[160], qe[1100];
    int rc, n;

    *updated_out = 0;
    rc = idm_db_query(&res, db,
                      "SELECT s.entity_id, s.allow_http, s.metadata "
                      "FROM saml_federation_sp m JOIN saml_sp s "
                      "USING (entity_id) WHERE m.federation_id = $1 "
                      "ORDER BY 1",
                      1, params, err);
    if (rc != 0) {
        return rc;
    }
    n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        const char *eid = PQgetvalue(res, i, 0);
        int allow_http = PQgetvalue(res, i, 1)[0] == 't';
        xmlNode *node = g_hash_table_lookup(nodes, eid);
        saml_sp_summary sum;
        idm_err verr = IDM_ERR_INIT;
        PGresult *u = NULL;
        char *md;
        const char *up[4];

        if (node == NULL) {
            idm_log(IDM_LOG_WARN, "saml", "federation.sp_missing",
                    "federation=%s entity=%s reason=%s",
                    idm_log_quote(qn, sizeof(qn), src->name),
                    idm_log_quote(qe, sizeof(qe), eid),
                    "\"no longer in the metadata, kept as it was\"");
            continue;
        }
        md = extract(node, valid);
        if (strcmp(md, PQgetvalue(res, i, 2)) == 0) {
            free(md);
            continue;
        }
        if (saml_sp_metadata_check(&sum, md, strlen(md), allow_http, &verr) !=
                0 ||
            strcmp(sum.entity_id, eid) != 0) {
            char qr[300];
            idm_log(IDM_LOG_WARN, "saml", "federation.sp_refused",
                    "federation=%s entity=%s reason=%s",
                    idm_log_quote(qn, sizeof(qn), src->name),
                    idm_log_quote(qe, sizeof(qe), eid),
                    idm_log_quote(qr, sizeof(qr),
                                  verr.msg[0] != '\0' ? verr.msg
                                                      : "entityID changed"));
            saml_sp_summary_clear(&sum);
            free(md);
            continue;
        }
        up[0] = eid;
        up[1] = md;
        up[2] = sum.valid_until;
        up[3] = sum.wants_signed_requests ? "t" : "f";
        rc = idm_db_query(&u, db,
                          "UPDATE saml_sp SET metadata = $2, "
                          "valid_until = $3, "
                          "sign_requests = sign_requests OR $4, "
                          "updated_at = now() WHERE entity_id = $1 "
                          "RETURNING id",
                          4, up, err);
        PQclear(u);
        saml_sp_summary_clear(&sum);
        free(md);
        if (rc != 0) {
            goto cleanup;
        }
        (*updated_out)++;
        idm_log(IDM_LOG_NOTICE, "saml", "federation.sp_update",
                "federation=%s entity=%s",
                idm_log_quote(qn, sizeof(qn), src->name),
                idm_log_quote(qe, sizeof(qe), eid));
    }
cleanup:
    PQclear(res);
    return rc;
}

static int refresh_one(idm_db *db, const idm_actor *actor, const source *src,
                       const saml_federation_opts *opts, idm_err *err)
{
    xmlDoc *doc = NULL, *old = NULL;
    GHashTable *new_t = NULL, *nodes = NULL, *old_t = NULL;
    PGresult *res = NULL;
    char *xml = NULL, *details = NULL;
    char valid_s[32] = "", next_s[32], qn[160];
    const char *params[5];
    int64_t valid = 0, cache = -1;
    size_t len = 0;
    int aggregate = strcmp(src->kind, "aggregate") == 0;
    int rc, tx = 0, added = 0, removed = 0, changed = 0, updated = 0;

    rc = fetch(&xml, &len, src->url, opts, err);
    if (rc == 0) {
        rc = verify_doc(&doc, xml, len, src->cert_pem, aggregate, &valid,
                        &cache, err);
    }
    if (rc == 0) {
        rc = entities(&new_t, &nodes, doc, err);
    }
    if (rc == 0 && !aggregate &&
        g_hash_table_lookup(nodes, src->name) == NULL) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "the metadata at \"%.200s\" is not for \"%.200s\"",
                         src->url, src->name);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (src->metadata != NULL) {
        idm_err oerr = IDM_ERR_INIT;
        if (parse(&old, src->metadata, strlen(src->metadata), &oerr) == 0) {
            (void)entities(&old_t, NULL, old, &oerr);
        }
    }
    log_changes(src->name, old_t, new_t, &added, &removed, &changed);
    if (valid > 0) {
        web_time_format(valid_s, valid);
    }
    web_time_format(next_s, next_refresh(cache, valid));
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 1;
    params[0] = src->id;
    params[1] = xml;
    params[2] = valid > 0 ? valid_s : NULL;
    params[3] = next_s;
    rc = idm_db_query(&res, db,
                      "UPDATE saml_federation SET metadata = $2, "
                      "valid_until = $3, fetched_at = now(), "
                      "next_refresh = $4, last_error = NULL, "
                      "last_error_at = NULL WHERE id = $1 RETURNING id",
                      4, params, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = update_sps(&updated, db, src, nodes, valid, err);
    if (rc != 0) {
        goto cleanup;
    }
    {
        json_t *j =
            json_pack("{s:i, s:i, s:i, s:i, s:i}", "entities",
                      (int)g_hash_table_size(new_t), "added", added, "removed",
                      removed, "changed", changed, "sps_updated", updated);
        details = json_dumps(j, JSON_COMPACT);
        json_decref(j);
    }
    rc = idm_audit_write(db, actor, "federation.refresh", src->name,
                         IDM_AUDIT_OK, details, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
    if (rc == 0) {
        idm_log(IDM_LOG_NOTICE, "saml", "federation.refresh",
                "federation=%s entities=%u added=%d removed=%d changed=%d "
                "sps_updated=%d valid_until=%s next_refresh=%s",
                idm_log_quote(qn, sizeof(qn), src->name),
                g_hash_table_size(new_t), added, removed, changed, updated,
                valid > 0 ? valid_s : "-", next_s);
    }
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    free(details);
    if (old_t != NULL) {
        g_hash_table_destroy(old_t);
    }
    if (new_t != NULL) {
        g_hash_table_destroy(new_t);
    }
    if (nodes != NULL) {
        g_hash_table_destroy(nodes);
    }
    xmlFreeDoc(old);
    xmlFreeDoc(doc);
    free(xml);
    return rc;
}

/* The last good copy stays; the error is recorded and retried soon. */
static void record_failure(idm_db *db, const idm_actor *actor,
                           const source *src, const idm_err *failure)
{
    PGresult *res = NULL;
    const char *params[3];
    idm_err tmp = IDM_ERR_INIT;
    char qn[160], qr[300], next_s[32], *details;
    json_t *j;

    idm_log(IDM_LOG_WARN, "saml", "federation.refresh_failed",
            "federation=%s reason=%s kept=%s",
            idm_log_quote(qn, sizeof(qn), src->name),
            idm_log_quote(qr, sizeof(qr), failure->msg),
            src->metadata != NULL ? "last_good_copy" : "none");
    web_time_format(next_s, (int64_t)time(NULL) + SAML_FEDERATION_REFRESH_MIN);
    params[0] = src->id;
    params[1] = failure->msg;
    params[2] = next_s;
    if (idm_db_query(&res, db,
                     "UPDATE saml_federation SET last_error = $2, "
                     "last_error_at = now(), next_refresh = $3 "
                     "WHERE id = $1 RETURNING id",
                     3, params, &tmp) != 0) {
        idm_log(IDM_LOG_ERROR, "saml", "federation.record_failed", "detail=%s",
                idm_log_quote(qr, sizeof(qr), tmp.detail));
    }
    PQclear(res);
    j = json_pack("{s:s}", "reason", failure->msg);
    details = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    idm_audit_write_detached(db, actor, "federation.refresh", src->name,
                             IDM_AUDIT_FAILED, details);
    free(details);
}

int saml_federation_refresh(int *failed_out, idm_db *db, const idm_actor *actor,
                            const char *name, int force,
                            const saml_federation_opts *opts, idm_err *err)
{
    PGresult *res = NULL;
    const char *params[1] = {name};
    int rc, n, failed = 0, last = 0;

    if (failed_out != NULL) {
        *failed_out = 0;
    }
    rc = idm_db_query(
        &res, db,
        name != NULL ? "SELECT id, name, kind, url, cert_pem, metadata "
                       "FROM saml_federation WHERE name = $1"
        : force      ? "SELECT id, name, kind, url, cert_pem, metadata "
                       "FROM saml_federation ORDER BY name"
                     : "SELECT id, name, kind, url, cert_pem, metadata "
                       "FROM saml_federation WHERE next_refresh <= now() "
                       "ORDER BY name",
        name != NULL ? 1 : 0, name != NULL ? params : NULL, err);
    if (rc != 0) {
        return rc;
    }
    n = PQntuples(res);
    if (name != NULL && n == 0) {
        PQclear(res);
        return idm_err_set(err, IDM_ENOTFOUND, "no federation \"%.200s\"",
                           name);
    }
    for (int i = 0; i < n; i++) {
        source src;
        idm_err one = IDM_ERR_INIT;
        int r;

        src.id = PQgetvalue(res, i, 0);
        src.name = PQgetvalue(res, i, 1);
        src.kind = PQgetvalue(res, i, 2);
        src.url = PQgetvalue(res, i, 3);
        src.cert_pem = PQgetvalue(res, i, 4);
        src.metadata = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5);
        r = refresh_one(db, actor, &src, opts, &one);
        if (r != 0) {
            failed++;
            last = r;
            record_failure(db, actor, &src, &one);
            if (err != NULL) {
                *err = one;
            }
        }
    }
    PQclear(res);
    if (failed_out != NULL) {
        *failed_out = failed;
    }
    return last;
}
