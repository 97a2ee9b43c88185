/* SPDX-License-Identifier: EUPL-1.2
 * Encodings of school-software exports: detection (BOM, UTF-8 validity,
 * Windows-1252 / ISO-8859-1 / ISO-8859-15 heuristics) and decoding to UTF-8
 * with the positions of invalid sequences.
 */
#include <glib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "import_int.h"

static const char *const enc_names[IMPORT_ENC__COUNT] = {
    [IMPORT_ENC_UTF8] = "UTF-8",        [IMPORT_ENC_UTF16LE] = "UTF-16LE",
    [IMPORT_ENC_UTF16BE] = "UTF-16BE",  [IMPORT_ENC_CP1252] = "Windows-1252",
    [IMPORT_ENC_LATIN1] = "ISO-8859-1", [IMPORT_ENC_LATIN9] = "ISO-8859-15",
};

static const struct {
    const char *alias;
    import_enc enc;
} enc_aliases[] = {
    {"utf-8", IMPORT_ENC_UTF8},        {"utf8", IMPORT_ENC_UTF8},
    {"utf-16", IMPORT_ENC_UTF16LE},    {"utf-16le", IMPORT_ENC_UTF16LE},
    {"utf-16be", IMPORT_ENC_UTF16BE},  {"windows-1252", IMPORT_ENC_CP1252},
    {"cp1252", IMPORT_ENC_CP1252},     {"win-1252", IMPORT_ENC_CP1252},
    {"iso-8859-1", IMPORT_ENC_LATIN1}, {"latin1", IMPORT_ENC_LATIN1},
    {"latin-1", IMPORT_ENC_LATIN1},    {"iso-8859-15", IMPORT_ENC_LATIN9},
    {"latin9", IMPORT_ENC_LATIN9},     {"latin-9", IMPORT_ENC_LATIN9},
};

/* Windows-1252 0x80-0x9F; 0 = undefined. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

const char *sip_import__enc_name(import_enc enc)
{
    if ((int)enc < 0 || enc >= IMPORT_ENC__COUNT) {
        return "unknown";
    }
    return enc_names[enc];
}

int sip_import__enc_parse(import_enc *out, const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(enc_aliases); i++) {
        if (g_ascii_strcasecmp(name, enc_aliases[i].alias) == 0) {
            *out = enc_aliases[i].enc;
            return 0;
        }
    }
    return IDM_EINVAL;
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    gunichar c;

    if (p[0] < 0x80) {
        return 1;
    }
    c = g_utf8_get_char_validated((const gchar *)p, (gssize)left);
    if (c == (gunichar)-1 || c == (gunichar)-2) {
        return 0;
    }
    return (size_t)g_utf8_skip[p[0]];
}

static int is_latin_letter_byte(unsigned char b)
{
    return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
           (b >= 0xC0 && b != 0xD7 && b != 0xF7);
}

import_enc sip_import__enc_detect(const unsigned char *data, size_t len)
{
    size_t multi = 0, bad = 0, c1 = 0, latin9 = 0;

    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
        return IMPORT_ENC_UTF8;
    }
    if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE) {
        return IMPORT_ENC_UTF16LE;
    }
    if (len >= 2 && data[0] == 0xFE && data[1] == 0xFF) {
        return IMPORT_ENC_UTF16BE;
    }
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(data + i, len - i);
        if (n == 0) {
            bad++;
            i++;
            continue;
        }
        multi += n > 1;
        i += n;
    }
    /* A UTF-8 file with a stray byte is UTF-8 with a bad sequence (a row
     * error), not a single-byte file: real Latin-1 text has next to no
     * valid multi-byte sequences ("Ã¼" pairs). */
    if (bad == 0 || (multi > 0 && multi >= bad)) {
        return IMPORT_ENC_UTF8;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char b = data[i];
        if (b >= 0x80 && b <= 0x9F) {
            c1++;
        }
        /* Š š Ž ž Œ œ Ÿ of ISO-8859-15, inside a word */
        if ((b == 0xA6 || b == 0xA8 || b == 0xB4 || b == 0xB8 || b == 0xBC ||
             b == 0xBD || b == 0xBE) &&
            ((i > 0 && is_latin_letter_byte(data[i - 1])) ||
             (i + 1 < len && is_latin_letter_byte(data[i + 1])))) {
            latin9++;
        }
    }
    if (c1 > 0) {
        return IMPORT_ENC_CP1252; /* C1 controls never occur in text */
    }
    return latin9 > 0 ? IMPORT_ENC_LATIN9 : IMPORT_ENC_LATIN1;
}

static gunichar latin9_char(unsigned char b)
{
    switch (b) {
    case 0xA4:
        return 0x20AC;
    case 0xA6:
        return 0x0160;
    case 0xA8:
        return 0x0161;
    case 0xB4:
        return 0x017D;
    case 0xB8:
        return 0x017E;
    case 0xBC:
        return 0x0152;
    case 0xBD:
        return 0x0153;
    case 0xBE:
        return 0x0178;
    default:
        return b;
    }
}

/* Line/column bookkeeping while decoding. */
typedef struct pos {
    int line, column;
    GArray *bad;
} pos;

static void pos_char(pos *p, gunichar c)
{
    if (c == '\n') {
        p->line++;
        p->column = 1;
    } else {
        p->column++;
    }
}

static void pos_bad(pos *p)
{
    import_bad_seq b = {p->line, p->column};
    g_array_append_val(p->bad, b);
}

static void put(GString *s, pos *p, gunichar c)
{
    g_string_append_unichar(s, c);
    pos_char(p, c);
}

int sip_import__decode(char **out, size_t *out_len, import_bad_seq **bad,
                       size_t *nbad, const unsigned char *data, size_t len,
                       import_enc enc)
{
    GString *s = g_string_sized_new(len + len / 8 + 16);
    pos p = {1, 1, g_array_new(FALSE, FALSE, sizeof(import_bad_seq))};
    size_t i = 0;

    switch (enc) {
    case IMPORT_ENC_UTF8:
        if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
            i = 3;
        }
        while (i < len) {
            size_t n = utf8_seq(data + i, len - i);
            if (n == 0 || (n == 1 && data[i] == 0)) {
                pos_bad(&p);
                put(s, &p, 0xFFFD);
                i++;
            } else if (n == 1) {
                g_string_append_c(s, (char)data[i]);
                pos_char(&p, data[i]);
                i++;
            } else {
                g_string_append_len(s, (const char *)data + i, (gssize)n);
                p.column++;
                i += n;
            }
        }
        break;
    case IMPORT_ENC_UTF16LE:
    case IMPORT_ENC_UTF16BE: {
        int le = enc == IMPORT_ENC_UTF16LE;
        if (len >= 2 && ((le && data[0] == 0xFF && data[1] == 0xFE) ||
                         (!le && data[0] == 0xFE && data[1] == 0xFF))) {
            i = 2;
        }
        while (i + 1 < len) {
            unsigned u = le ? (unsigned)data[i] | (unsigned)data[i + 1] << 8
                            : (unsigned)data[i] << 8 | (unsigned)data[i + 1];
            i += 2;
            if (u >= 0xD800 && u <= 0xDBFF && i + 1 < len) {
                unsigned l = le ? (unsigned)data[i] | (unsigned)data[i + 1] << 8
                                : (unsigned)data[i] << 8 | data[i + 1];
                if (l >= 0xDC00 && l <= 0xDFFF) {
                    i += 2;
                    put(s, &p, 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
                    continue;
                }
            }
            if ((u >= 0xD800 && u <= 0xDFFF) || u == 0) {
                pos_bad(&p);
                put(s, &p, 0xFFFD);
            } else {
                put(s, &p, u);
            }
        }
        if (i < len) { /* odd trailing byte */
            pos_bad(&p);
            put(s, &p, 0xFFFD);
        }
        break;
    }
    case IMPORT_ENC_CP1252:
    case IMPORT_ENC_LATIN1:
    case IMPORT_ENC_LATIN9:
        for (; i < len; i++) {
            unsigned char b = data[i];
            gunichar c = b;
            if (b == 0) {
                pos_bad(&p);
                c = 0xFFFD;
            } else if (enc == IMPORT_ENC_CP1252 && b >= 0x80 && b <= 0x9F) {
                c = cp1252_high[b - 0x80];
                if (c == 0) {
                    pos_bad(&p);
                    c = 0xFFFD;
                }
            } else if (enc == IMPORT_ENC_LATIN9) {
                c = latin9_char(b);
            } else if (b >= 0x80 && b <= 0x9F) {
                pos_bad(&p); /* C1 controls are not text */
                c = 0xFFFD;
            }
            if (c < 0x80) {
                g_string_append_c(s, (char)c);
                pos_char(&p, c);
            } else {
                put(s, &p, c);
            }
        }
        break;
    default:
        g_string_free(s, TRUE);
        g_array_free(p.bad, TRUE);
        return IDM_EINTERNAL;
    }
    *out_len = s->len;
    *out = g_string_free(s, FALSE);
    *nbad = p.bad->len;
    *bad = (import_bad_seq *)(void *)g_array_free(p.bad, FALSE);
    return 0;
}
