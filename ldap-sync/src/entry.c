/* SPDX-License-Identifier: EUPL-1.2
 * LDAP entries as value records: building, sorting, LDIF output
 * (RFC 2849, base64 for values that are not SAFE-STRINGs).
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "lsync/entry.h"

lsync_entry *lsync_entry_new(const char *dn)
{
    lsync_entry *e = g_new0(lsync_entry, 1);
    e->dn = g_strdup(dn);
    return e;
}

void lsync_entry_free(lsync_entry *entry)
{
    if (entry == NULL) {
        return;
    }
    for (size_t i = 0; i < entry->n; i++) {
        g_free(entry->attrs[i].name);
        g_strfreev(entry->attrs[i].vals);
    }
    g_free(entry->attrs);
    g_free(entry->dn);
    g_free(entry);
}

static lsync_attr *find_attr(const lsync_entry *e, const char *name)
{
    for (size_t i = 0; i < e->n; i++) {
        if (g_ascii_strcasecmp(e->attrs[i].name, name) == 0) {
            return &e->attrs[i];
        }
    }
    return NULL;
}

static void entry_put(lsync_entry *entry, const char *attr, const char *value,
                      int dedup)
{
    lsync_attr *a;

    if (value == NULL || value[0] == '\0') {
        return;
    }
    a = find_attr(entry, attr);
    if (a == NULL) {
        if (entry->n == entry->cap) {
            entry->cap = entry->cap == 0 ? 16 : entry->cap * 2;
            entry->attrs = g_renew(lsync_attr, entry->attrs, entry->cap);
        }
        a = &entry->attrs[entry->n++];
        a->name = g_strdup(attr);
        a->n = 0;
        a->cap = 4;
        a->vals = g_new0(char *, a->cap + 1);
    }
    for (size_t i = 0; dedup && i < a->n; i++) {
        if (strcmp(a->vals[i], value) == 0) {
            return;
        }
    }
    if (a->n == a->cap) {
        a->cap *= 2;
        a->vals = g_renew(char *, a->vals, a->cap + 1);
    }
    a->vals[a->n++] = g_strdup(value);
    a->vals[a->n] = NULL;
}

void lsync_entry_add(lsync_entry *entry, const char *attr, const char *value)
{
    entry_put(entry, attr, value, 1);
}

void lsync_entry_append(lsync_entry *entry, const char *attr,
                        const char *value)
{
    entry_put(entry, attr, value, 0);
}

const lsync_attr *lsync_entry_get(const lsync_entry *entry, const char *attr)
{
    return find_attr(entry, attr);
}

const char *lsync_entry_first(const lsync_entry *entry, const char *attr)
{
    const lsync_attr *a = find_attr(entry, attr);
    return a != NULL && a->n > 0 ? a->vals[0] : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void lsync_entry_sort(lsync_entry *entry)
{
    for (size_t i = 0; i < entry->n; i++) {
        qsort(entry->attrs[i].vals, entry->attrs[i].n, sizeof(char *),
              cmp_str);
    }
}

int lsync_ldif_safe(const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t len = strlen(value);

    /* RFC 2849: SAFE-INIT-CHAR excludes space, ':' and '<'; SAFE-CHAR is
     * any 7-bit char but NUL, LF and CR. A trailing space is also encoded
     * because many readers strip it. */
    if (len == 0) {
        return 1;
    }
    if (p[0] == ' ' || p[0] == ':' || p[0] == '<' || p[len - 1] == ' ') {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 0x80 || p[i] == '\n' || p[i] == '\r') {
            return 0;
        }
    }
    return 1;
}

static int write_line(FILE *fp, const char *attr, const char *value)
{
    if (lsync_ldif_safe(value)) {
        return fprintf(fp, "%s: %s\n", attr, value) < 0 ? -1 : 0;
    }
    {
        gchar *b64 = g_base64_encode((const guchar *)value, strlen(value));
        int rc = fprintf(fp, "%s:: %s\n", attr, b64) < 0 ? -1 : 0;
        g_free(b64);
        return rc;
    }
}

int lsync_entry_write_ldif(FILE *fp, const lsync_entry *entry, idm_err *err)
{
    if (write_line(fp, "dn", entry->dn) != 0) {
        goto fail;
    }
    for (size_t i = 0; i < entry->n; i++) {
        for (size_t j = 0; j < entry->attrs[i].n; j++) {
            if (write_line(fp, entry->attrs[i].name,
                           entry->attrs[i].vals[j]) != 0) {
                goto fail;
            }
        }
    }
    if (fputc('\n', fp) == EOF) {
        goto fail;
    }
    return 0;
fail:
    return idm_err_set(err, IDM_EIO, "could not write LDIF");
}
