/* SPDX-License-Identifier: EUPL-1.2
 * The IdP's own metadata: built from the configuration, given unsigned to
 * Lasso, and published signed (RSA-SHA256, exclusive c14n) with a
 * validUntil, regenerated well before it expires. The Signature is the
 * EntityDescriptor's first child and the IDPSSODescriptor declares the
 * scope of its scoped attributes (shibmd:Scope), as the OASIS metadata
 * schema and Shibboleth-style attribute filters require.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "idp_int.h"
#include "saml/conf.h"

#define MD_ID "_idm-idp-metadata"
#define B_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define B_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define DS_NS "http://www.w3.org/2000/09/xmldsig#"
#define SHIBMD_NS "urn:mace:shibboleth:metadata:1.0"

static void key_descriptor(GString *s, const char *b64)
{
    g_string_append(s, "  <md:KeyDescriptor use=\"signing\"><ds:KeyInfo>"
                       "<ds:X509Data><ds:X509Certificate>");
    g_string_append(s, b64);
    g_string_append(s, "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
                       "</md:KeyDescriptor>\n");
}

char *saml_metadata_build(const saml_idp *idp, int64_t valid_until)
{
    GString *s = g_string_sized_new(4096);
    char until[32];

    g_string_append(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<md:EntityDescriptor "
                       "xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
                       "xmlns:ds=\"" DS_NS "\" "
                       "xmlns:shibmd=\"" SHIBMD_NS "\" "
                       "ID=\"" MD_ID "\" entityID=\"");
    web_html_append(s, idp->entity_id);
    g_string_append_c(s, '"');
    if (valid_until > 0) {
        web_time_format(until, valid_until);
        g_string_append_printf(s, " validUntil=\"%s\"", until);
    }
    g_string_append(s, ">\n <md:IDPSSODescriptor "
                       "WantAuthnRequestsSigned=\"false\" "
                       "protocolSupportEnumeration="
                       "\"urn:oasis:names:tc:SAML:2.0:protocol\">\n");
    /* the scope of pairwise-id, subject-id and the scoped eduPerson
     * attributes (attributes.c, idm-core's policy_decide.c): SPs drop
     * scoped values whose scope the IdP's metadata does not declare
     * (Shibboleth metadata profile 1.0, shibmd:Scope) */
    g_string_append(s, "  <md:Extensions><shibmd:Scope regexp=\"false\">");
    web_html_append(s, IDM_POLICY_DOMAIN);
    g_string_append(s, "</shibmd:Scope></md:Extensions>\n");
    key_descriptor(s, idp->keys.cert_b64);
    if (idp->keys.next_cert_b64 != NULL) {
        key_descriptor(s, idp->keys.next_cert_b64);
    }
    g_string_append_printf(
        s,
        "  <md:SingleLogoutService Binding=\"" B_REDIRECT "\" "
        "Location=\"%s\"/>\n"
        "  <md:SingleLogoutService Binding=\"" B_POST "\" Location=\"%s\"/>\n"
        "  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:"
        "persistent</md:NameIDFormat>\n"
        "  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:"
        "transient</md:NameIDFormat>\n"
        "  <md:SingleSignOnService Binding=\"" B_REDIRECT "\" "
        "Location=\"%s\"/>\n"
        "  <md:SingleSignOnService Binding=\"" B_POST "\" Location=\"%s\"/>\n"
        " </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n",
        idp->slo_url, idp->slo_url, idp->sso_url, idp->sso_url);
    return g_string_free(s, FALSE);
}

/*
 * Move the enveloped ds:Signature that Lasso appended to root in front of
 * its first child: the metadata schema (saml-schema-metadata-2.0.xsd,
 * EntityDescriptorType) allows it only there. The signature stays valid:
 * the enveloped-signature transform removes the element wherever it is,
 * and the text nodes around it are not touched.
 */
static int signature_first(xmlNode *root)
{
    xmlNode *sig = NULL;

    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
            strcmp((const char *)c->ns->href, DS_NS) == 0 &&
            strcmp((const char *)c->name, "Signature") == 0) {
            if (sig != NULL) {
                return -1;
            }
            sig = c;
        }
    }
    if (sig == NULL) {
        return -1;
    }
    if (sig != root->children) {
        xmlUnlinkNode(sig);
        if (xmlAddPrevSibling(root->children, sig) == NULL) {
            xmlFreeNode(sig);
            return -1;
        }
    }
    return 0;
}

static int sign_metadata(char **out, saml_idp *idp, int64_t until, idm_err *err)
{
    char *text = saml_metadata_build(idp, until);
    xmlDoc *doc = xmlReadMemory(text, (int)strlen(text), "md.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NODICT);
    xmlChar *mem = NULL;
    int size = 0, rc = 0;

    *out = NULL;
    if (doc == NULL ||
        lasso_key_saml2_xml_sign(idp->keys.meta_key, MD_ID,
                                 xmlDocGetRootElement(doc)) == NULL ||
        signature_first(xmlDocGetRootElement(doc)) != 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "could not sign the metadata");
        goto cleanup;
    }
    xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
    if (mem == NULL) {
        rc = idm_err_set(err, IDM_EINTERNAL, "could not sign the metadata");
        goto cleanup;
    }
    *out = idm_xstrndup((const char *)mem, (size_t)size);
cleanup:
    xmlFree(mem);
    xmlFreeDoc(doc);
    g_free(text);
    return rc;
}

int saml_metadata_signed(char **out, saml_idp *idp, idm_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int64_t valid =
        (int64_t)saml_conf_get(idp->conf)->metadata_valid_days * 86400;
    int rc = 0;

    *out = NULL;
    pthread_mutex_lock(&idp->meta_lock);
    /* re-sign once a day, so validUntil always lies days ahead */
    if (idp->metadata == NULL || now - idp->metadata_made > 86400 ||
        now < idp->metadata_made) {
        char *doc = NULL;
        rc = sign_metadata(&doc, idp, now + valid, err);
        if (rc == 0) {
            free(idp->metadata);
            idp->metadata = doc;
            idp->metadata_made = now;
        }
    }
    if (rc == 0) {
        *out = idm_xstrdup(idp->metadata);
    }
    pthread_mutex_unlock(&idp->meta_lock);
    return rc;
}
