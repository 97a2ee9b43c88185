/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: the Cookie header parser (web_cookie_get) with the names
 * idmd reads (browser and session cookies, plain and __Host- prefixed).
 * Besides crashes and sanitizer reports it checks the parser's promise:
 * a value is 1 to 128 bytes, without ';', and occurs in the header right
 * after "name=".
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "web_int.h"

static const char *const names[] = {"idm_s",        "idm_b",    "__Host-idm_s",
                                    "__Host-idm_b", "idm_csrf", "x"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header;

    if (size > 64 * 1024) {
        return 0;
    }
    /* libmicrohttpd hands the header over as a C string */
    header = malloc(size + 1);
    if (header == NULL) {
        return 0;
    }
    memcpy(header, data, size);
    header[size] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *v = web_cookie_get(header, names[i]);
        if (v != NULL) {
            size_t n = strlen(v);
            char *pair = idm_xasprintf("%s=%s", names[i], v);
            if (n == 0 || n > 128 || strchr(v, ';') != NULL ||
                strstr(header, pair) == NULL) {
                abort();
            }
            free(pair);
            free(v);
        }
    }
    free(header);
    return 0;
}
