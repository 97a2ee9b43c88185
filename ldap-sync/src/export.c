/* SPDX-License-Identifier: EUPL-1.2
 * --export-ldif: the whole managed tree as LDIF for an offline slapadd,
 * read in one REPEATABLE READ snapshot, with the checkpoint of that very
 * snapshot and the person state recorded in the same transaction, so the
 * incremental sync continues exactly where the file ends.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lsync_int.h"

static int put(FILE *fp, lsync_entry *e, long *count, idm_err *err)
{
    int rc = lsync_entry_write_ldif(fp, e, err);
    if (rc == 0) {
        (*count)++;
    }
    return rc;
}

static int write_base(lsync *s, FILE *fp, long *count, idm_err *err)
{
    static const char *const ous[] = {LSYNC_OU_PEOPLE, LSYNC_OU_GROUPS,
                                      LSYNC_OU_ORGS};
    lsync_entry *e = lsync_entry_new(s->base);
    char *rdn = g_strdup(s->base);
    char *eq, *comma;
    int rc;

    comma = strchr(rdn, ',');
    if (comma != NULL) {
        *comma = '\0';
    }
    eq = strchr(rdn, '=');
    if (eq != NULL && g_ascii_strncasecmp(rdn, "dc", 2) == 0) {
        lsync_entry_add(e, "objectClass", "dcObject");
        lsync_entry_add(e, "objectClass", "organization");
        lsync_entry_add(e, "dc", eq + 1);
        lsync_entry_add(e, "o", eq + 1);
    } else {
        lsync_entry_add(e, "objectClass", "organization");
        lsync_entry_add(e, "o", eq != NULL ? eq + 1 : rdn);
    }
    rc = put(fp, e, count, err);
    lsync_entry_free(e);
    g_free(rdn);
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        char *dn = g_strdup_printf("ou=%s,%s", ous[i], s->base);
        e = lsync_entry_new(dn);
        lsync_entry_add(e, "objectClass", "organizationalUnit");
        lsync_entry_add(e, "ou", ous[i]);
        rc = put(fp, e, count, err);
        lsync_entry_free(e);
        g_free(dn);
    }
    return rc;
}

int lsync_export_ldif(lsync *s, const char *path, int with_base, long *count,
                      idm_err *err)
{
    lsync_load load;
    PGresult *res = NULL;
    FILE *fp = NULL;
    char *after = g_strdup("0");
    char *tmp = g_strdup_printf("%s.tmp", path);
    const char *txid = "0", *id = "0";
    int rc;

    *count = 0;
    memset(&load, 0, sizeof(load));
    rc = lsync__check_writable(s, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_begin(s->db, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_query(NULL, s->db,
                      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", 0,
                      NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    /* Every row of a transaction older than the snapshot's xmin is in the
     * snapshot; newer visible rows are replayed later, which is harmless
     * because applying is idempotent. */
    rc = idm_db_query(&res, s->db,
                      "SELECT txid::text, id::text FROM outbox WHERE txid < "
                      "pg_snapshot_xmin(pg_current_snapshot()) "
                      "ORDER BY outbox.txid DESC, outbox.id DESC LIMIT 1",
                      0, NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (PQntuples(res) == 1) {
        txid = PQgetvalue(res, 0, 0);
        id = PQgetvalue(res, 0, 1);
    }
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        rc = idm_err_set(err, IDM_EIO, "could not write \"%s\": %s", tmp,
                         strerror(errno));
        goto cleanup;
    }
    if (with_base) {
        rc = write_base(s, fp, count, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    rc = lsync__load_orgs(&load, s->db, NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    for (guint i = 0; i < load.orgs->len; i++) {
        lsync_entry *e = NULL;
        rc = lsync_map_org(&e, &s->map,
                           &g_array_index(load.orgs, lsync_org, i), err);
        if (rc == 0) {
            rc = put(fp, e, count, err);
        }
        lsync_entry_free(e);
        if (rc != 0) {
            goto cleanup;
        }
    }
    for (;;) {
        rc = lsync__load_persons(&load, s->db, NULL, after, 10000, err);
        if (rc != 0) {
            goto cleanup;
        }
        if (load.persons->len == 0) {
            break;
        }
        for (guint i = 0; i < load.persons->len; i++) {
            lsync_entry *e = NULL;
            rc = lsync_map_person(
                &e, &s->map, &g_array_index(load.persons, lsync_person, i),
                err);
            if (rc == 0) {
                rc = put(fp, e, count, err);
            }
            lsync_entry_free(e);
            if (rc != 0) {
                goto cleanup;
            }
        }
        g_free(after);
        after = g_strdup(load.last_person_id);
    }
    rc = lsync__load_groups(&load, s->db, NULL, NULL, 1, err);
    if (rc != 0) {
        goto cleanup;
    }
    for (guint i = 0; i < load.groups->len; i++) {
        lsync_entry *e = NULL;
        rc = lsync_map_group(&e, &s->map,
                             &g_array_index(load.groups, lsync_group, i), err);
        if (rc == 0 && e != NULL) {
            rc = put(fp, e, count, err);
        }
        lsync_entry_free(e);
        if (rc != 0) {
            goto cleanup;
        }
    }
    if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        rc = idm_err_set(err, IDM_EIO, "could not write \"%s\": %s", tmp,
                         strerror(errno));
        goto cleanup;
    }
    rc = fclose(fp) == 0 ? 0 : idm_err_set(err, IDM_EIO, "could not close");
    fp = NULL;
    if (rc != 0) {
        goto cleanup;
    }
    rc = idm_db_query(NULL, s->db, "DELETE FROM lsync.person_state", 0, NULL,
                      err);
    if (rc == 0) {
        rc = idm_db_query(NULL, s->db,
                          "INSERT INTO lsync.person_state (uuid, login) "
                          "SELECT p.uuid, a.login FROM person p JOIN account a "
                          "ON a.person_id = p.id WHERE a.status <> 'deleted'",
                          0, NULL, err);
    }
    if (rc == 0) {
        rc = idm_db_q(NULL, s->db,
                      "UPDATE lsync.checkpoint SET last_txid = $1::xid8, "
                      "last_id = $2::bigint, updated_at = now() WHERE id = 1",
                      err, txid, id);
    }
    if (rc != 0) {
        goto cleanup;
    }
    if (rename(tmp, path) != 0) {
        rc = idm_err_set(err, IDM_EIO, "could not rename to \"%s\": %s", path,
                         strerror(errno));
        goto cleanup;
    }
    rc = idm_db_commit(s->db, err);
    if (rc != 0) {
        unlink(path); /* checkpoint not recorded: the file must not be used */
    }
cleanup:
    if (fp != NULL) {
        fclose(fp);
    }
    if (rc != 0) {
        unlink(tmp);
        if (idm_db_in_tx(s->db)) {
            idm_db_rollback(s->db);
        }
    }
    PQclear(res);
    lsync__load_free(&load);
    g_free(after);
    g_free(tmp);
    return rc;
}
