/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: the application/x-www-form-urlencoded parser of POST bodies
 * and Redirect queries (web_form_raw, web_form_get) and the %-decoder
 * and encoder behind it (web_url_decode, web_url_encode). Besides
 * crashes and sanitizer reports it checks their promises: a field found
 * once decodes to what form_raw points at, a decoded value has no NUL,
 * and encode then decode gives the value back.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "web_int.h"

static const char *const names[] = {
    "SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature",
    "login",       "password",     "csrf",       "p",      ""};

static void roundtrip(const char *value)
{
    char *enc = web_url_encode(value);
    char *dec = web_url_decode(enc, strlen(enc));

    if (dec == NULL || strcmp(dec, value) != 0 ||
        strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-_.~%") != strlen(enc)) {
        abort();
    }
    free(dec);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *form = (const char *)data;
    char *copy, *all;

    if (size > 300 * 1024) {
        return 0;
    }
    /* bodies come with a length and need not end in NUL: use the bytes as
     * they are, so that ASan sees any read past the end */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *raw = NULL;
        size_t raw_len = 0;
        int found = web_form_raw(form, size, names[i], &raw, &raw_len);
        char *v = web_form_get(form, size, names[i]);

        if (found < -1 || found > 1 || (found != 1 && v != NULL) ||
            (found == 1 && (raw < form || raw + raw_len > form + size ||
                            memchr(raw, '&', raw_len) != NULL))) {
            abort();
        }
        if (v != NULL) {
            char *d = web_url_decode(raw, raw_len);
            if (d == NULL || strcmp(d, v) != 0) {
                abort();
            }
            free(d);
            roundtrip(v);
            free(v);
        }
    }
    /* the whole input as one value */
    all = web_url_decode(form, size);
    if (all != NULL) {
        if (strlen(all) > size) {
            abort();
        }
        roundtrip(all);
        free(all);
    }
    /* and as a C string (the encoder's input) */
    copy = malloc(size + 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    copy[size] = '\0';
    roundtrip(copy);
    free(copy);
    return 0;
}
