/* SPDX-License-Identifier: EUPL-1.2
 * An LDAP entry as built by the mapping: a DN and attributes with string
 * values (UTF-8). A plain value record; it holds no connection.
 */
#ifndef LSYNC_ENTRY_H
#define LSYNC_ENTRY_H

#include <stddef.h>
#include <stdio.h>

#include "base/common.h"
#include "base/err.h"

/** Largest value the sync writes (a group name, a hash, a DN). */
#define LSYNC_VALUE_MAX 4096

typedef struct lsync_attr {
    char *name;
    char **vals; /* NULL-terminated */
    size_t n;
    size_t cap;
} lsync_attr;

typedef struct lsync_entry {
    char *dn;
    lsync_attr *attrs;
    size_t n;
    size_t cap;
} lsync_entry;

/** New empty entry; free with lsync_entry_free(). Never NULL. */
lsync_entry *lsync_entry_new(const char *dn);

/** Free an entry. Accepts NULL. */
void lsync_entry_free(lsync_entry *entry);

/**
 * Append a value to an attribute (created on first use, names compared
 * ignoring ASCII case). A value already present is not added twice. A NULL
 * or empty value is ignored.
 */
void lsync_entry_add(lsync_entry *entry, const char *attr, const char *value);

/** Append a value without the duplicate check (caller guarantees it). */
void lsync_entry_append(lsync_entry *entry, const char *attr,
                        const char *value);

/** The attribute named attr (ignoring case), borrowed, or NULL. */
const lsync_attr *lsync_entry_get(const lsync_entry *entry, const char *attr);

/** First value of attr, borrowed, or NULL. */
const char *lsync_entry_first(const lsync_entry *entry, const char *attr);

/** Sort every attribute's values (byte order), for comparisons and LDIF. */
void lsync_entry_sort(lsync_entry *entry);

/**
 * Write the entry as LDIF (RFC 2849): values that are not SAFE-STRINGs go
 * base64-encoded, lines are not wrapped. Ends with an empty line.
 * @return 0 or IDM_EIO.
 */
IDM_MUST_CHECK int lsync_entry_write_ldif(FILE *fp, const lsync_entry *entry,
                                          idm_err *err);

/** 1 if value may be written plainly in LDIF (RFC 2849 SAFE-STRING). */
int lsync_ldif_safe(const char *value);

#endif /* LSYNC_ENTRY_H */
