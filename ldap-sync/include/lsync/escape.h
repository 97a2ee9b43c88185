/* SPDX-License-Identifier: EUPL-1.2
 * String escaping for LDAP: attribute values inside DNs (RFC 4514 section
 * 2.4), assertion values inside search filters (RFC 4515 section 3), and
 * DN normalisation for comparisons.
 */
#ifndef LSYNC_ESCAPE_H
#define LSYNC_ESCAPE_H

#include "base/common.h"

/**
 * Escape a value for use as the value of an RDN (RFC 4514 section 2.4):
 * '"', '+', ',', ';', '<', '>' and '\' get a backslash, so do a leading
 * '#' or space and a trailing space; NUL becomes "\00". UTF-8 stays as is.
 * @return new string; free with g_free(). Never NULL.
 */
char *lsync_dn_escape_value(const char *value);

/**
 * Escape an assertion value for a search filter (RFC 4515 section 3:
 * '*', '(', ')', '\' and NUL as \XX), via ldap_bv2escaped_filter_value.
 * @return new string; free with g_free(). NULL only if value is NULL.
 */
char *lsync_filter_escape_value(const char *value);

/**
 * Normalise a DN for comparisons: parsed with ldap_str2dn, printed back in
 * RFC 4514 form and ASCII-lower-cased (every naming attribute we use is
 * case-insensitive).
 * @return new string; free with g_free(). NULL if dn is not a valid DN.
 */
char *lsync_dn_normalize(const char *dn);

#endif /* LSYNC_ESCAPE_H */
