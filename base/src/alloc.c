/* SPDX-License-Identifier: EUPL-1.2
 * Allocators that never return NULL: running out of memory is fatal.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

static void oom(size_t size)
{
    fprintf(stderr, "<2>level=crit comp=idm event=oom size=%zu\n", size);
    abort();
}

void *idm_xmalloc(size_t size)
{
    void *p = malloc(size == 0 ? 1 : size);

    if (p == NULL) {
        oom(size);
    }
    return p;
}

void *idm_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

    if (p == NULL) {
        oom(n * size);
    }
    return p;
}

void *idm_xreallocarray(void *p, size_t n, size_t size)
{
    void *q;

    if (size != 0 && n > SIZE_MAX / size) {
        oom(SIZE_MAX);
    }
    q = realloc(p, n * size == 0 ? 1 : n * size);
    if (q == NULL) {
        oom(n * size);
    }
    return q;
}

void *idm_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size == 0 ? 1 : size);

    if (q == NULL) {
        oom(size);
    }
    return q;
}

char *idm_xstrdup(const char *s)
{
    size_t len;
    char *p;

    if (s == NULL) {
        return NULL;
    }
    len = strlen(s) + 1;
    p = idm_xmalloc(len);
    memcpy(p, s, len);
    return p;
}

char *idm_xstrndup(const char *s, size_t n)
{
    char *p = idm_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *idm_xvasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    char *s;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        oom(0);
    }
    s = idm_xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *idm_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = idm_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

int idm_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0; /* also stops at the terminating NUL */
        }
    }
    return 1;
}
