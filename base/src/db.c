/* SPDX-License-Identifier: EUPL-1.2
 * PostgreSQL connection, parameterised queries with SQLSTATE mapping, and
 * nestable transactions.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/db.h"
#include "base/log.h"

#ifndef IDM_MIGRATIONS_DIR
#define IDM_MIGRATIONS_DIR "/usr/share/idm/migrations"
#endif

static const char *check_conninfo(const char *v)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(v, &errmsg);

    if (opts == NULL) {
        PQfreemem(errmsg);
        return "is not a valid libpq connection string";
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
            PQconninfoFree(opts);
            return "must not hold the password: use password_file";
        }
    }
    PQconninfoFree(opts);
    return NULL;
}

#define OFF(field) offsetof(idm_db_conf, field)

static const idm_conf_key db_keys[] = {
    {.key = "conninfo",
     .type = IDM_CONF_STRING,
     .def = "dbname=idm",
     .min = 0,
     .max = 0,
     .offset = OFF(conninfo),
     .doc = "libpq connection string, without the password",
     .check = check_conninfo},
    {.key = "password_file",
     .type = IDM_CONF_SECRET,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(password),
     .doc = "file holding the database password",
     .check = NULL},
    {.key = "migrations_dir",
     .type = IDM_CONF_PATH,
     .def = IDM_MIGRATIONS_DIR,
     .min = 0,
     .max = 0,
     .offset = OFF(migrations_dir),
     .doc = "directory of the NNNN_*.sql migrations",
     .check = NULL},
    {.key = "connect_timeout",
     .type = IDM_CONF_INT,
     .def = "10",
     .min = 1,
     .max = 300,
     .offset = OFF(connect_timeout),
     .doc = "seconds to wait for the database",
     .check = NULL},
};

const idm_conf_section idm_db_conf_section = {
    .group = "database",
    .keys = db_keys,
    .nkeys = sizeof(db_keys) / sizeof(db_keys[0]),
    .size = sizeof(idm_db_conf),
    .check = NULL,
};

const idm_db_conf *idm_db_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &idm_db_conf_section);
}

/* Statements idm_db_query_prepared may keep per connection; more are
 * run unprepared. */
#define PREPARED_MAX 32

struct idm_db {
    PGconn *conn;
    int depth;                    /* open transaction levels */
    int doomed;                   /* an inner level rolled back */
    char *prepared[PREPARED_MAX]; /* texts; statement i is named "idm_<i>" */
    int nprepared;
    const char *pending_sql; /* sent by idm_db_send_prepared, not yet */
    int pending_nparams;     /* waited for (borrowed from the caller) */
    const char *const *pending_params;
};

static void notice_quiet(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res; /* NOTICEs (e.g. "already exists, skipping") are not errors */
}

int idm_db_open_conninfo(idm_db **out, const char *conninfo,
                         const char *password, int timeout_s, idm_err *err)
{
    const char *keys[5], *vals[5];
    char timeout[16];
    idm_db *db = NULL;
    int n = 0, rc = 0;

    *out = NULL;
    snprintf(timeout, sizeof(timeout), "%d", timeout_s > 0 ? timeout_s : 10);
    keys[n] = "dbname"; /* expanded: conninfo may be a full string */
    vals[n++] = conninfo;
    keys[n] = "connect_timeout";
    vals[n++] = timeout;
    keys[n] = "application_name";
    vals[n++] = "idm";
    if (password != NULL) {
        keys[n] = "password";
        vals[n++] = password;
    }
    keys[n] = NULL;
    vals[n] = NULL;

    db = idm_xcalloc(1, sizeof(*db));
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        const char *why = db->conn != NULL ? PQerrorMessage(db->conn) : "";
        rc = idm_err_set(err, IDM_EUNAVAIL,
                         "could not connect to the "
                         "database");
        idm_err_detail(err, "%.*s", (int)strcspn(why, "\n"), why);
        goto cleanup;
    }
    PQsetNoticeReceiver(db->conn, notice_quiet, NULL);
    /* Fixed session settings: UTC timestamps in ISO form. */
    rc = idm_db_exec_script(db, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'",
                            err);
    if (rc != 0) {
        goto cleanup;
    }
    *out = db;
    db = NULL;
cleanup:
    idm_db_close(db);
    return rc;
}

int idm_db_open(idm_db **out, const idm_conf *conf, idm_err *err)
{
    const idm_db_conf *c = idm_db_conf_get(conf);

    return idm_db_open_conninfo(out, c->conninfo, c->password,
                                c->connect_timeout, err);
}

void idm_db_close(idm_db *db)
{
    if (db == NULL) {
        return;
    }
    if (db->conn != NULL) {
        PQfinish(db->conn); /* the server rolls back an open transaction */
    }
    for (int i = 0; i < db->nprepared; i++) {
        free(db->prepared[i]);
    }
    free(db);
}

PGconn *idm_db_conn(idm_db *db)
{
    return db->conn;
}

/* Translate a failed result into our code; text goes to detail only. */
static int map_error(const PGresult *res, idm_db *db, idm_err *err)
{
    const char *state =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary =
        res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *constraint =
        res != NULL ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    int code = IDM_EDB;

    if (state == NULL) {
        code = PQstatus(db->conn) == CONNECTION_OK ? IDM_EDB : IDM_EUNAVAIL;
    } else if (strcmp(state, "23505") == 0) {
        code = IDM_EEXISTS;
    } else if (strcmp(state, "23503") == 0) {
        code = IDM_ENOTFOUND;
    } else if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0 ||
               strcmp(state, "23502") == 0) {
        code = IDM_EINVAL;
    } else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        code = IDM_ECONFLICT;
    } else if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0) {
        code = IDM_EUNAVAIL;
    }
    idm_err_set(err, code, "%s", idm_strerror(code));
    idm_err_detail(err, "sqlstate=%s", state != NULL ? state : "none");
    if (constraint != NULL) {
        idm_err_detail(err, "constraint=%s", constraint);
    }
    if (primary != NULL) {
        idm_err_detail(err, "%s", primary);
    } else {
        const char *m = PQerrorMessage(db->conn);
        idm_err_detail(err, "%.*s", (int)strcspn(m, "\n"), m);
    }
    return code;
}

/* Hand over or map the result of a statement; takes res. */
static int finish(PGresult **out, idm_db *db, PGresult *res, idm_err *err)
{
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc;

    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = map_error(res, db, err);
        if (db->depth > 0) {
            db->doomed = 1; /* the server aborted the transaction */
        }
        PQclear(res);
        return rc;
    }
    if (out != NULL) {
        *out = res;
    } else {
        PQclear(res);
    }
    return 0;
}

int idm_db_query(PGresult **out, idm_db *db, const char *sql, int nparams,
                 const char *const *params, idm_err *err)
{
    if (out != NULL) {
        *out = NULL;
    }
    return finish(
        out, db,
        PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0), err);
}

/* SQLSTATE 26000: the server no longer knows a statement name (a pooler
 * or DISCARD ALL dropped them). */
static int lost_statement(const PGresult *res)
{
    const char *state =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return state != NULL && strcmp(state, "26000") == 0;
}

/* The index of sql among db's prepared statements, preparing it on first
 * use; -1 if it is to run unprepared (all slots taken). */
static int prepared_index(int *index, idm_db *db, const char *sql, int nparams,
                          idm_err *err)
{
    PGresult *res;
    char name[16];
    int i = 0;

    while (i < db->nprepared && strcmp(db->prepared[i], sql) != 0) {
        i++;
    }
    if (i == db->nprepared && i < PREPARED_MAX) {
        snprintf(name, sizeof(name), "idm_%d", i);
        res = PQprepare(db->conn, name, sql, nparams, NULL);
        if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
            return finish(NULL, db, res, err);
        }
        PQclear(res);
        db->prepared[db->nprepared++] = idm_xstrdup(sql);
    }
    *index = i < PREPARED_MAX ? i : -1;
    return 0;
}

/* Forget every prepared statement (the server lost them). */
static void forget_prepared(idm_db *db)
{
    PQclear(PQexec(db->conn, "DEALLOCATE ALL"));
    for (int j = 0; j < db->nprepared; j++) {
        free(db->prepared[j]);
    }
    db->nprepared = 0;
}

int idm_db_query_prepared(PGresult **out, idm_db *db, const char *sql,
                          int nparams, const char *const *params, idm_err *err)
{
    PGresult *res;
    char name[16];
    int i, rc;

    if (out != NULL) {
        *out = NULL;
    }
    rc = prepared_index(&i, db, sql, nparams, err);
    if (rc != 0 || i < 0) {
        return rc != 0 ? rc : idm_db_query(out, db, sql, nparams, params, err);
    }
    snprintf(name, sizeof(name), "idm_%d", i);
    res = PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0);
    if (lost_statement(res) && db->depth == 0) {
        /* start over: none is known to the server any more, run this one
         * unprepared; the next calls prepare again */
        PQclear(res);
        forget_prepared(db);
        return idm_db_query(out, db, sql, nparams, params, err);
    }
    return finish(out, db, res, err);
}

int idm_db_send_prepared(idm_db *db, const char *sql, int nparams,
                         const char *const *params, idm_err *err)
{
    char name[16];
    int i, ok;
    int rc = prepared_index(&i, db, sql, nparams, err);

    if (rc != 0) {
        return rc;
    }
    snprintf(name, sizeof(name), "idm_%d", i);
    ok = i < 0 ? PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL,
                                   NULL, 0)
               : PQsendQueryPrepared(db->conn, name, nparams, params, NULL,
                                     NULL, 0);
    if (!ok) {
        return finish(NULL, db, NULL, err);
    }
    db->pending_sql = sql;
    db->pending_nparams = nparams;
    db->pending_params = params;
    return 0;
}

int idm_db_wait(PGresult **out, idm_db *db, idm_err *err)
{
    PGresult *res = PQgetResult(db->conn), *more;

    if (out != NULL) {
        *out = NULL;
    }
    /* the statement's result, then NULL: read up to it */
    while ((more = PQgetResult(db->conn)) != NULL) {
        PQclear(more);
    }
    if (lost_statement(res) && db->depth == 0 && db->pending_sql != NULL) {
        /* as idm_db_query_prepared: run it once more, unprepared */
        PQclear(res);
        forget_prepared(db);
        res = PQexecParams(db->conn, db->pending_sql, db->pending_nparams, NULL,
                           db->pending_params, NULL, NULL, 0);
    }
    db->pending_sql = NULL;
    db->pending_params = NULL;
    return finish(out, db, res, err);
}

int idm_db_exec_script(idm_db *db, const char *script, idm_err *err)
{
    PGresult *res = PQexec(db->conn, script);
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = 0;

    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = map_error(res, db, err);
        if (db->depth > 0) {
            db->doomed = 1;
        }
    }
    PQclear(res);
    return rc;
}

/* End the transaction; a failure leaves nothing open on the server. */
static void end_tx(idm_db *db, const char *sql)
{
    PQclear(PQexec(db->conn, sql));
    db->doomed = 0;
}

int idm_db_begin(idm_db *db, idm_err *err)
{
    int rc;

    if (db->depth > 0) {
        db->depth++;
        return 0;
    }
    rc = idm_db_query(NULL, db, "BEGIN", 0, NULL, err);
    if (rc != 0) {
        return rc;
    }
    db->depth = 1;
    db->doomed = 0;
    return 0;
}

int idm_db_commit(idm_db *db, idm_err *err)
{
    int rc;

    if (db->depth <= 0) {
        return idm_err_set(err, IDM_EINTERNAL, "no open transaction");
    }
    if (--db->depth > 0) {
        return db->doomed ? idm_err_set(err, IDM_ECONFLICT,
                                        "transaction was rolled back")
                          : 0;
    }
    if (db->doomed) {
        end_tx(db, "ROLLBACK");
        return idm_err_set(err, IDM_ECONFLICT, "transaction was rolled back");
    }
    rc = idm_db_query(NULL, db, "COMMIT", 0, NULL, err);
    return rc;
}

void idm_db_rollback(idm_db *db)
{
    if (db->depth <= 0) {
        return;
    }
    if (--db->depth > 0) {
        db->doomed = 1;
        return;
    }
    end_tx(db, "ROLLBACK");
}

int idm_db_in_tx(const idm_db *db)
{
    return db->depth > 0;
}

char *idm_db_strdup(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) {
        return NULL;
    }
    return idm_xstrdup(PQgetvalue(res, row, col));
}

int idm_db_bool(const PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

int64_t idm_db_int(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col)) {
        return 0;
    }
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}
