/* SPDX-License-Identifier: EUPL-1.2
 * RFC 4514 escaping of DN attribute values, RFC 4515 escaping of filter
 * assertion values, and DN normalisation for comparisons.
 */
#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <ldap.h>

#include "lsync/escape.h"

char *lsync_dn_escape_value(const char *value)
{
    GString *s = g_string_sized_new(strlen(value) + 8);
    size_t len = strlen(value);

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        /* RFC 4514 section 2.4: these are always escaped ... */
        if (c == '"' || c == '+' || c == ',' || c == ';' || c == '<' ||
            c == '>' || c == '\\') {
            g_string_append_c(s, '\\');
            g_string_append_c(s, (char)c);
        } else if ((i == 0 && (c == ' ' || c == '#')) ||
                   (i == len - 1 && c == ' ')) {
            /* ... and a leading space or '#' and a trailing space */
            g_string_append_c(s, '\\');
            g_string_append_c(s, (char)c);
        } else {
            g_string_append_c(s, (char)c);
        }
    }
    return g_string_free(s, FALSE);
}

char *lsync_filter_escape_value(const char *value)
{
    struct berval in, out = {0, NULL};
    char *res;

    if (value == NULL) {
        return NULL;
    }
    in.bv_val = (char *)(uintptr_t)value;
    in.bv_len = strlen(value);
    if (ldap_bv2escaped_filter_value(&in, &out) != 0) {
        /* only on allocation failure; keep the contract "never NULL" */
        g_error("out of memory escaping a filter value");
    }
    res = g_strndup(out.bv_val, out.bv_len);
    ber_memfree(out.bv_val);
    return res;
}

char *lsync_dn_normalize(const char *dn)
{
    LDAPDN parsed = NULL;
    char *str = NULL, *res = NULL;

    if (dn == NULL) {
        return NULL;
    }
    if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS) {
        return NULL;
    }
    if (ldap_dn2str(parsed, &str, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
        str != NULL) {
        res = g_ascii_strdown(str, -1);
    }
    ldap_memfree(str);
    ldap_dnfree(parsed);
    return res;
}
