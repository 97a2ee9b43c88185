/* SPDX-License-Identifier: EUPL-1.2
 * JSON text with jansson.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/json.h"

char *idm_json_pack(const char *fmt, ...)
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
        fprintf(stderr, "<2>level=crit comp=idm event=oom size=0\n");
        abort();
    }
    return text;
}
