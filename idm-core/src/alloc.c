/* SPDX-License-Identifier: EUPL-1.2
 * Allocators that never return NULL: running out of memory is fatal.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

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

int idm__digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0; /* also stops at the terminating NUL */
        }
    }
    return 1;
}

char *idm_json__pack(const char *fmt, ...)
{
    json_error_t jerr;
    json_t *obj;
    char *text;
    va_list ap;

    va_start(ap, fmt);
    obj = json_vpack_ex(&jerr, 0, fmt, ap);
    va_end(ap);
    if (obj == NULL) {
        /* a wrong format string is a programming error */
        fprintf(stderr, "<2>level=crit comp=idm event=json.pack error=%s\n",
                jerr.text);
        abort();
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (text == NULL) {
        oom(0);
    }
    return text;
}
