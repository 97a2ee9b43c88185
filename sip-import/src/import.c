/* SPDX-License-Identifier: EUPL-1.2
 * The import object: reading a file into rows, the run (plan, guard, hash,
 * apply, letters, commit), the summary and the report lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/err.h"
#include "base/json.h"
#include "idm/password.h"
#include "sip/conf.h"
#include "import_int.h"

/* Messages come from the German/English table in import_msg.c; the unit
 * test unit.import_msg checks that both texts of each entry take the same
 * conversions, which the compiler cannot see through the table. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

const char *sip_import__str(sip_import *imp, const char *s)
{
    return s != NULL ? g_string_chunk_insert(imp->chunk, s) : NULL;
}

const char *sip_import__printf(sip_import *imp, const char *fmt, ...)
{
    va_list ap;
    char *s;
    const char *res;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    res = g_string_chunk_insert(imp->chunk, s);
    g_free(s);
    return res;
}

import_row *sip_import__add_row(sip_import *imp)
{
    import_row *row;

    if (imp->nrows == imp->cap) {
        /* realloc: a big array moves by remapping its pages, not by
         * copying them (a tenth of reading a 200,000-row file) */
        imp->cap = imp->cap != 0 ? imp->cap * 2 : 256;
        imp->rows = idm_xreallocarray(imp->rows, imp->cap, sizeof(*imp->rows));
    }
    row = &imp->rows[imp->nrows++];
    memset(row, 0, sizeof(*row));
    return row;
}

void sip_import__row_verror(sip_import *imp, import_row *row, int line,
                            int column, const char *colname, import_msg id,
                            va_list ap)
{
    const sip_import_lang lang = imp->opts.lang;
    char *text, *at;

    if (row->action == SIP_IMPORT_ERROR) {
        return; /* the first error of a row is the one reported */
    }
    text = g_strdup_vprintf(sip_import__msg(lang, id), ap);
    if (column > 0 && colname != NULL) {
        at = g_strdup_printf(sip_import__msg(lang, M_AT_CELL), line, column,
                             colname);
    } else if (column > 0) {
        at = g_strdup_printf(sip_import__msg(lang, M_AT_COLUMN), line, column);
    } else {
        at = g_strdup_printf(sip_import__msg(lang, M_AT_LINE), line);
    }
    row->message = sip_import__printf(imp, "%s: %s", at, text);
    row->action = SIP_IMPORT_ERROR;
    row->skipped = row->v[IMPORT_F_KEY] != NULL;
    imp->nerrors++;
    g_free(at);
    g_free(text);
}

void sip_import__row_error(sip_import *imp, import_row *row, int column,
                           const char *colname, import_msg id, ...)
{
    va_list ap;

    va_start(ap, id);
    sip_import__row_verror(imp, row, row->line, column, colname, id, ap);
    va_end(ap);
}

double sip_import__now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sip_import__time_start(sip_import *imp)
{
    imp->mark = sip_import__now();
}

static void time_add(sip_import *imp, const char *name, double seconds)
{
    for (size_t i = 0; i < imp->ntimings; i++) {
        if (strcmp(imp->timings[i].name, name) == 0) {
            imp->timings[i].seconds += seconds;
            return;
        }
    }
    if (imp->ntimings < IMPORT_TIMINGS_MAX) {
        imp->timings[imp->ntimings].name = name;
        imp->timings[imp->ntimings++].seconds = seconds;
    }
}

void sip_import__time(sip_import *imp, const char *name)
{
    double t = sip_import__now();

    time_add(imp, name, t - imp->mark);
    imp->mark = t;
}

size_t sip_import_timing_count(const sip_import *imp)
{
    return imp->ntimings;
}

void sip_import_timing_get(const sip_import *imp, size_t i,
                           sip_import_timing *out)
{
    *out = imp->timings[i];
}

void sip_import__progress(const sip_import *imp, sip_import_phase phase,
                          size_t done, size_t total)
{
    if (imp->opts.progress != NULL) {
        imp->opts.progress(imp->opts.progress_data, phase, done, total);
    }
}

/* The school year running today: it starts on 1 August in M-V. */
static void current_school_year(char out[8])
{
    time_t now = time(NULL);
    struct tm tm;
    unsigned y;

    gmtime_r(&now, &tm);
    y = (unsigned)(tm.tm_year + 1900 - (tm.tm_mon < 7 ? 1 : 0)) % 10000;
    snprintf(out, 8, "%04u/%02u", y, (y + 1) % 100);
}

static int check_year(const char *year)
{
    unsigned a, b;

    return strlen(year) == 7 && idm_digits(year, 4) && year[4] == '/' &&
           idm_digits(year + 5, 2) && sscanf(year, "%4u/%2u", &a, &b) == 2 &&
           (a + 1) % 100 == b;
}

int sip_import_read_data(sip_import **out, const char *data, size_t len,
                         const char *name, const sip_import_opts *opts,
                         idm_err *err)
{
    sip_import *imp = idm_xcalloc(1, sizeof(*imp));
    char *text = NULL;
    size_t text_len = 0, nbad = 0;
    import_bad_seq *bad = NULL;
    int rc;

    *out = NULL;
    sip_import__time_start(imp);
    imp->opts = *opts;
    imp->chunk = g_string_chunk_new(1 << 20);
    imp->name = idm_xstrdup(name != NULL ? name : "(input)");
    imp->source = idm_xstrdup(opts->source != NULL ? opts->source : "sip");
    imp->schools = idm_xcalloc(opts->nschools + 1, sizeof(char *));
    imp->scope = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < opts->nschools; i++) {
        imp->schools[i] = idm_xstrdup(opts->schools[i]);
        g_hash_table_insert(imp->scope, imp->schools[i],
                            GSIZE_TO_POINTER(i + 1));
    }
    /* the option pointers are borrowed only during this call */
    imp->opts.schools = NULL;
    imp->opts.profile = NULL;
    imp->opts.encoding = NULL;
    imp->opts.school_year = NULL;
    imp->opts.source = NULL;
    if (opts->nschools == 0) {
        rc = idm_err_set(err, IDM_EINVAL, "school: give at least one --school");
        goto cleanup;
    }
    for (size_t i = 0; i < opts->nschools; i++) {
        size_t n = strlen(opts->schools[i]);
        if ((n != 5 && n != 6) || !idm_digits(opts->schools[i], n)) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "school: \"%s\" is not a school number (5 or 6 "
                             "digits)",
                             opts->schools[i]);
            goto cleanup;
        }
    }
    if (opts->school_year != NULL) {
        if (!check_year(opts->school_year)) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "year: \"%s\" is not a school year like 2026/27",
                             opts->school_year);
            goto cleanup;
        }
        snprintf(imp->school_year, sizeof(imp->school_year), "%s",
                 opts->school_year);
    } else {
        current_school_year(imp->school_year);
    }
    if (opts->delimiter != 0 && opts->delimiter != ';' &&
        opts->delimiter != ',' && opts->delimiter != '\t') {
        rc = idm_err_set(err, IDM_EINVAL,
                         "delimiter: must be ';', ',' or TAB (\\t)");
        goto cleanup;
    }
    if (opts->encoding != NULL) {
        if (sip_import__enc_parse(&imp->enc, opts->encoding) != 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "encoding: \"%s\" is not one of UTF-8, UTF-16, "
                             "UTF-16LE, UTF-16BE, Windows-1252, ISO-8859-1, "
                             "ISO-8859-15",
                             opts->encoding);
            goto cleanup;
        }
    } else {
        imp->enc = sip_import__enc_detect((const unsigned char *)data, len);
    }
    rc = sip_import__decode(&text, &text_len, &bad, &nbad,
                            (const unsigned char *)data, len, imp->enc);
    if (rc != 0) {
        rc = idm_err_set(err, rc, "cannot decode \"%s\"", imp->name);
        goto cleanup;
    }
    sip_import__time(imp, "read.decode");
    if (opts->profile != NULL) {
        /* loaded by the header step; keep the name for it */
        imp->opts.profile = opts->profile;
    }
    rc = sip_import__parse(imp, text, text_len, bad, nbad, err);
    imp->opts.profile = NULL;
    if (rc != 0) {
        goto cleanup;
    }
    sip_import__time(imp, "read.parse");
    *out = imp;
    imp = NULL;
cleanup:
    g_free(text);
    g_free(bad);
    sip_import_free(imp);
    return rc;
}

int sip_import_read(sip_import **out, const char *path,
                    const sip_import_opts *opts, idm_err *err)
{
    struct stat st;
    gchar *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    double t0 = sip_import__now(), loaded;
    int rc;

    *out = NULL;
    if (stat(path, &st) != 0) {
        return idm_err_set(err, IDM_EIO, "cannot read \"%s\": %s", path,
                           strerror(errno));
    }
    if ((size_t)st.st_size > SIP_IMPORT_FILE_MAX) {
        return idm_err_set(err, IDM_EINVAL,
                           sip_import__msg(opts->lang, M_FILE_TOO_BIG), path,
                           SIP_IMPORT_FILE_MAX >> 20);
    }
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        rc = idm_err_set(err, IDM_EIO, "cannot read \"%s\": %s", path,
                         gerr->message);
        g_error_free(gerr);
        return rc;
    }
    loaded = sip_import__now();
    rc = sip_import_read_data(out, data, len, path, opts, err);
    g_free(data);
    if (rc == 0) {
        /* first in the list: it ran first */
        sip_import *imp = *out;
        size_t n = imp->ntimings < IMPORT_TIMINGS_MAX ? imp->ntimings
                                                      : IMPORT_TIMINGS_MAX - 1;
        memmove(&imp->timings[1], &imp->timings[0],
                n * sizeof(imp->timings[0]));
        imp->timings[0].name = "read.file";
        imp->timings[0].seconds = loaded - t0;
        imp->ntimings = n + 1;
    }
    return rc;
}

int sip_import_run(sip_import *imp, idm_db *db, const idm_conf *conf,
                   const idm_actor *actor, int dry_run, const char *letters_dir,
                   idm_err *err)
{
    const sip_import_conf *ic = sip_import_conf_get(conf);
    char **passwords = NULL, **hashes = NULL;
    size_t nnew = 0;
    int rc, tx = 0;

    sip_import__time_start(imp);
    /* The staging tables of a big file exceed the default 8 MB of local
     * buffers and then go through the kernel. The setting only takes
     * before the session's first temporary table; later it fails, which
     * costs nothing but speed, so the result is ignored. */
    if (!idm_db_in_tx(db) &&
        idm_db_exec_script(db, "SET temp_buffers = '256MB'", NULL) != 0) {
        /* too late in this session: slower, not wrong */
    }
    rc = idm_db_begin(db, err);
    if (rc != 0) {
        return rc;
    }
    tx = 1;
    /* Sorts and hashes over the whole file stay in memory (the default
     * 4 MB spills them to disk); for this transaction only. */
    rc = idm_db_exec_script(db, "SET LOCAL work_mem = '64MB'", err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = sip_import__plan(imp, db, conf, err);
    if (rc != 0) {
        goto cleanup;
    }
    imp->planned = 1;
    if (imp->nerrors >
        (size_t)(imp->opts.max_errors < 0 ? 0 : imp->opts.max_errors)) {
        imp->refused = 1;
        rc = idm_err_set(err, IDM_EINVAL,
                         sip_import__msg(imp->opts.lang, M_RUN_TOO_MANY_ERRORS),
                         imp->nerrors, imp->opts.max_errors);
        goto cleanup;
    }
    if (imp->guard_rc != 0) {
        rc = idm_err_set(err, imp->guard_rc, "%s", imp->guard_msg);
        goto cleanup;
    }
    if (dry_run) {
        goto cleanup; /* rolled back below: nothing written */
    }
    /* Initial passwords: random (16 of 57 symbols, ~91 bits) and hashed on
     * every core with the cheap [import] parameters. */
    for (size_t i = 0; i < imp->nrows; i++) {
        nnew += imp->rows[i].action == SIP_IMPORT_NEW;
    }
    if (nnew > 0) {
        size_t j = 0;
        passwords = idm_xcalloc(nnew + 1, sizeof(char *));
        hashes = idm_xcalloc(nnew + 1, sizeof(char *));
        for (size_t i = 0; i < imp->nrows; i++) {
            if (imp->rows[i].action != SIP_IMPORT_NEW) {
                continue;
            }
            rc = idm_password_generate(&imp->rows[i].password, 16, err);
            if (rc != 0) {
                goto cleanup;
            }
            passwords[j++] = imp->rows[i].password;
        }
        sip_import__time(imp, "passwords");
        rc = sip_import_hash_all(
            hashes, (const char *const *)passwords, nnew,
            ic->initial_argon2_memory_kib, ic->initial_argon2_iterations,
            ic->initial_argon2_parallelism, ic->hash_threads,
            imp->opts.progress, imp->opts.progress_data, err);
        if (rc != 0) {
            goto cleanup;
        }
        sip_import__time(imp, "hash");
        j = 0;
        for (size_t i = 0; i < imp->nrows; i++) {
            if (imp->rows[i].action == SIP_IMPORT_NEW) {
                imp->rows[i].hash = hashes[j];
                hashes[j++] = NULL;
            }
        }
    }
    rc = sip_import__apply(imp, db, conf, actor, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (letters_dir != NULL) {
        rc = sip_import__letters_write(imp, conf, letters_dir, err);
        if (rc != 0) {
            goto cleanup;
        }
        sip_import__time(imp, "letters");
    }
    tx = 0;
    rc = idm_db_commit(db, err);
    if (rc != 0) {
        sip_import__letters_remove(imp);
        goto cleanup;
    }
    sip_import__time(imp, "commit");
    imp->applied = 1;
    /* Fresh statistics for the next run (and everyone else): a first big
     * import leaves tables the planner still takes for empty, and the next
     * plan would join 200,000 persons by nested loops. After the commit,
     * so the import holds no lock for it; it changes no data, so a failure
     * only costs speed. */
    sip_import__analyze(imp, db);
    sip_import__time(imp, "analyze");
cleanup:
    if (tx) {
        idm_db_rollback(db);
        sip_import__time(imp, "rollback");
    }
    if (rc != 0 && !imp->applied) {
        imp->refused = 1;
    }
    free(passwords); /* borrowed from the rows */
    for (size_t i = 0; hashes != NULL && i < nnew; i++) {
        free(hashes[i]);
    }
    free(hashes);
    /* nobody needs them any more: the letters hold them */
    for (size_t i = 0; i < imp->nrows; i++) {
        idm_password_free(imp->rows[i].password);
        imp->rows[i].password = NULL;
    }
    return rc;
}

void sip_import_summary_get(const sip_import *imp, sip_import_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->rows = imp->file_rows;
    for (size_t i = 0; i < imp->nrows; i++) {
        out->count[imp->rows[i].action]++;
    }
    for (int a = 0; a < SIP_IMPORT_ACTION__COUNT; a++) {
        if (a != SIP_IMPORT_UNCHANGED && a != SIP_IMPORT_ERROR) {
            out->changes += out->count[a];
        }
    }
    out->planned = imp->planned;
    out->applied = imp->applied;
    snprintf(out->profile, sizeof(out->profile), "%s",
             imp->profile != NULL ? imp->profile->name : "");
    snprintf(out->encoding, sizeof(out->encoding), "%s",
             sip_import__enc_name(imp->enc));
    out->delimiter = imp->delimiter;
}

size_t sip_import_row_count(const sip_import *imp)
{
    return imp->nrows;
}

void sip_import_row(const sip_import *imp, size_t i, sip_import_row_info *out)
{
    const import_row *row = &imp->rows[i];

    memset(out, 0, sizeof(*out));
    out->line = row->line;
    out->action = row->action;
    out->school = row->v[IMPORT_F_SCHOOL];
    out->key = row->v[IMPORT_F_KEY];
    out->login = row->login;
    out->family_name = row->v[IMPORT_F_FAMILY];
    out->given_name = row->v[IMPORT_F_GIVEN];
    out->class_name = row->v[IMPORT_F_CLASS];
    out->role = row->role;
    out->message = row->message != NULL ? row->message : "";
    if (row->action == SIP_IMPORT_ERROR) {
        out->result = "error";
    } else if (imp->applied) {
        out->result = "ok";
    } else if (imp->refused) {
        out->result = "refused";
    } else {
        out->result = "planned";
    }
}

void sip_import_free(sip_import *imp)
{
    if (imp == NULL) {
        return;
    }
    for (size_t i = 0; i < imp->nrows; i++) {
        idm_password_free(imp->rows[i].password);
        free(imp->rows[i].hash);
    }
    free(imp->rows);
    if (imp->chunk != NULL) {
        g_string_chunk_free(imp->chunk);
    }
    for (size_t i = 0; imp->schools != NULL && imp->schools[i] != NULL; i++) {
        free(imp->schools[i]);
    }
    free(imp->schools);
    if (imp->scope != NULL) {
        g_hash_table_destroy(imp->scope);
    }
    if (imp->keys != NULL) {
        g_hash_table_destroy(imp->keys);
    }
    for (size_t i = 0; imp->letters != NULL && imp->letters[i] != NULL; i++) {
        free(imp->letters[i]);
    }
    free(imp->letters);
    sip_import__profile_free(imp->profile);
    free(imp->source);
    free(imp->name);
    free(imp);
}
