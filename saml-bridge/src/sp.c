/* SPDX-License-Identifier: EUPL-1.2
 * Service provider registry: validation of SP metadata (the only way an SP
 * gets in) and its storage in PostgreSQL. idmd rebuilds its Lasso server
 * from this table (server.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/x509.h>

#include "base/alloc.h"
#include "saml/sp.h"
#include "crypto_int.h"
#include "registry_int.h"
#include "web/codec.h"
#include "xml_int.h"

#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define PROTO_SAML2 "urn:oasis:names:tc:SAML:2.0:protocol"
#define MAX_ENDPOINTS 64
#define MAX_CERTS 8

/* A loopback host as GUri gives it: "localhost", 127.0.0.0/8 in dotted
 * quad (inet_pton takes no short forms like 127.1), "::1". */
static int loopback_host(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (g_ascii_strcasecmp(host, "localhost") == 0) {
        return 1;
    }
    if (inet_pton(AF_INET, host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* A host name (letters, digits, '-', '.') or an IP literal. */
static int host_ok(const char *host)
{
    struct in6_addr a6;

    if (host == NULL || host[0] == '\0' || strlen(host) > 253) {
        return 0;
    }
    if (strchr(host, ':') != NULL) {
        return inet_pton(AF_INET6, host, &a6) == 1;
    }
    for (const char *p = host; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.') {
            return 0;
        }
    }
    return 1;
}

/* https everywhere; http only on loopback hosts, and only if allowed. The
 * URL is parsed (GUri, RFC 3986), never matched by prefix: in
 * "http://localhost:1@evil.example/acs" the host is evil.example. */
int saml_sp__endpoint_ok(const char *url, int allow_http)
{
    GUri *uri = NULL;
    const char *scheme, *host;
    int ok = 0;

    if (url == NULL || strlen(url) > 1024) {
        return 0;
    }
    /* no white space, controls, quotes or backslashes (browsers read
     * "\\" as "/", GUri does not), nothing beyond ASCII */
    for (const char *p = url; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7F || strchr("\"<>\\^`{|}", c) != NULL) {
            return 0;
        }
    }
    uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    if (uri == NULL) {
        return 0;
    }
    scheme = g_uri_get_scheme(uri);
    host = g_uri_get_host(uri);
    if (g_uri_get_userinfo(uri) != NULL || g_uri_get_fragment(uri) != NULL ||
        !host_ok(host)) {
        goto cleanup; /* a fragment would swallow the SAML query */
    }
    if (g_ascii_strcasecmp(scheme, "https") == 0) {
        ok = 1;
    } else if (g_ascii_strcasecmp(scheme, "http") == 0) {
        ok = allow_http && loopback_host(host);
    }
cleanup:
    g_uri_unref(uri);
    return ok;
}

void saml_sp__info_free(saml_sp_info *info)
{
    if (info == NULL) {
        return;
    }
    free(info->entity_id);
    free(info->app_key);
    for (int i = 0; i < info->n_acs; i++) {
        free(info->acs[i].binding);
        free(info->acs[i].location);
    }
    free(info->acs);
    for (int i = 0; i < info->n_slo; i++) {
        free(info->slo[i].binding);
        free(info->slo[i].location);
    }
    free(info->slo);
    for (int i = 0; i < info->n_keys; i++) {
        EVP_PKEY_free(info->keys[i]);
    }
    free(info->keys);
    EVP_PKEY_free(info->enc_key);
    EVP_PKEY_CTX_free(info->enc_ctx);
    free(info);
}

static int add_cert(saml_sp_info *info, const xmlNode *kd, idm_err *err)
{
    char *use = saml__xml_prop(kd, "use");
    int signing = use == NULL || strcmp(use, "signing") == 0;
    /* metadata 2.4.1.1: a KeyDescriptor without use serves both */
    int encryption = use == NULL || strcmp(use, "encryption") == 0;
    int rc = 0;

    free(use);
    if (encryption && info->enc_key == NULL) {
        int any = 0, gcm = 0, cbc = 0;
        for (const xmlNode *m = kd->children; m != NULL; m = m->next) {
            char *alg;
            if (!saml__xml_is(m, NS_MD, "EncryptionMethod")) {
                continue;
            }
            alg = saml__xml_prop(m, "Algorithm");
            any = 1;
            gcm |=
                alg != NULL &&
                strcmp(alg, "http://www.w3.org/2009/xmlenc11#aes256-gcm") == 0;
            cbc |=
                alg != NULL &&
                strcmp(alg, "http://www.w3.org/2001/04/xmlenc#aes128-cbc") == 0;
            free(alg);
        }
        info->enc_alg = saml_enc_from_methods(any, gcm, cbc);
    }
    for (const xmlNode *ki = kd->children; ki != NULL; ki = ki->next) {
        if (!saml__xml_is(ki, NS_DS, "KeyInfo")) {
            continue;
        }
        for (const xmlNode *xd = ki->children; xd != NULL; xd = xd->next) {
            if (!saml__xml_is(xd, NS_DS, "X509Data")) {
                continue;
            }
            for (const xmlNode *c = xd->children; c != NULL; c = c->next) {
                xmlChar *txt;
                unsigned char *der;
                const unsigned char *p;
                size_t len;
                X509 *x;
                EVP_PKEY *k;

                if (!saml__xml_is(c, NS_DS, "X509Certificate")) {
                    continue;
                }
                txt = xmlNodeGetContent(c);
                der = txt != NULL ? web_b64_decode((const char *)txt,
                                                   strlen((const char *)txt),
                                                   64 * 1024, &len)
                                  : NULL;
                xmlFree(txt);
                p = der;
                x = der != NULL ? d2i_X509(NULL, &p, (long)len) : NULL;
                free(der);
                if (x == NULL) {
                    return idm_err_set(err, IDM_EINVAL,
                                       "a certificate in the metadata does "
                                       "not parse");
                }
                k = X509_get_pubkey(x);
                X509_free(x);
                if (k == NULL) {
                    return idm_err_set(err, IDM_EINVAL,
                                       "a certificate in the metadata has "
                                       "no usable key");
                }
                /* the first RSA encryption key; the others are for a
                 * key rollover the SP announces ahead */
                if (encryption && info->enc_key == NULL &&
                    EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
                    EVP_PKEY_up_ref(k);
                    info->enc_key = k;
                    info->enc_ctx = saml_encrypt_key_ctx(k);
                }
                if (!signing || info->n_keys >= MAX_CERTS) {
                    EVP_PKEY_free(k);
                    continue;
                }
                info->keys[info->n_keys++] = k;
            }
        }
    }
    return rc;
}

int saml_sp__parse(saml_sp_info **out, const char *metadata, size_t len,
                   int allow_http, char **valid_until_out, int *n_certs_out,
                   int *wants_signed_out, idm_err *err)
{
    xmlDoc *doc = NULL;
    xmlNode *root, *spsso = NULL;
    saml_sp_info *info = NULL;
    char *v = NULL;
    int rc = 0, n_kd = 0;

    *out = NULL;
    if (valid_until_out != NULL) {
        *valid_until_out = NULL;
    }
    if (metadata == NULL || len == 0 || len > SAML_METADATA_MAX) {
        return idm_err_set(err, IDM_EINVAL,
                           "metadata is empty or larger than 1 MiB");
    }
    if (memchr(metadata, '\0', len) != NULL ||
        g_strstr_len(metadata, (gssize)len, "<!DOCTYPE") != NULL ||
        g_strstr_len(metadata, (gssize)len, "<!ENTITY") != NULL) {
        return idm_err_set(err, IDM_EINVAL, "metadata must not contain a DTD");
    }
    doc = xmlReadMemory(metadata, (int)len, "metadata.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (doc == NULL) {
        return idm_err_set(err, IDM_EINVAL, "metadata is not well-formed XML");
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = idm_err_set(err, IDM_EINVAL, "metadata must not contain a DTD");
        goto cleanup;
    }
    root = xmlDocGetRootElement(doc);
    if (!saml__xml_is(root, NS_MD, "EntityDescriptor")) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "metadata must be one md:EntityDescriptor");
        goto cleanup;
    }
    info = idm_xcalloc(1, sizeof(*info));
    info->acs = idm_xcalloc(MAX_ENDPOINTS, sizeof(*info->acs));
    info->slo = idm_xcalloc(MAX_ENDPOINTS, sizeof(*info->slo));
    info->keys = idm_xcalloc(MAX_CERTS, sizeof(*info->keys));
    info->entity_id = saml__xml_prop(root, "entityID");
    if (info->entity_id == NULL || info->entity_id[0] == '\0' ||
        strlen(info->entity_id) > 1024) {
        rc = idm_err_set(err, IDM_EINVAL, "metadata has no valid entityID");
        goto cleanup;
    }
    v = saml__xml_prop(root, "validUntil");
    if (v != NULL) {
        int64_t t = web_time_parse(v);
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
    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, NS_MD, "SPSSODescriptor")) {
            char *pse = saml__xml_prop(c, "protocolSupportEnumeration");
            if (pse != NULL && strstr(pse, PROTO_SAML2) != NULL) {
                spsso = c;
            }
            free(pse);
        }
    }
    if (spsso == NULL) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "metadata has no SAML 2.0 SPSSODescriptor");
        goto cleanup;
    }
    {
        char *s = saml__xml_prop(spsso, "AuthnRequestsSigned");
        if (wants_signed_out != NULL) {
            *wants_signed_out =
                s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
        }
        free(s);
        /* metadata 2.4.4: the SP wants its assertions signed */
        s = saml__xml_prop(spsso, "WantAssertionsSigned");
        info->wants_assertions_signed =
            s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
        free(s);
    }
    for (xmlNode *c = spsso->children; c != NULL; c = c->next) {
        if (saml__xml_is(c, NS_MD, "AssertionConsumerService") ||
            saml__xml_is(c, NS_MD, "SingleLogoutService")) {
            int acs = saml__xml_is(c, NS_MD, "AssertionConsumerService");
            char *binding = saml__xml_prop(c, "Binding"), *loc = saml__xml_prop(c, "Location");
            /* Lasso sends LogoutResponses to ResponseLocation if set */
            char *rloc = saml__xml_prop(c, "ResponseLocation");
            const char *bad =
                !saml_sp__endpoint_ok(loc, allow_http) ? loc
                : rloc != NULL && !saml_sp__endpoint_ok(rloc, allow_http)
                    ? rloc
                    : NULL;
            if (binding == NULL || bad != NULL || loc == NULL) {
                rc = idm_err_set(err, IDM_EINVAL,
                                 "endpoint \"%.200s\" is not an https "
                                 "URL%s without user name or fragment",
                                 bad != NULL ? bad : "(none)",
                                 allow_http ? " or a loopback http URL" : "");
                free(binding);
                free(loc);
                free(rloc);
                goto cleanup;
            }
            free(rloc);
            if ((acs ? info->n_acs : info->n_slo) >= MAX_ENDPOINTS) {
                free(binding);
                free(loc);
                rc = idm_err_set(err, IDM_EINVAL, "too many endpoints");
                goto cleanup;
            }
            if (acs) {
                saml_acs *a = &info->acs[info->n_acs++];
                char *idx = saml__xml_prop(c, "index"), *def = saml__xml_prop(c, "isDefault");
                char *end = NULL;
                a->binding = binding;
                a->location = loc;
                a->index = idx != NULL ? (int)strtol(idx, &end, 10) : -1;
                if (idx == NULL || *idx == '\0' || *end != '\0' ||
                    a->index < 0 || a->index > 65535) {
                    free(idx);
                    free(def);
                    rc = idm_err_set(err, IDM_EINVAL,
                                     "AssertionConsumerService without a "
                                     "valid index");
                    goto cleanup;
                }
                a->is_default = def != NULL && strcmp(def, "true") == 0;
                free(idx);
                free(def);
            } else {
                info->slo[info->n_slo].binding = binding;
                info->slo[info->n_slo].location = loc;
                info->n_slo++;
            }
        } else if (saml__xml_is(c, NS_MD, "KeyDescriptor")) {
            n_kd++;
            rc = add_cert(info, c, err);
            if (rc != 0) {
                goto cleanup;
            }
        }
    }
    if (info->n_acs == 0) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "metadata has no AssertionConsumerService");
        goto cleanup;
    }
    {
        int post = 0;
        for (int i = 0; i < info->n_acs; i++) {
            post |= strcmp(info->acs[i].binding,
                           LASSO_SAML2_METADATA_BINDING_POST) == 0;
        }
        if (!post) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "metadata has no HTTP-POST "
                             "AssertionConsumerService");
            goto cleanup;
        }
    }
    {
        /* Lasso must accept it too, or the IdP could not use it. Lasso
         * takes a C string, metadata is len bytes (the NUL check above
         * makes the copy exact). */
        char *text = idm_xstrndup(metadata, len);
        LassoProvider *p =
            saml__lasso_init() != 0
                ? NULL
                : lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_SP, text,
                                                 NULL, NULL);
        free(text);
        if (p == NULL) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "metadata is not usable SAML 2.0 SP metadata");
            goto cleanup;
        }
        g_object_unref(p);
    }
    if (n_certs_out != NULL) {
        *n_certs_out = info->n_keys;
    }
    if (valid_until_out != NULL) {
        *valid_until_out = v;
        v = NULL;
    }
    *out = info;
    info = NULL;
cleanup:
    free(v);
    saml_sp__info_free(info);
    xmlFreeDoc(doc);
    return rc;
}

int saml_sp_metadata_check(saml_sp_summary *out, const char *metadata,
                           size_t len, int allow_http, idm_err *err)
{
    saml_sp_info *info = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = saml_sp__parse(&info, metadata, len, allow_http, &out->valid_until,
                        &out->n_certs, &out->wants_signed_requests, err);
    if (rc != 0) {
        return rc;
    }
    out->entity_id = idm_xstrdup(info->entity_id);
    out->n_acs = info->n_acs;
    out->n_slo = info->n_slo;
    out->wants_assertions_signed = info->wants_assertions_signed;
    out->has_enc_key = info->enc_key != NULL;
    saml_sp__info_free(info);
    return 0;
}

void saml_sp_summary_clear(saml_sp_summary *s)
{
    if (s != NULL) {
        free(s->entity_id);
        free(s->valid_until);
        memset(s, 0, sizeof(*s));
    }
}

int saml_sp_sign_valid(const char *s)
{
    return s == NULL || strcmp(s, "assertion") == 0 ||
           strcmp(s, "response") == 0 || strcmp(s, "both") == 0;
}

int saml_sp_encrypt_valid(const char *s)
{
    return s == NULL || strcmp(s, "yes") == 0 || strcmp(s, "no") == 0;
}

static const char *encrypt_param(const char *s)
{
    return s == NULL ? NULL : strcmp(s, "yes") == 0 ? "t" : "f";
}

static char *details_json(const char *app, int allow_http, int sign,
                          const char *sign_parts, const char *encrypt)
{
    json_t *j = json_pack("{s:s, s:b, s:b, s:s?, s:s?}", "app", app,
                          "allow_http", allow_http, "sign_requests", sign,
                          "sign", sign_parts, "encrypt", encrypt);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

int saml_sp_add(char **entity_out, idm_db *db, const idm_actor *actor,
                const saml_sp_new *sp, int replace, idm_err *err)
{
    saml_sp_summary sum;
    PGresult *res = NULL;
    char *text = NULL, *details = NULL;
    const char *params[8];
    int rc, tx = 0;

    if (entity_out != NULL) {
        *entity_out = NULL;
    }
    if (!saml_sp_sign_valid(sp->sign)) {
        return idm_err_set(err, IDM_EINVAL,
                           "--sign must be assertion, response or both");
    }
    if (!saml_sp_encrypt_valid(sp->encrypt)) {
        return idm_err_set(err, IDM_EINVAL, "--encrypt must be yes or no");
    }
    if (sp->app_key == NULL ||
        !g_regex_match_simple("^[a-z][a-z0-9_-]{0,63}$", sp->app_key, 0, 0)) {
        return idm_err_set(err, IDM_EINVAL,
                           "application key must match [a-z][a-z0-9_-]*, "
                           "at most 64 characters");
    }
    rc = saml_sp_metadata_check(&sum, sp->metadata, sp->metadata_len,
                                sp->allow_http, err);
    if (rc != 0) {
        return rc;
    }
    if (sp->encrypt != NULL && strcmp(sp->encrypt, "yes") == 0 &&
        !sum.has_enc_key) {
        rc = idm_err_set(err, IDM_EINVAL,
                         "--encrypt yes needs an RSA encryption key in the "
                         "metadata");
        goto cleanup;
    }
    text = idm_xstrndup(sp->metadata, sp->metadata_len);
    params[0] = sum.entity_id;
    params[1] = sp->app_key;
    params[2] = text;
    params[3] = sp->allow_http ? "t" : "f";
    params[4] = sp->sign_requests || sum.wants_signed_requests ? "t" : "f";
    params[5] = sum.valid_until;
    params[6] = sp->sign;
    params[7] = encrypt_param(sp->encrypt);
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 1;
    rc = idm_db_query(
        &res, db,
        /* a replacement without --sign or --encrypt keeps the choice
         * made before */
        replace ? "INSERT INTO saml_sp (entity_id, app_key, metadata, "
                  "allow_http, sign_requests, valid_until, sign, encrypt) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                  "ON CONFLICT (entity_id) DO UPDATE SET app_key = $2, "
                  "metadata = $3, allow_http = $4, sign_requests = $5, "
                  "valid_until = $6, "
                  "sign = COALESCE($7, saml_sp.sign), "
                  "encrypt = COALESCE($8, saml_sp.encrypt), "
                  "updated_at = now() RETURNING id"
                : "INSERT INTO saml_sp (entity_id, app_key, metadata, "
                  "allow_http, sign_requests, valid_until, sign, encrypt) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        8, params, err);
    if (rc == IDM_EEXISTS) {
        idm_err_msg(err,
                    "service provider \"%.200s\" is already registered "
                    "(use --replace)",
                    sum.entity_id);
    }
    if (rc != 0) {
        goto cleanup;
    }
    details = details_json(sp->app_key, sp->allow_http, params[4][0] == 't',
                           sp->sign, sp->encrypt);
    rc = idm_audit_write(db, actor, replace ? "sp.replace" : "sp.add",
                         sum.entity_id, IDM_AUDIT_OK, details, err);
    if (rc != 0) {
        goto cleanup;
    }
    tx = 0;
    rc = idm_db_commit(db, err);
    if (rc == 0 && entity_out != NULL) {
        *entity_out = idm_xstrdup(sum.entity_id);
    }
cleanup:
    if (tx) {
        idm_db_rollback(db);
    }
    PQclear(res);
    free(details);
    free(text);
    saml_sp_summary_clear(&sum);
    return rc;
}

int saml_sp_set_sign(idm_db *db, const idm_actor *actor,
                     const char *entity_id, const char *sign, idm_err *err)
{
    PGresult *res = NULL;
    const char *params[2] = {entity_id, sign};
    json_t *j = NULL;
    char *details = NULL;
    int rc, tx = 0;

    if (!saml_sp_sign_valid(sign)) {
        return idm_err_set(err, IDM_EINVAL,
                           "--sign must be assertion, response, both or "
                           "metadata");
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_query(&res, db,
                      "UPDATE saml_sp SET sign = $2, updated_at = now() "
                      "WHERE entity_id = $1 RETURNING id",
                      2, params, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no service provider \"%.200s\"",
                         entity_id);
        goto cleanup;
    }
    j = json_pack("{s:s}", "sign", sign != NULL ? sign : "metadata");
    details = json_dumps(j, JSON_COMPACT);
    rc = idm_audit_write(db, actor, "sp.set", entity_id, IDM_AUDIT_OK, details,
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
    json_decref(j);
    free(details);
    PQclear(res);
    return rc;
}

int saml_sp_set_encrypt(idm_db *db, const idm_actor *actor,
                        const char *entity_id, const char *encrypt,
                        idm_err *err)
{
    PGresult *res = NULL;
    const char *params[2] = {entity_id, encrypt_param(encrypt)};
    saml_sp_info *info = NULL;
    json_t *j = NULL;
    char *details = NULL;
    int rc, tx = 0;

    if (!saml_sp_encrypt_valid(encrypt)) {
        return idm_err_set(err, IDM_EINVAL,
                           "--encrypt must be yes, no or metadata");
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_query(&res, db,
                      "UPDATE saml_sp SET encrypt = $2, updated_at = now() "
                      "WHERE entity_id = $1 RETURNING metadata, allow_http",
                      2, params, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no service provider \"%.200s\"",
                         entity_id);
        goto cleanup;
    }
    if (encrypt != NULL && strcmp(encrypt, "yes") == 0) {
        const char *md = PQgetvalue(res, 0, 0);
        rc = saml_sp__parse(&info, md, strlen(md),
                            PQgetvalue(res, 0, 1)[0] == 't', NULL, NULL, NULL,
                            err);
        if (rc == 0 && info->enc_key == NULL) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "--encrypt yes needs an RSA encryption key in "
                             "the metadata");
        }
        if (rc != 0) {
            goto cleanup;
        }
    }
    j = json_pack("{s:s}", "encrypt", encrypt != NULL ? encrypt : "metadata");
    details = json_dumps(j, JSON_COMPACT);
    rc = idm_audit_write(db, actor, "sp.set", entity_id, IDM_AUDIT_OK, details,
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
    saml_sp__info_free(info);
    json_decref(j);
    free(details);
    PQclear(res);
    return rc;
}

int saml_sp_remove(idm_db *db, const idm_actor *actor, const char *entity_id,
                   idm_err *err)
{
    PGresult *res = NULL;
    const char *params[1] = {entity_id};
    int rc, tx = 0;

    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    rc = idm_db_query(&res, db,
                      "DELETE FROM saml_sp WHERE entity_id = $1 RETURNING id",
                      1, params, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 0) {
        rc = idm_err_set(err, IDM_ENOTFOUND, "no service provider \"%.200s\"",
                         entity_id);
        goto cleanup;
    }
    rc = idm_audit_write(db, actor, "sp.remove", entity_id, IDM_AUDIT_OK, NULL,
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

static char *cell(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL
                                      : idm_xstrdup(PQgetvalue(res, row, col));
}

static void fill(saml_sp_record *r, const PGresult *res, int row)
{
    r->entity_id = cell(res, row, 0);
    r->app_key = cell(res, row, 1);
    r->allow_http = PQgetvalue(res, row, 2)[0] == 't';
    r->sign_requests = PQgetvalue(res, row, 3)[0] == 't';
    r->valid_until = cell(res, row, 4);
    r->created_at = cell(res, row, 5);
    r->updated_at = cell(res, row, 6);
    r->sign = cell(res, row, 7);
    r->encrypt = cell(res, row, 8);
    if (PQnfields(res) > 9) {
        r->metadata = cell(res, row, 9);
    }
}

#define SP_COLS                                                                \
    "entity_id, app_key, allow_http, sign_requests, "                          \
    "to_char(valid_until AT TIME ZONE 'UTC', "                                 \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                                      \
    "to_char(created_at AT TIME ZONE 'UTC', "                                  \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                                      \
    "to_char(updated_at AT TIME ZONE 'UTC', "                                  \
    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), sign, "                                \
    "CASE encrypt WHEN true THEN 'yes' WHEN false THEN 'no' END"

int saml_sp_list(saml_sp_record **out, size_t *n, idm_db *db, idm_err *err)
{
    PGresult *res = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    rc = idm_db_query(&res, db,
                      "SELECT " SP_COLS " FROM saml_sp ORDER BY entity_id", 0,
                      NULL, err);
    if (rc != 0) {
        return rc;
    }
    *n = (size_t)PQntuples(res);
    *out = idm_xcalloc(*n, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        fill(&(*out)[i], res, (int)i);
    }
    PQclear(res);
    return 0;
}

int saml_sp_get(saml_sp_record **out, idm_db *db, const char *entity_id,
                idm_err *err)
{
    PGresult *res = NULL;
    const char *params[1] = {entity_id};
    int rc;

    *out = NULL;
    rc = idm_db_query(&res, db,
                      "SELECT " SP_COLS
                      ", metadata FROM saml_sp WHERE entity_id = $1",
                      1, params, err);
    if (rc != 0) {
        return rc;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return idm_err_set(err, IDM_ENOTFOUND, "no service provider \"%.200s\"",
                           entity_id);
    }
    *out = idm_xcalloc(1, sizeof(**out));
    fill(*out, res, 0);
    PQclear(res);
    return 0;
}

void saml_sp_records_free(saml_sp_record *records, size_t n)
{
    if (records == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(records[i].entity_id);
        free(records[i].app_key);
        free(records[i].valid_until);
        free(records[i].sign);
        free(records[i].encrypt);
        free(records[i].created_at);
        free(records[i].updated_at);
        free(records[i].metadata);
    }
    free(records);
}
