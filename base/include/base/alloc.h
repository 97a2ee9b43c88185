/* SPDX-License-Identifier: EUPL-1.2
 * Allocators that never return NULL: running out of memory ends the
 * process with one log line (STYLE.md section 5). Every component uses
 * these; none keeps its own copy.
 */
#ifndef IDM_ALLOC_H
#define IDM_ALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "common.h"

/** malloc/calloc/realloc/strdup that abort with a message when memory runs
 * out; idm_xreallocarray also when n * size overflows. idm_xstrdup(NULL)
 * is NULL. */
void *idm_xmalloc(size_t size);
void *idm_xcalloc(size_t n, size_t size);
void *idm_xrealloc(void *p, size_t size);
void *idm_xreallocarray(void *p, size_t n, size_t size);
char *idm_xstrdup(const char *s);
/** The first n bytes of s (which need not be terminated) as a string. */
char *idm_xstrndup(const char *s, size_t n);
/** A formatted string; free(). */
char *idm_xasprintf(const char *fmt, ...) IDM_PRINTF(1, 2);
char *idm_xvasprintf(const char *fmt, va_list ap) IDM_PRINTF(1, 0);

/** 1 if the first n bytes of s are ASCII digits (no sign, no blanks). */
int idm_digits(const char *s, size_t n);

#endif /* IDM_ALLOC_H */
