/* SPDX-License-Identifier: EUPL-1.2
 * Helpers shared by idm-core's own files only: aborting allocators and
 * PGresult accessors.
 */
#ifndef IDM_CORE_INT_H
#define IDM_CORE_INT_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "idm/db.h"
#include "idm/err.h"

/** malloc/calloc/realloc/strdup that abort with a message when memory runs
 * out; idm_xreallocarray also when n * size overflows. */
void *idm_xmalloc(size_t size);
void *idm_xcalloc(size_t n, size_t size);
void *idm_xreallocarray(void *p, size_t n, size_t size);
char *idm_xstrdup(const char *s);

/** 1 if the first n bytes of s are ASCII digits (no sign, no blanks). */
int idm__digits(const char *s, size_t n);

/** Copy of a result cell, or NULL if the cell is SQL NULL. */
char *idm_db__strdup(const PGresult *res, int row, int col);
/** Boolean cell ("t"/"f"). */
int idm_db__bool(const PGresult *res, int row, int col);
/** Integer cell; 0 if NULL. */
int64_t idm_db__int(const PGresult *res, int row, int col);

/* Parameter arrays from literal lists. */
#define IDM_DB__PARAMS(...) ((const char *const[]){__VA_ARGS__})
#define IDM_DB__NPARAMS(...)                                                   \
    ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

/** idm_db_query with a literal parameter list. */
#define idm_db__q(out, db, sql, err, ...)                                      \
    idm_db_query((out), (db), (sql), IDM_DB__NPARAMS(__VA_ARGS__),             \
                 IDM_DB__PARAMS(__VA_ARGS__), (err))

/**
 * JSON object text from a jansson pack format ("{s:s, s:s?}"), for audit
 * details and outbox payloads. Never NULL; free().
 */
char *idm_json__pack(const char *fmt, ...);

#endif /* IDM_CORE_INT_H */
