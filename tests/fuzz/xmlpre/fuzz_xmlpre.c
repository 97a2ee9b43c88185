/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: the XML pre-parse in front of the tree and Lasso
 * (saml_xml_precheck, saml/decode.h). Besides crashes and sanitizer
 * reports, it checks the pre-parse's promise against libxml2's own tree:
 * whatever passes has at most SAML_XML_MAX_ELEMENTS elements, depth
 * SAML_XML_MAX_DEPTH and SAML_XML_MAX_ATTRS attributes per element, no
 * DTD, and is well-formed. Then the whole message decoder runs on it.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "../fuzz.h"
#include "saml/decode.h"

/* Elements of the tree under n (depth of n is d); aborts past a cap. */
static int walk(const xmlNode *n, int d)
{
    int count = 0;

    for (; n != NULL; n = n->next) {
        int attrs = 0;

        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
            attrs++;
        }
        if (d > SAML_XML_MAX_DEPTH || attrs > SAML_XML_MAX_ATTRS) {
            abort();
        }
        count += 1 + walk(n->children, d + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    idm_err err = IDM_ERR_INIT, err2 = IDM_ERR_INIT;
    const char *xml = (const char *)data;
    xmlDoc *doc;
    saml_msg m;

    if (saml_xml_precheck(xml, size, &err) != 0) {
        if (err.code == 0 || err.msg[0] == '\0') {
            abort(); /* a refusal always says why */
        }
        return 0;
    }
    doc = xmlReadMemory(xml, (int)size, "fuzz.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (doc == NULL || doc->intSubset != NULL || doc->extSubset != NULL ||
        walk(xmlDocGetRootElement(doc), 1) > SAML_XML_MAX_ELEMENTS) {
        abort();
    }
    xmlFreeDoc(doc);
    if (saml_msg_decode_xml(&m, xml, size, NULL, &err2) == 0) {
        saml_msg_clear(&m);
    }
    return 0;
}
