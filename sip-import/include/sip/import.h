/* SPDX-License-Identifier: EUPL-1.2
 * Bulk import of pupils and staff from SIP-Schule CSV exports: read and
 * validate a whole file, plan it against the database, then apply the plan
 * in one transaction (or stop after the plan: dry run). Leavers are
 * disabled and deleted after a grace period; a mass-leaving guard stops
 * runs that would empty a school.
 */
#ifndef SIP_IMPORT_H
#define SIP_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "idm/audit.h"
#include "base/common.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"

typedef struct sip_import sip_import;

/** Language of row messages, refusals and labels. */
typedef enum sip_import_lang { SIP_IMPORT_DE, SIP_IMPORT_EN } sip_import_lang;

/** Phases reported to the progress callback. */
typedef enum sip_import_phase {
    SIP_IMPORT_PHASE_READ,  /* rows read and validated */
    SIP_IMPORT_PHASE_PLAN,  /* rows planned */
    SIP_IMPORT_PHASE_HASH,  /* initial passwords hashed */
    SIP_IMPORT_PHASE_WRITE, /* rows written */
    SIP_IMPORT_PHASE__COUNT
} sip_import_phase;

/** Called now and then; total is 0 while unknown. Must not call back. */
typedef void (*sip_import_progress_fn)(void *data, sip_import_phase phase,
                                       size_t done, size_t total);

typedef struct sip_import_opts {
    const char *source;              /* external key source; NULL = "sip" */
    const char *const *schools;      /* scope: school numbers */
    size_t nschools;                 /* at least one */
    const char *profile;             /* shipped name or file; NULL = guess */
    const char *encoding;            /* NULL = detect (see README) */
    char delimiter;                  /* 0 = detect from the header line */
    const char *school_year;         /* "2026/27"; NULL = current */
    long max_errors;                 /* rows with errors let through */
    int confirm_leavers;             /* --yes: pass the mass-leaving guard */
    sip_import_lang lang;            /* messages */
    sip_import_progress_fn progress; /* optional */
    void *progress_data;
} sip_import_opts;

#define SIP_IMPORT_OPTS_INIT                                                   \
    {                                                                          \
        NULL, NULL, 0, NULL, NULL, 0, NULL, 0, 0, SIP_IMPORT_DE, NULL, NULL    \
    }

/** What a row (or a person missing from the file) leads to. */
typedef enum sip_import_action {
    SIP_IMPORT_NEW,
    SIP_IMPORT_UPDATED,      /* names, birth date or role */
    SIP_IMPORT_MOVED_CLASS,  /* same school, other class */
    SIP_IMPORT_MOVED_SCHOOL, /* same source, other school */
    SIP_IMPORT_UNCHANGED,
    SIP_IMPORT_LEAVING,     /* missing from the file: disabled now */
    SIP_IMPORT_REACTIVATED, /* back within the grace period */
    SIP_IMPORT_DELETED,     /* left longer ago than the grace period */
    SIP_IMPORT_ERROR,
    SIP_IMPORT_ACTION__COUNT
} sip_import_action;

typedef struct sip_import_summary {
    size_t rows; /* data rows read */
    size_t count[SIP_IMPORT_ACTION__COUNT];
    size_t changes; /* everything but unchanged and errors */
    int planned;    /* the plan was computed */
    int applied;    /* the plan was committed */
    char profile[64];
    char encoding[16];
    char delimiter; /* as detected or given */
} sip_import_summary;

/** One line of the report (borrowed from the import; no passwords). */
typedef struct sip_import_row_info {
    int line; /* 0 for persons missing from the file */
    sip_import_action action;
    const char *school;
    const char *key;
    const char *login; /* NULL until known */
    const char *family_name;
    const char *given_name;
    const char *class_name; /* or NULL */
    const char *role;
    const char *result;  /* planned, ok, error, skipped, refused */
    const char *message; /* what changes, or the error; "" if none */
} sip_import_row_info;

/**
 * Read and validate a whole file: decoding, CSV, profile and header, every
 * row. Row errors are kept with the rows (see sip_import_row); only errors
 * that make the whole file unusable are returned.
 * @param[out] out  new import; free with sip_import_free(). NULL on error.
 * @return 0, IDM_EIO (unreadable), IDM_EINVAL (no header, unknown or
 *         ambiguous profile, missing column: msg names it).
 */
IDM_MUST_CHECK int sip_import_read(sip_import **out, const char *path,
                                   const sip_import_opts *opts, idm_err *err);

/** Same, from a buffer; name is used in messages. */
IDM_MUST_CHECK int sip_import_read_data(sip_import **out, const char *data,
                                        size_t len, const char *name,
                                        const sip_import_opts *opts,
                                        idm_err *err);

/**
 * Plan against the database and, unless dry_run, apply the plan in one
 * transaction: persons, accounts, logins, role assignments, classes,
 * leavers, audit entries and outbox events commit together or not at all.
 * letters_dir (optional) receives one PDF per class with the initial
 * passwords of new persons, written before the commit and removed if it
 * fails; passwords are kept nowhere else.
 * @return 0; IDM_EINVAL (more row errors than max_errors), IDM_EDENIED
 *         (mass-leaving guard, msg names the school), IDM_ENOTFOUND
 *         (unknown school), IDM_EDB/IDM_EUNAVAIL, IDM_EIO (letters).
 *         The plan (summary, rows) is kept even when refused.
 */
IDM_MUST_CHECK int sip_import_run(sip_import *imp, idm_db *db,
                                  const idm_conf *conf, const idm_actor *actor,
                                  int dry_run, const char *letters_dir,
                                  idm_err *err);

void sip_import_summary_get(const sip_import *imp, sip_import_summary *out);

/** Number of report lines: rows of the file plus persons missing from it. */
size_t sip_import_row_count(const sip_import *imp);

/** Report line i (< sip_import_row_count). */
void sip_import_row(const sip_import *imp, size_t i, sip_import_row_info *out);

/**
 * Write the report CSV (UTF-8 with BOM, ';'): line, action, school, key,
 * login, family name, given name, class, role, result, message. Never holds
 * a password. Created with mode 0600.
 */
IDM_MUST_CHECK int sip_import_report_write(const sip_import *imp,
                                           const char *path, idm_err *err);

/** Wall-clock time of one step of reading, planning or applying. */
typedef struct sip_import_timing {
    const char *name; /* static: "read.parse", "plan.query", "hash", ... */
    double seconds;
} sip_import_timing;

/** Number of steps timed so far (reading, then the run). */
size_t sip_import_timing_count(const sip_import *imp);

/** Step i (< sip_import_timing_count), in the order they ran. */
void sip_import_timing_get(const sip_import *imp, size_t i,
                           sip_import_timing *out);

/** Free an import, wiping initial passwords. Accepts NULL. */
void sip_import_free(sip_import *imp);

/** "neu"/"new", ... for an action; never NULL. */
const char *sip_import_action_label(sip_import_action action,
                                    sip_import_lang lang);

/** Stable identifier of an action ("new", "moved_class", ...). */
const char *sip_import_action_name(sip_import_action action);

/** The text of a shipped profile (the custom profile format), or NULL. */
const char *sip_import_profile_text(const char *name);

/** Names of the shipped profiles, NULL-ended. */
const char *const *sip_import_profile_names(void);

/**
 * Hash count initial passwords with params on threads threads (0: one per
 * core); out[i] gets the encoded hash of passwords[i] (free()). Exposed for
 * the benchmark.
 * @return 0 or IDM_EINTERNAL.
 */
IDM_MUST_CHECK int sip_import_hash_all(char **out, const char *const *passwords,
                                       size_t count, uint32_t memory_kib,
                                       uint32_t iterations,
                                       uint32_t parallelism, int threads,
                                       sip_import_progress_fn progress,
                                       void *progress_data, idm_err *err);

#endif /* SIP_IMPORT_H */
