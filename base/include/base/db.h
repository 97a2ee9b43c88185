/* SPDX-License-Identifier: EUPL-1.2
 * PostgreSQL access: one connection per idm_db, parameterised queries only,
 * nestable transactions (only the outermost level talks to the server).
 * An idm_db is not thread-safe; give each thread its own.
 */
#ifndef IDM_DB_H
#define IDM_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "common.h"
#include "conf.h"
#include "err.h"

typedef struct idm_db idm_db;

/** [database] */
typedef struct idm_db_conf {
    char *conninfo;       /* libpq conninfo without password */
    char *password;       /* from password_file, or NULL; wiped on free */
    char *migrations_dir; /* directory of NNNN_*.sql files */
    int connect_timeout;  /* seconds */
} idm_db_conf;

extern const idm_conf_section idm_db_conf_section;

/** The [database] values of conf, borrowed from it. */
const idm_db_conf *idm_db_conf_get(const idm_conf *conf);

/**
 * Connect with [database] settings from conf.
 * @param[out] out  new handle; free with idm_db_close(). NULL on error.
 * @return 0 or IDM_EDB / IDM_EUNAVAIL (server unreachable).
 */
IDM_MUST_CHECK int idm_db_open(idm_db **out, const idm_conf *conf,
                               idm_err *err);

/** Connect with a conninfo string; password may be NULL. */
IDM_MUST_CHECK int idm_db_open_conninfo(idm_db **out, const char *conninfo,
                                        const char *password, int timeout_s,
                                        idm_err *err);

/** Close and free. Rolls back an open transaction. Accepts NULL. */
void idm_db_close(idm_db *db);

/** The libpq connection, borrowed from db. */
PGconn *idm_db_conn(idm_db *db);

/**
 * Run one parameterised statement (text parameters, NULL = SQL NULL).
 * @param[out] out  result for the caller (PQclear), or NULL to discard it.
 * @return 0, or IDM_EEXISTS (unique violation), IDM_EINVAL (bad data or
 *         check violation), IDM_ENOTFOUND (foreign key), IDM_EDB otherwise;
 *         the SQLSTATE and server text go to err->detail.
 */
IDM_MUST_CHECK int idm_db_query(PGresult **out, idm_db *db, const char *sql,
                                int nparams, const char *const *params,
                                idm_err *err);

/**
 * Same as idm_db_query, for statements run on every request: the text is
 * prepared once per connection (PQprepare, parameter types inferred) and
 * executed by name from then on. Up to 32 texts per connection are kept;
 * further ones run unprepared. Only for texts that are constants.
 */
IDM_MUST_CHECK int idm_db_query_prepared(PGresult **out, idm_db *db,
                                         const char *sql, int nparams,
                                         const char *const *params,
                                         idm_err *err);

/**
 * idm_db_query_prepared in two halves, so that the caller can work while
 * the server executes: idm_db_send_prepared() sends the statement and
 * returns at once; idm_db_wait() waits for its result (same result and
 * errors as idm_db_query_prepared). One statement in flight per
 * connection, nothing else on db in between; sql and params must stay
 * valid until idm_db_wait() returns. Every send needs its wait.
 */
IDM_MUST_CHECK int idm_db_send_prepared(idm_db *db, const char *sql,
                                        int nparams, const char *const *params,
                                        idm_err *err);
IDM_MUST_CHECK int idm_db_wait(PGresult **out, idm_db *db, idm_err *err);

/** Run a multi-statement script with the simple protocol (migrations). */
IDM_MUST_CHECK int idm_db_exec_script(idm_db *db, const char *script,
                                      idm_err *err);

/** Begin a transaction, or enter a nested level of the open one. */
IDM_MUST_CHECK int idm_db_begin(idm_db *db, idm_err *err);

/**
 * Leave a level; the outermost level commits. If an inner level rolled
 * back, the outermost commit rolls back instead and returns IDM_ECONFLICT.
 */
IDM_MUST_CHECK int idm_db_commit(idm_db *db, idm_err *err);

/** Roll back: the whole transaction is doomed; the outermost level ends it. */
void idm_db_rollback(idm_db *db);

/** True while a transaction is open. */
int idm_db_in_tx(const idm_db *db);

/** Copy of a result cell (free()), or NULL if the cell is SQL NULL. */
char *idm_db_strdup(const PGresult *res, int row, int col);
/** Boolean cell ("t"/"f"). */
int idm_db_bool(const PGresult *res, int row, int col);
/** Integer cell; 0 if NULL. */
int64_t idm_db_int(const PGresult *res, int row, int col);

/* Parameter arrays from literal lists. */
#define IDM_DB_PARAMS(...) ((const char *const[]){__VA_ARGS__})
#define IDM_DB_NPARAMS(...)                                                    \
    ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

/** idm_db_query with a literal list of at least one parameter. */
#define idm_db_q(out, db, sql, err, ...)                                       \
    idm_db_query((out), (db), (sql), IDM_DB_NPARAMS(__VA_ARGS__),              \
                 IDM_DB_PARAMS(__VA_ARGS__), (err))

#endif /* IDM_DB_H */
