/* SPDX-License-Identifier: EUPL-1.2
 * Reading an export: delimiter detection, RFC 4180 parsing with libcsv
 * (line by line, so every record knows its first line), header and profile
 * matching, and validation of every row (with line and column).
 */
#include <csv.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/user.h"
#include "import_int.h"

/* Messages come from the German/English table in import_msg.c; the unit
 * test unit.import_msg checks that both texts of each entry take the same
 * conversions, which the compiler cannot see through the table. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* One record as libcsv hands it over. */
typedef struct reader {
    sip_import *imp;
    GString *rec;     /* the record's cells, each NUL-terminated */
    GArray *offs;     /* size_t: where each cell starts in rec */
    GPtrArray *cells; /* char * into rec, set when the record is complete */
    int too_long;     /* first column (1-based) of a cell longer than
                         SIP_IMPORT_CELL_MAX, 0 if none */
    int line;         /* physical line being fed */
    int record_line;  /* first line of the current record */
    /* header state */
    char **header; /* normalised, NULL until seen */
    char **header_raw;
    size_t ncols;
    int map[IMPORT_F__COUNT];
    const import_bad_seq *bad;
    size_t nbad, bad_pos;
    int fatal; /* a file-level error is in err */
    idm_err *err;
    /* Names and dates repeat (Müller, Anna, 01.08.2016): each distinct
     * cell is normalised once. Raw cell -> chunk string, or bad_value. */
    GHashTable *names, *dates;
} reader;

static char bad_value[] = ""; /* never written */

static int is_blank_space(unsigned char c)
{
    return c == ' '; /* never the TAB delimiter */
}

static void on_cell(void *s, size_t len, void *data)
{
    reader *r = data;
    size_t off = r->rec->len;

    if (len > SIP_IMPORT_CELL_MAX) {
        /* Refused, not cut: a cut may split a UTF-8 character, and the
         * checks behind would read past the cell's end. The cell is kept
         * empty and the row (or the header) reports where it was. */
        if (r->too_long == 0) {
            r->too_long = (int)r->offs->len + 1;
        }
        len = 0;
    }
    /* a cell may hold a NUL byte (decoded as U+FFFD, but be safe): the
     * C string ends there, as g_strndup would have it */
    if (s != NULL) {
        const char *nul = memchr(s, '\0', len);
        g_string_append_len(
            r->rec, s, (gssize)(nul != NULL ? (size_t)(nul - (char *)s) : len));
    }
    g_string_append_c(r->rec, '\0');
    g_array_append_val(r->offs, off);
}

/* The record is complete: point the cells into its buffer. */
static void record_cells(reader *r)
{
    g_ptr_array_set_size(r->cells, 0);
    for (guint i = 0; i < r->offs->len; i++) {
        g_ptr_array_add(r->cells,
                        r->rec->str + g_array_index(r->offs, size_t, i));
    }
}

static void record_reset(reader *r)
{
    g_string_truncate(r->rec, 0);
    g_array_set_size(r->offs, 0);
    g_ptr_array_set_size(r->cells, 0);
    r->too_long = 0;
}

static char detect_delimiter(const char *text, size_t len)
{
    size_t semi = 0, comma = 0, tab = 0;
    int quoted = 0, seen = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && (c == '\n' || c == '\r')) {
            if (seen) {
                break; /* end of the first non-blank line */
            }
        } else if (!quoted) {
            seen |= c != ' ';
            semi += c == ';';
            comma += c == ',';
            tab += c == '\t';
        }
    }
    if (tab > semi && tab > comma) {
        return '\t';
    }
    if (comma > semi) {
        return ',';
    }
    return ';';
}

/* Trim ASCII and Unicode white space (NBSP too) in place; return s. */
static char *trim(char *s)
{
    char *start = s, *end;
    size_t n;

    /* most cells start and end with a printable ASCII character */
    if ((unsigned char)s[0] > ' ' && (unsigned char)s[0] < 0x7F) {
        n = strlen(s);
        if ((unsigned char)s[n - 1] > ' ' && (unsigned char)s[n - 1] < 0x7F) {
            return s;
        }
    }
    while (*start != '\0' && g_unichar_isspace(g_utf8_get_char(start))) {
        start = g_utf8_next_char(start);
    }
    end = start + strlen(start);
    while (end > start) {
        char *prev = g_utf8_find_prev_char(start, end);
        if (prev == NULL || !g_unichar_isspace(g_utf8_get_char(prev))) {
            break;
        }
        end = prev;
    }
    memmove(s, start, (size_t)(end - start));
    s[end - start] = '\0';
    return s;
}

static int valid_school(const char *s)
{
    size_t n = strlen(s);
    return (n == 5 || n == 6) && idm_digits(s, n);
}

/* 1: only printable ASCII, at most max bytes (s not empty); 0: a control
 * character, or too long; -1: not ASCII (check per character). */
static int ascii_printable(const char *s, size_t max)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            return -1;
        }
        if (c < 0x20 || c == 0x7F || i >= max) {
            return 0;
        }
    }
    return i > 0;
}

static int valid_key(const char *s)
{
    glong n;
    int a = ascii_printable(s, 128);

    if (a >= 0) {
        return a;
    }
    if (!g_utf8_validate(s, -1, NULL)) {
        return 0;
    }
    n = g_utf8_strlen(s, -1);
    if (n < 1 || n > 128) {
        return 0;
    }
    for (const char *p = s; *p != '\0'; p += g_utf8_skip[*(const guchar *)p]) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || c == 0xFFFD) {
            return 0;
        }
    }
    return 1;
}

/* Class names as written: "7a", "10/2", "BF-Kfz 1". */
static int valid_class(const char *s)
{
    glong n;
    int a = ascii_printable(s, 64);

    if (a == 0) {
        return 0;
    }
    if (a == 1) {
        if (!g_ascii_isalnum(s[0])) {
            return 0;
        }
        for (const char *p = s; *p != '\0'; p++) {
            if (!g_ascii_isalnum(*p) && *p != ' ' && *p != '/' && *p != '-' &&
                *p != '.' && *p != '_') {
                return 0;
            }
        }
        return 1;
    }
    if (!g_utf8_validate(s, -1, NULL)) {
        return 0;
    }
    n = g_utf8_strlen(s, -1);
    if (n < 1 || n > 64 || !g_unichar_isalnum(g_utf8_get_char(s))) {
        return 0;
    }
    for (const char *p = s; *p != '\0'; p += g_utf8_skip[*(const guchar *)p]) {
        gunichar c = g_utf8_get_char(p);
        if (!g_unichar_isalnum(c) && c != ' ' && c != '/' && c != '-' &&
            c != '.' && c != '_') {
            return 0;
        }
    }
    return 1;
}

static void row_error_at(sip_import *imp, import_row *row, int line, int column,
                         import_msg id, ...)
{
    va_list ap;

    va_start(ap, id);
    sip_import__row_verror(imp, row, line, column, NULL, id, ap);
    va_end(ap);
}

static const char *col_name(const reader *r, import_field f)
{
    return r->map[f] >= 0 ? r->header_raw[r->map[f]]
                          : sip_import__field_name(f);
}

static int col_no(const reader *r, import_field f)
{
    return r->map[f] >= 0 ? r->map[f] + 1 : 0;
}

/* The value of field f: the cell (trimmed), else the fixed value. */
static char *field_value(reader *r, import_field f)
{
    const import_profile *p = r->imp->profile;
    int c = r->map[f];
    char *v = NULL;

    if (c >= 0 && (size_t)c < r->cells->len) {
        v = trim(g_ptr_array_index(r->cells, (guint)c));
    }
    if ((v == NULL || v[0] == '\0') && p->fixed[f] != NULL) {
        v = p->fixed[f];
    }
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static int set_header(reader *r)
{
    sip_import *imp = r->imp;
    const sip_import_lang lang = imp->opts.lang;
    size_t n = r->cells->len;
    import_field missing = IMPORT_F_KEY;
    int rc;

    while (n > 0 && ((char *)g_ptr_array_index(r->cells, n - 1))[0] == '\0') {
        n--; /* trailing delimiter */
    }
    if (n > SIP_IMPORT_COLUMNS_MAX) {
        n = SIP_IMPORT_COLUMNS_MAX;
    }
    r->ncols = n;
    r->header = idm_xcalloc(n + 1, sizeof(char *));
    r->header_raw = idm_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        char *raw = g_ptr_array_index(r->cells, (guint)i);
        r->header[i] = sip_import__norm_header(raw);
        r->header_raw[i] = g_strdup(trim(raw));
    }
    if (imp->opts.profile != NULL) {
        rc = sip_import__profile_load(&imp->profile, imp->opts.profile, r->err);
        if (rc != 0) {
            return rc;
        }
    } else {
        /* Recognise: the profiles whose required columns are all there;
         * if none, the one whose key column is there names what lacks. */
        import_profile *found = NULL, *keyed = NULL;
        const char *const *names = sip_import_profile_names();
        GString *matches = g_string_new(NULL);
        int nmatch = 0;

        for (size_t i = 0; names[i] != NULL; i++) {
            import_profile *p = NULL;
            int map[IMPORT_F__COUNT];
            import_field miss;
            rc = sip_import__profile_load(&p, names[i], r->err);
            if (rc != 0) {
                g_string_free(matches, TRUE);
                sip_import__profile_free(found);
                sip_import__profile_free(keyed);
                return rc;
            }
            if (sip_import__profile_match(p, r->header, r->ncols, map, &miss)) {
                g_string_append_printf(matches, "%s%s", nmatch ? ", " : "",
                                       p->name);
                nmatch++;
                sip_import__profile_free(found);
                found = p;
            } else if (map[IMPORT_F_KEY] >= 0 && keyed == NULL) {
                keyed = p;
            } else {
                sip_import__profile_free(p);
            }
        }
        if (nmatch > 1) {
            rc = idm_err_set(r->err, IDM_EINVAL,
                             sip_import__msg(lang, M_FILE_AMBIGUOUS_PROFILE),
                             imp->name, matches->str);
        } else if (nmatch == 0 && keyed == NULL) {
            rc = idm_err_set(r->err, IDM_EINVAL,
                             sip_import__msg(lang, M_FILE_NO_PROFILE),
                             imp->name);
        } else {
            /* the other one (a profile that only shares the key column)
             * is freed below */
            if (found != NULL) {
                imp->profile = found;
                found = NULL;
            } else {
                imp->profile = keyed;
                keyed = NULL;
            }
            rc = 0;
        }
        g_string_free(matches, TRUE);
        sip_import__profile_free(found);
        sip_import__profile_free(keyed);
        if (rc != 0) {
            return rc;
        }
    }
    if (!sip_import__profile_match(imp->profile, r->header, r->ncols, r->map,
                                   &missing)) {
        const import_profile *p = imp->profile;
        /* name the column as the profile spells it (first alternative) */
        return idm_err_set(r->err, IDM_EINVAL,
                           sip_import__msg(lang, M_FILE_MISSING_COLUMN),
                           imp->name,
                           p->label[missing] != NULL && p->label[missing][0]
                               ? p->label[missing]
                               : sip_import__field_name(missing),
                           p->name);
    }
    return 0;
}

/* A name normalised (NFC, checked) in the chunk, or bad_value. */
static const char *norm_name(reader *r, const char *v)
{
    char *res = g_hash_table_lookup(r->names, v), *norm = NULL;

    if (res != NULL) {
        return res;
    }
    if (idm_name_normalize(&norm, "name", v, NULL) != 0 ||
        strstr(norm, "\xEF\xBF\xBD") != NULL) {
        res = bad_value;
    } else {
        res = g_string_chunk_insert(r->imp->chunk, norm);
    }
    g_free(norm);
    g_hash_table_insert(r->names, g_strdup(v), res);
    return res;
}

/* A date as YYYY-MM-DD in the chunk, or bad_value. */
static const char *norm_date(reader *r, const char *v)
{
    char *res = g_hash_table_lookup(r->dates, v);
    char iso[11];

    if (res != NULL) {
        return res;
    }
    res = idm_date_parse(iso, "birth", v, NULL) == 0
              ? g_string_chunk_insert(r->imp->chunk, iso)
              : bad_value;
    g_hash_table_insert(r->dates, g_strdup(v), res);
    return res;
}

/* Validate one data record into a row. */
static void add_record(reader *r)
{
    sip_import *imp = r->imp;
    import_row *row;
    size_t n = r->cells->len;
    char *v;
    int bad_seen = 0;

    row = sip_import__add_row(imp);
    row->line = r->record_line;
    row->action = SIP_IMPORT_UNCHANGED;
    /* the key first: error rows with a key keep their person */
    v = field_value(r, IMPORT_F_KEY);
    if (v != NULL && valid_key(v)) {
        row->v[IMPORT_F_KEY] = sip_import__str(imp, v);
    }
    v = field_value(r, IMPORT_F_SCHOOL);
    if (v != NULL) {
        row->v[IMPORT_F_SCHOOL] = sip_import__str(imp, v);
    }
    /* invalid sequences in this record's lines: the first one counts */
    while (r->bad_pos < r->nbad && r->bad[r->bad_pos].line <= r->line) {
        const import_bad_seq *b = &r->bad[r->bad_pos++];
        if (b->line >= r->record_line && !bad_seen) {
            bad_seen = 1;
            row_error_at(imp, row, b->line, b->column, M_ROW_BAD_ENCODING,
                         sip_import__enc_name(imp->enc));
        }
    }
    if (r->too_long > 0) {
        sip_import__row_error(imp, row, r->too_long,
                              (size_t)r->too_long <= r->ncols
                                  ? r->header_raw[r->too_long - 1]
                                  : NULL,
                              M_ROW_CELL_TOO_LONG, SIP_IMPORT_CELL_MAX);
    }
    while (n > r->ncols &&
           ((char *)g_ptr_array_index(r->cells, (guint)n - 1))[0] == '\0') {
        n--;
    }
    if (n > r->ncols) {
        sip_import__row_error(imp, row, (int)r->ncols + 1, NULL,
                              M_ROW_TOO_MANY_CELLS, n, r->ncols);
    }
    for (int f = 0; f < IMPORT_F__COUNT; f++) {
        import_field fld = (import_field)f;
        v = field_value(r, fld);
        if (v == NULL) {
            int need =
                imp->profile->required[f] ||
                (f == IMPORT_F_CLASS &&
                 imp->profile->kind == IMPORT_KIND_PUPIL && r->map[f] >= 0);
            if (need) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_MISSING_VALUE);
            }
            continue;
        }
        switch (fld) {
        case IMPORT_F_SCHOOL:
            if (!valid_school(v)) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_BAD_SCHOOL, v);
            } else if (!g_hash_table_contains(imp->scope, v)) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_OUT_OF_SCOPE, v);
            }
            break;
        case IMPORT_F_KEY:
            if (!valid_key(v)) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_BAD_KEY, v);
            }
            break;
        case IMPORT_F_FAMILY:
        case IMPORT_F_GIVEN: {
            const char *name = norm_name(r, v);
            if (name == bad_value) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_BAD_NAME);
            } else {
                row->v[f] = name;
            }
            break;
        }
        case IMPORT_F_BIRTH: {
            const char *date = norm_date(r, v);
            if (date == bad_value) {
                row->birth[0] = '\0';
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_BAD_DATE, v);
            } else {
                memcpy(row->birth, date, sizeof(row->birth));
            }
            break;
        }
        case IMPORT_F_CLASS:
            if (!valid_class(v)) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_BAD_CLASS, v);
            } else {
                row->v[f] = sip_import__str(imp, v);
            }
            break;
        case IMPORT_F_ROLE:
            row->role = sip_import__profile_role(imp->profile, v);
            if (row->role == NULL) {
                sip_import__row_error(imp, row, col_no(r, fld),
                                      col_name(r, fld), M_ROW_BAD_ROLE, v);
            }
            row->v[f] = sip_import__str(imp, v);
            break;
        default:
            /* gender, grade, title, subjects: read, not stored */
            row->v[f] = sip_import__str(imp, v);
            break;
        }
    }
    if (row->role == NULL && row->action != SIP_IMPORT_ERROR) {
        row->role = sip_import__profile_role(imp->profile, NULL);
    }
    /* Staff have no class in this model; a class cell is kept for the
     * report only when the profile is for pupils. */
    if (imp->profile->kind == IMPORT_KIND_STAFF) {
        row->v[IMPORT_F_CLASS] = NULL;
    }
    imp->file_rows++;
}

static void on_record(int term, void *data)
{
    reader *r = data;
    int blank = 1;

    (void)term;
    record_cells(r);
    blank = r->too_long == 0; /* a refused cell is not blank */
    for (guint i = 0; i < r->cells->len; i++) {
        const char *c = g_ptr_array_index(r->cells, i);
        blank &= c[0] == '\0' || strspn(c, " \t") == strlen(c);
    }
    if (!blank && !r->fatal) {
        if (r->header == NULL && r->too_long > 0) {
            idm_err_set(
                r->err, IDM_EINVAL,
                sip_import__msg(r->imp->opts.lang, M_FILE_CELL_TOO_LONG),
                r->imp->name, r->record_line, r->too_long, SIP_IMPORT_CELL_MAX);
            r->fatal = 1;
        } else if (r->header == NULL) {
            if (set_header(r) != 0) {
                r->fatal = 1;
            }
        } else {
            add_record(r);
            if (r->imp->file_rows % 4096 == 0) {
                sip_import__progress(r->imp, SIP_IMPORT_PHASE_READ,
                                     r->imp->file_rows, 0);
            }
        }
    }
    record_reset(r);
}

static void csv_reset(struct csv_parser *p, char delim)
{
    csv_free(p);
    csv_init(p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    csv_set_delim(p, (unsigned char)delim);
    csv_set_space_func(p, is_blank_space);
}

/* Duplicate keys are an error for every row holding them. The keys stay
 * in imp->keys for the plan. */
static void mark_duplicates(sip_import *imp)
{
    GHashTable *first =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t i = 0; i < imp->nrows; i++) {
        const char *k = imp->rows[i].v[IMPORT_F_KEY];
        gpointer prev;
        if (k == NULL) {
            continue;
        }
        prev = g_hash_table_lookup(first, k);
        if (prev == NULL) {
            g_hash_table_insert(first, g_strdup(k), GSIZE_TO_POINTER(i + 1));
        } else {
            /* mark in a second pass, once all lines are known */
            imp->rows[i].changes |= 0x80000000u;
            imp->rows[GPOINTER_TO_SIZE(prev) - 1].changes |= 0x80000000u;
        }
    }
    for (size_t i = 0; i < imp->nrows; i++) {
        import_row *row = &imp->rows[i];
        GString *ls;
        if (!(row->changes & 0x80000000u)) {
            continue;
        }
        ls = g_string_new(NULL);
        for (size_t j = GPOINTER_TO_SIZE(
                            g_hash_table_lookup(first, row->v[IMPORT_F_KEY])) -
                        1;
             j < imp->nrows; j++) {
            if (imp->rows[j].v[IMPORT_F_KEY] != NULL &&
                strcmp(imp->rows[j].v[IMPORT_F_KEY], row->v[IMPORT_F_KEY]) ==
                    0) {
                g_string_append_printf(ls, "%s%d", ls->len ? ", " : "",
                                       imp->rows[j].line);
            }
        }
        row->changes &= ~0x80000000u;
        if (row->action == SIP_IMPORT_ERROR) {
            /* keep the first error, note the duplicate too */
            row->message = sip_import__printf(
                imp, "%s; %s", row->message,
                sip_import__printf(
                    imp, sip_import__msg(imp->opts.lang, M_ROW_DUPLICATE_KEY),
                    row->v[IMPORT_F_KEY], ls->str));
        } else {
            sip_import__row_error(imp, row, 0, NULL, M_ROW_DUPLICATE_KEY,
                                  row->v[IMPORT_F_KEY], ls->str);
        }
        g_string_free(ls, TRUE);
    }
    if (imp->keys != NULL) {
        g_hash_table_destroy(imp->keys);
    }
    imp->keys = first;
}

int sip_import__parse(sip_import *imp, const char *text, size_t len,
                      const import_bad_seq *bad, size_t nbad, idm_err *err)
{
    struct csv_parser p;
    reader r = {0};
    const char *pos = text, *end = text + len;
    int rc = 0;

    memset(&p, 0, sizeof(p));
    r.imp = imp;
    r.rec = g_string_sized_new(256);
    r.offs = g_array_new(FALSE, FALSE, sizeof(size_t));
    r.cells = g_ptr_array_new();
    r.names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r.dates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    r.bad = bad;
    r.nbad = nbad;
    r.err = err;
    for (int f = 0; f < IMPORT_F__COUNT; f++) {
        r.map[f] = -1;
    }
    imp->delimiter = imp->opts.delimiter != 0 ? imp->opts.delimiter
                                              : detect_delimiter(text, len);
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "cannot set up the CSV parser");
        goto cleanup;
    }
    csv_set_delim(&p, (unsigned char)imp->delimiter);
    csv_set_space_func(&p, is_blank_space);
    r.line = 0;
    while (pos < end && !r.fatal) {
        const char *eol = memchr(pos, '\n', (size_t)(end - pos));
        size_t n = eol != NULL ? (size_t)(eol - pos) + 1 : (size_t)(end - pos);

        r.line++;
        if (p.pstate == 0) {
            r.record_line = r.line; /* no record open: one starts here */
        }
        if (csv_parse(&p, pos, n, on_cell, on_record, &r) != n) {
            /* A malformed record (stray quote): report it, resume on the
             * next line with a fresh parser. */
            if (r.header == NULL) {
                rc = idm_err_set(err, IDM_EINVAL,
                                 sip_import__msg(imp->opts.lang, M_FILE_CSV),
                                 imp->name, r.record_line,
                                 csv_strerror(csv_error(&p)));
                goto cleanup;
            }
            {
                import_row *row = sip_import__add_row(imp);
                row->line = r.record_line;
                sip_import__row_error(imp, row, 0, NULL, M_ROW_CSV,
                                      csv_strerror(csv_error(&p)));
                imp->file_rows++;
            }
            record_reset(&r);
            csv_reset(&p, imp->delimiter);
        }
        pos += n;
    }
    if (!r.fatal) {
        r.line++;
        if (csv_fini(&p, on_cell, on_record, &r) != 0) {
            if (r.header == NULL) {
                rc = idm_err_set(err, IDM_EINVAL,
                                 sip_import__msg(imp->opts.lang, M_FILE_CSV),
                                 imp->name, r.record_line,
                                 csv_strerror(csv_error(&p)));
                goto cleanup;
            }
            import_row *row = sip_import__add_row(imp);
            row->line = r.record_line;
            sip_import__row_error(imp, row, 0, NULL, M_ROW_CSV,
                                  csv_strerror(csv_error(&p)));
            imp->file_rows++;
        }
    }
    if (r.fatal) {
        rc = err != NULL && err->code != 0 ? err->code : IDM_EINVAL;
        goto cleanup;
    }
    if (r.header == NULL) {
        rc = idm_err_set(
            err, IDM_EINVAL,
            sip_import__msg(imp->opts.lang,
                            len == 0 ? M_FILE_EMPTY : M_FILE_NO_HEADER),
            imp->name);
        goto cleanup;
    }
    mark_duplicates(imp);
    sip_import__progress(imp, SIP_IMPORT_PHASE_READ, imp->file_rows,
                         imp->file_rows);
cleanup:
    csv_free(&p);
    g_string_free(r.rec, TRUE);
    g_array_free(r.offs, TRUE);
    g_ptr_array_free(r.cells, TRUE);
    g_hash_table_destroy(r.names);
    g_hash_table_destroy(r.dates);
    g_strfreev(r.header);
    g_strfreev(r.header_raw);
    return rc;
}
