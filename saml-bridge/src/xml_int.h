/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge: the two libxml2 tree helpers (xmlutil.c)
 * of the decoder, the metadata parser and the federation code.
 */
#ifndef SAML_XML_INT_H
#define SAML_XML_INT_H

#include <libxml/tree.h>

/* n is an element named name in namespace ns (n may be NULL); an
 * attribute without namespace as a new string (free()), or NULL. */
int saml__xml_is(const xmlNode *n, const char *ns, const char *name);
char *saml__xml_prop(const xmlNode *n, const char *name);

#endif /* SAML_XML_INT_H */
