/* SPDX-License-Identifier: EUPL-1.2
 * Schema migrations: read NNNN_name.sql files, compare with schema_version
 * by SHA-256, apply pending ones each in its own transaction under an
 * advisory lock so that two migrators never race.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core_int.h"
#include "idm/migrate.h"

/* pg_advisory_lock key: "idm" in ASCII. */
#define MIGRATE_LOCK "6908525"
#define MIGRATION_MAX_BYTES (4 * 1024 * 1024)

typedef struct mfile {
    int version;
    char *name;
    char *path;
    char *sql;
    char checksum[65];
} mfile;

/*
 * Checksums of texts that an applied migration had for a while and that
 * were undone since: a database that ran such a text ran the same version,
 * and a later migration brings it to the same state. Only for repairs of
 * this kind; a migration is never edited once merged.
 */
static const struct superseded {
    int version;
    const char *checksum;
} superseded[] = {
    /* 0007 as edited by commit 99ed263 (outbox_txid_id_idx); 0016 makes
     * both texts end in the same index */
    {7, "5397ebb1c81599d00e15b0150ff0efa1d4a8e7453ac1465ed61682155b837ccf"},
};

/* 1 if the checksum stored for version is the file's or a superseded text
 * of it. */
static int same_text(int version, const char *file, const char *stored)
{
    if (strcmp(file, stored) == 0) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(superseded) / sizeof(superseded[0]); i++) {
        if (superseded[i].version == version &&
            strcmp(superseded[i].checksum, stored) == 0) {
            return 1;
        }
    }
    return 0;
}

static void sha256_hex(char out[65], const char *data, size_t len)
{
    unsigned char md[32];
    unsigned int mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
}

static gint cmp_mfile(gconstpointer a, gconstpointer b)
{
    return ((const mfile *)a)->version - ((const mfile *)b)->version;
}

static void mfiles_free(GArray *files)
{
    if (files == NULL) {
        return;
    }
    for (guint i = 0; i < files->len; i++) {
        mfile *f = &g_array_index(files, mfile, i);
        free(f->name);
        g_free(f->path);
        g_free(f->sql);
    }
    g_array_free(files, TRUE);
}

/* Read every NNNN_*.sql file of dir, sorted by version. */
static int read_dir(GArray **out, const char *dir, idm_err *err)
{
    GError *gerr = NULL;
    GDir *d = g_dir_open(dir, 0, &gerr);
    GArray *files = g_array_new(FALSE, TRUE, sizeof(mfile));
    const char *name;
    int rc = 0;

    *out = NULL;
    if (d == NULL) {
        rc = idm_err_set(err, IDM_EIO,
                         "cannot open migrations directory \"%s\": %s", dir,
                         gerr->message);
        g_error_free(gerr);
        mfiles_free(files);
        return rc;
    }
    while ((name = g_dir_read_name(d)) != NULL) {
        mfile f = {0};
        gsize len = 0;
        int consumed = 0;

        if (!g_str_has_suffix(name, ".sql")) {
            continue;
        }
        if (sscanf(name, "%4d_%n", &f.version, &consumed) != 1 ||
            consumed != 5 || f.version <= 0) {
            rc = idm_err_set(err, IDM_EINVAL,
                             "migration \"%s\": name must be NNNN_name.sql",
                             name);
            break;
        }
        f.name = idm_xstrdup(name);
        f.path = g_build_filename(dir, name, NULL);
        if (!g_file_get_contents(f.path, &f.sql, &len, &gerr) ||
            len > MIGRATION_MAX_BYTES) {
            rc = idm_err_set(err, IDM_EIO, "cannot read migration \"%s\"%s%s",
                             f.path, gerr != NULL ? ": " : "",
                             gerr != NULL ? gerr->message : "");
            if (gerr != NULL) {
                g_error_free(gerr);
            }
            g_array_append_val(files, f);
            break;
        }
        sha256_hex(f.checksum, f.sql, len);
        g_array_append_val(files, f);
    }
    g_dir_close(d);
    if (rc == 0) {
        g_array_sort(files, cmp_mfile);
        for (guint i = 1; i < files->len; i++) {
            if (g_array_index(files, mfile, i).version ==
                g_array_index(files, mfile, i - 1).version) {
                rc = idm_err_set(err, IDM_EINVAL,
                                 "migrations \"%s\" and \"%s\" share a "
                                 "version number",
                                 g_array_index(files, mfile, i - 1).name,
                                 g_array_index(files, mfile, i).name);
                break;
            }
        }
    }
    if (rc != 0) {
        mfiles_free(files);
        return rc;
    }
    *out = files;
    return 0;
}

static int ensure_table(idm_db *db, idm_err *err)
{
    return idm_db_query(NULL, db,
                        "CREATE TABLE IF NOT EXISTS schema_version ("
                        " version integer PRIMARY KEY,"
                        " name text NOT NULL,"
                        " checksum text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())",
                        0, NULL, err);
}

int idm_migrate_status(idm_migration **out, size_t *n, idm_db *db,
                       const char *dir, idm_err *err)
{
    GArray *files = NULL;
    PGresult *res = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(idm_migration));
    int rc, rows = 0;

    *out = NULL;
    *n = 0;
    rc = read_dir(&files, dir, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_query(&res, db,
                      "SELECT to_regclass('schema_version') IS NOT NULL", 0,
                      NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (idm_db_bool(res, 0, 0)) {
        PQclear(res);
        res = NULL;
        rc = idm_db_query(&res, db,
                          "SELECT version, name, checksum, "
                          "to_char(applied_at AT TIME ZONE 'UTC', "
                          "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                          "FROM schema_version ORDER BY version",
                          0, NULL, err);
        if (rc != 0) {
            goto cleanup;
        }
        rows = PQntuples(res);
    } /* else no schema_version yet: everything is pending */
    /* merge the sorted lists */
    for (guint fi = 0, ri = 0; fi < files->len || ri < (guint)rows;) {
        idm_migration m = {0};
        mfile *f = fi < files->len ? &g_array_index(files, mfile, fi) : NULL;
        int rv = ri < (guint)rows ? (int)idm_db_int(res, (int)ri, 0) : 0;

        if (f != NULL && (ri >= (guint)rows || f->version < rv)) {
            m.version = f->version;
            m.name = idm_xstrdup(f->name);
            m.checksum = idm_xstrdup(f->checksum);
            fi++;
        } else {
            m.version = rv;
            m.name = idm_db_strdup(res, (int)ri, 1);
            m.applied_at = idm_db_strdup(res, (int)ri, 3);
            if (f != NULL && f->version == rv) {
                m.checksum = idm_xstrdup(f->checksum);
                m.changed =
                    !same_text(rv, f->checksum, PQgetvalue(res, (int)ri, 2));
                fi++;
            } else {
                m.changed = 1; /* applied, but its file is gone */
            }
            ri++;
        }
        g_array_append_val(list, m);
    }
    *n = list->len;
    *out = (idm_migration *)(void *)g_array_free(list, FALSE);
    list = NULL;
cleanup:
    if (list != NULL) {
        idm_migrations_free((idm_migration *)(void *)list->data, list->len);
        g_array_free(list, FALSE);
    }
    PQclear(res);
    mfiles_free(files);
    return rc;
}

int idm_migrate_apply(int *applied, idm_db *db, const char *dir, idm_err *err)
{
    GArray *files = NULL;
    idm_migration *status = NULL;
    size_t n = 0;
    int rc, locked = 0;

    *applied = 0;
    rc = read_dir(&files, dir, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_query(NULL, db, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0,
                      NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    locked = 1;
    rc = ensure_table(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_migrate_status(&status, &n, db, dir, err);
    if (rc != 0) {
        goto cleanup;
    }
    /* Refuse before touching anything if history was rewritten. */
    for (size_t i = 0; i < n; i++) {
        if (status[i].changed) {
            rc = idm_err_set(err, IDM_ECHECKSUM,
                             status[i].checksum == NULL
                                 ? "applied migration \"%s\" is missing from "
                                   "the directory; refusing to migrate"
                                 : "applied migration \"%s\" was changed "
                                   "after it ran; refusing to migrate",
                             status[i].name);
            goto cleanup;
        }
    }
    for (guint i = 0; i < files->len; i++) {
        mfile *f = &g_array_index(files, mfile, i);
        char version[16];
        int pending = 0;

        for (size_t j = 0; j < n; j++) {
            if (status[j].version == f->version) {
                pending = status[j].applied_at == NULL;
            }
        }
        if (!pending) {
            continue;
        }
        snprintf(version, sizeof(version), "%d", f->version);
        rc = idm_db_begin(db, err);
        if (rc != 0) {
            goto cleanup;
        }
        rc = idm_db_exec_script(db, f->sql, err);
        if (rc != 0) {
            idm_db_rollback(db);
            if (err != NULL) { /* keep the server's detail */
                snprintf(err->msg, sizeof(err->msg),
                         "migration \"%s\" failed; nothing of it was applied",
                         f->name);
            }
            goto cleanup;
        }
        rc = idm_db_q(NULL, db,
                      "INSERT INTO schema_version (version, name, checksum) "
                      "VALUES ($1::int, $2, $3)",
                      err, version, f->name, f->checksum);
        if (rc != 0) {
            idm_db_rollback(db);
            goto cleanup;
        }
        rc = idm_db_commit(db, err);
        if (rc != 0) {
            goto cleanup;
        }
        (*applied)++;
    }
cleanup:
    if (locked) {
        PQclear(PQexec(idm_db_conn(db),
                       "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")"));
    }
    idm_migrations_free(status, n);
    mfiles_free(files);
    return rc;
}

int idm_migrate_require(idm_db *db, int version, const char *who, idm_err *err)
{
    PGresult *res = NULL;
    char v[16];
    int rc;

    snprintf(v, sizeof(v), "%d", version);
    rc = idm_db_query(&res, db,
                      "SELECT to_regclass('schema_version') IS NOT NULL", 0,
                      NULL, err);
    if (rc == 0 && idm_db_bool(res, 0, 0)) {
        PQclear(res);
        res = NULL;
        rc = idm_db_q(&res, db,
                      "SELECT EXISTS (SELECT 1 FROM schema_version "
                      "WHERE version = $1::int)",
                      err, v);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (!idm_db_bool(res, 0, 0)) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "the database schema is too old for %s (migration "
                         "%04d missing): run \"idmctl migrate\"",
                         who, version);
    }
cleanup:
    PQclear(res);
    return rc;
}

void idm_migrations_free(idm_migration *list, size_t n)
{
    if (list == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(list[i].name);
        free(list[i].checksum);
        free(list[i].applied_at);
    }
    g_free(list);
}
