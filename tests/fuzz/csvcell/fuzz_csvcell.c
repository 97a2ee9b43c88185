/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: reading a school-software export (idm-core import): the
 * encoding detection and decoding to UTF-8 (sip_import__enc_detect,
 * sip_import__decode) and the whole reader behind sip_import_read_data
 * (delimiter detection, CSV cells, header and profile, validation of
 * every cell), without a database. The first input byte picks the
 * --encoding and --delimiter options, the rest is the file. Besides
 * crashes and sanitizer reports it checks: decoding yields valid UTF-8 of
 * the stated length, every invalid sequence has a line and column, and
 * every row message is valid UTF-8.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz.h"
#include "sip/import.h"
#include "import_int.h"

static const char *const encodings[] = {NULL,          "utf-8",  "utf-16le",
                                        "utf-16be",    "cp1252", "latin1",
                                        "iso-8859-15", NULL};
static const char delimiters[] = {0, ';', ',', '\t'};

static void check_decode(const unsigned char *data, size_t size, import_enc enc)
{
    char *out = NULL;
    size_t len = 0, nbad = 0;
    import_bad_seq *bad = NULL;

    if (sip_import__decode(&out, &len, &bad, &nbad, data, size, enc) == 0) {
        if (out == NULL || strlen(out) > len || out[len] != '\0' ||
            !g_utf8_validate(out, (gssize)len, NULL)) {
            abort();
        }
        for (size_t i = 0; i < nbad; i++) {
            if (bad[i].line < 1 || bad[i].column < 1) {
                abort();
            }
        }
    }
    g_free(out);
    g_free(bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const schools[] = {"75123", "71234"};
    sip_import_opts opts = SIP_IMPORT_OPTS_INIT;
    sip_import *imp = NULL;
    idm_err err = IDM_ERR_INIT;
    unsigned char sel;

    if (size < 1 || size > 256 * 1024) {
        return 0;
    }
    sel = data[0];
    data++;
    size--;
    check_decode(data, size, sip_import__enc_detect(data, size));
    check_decode(data, size, (import_enc)(sel % IMPORT_ENC__COUNT));

    opts.schools = schools;
    opts.nschools = 2;
    opts.encoding = encodings[sel & 7];
    opts.delimiter = delimiters[(sel >> 3) & 3];
    opts.lang = (sel & 0x20) ? SIP_IMPORT_EN : SIP_IMPORT_DE;
    opts.school_year = "2026/27";
    if (sip_import_read_data(&imp, (const char *)data, size, "fuzz.csv", &opts,
                             &err) == 0) {
        size_t n = sip_import_row_count(imp);
        for (size_t i = 0; i < n; i++) {
            sip_import_row_info r;
            sip_import_row(imp, i, &r);
            if (r.message == NULL || !g_utf8_validate(r.message, -1, NULL)) {
                abort();
            }
        }
        sip_import_free(imp);
    } else if (imp != NULL || err.code == 0) {
        abort();
    }
    return 0;
}
