/* SPDX-License-Identifier: EUPL-1.2
 * Small libxml2 tree helpers shared by the decoders, the signer and the
 * metadata readers (SP metadata, federation aggregates).
 */
#include <string.h>

#include <libxml/tree.h>

#include "base/alloc.h"
#include "xml_int.h"

int saml__xml_is(const xmlNode *n, const char *ns, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           strcmp((const char *)n->ns->href, ns) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

char *saml__xml_prop(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    char *s = v != NULL ? idm_xstrdup((const char *)v) : NULL;

    xmlFree(v);
    return s;
}
