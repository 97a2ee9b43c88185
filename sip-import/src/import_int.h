/* SPDX-License-Identifier: EUPL-1.2
 * Internals of the SIP import, shared by the import_*.c files only: the
 * decoded file, profiles, rows and the plan.
 */
#ifndef SIP_IMPORT_INT_H
#define SIP_IMPORT_INT_H

#include <glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/import.h"

/* Bounds: a cell, a header, a file (memory stays bounded). */
#define SIP_IMPORT_CELL_MAX 4096
#define SIP_IMPORT_COLUMNS_MAX 256
#define SIP_IMPORT_FILE_MAX ((size_t)512 * 1024 * 1024)

/* ---- decoding (import_decode.c) ---- */

typedef enum import_enc {
    IMPORT_ENC_UTF8,
    IMPORT_ENC_UTF16LE,
    IMPORT_ENC_UTF16BE,
    IMPORT_ENC_CP1252,
    IMPORT_ENC_LATIN1,
    IMPORT_ENC_LATIN9,
    IMPORT_ENC__COUNT
} import_enc;

/** A position where the input was not valid in its encoding. */
typedef struct import_bad_seq {
    int line;
    int column; /* character column, 1-based */
} import_bad_seq;

/** "UTF-8", "UTF-16LE", "Windows-1252", ... */
const char *sip_import__enc_name(import_enc enc);
/** Parse a --encoding value (case-insensitive, common aliases). */
int sip_import__enc_parse(import_enc *out, const char *name);

/**
 * Guess the encoding: BOM, else valid UTF-8 (or mostly: a few bad
 * sequences amid UTF-8 ones), else Windows-1252 if bytes 0x80-0x9F occur,
 * else ISO-8859-15 if one of its letters (Š š Ž ž Œ œ Ÿ) appears between
 * letters, else ISO-8859-1.
 */
import_enc sip_import__enc_detect(const unsigned char *data, size_t len);

/**
 * Decode to UTF-8 without BOM. Invalid sequences become U+FFFD and are
 * listed in bad (caller frees with g_free; count in nbad).
 * @param[out] out  NUL-terminated UTF-8; g_free().
 */
int sip_import__decode(char **out, size_t *out_len, import_bad_seq **bad,
                       size_t *nbad, const unsigned char *data, size_t len,
                       import_enc enc);

/* ---- profiles (import_profile.c) ---- */

typedef enum import_field {
    IMPORT_F_SCHOOL,
    IMPORT_F_KEY,
    IMPORT_F_FAMILY,
    IMPORT_F_GIVEN,
    IMPORT_F_GENDER,
    IMPORT_F_BIRTH,
    IMPORT_F_CLASS,
    IMPORT_F_GRADE,
    IMPORT_F_TITLE,
    IMPORT_F_SUBJECTS,
    IMPORT_F_ROLE,
    IMPORT_F__COUNT
} import_field;

typedef enum import_kind { IMPORT_KIND_PUPIL, IMPORT_KIND_STAFF } import_kind;

typedef struct import_profile {
    char *name;
    import_kind kind;
    char **columns[IMPORT_F__COUNT]; /* normalised header names, NULL-ended */
    char *label[IMPORT_F__COUNT];    /* first name as the profile spells it */
    int required[IMPORT_F__COUNT];   /* value must be present */
    char *fixed[IMPORT_F__COUNT];    /* value when column absent or empty */
    GHashTable *roles;               /* normalised value -> role name */
    char *default_role;
} import_profile;

/** Field name as used in profile files ("school", "key", ...). */
const char *sip_import__field_name(import_field f);

/** Normalise a header name: trim, case-fold, ä->ae, ö->oe, ü->ue, ß->ss. */
char *sip_import__norm_header(const char *s);

/** Parse a profile (INI text). @param[out] out  free with ..._free. */
int sip_import__profile_parse(import_profile **out, const char *text,
                              const char *name, idm_err *err);
void sip_import__profile_free(import_profile *p);

/** Load a shipped profile by name, or a file by path. */
int sip_import__profile_load(import_profile **out, const char *name_or_path,
                             idm_err *err);

/**
 * Map header cells to fields. map[f] is the column index or -1.
 * @return 1 if every required field without a fixed value has a column.
 */
int sip_import__profile_match(const import_profile *p, char *const *header,
                              size_t ncols, int map[IMPORT_F__COUNT],
                              import_field *missing);

/** Role for a staff function value (normalised lookup), or NULL. */
const char *sip_import__profile_role(const import_profile *p,
                                     const char *value);

/* ---- messages (import_msg.c) ---- */

typedef enum import_msg {
    M_ROW_BAD_ENCODING,
    M_ROW_TOO_MANY_CELLS,
    M_ROW_MISSING_VALUE,
    M_ROW_BAD_DATE,
    M_ROW_BAD_NAME,
    M_ROW_BAD_CLASS,
    M_ROW_BAD_SCHOOL,
    M_ROW_OUT_OF_SCOPE,
    M_ROW_BAD_KEY,
    M_ROW_DUPLICATE_KEY,
    M_ROW_BAD_ROLE,
    M_ROW_BAD_GENDER,
    M_ROW_BAD_GRADE,
    M_ROW_CSV,
    M_ROW_CELL_TOO_LONG,
    M_FILE_EMPTY,
    M_FILE_NO_HEADER,
    M_FILE_MISSING_COLUMN,
    M_FILE_NO_PROFILE,
    M_FILE_AMBIGUOUS_PROFILE,
    M_FILE_CSV,
    M_FILE_CELL_TOO_LONG,
    M_FILE_TOO_BIG,
    M_RUN_UNKNOWN_SCHOOL,
    M_RUN_TOO_MANY_ERRORS,
    M_RUN_GUARD,
    M_RUN_NO_ROWS,
    M_CH_NAME,
    M_CH_BIRTH,
    M_CH_CLASS,
    M_CH_SCHOOL,
    M_CH_ROLE,
    M_CH_REACTIVATED,
    M_CH_LEAVING,
    M_CH_DELETED,
    M_CH_DISABLED_BY_ADMIN,
    M_AT_LINE,
    M_AT_COLUMN,
    M_AT_CELL,
    M__COUNT
} import_msg;

/** printf format of a message in a language. */
const char *sip_import__msg(sip_import_lang lang, import_msg id);

/* ---- rows and the import ---- */

/* Change bits of a planned row. */
#define IMPORT_CH_NAME 0x01
#define IMPORT_CH_BIRTH 0x02
#define IMPORT_CH_CLASS 0x04
#define IMPORT_CH_SCHOOL 0x08
#define IMPORT_CH_ROLE 0x10
#define IMPORT_CH_REACTIVATE 0x20

typedef struct import_row {
    int line;                       /* first physical line; 0 = not in file */
    const char *v[IMPORT_F__COUNT]; /* normalised values (chunk) or NULL */
    char birth[11];                 /* YYYY-MM-DD or "" */
    const char *role;               /* static role name */
    sip_import_action action;
    unsigned changes;
    const char *login;                  /* chunk, or NULL */
    const char *message;                /* chunk, or NULL */
    const char *old_school, *old_class; /* chunk, for messages */
    char *password;                     /* new persons; wiped on free */
    char *hash;                         /* new persons; free() */
    int64_t person_id;
    char uuid[40];
    int skipped;      /* error row whose key keeps its person from leaving */
    int grant;        /* needs a new role assignment (old ones revoked) */
    const char *base; /* login base of a new person (chunk) */
    const char *from_status; /* account status before (static) */
    int64_t org_id;          /* school of a leaver */
} import_row;

#define IMPORT_TIMINGS_MAX 48

struct sip_import {
    sip_import_opts opts; /* borrowed pointers, see sip_import_read */
    char *source;
    char **schools;    /* copies, NULL-ended */
    GHashTable *scope; /* school number -> its index in schools + 1 */
    GHashTable *keys;  /* external key -> index of its first row + 1 */
    import_profile *profile;
    import_enc enc;
    char delimiter;
    char school_year[8];
    char *name; /* file name for messages */
    GStringChunk *chunk;
    import_row *rows;
    size_t nrows, cap;
    size_t file_rows; /* rows from the file (the rest are leavers) */
    size_t nerrors;
    int planned, applied, refused;
    int stale_stats;     /* planned with nested loops off (guard_stale_stats) */
    int guard_rc;        /* mass-leaving guard or empty school: refuse */
    char guard_msg[512]; /* its message, in the import's language */
    char **letters;      /* files written, NULL-ended, for removal */
    double mark;         /* monotonic seconds at the end of the last step */
    sip_import_timing timings[IMPORT_TIMINGS_MAX];
    size_t ntimings;
};

/** Intern a string in the import's chunk. */
const char *sip_import__str(sip_import *imp, const char *s);
/** Printf into the chunk. */
const char *sip_import__printf(sip_import *imp, const char *fmt, ...)
    IDM_PRINTF(2, 3);
/** Append a row; returns it zeroed (pointer valid until the next add). */
import_row *sip_import__add_row(sip_import *imp);
/**
 * Mark a row as an error with a message in the import's language, prefixed
 * with its line and, if column > 0, the column (and colname if not NULL).
 * Only the first error of a row is kept.
 */
void sip_import__row_error(sip_import *imp, import_row *row, int column,
                           const char *colname, import_msg id, ...);
/** Same at an explicit line, with a va_list. */
void sip_import__row_verror(sip_import *imp, import_row *row, int line,
                            int column, const char *colname, import_msg id,
                            va_list ap);
/** Monotonic clock in seconds. */
double sip_import__now(void);
/** Start timing steps from now. */
void sip_import__time_start(sip_import *imp);
/**
 * Record the time since the last mark as step name (static; a repeated
 * name adds up) and set the mark to now.
 */
void sip_import__time(sip_import *imp, const char *name);

/** Report progress if a callback is set. */
void sip_import__progress(const sip_import *imp, sip_import_phase phase,
                          size_t done, size_t total);

/* ---- reading (import_read.c) ---- */

/** Parse decoded UTF-8 into rows (profile matched, rows validated). */
int sip_import__parse(sip_import *imp, const char *text, size_t len,
                      const import_bad_seq *bad, size_t nbad, idm_err *err);

/* ---- plan and apply (import_plan.c, import_apply.c) ---- */

/** Append a value in COPY text format (NULL as \N). */
void sip_import__copy_text(GString *buf, const char *s);
/** Run "COPY ... FROM STDIN" with data in text format. */
int sip_import__copy(idm_db *db, const char *sql, const GString *data,
                     idm_err *err);
/** How a statement of sip_import__query_joins joins. */
typedef enum import_joins {
    IMPORT_JOIN_MERGE, /* whole tables along their indexes, in order */
    IMPORT_JOIN_PROBE  /* a few rows of big tables, by index lookups */
} import_joins;

/**
 * idm_db_query with hash joins (and for PROBE merge joins) off for this
 * one statement. The planner takes hashing a whole 200,000-row table for
 * a fraction of what it costs, and prefers it to reading the table in
 * index order or to a few thousand index lookups. Every join of such a
 * statement must have an index to use.
 */
int sip_import__query_joins(PGresult **out, idm_db *db, import_joins joins,
                            const char *sql, int nparams,
                            const char *const *params, idm_err *err);
/**
 * Run sql ($1 param1, $2 param2, and person ids in [$3, $4)) in two halves
 * by person id at the same time, on two more connections ([database] of
 * conf, the database of db) in a read-only transaction on db's snapshot,
 * with merge joins as IMPORT_JOIN_MERGE (and nested loops off if
 * stale_stats). If the connections cannot be had or [import]
 * plan_connections is 1, it runs once over db.
 * @param[out] out  the halves' results (out[1] NULL after a fallback);
 *                  PQclear() each.
 */
int sip_import__query_split(PGresult *out[2], idm_db *db, const idm_conf *conf,
                            int stale_stats, const char *sql,
                            const char *param1, const char *param2,
                            idm_err *err);
/** The roles the profile manages, as an SQL array literal (static). */
const char *sip_import__roles_array(const sip_import *imp);
/** The scoped schools as an SQL array literal; g_free(). */
char *sip_import__schools_array(const sip_import *imp);

/** Plan inside the open transaction. */
int sip_import__plan(sip_import *imp, idm_db *db, const idm_conf *conf,
                     idm_err *err);
/** Apply inside the open transaction (after hashing). */
int sip_import__apply(sip_import *imp, idm_db *db, const idm_conf *conf,
                      const idm_actor *actor, idm_err *err);

/**
 * After a committed apply: VACUUM (ANALYZE) the tables it changed by more
 * than a tenth (and 1,000 rows). Errors are ignored (statistics and the
 * visibility map only).
 */
void sip_import__analyze(sip_import *imp, idm_db *db);

/* ---- letters (import_letters.c) ---- */

int sip_import__letters_write(sip_import *imp, const idm_conf *conf,
                              const char *dir, idm_err *err);
/** Remove the letters written (after a failed commit). */
void sip_import__letters_remove(sip_import *imp);

#endif /* SIP_IMPORT_INT_H */
