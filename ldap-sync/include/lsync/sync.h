/* SPDX-License-Identifier: EUPL-1.2
 * The LDAP sync: consume the outbox in commit order and mirror persons,
 * organisational units and groups into the directory (incremental, daemon,
 * full reconcile, LDIF export, status and parked events).
 */
#ifndef LSYNC_SYNC_H
#define LSYNC_SYNC_H

#include <signal.h>
#include <stdio.h>

#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

#include "map.h"

typedef struct lsync lsync;

/** Settings; strings are copied by lsync_open(). */
typedef struct lsync_opts {
    const char *ldap_uri;
    const char *ldap_base;
    const char *ldap_bind_dn;
    const char *ldap_password; /* wiped on lsync_close() */
    const char *scope;         /* NULL: derived from the dc= parts of base */
    int release_blocked_names; /* see lsync_map_opts */
    int batch_size;            /* outbox rows per batch */
    int window;                /* outstanding LDAP operations */
    int poll_seconds;          /* fallback poll in daemon mode */
    int net_timeout;           /* seconds for connect and each result */
    int read_only;             /* only lsync_reconcile() dry runs: no lock,
                                * nothing written */
} lsync_opts;

#define LSYNC_OPTS_INIT                                                        \
    {                                                                          \
        NULL, NULL, NULL, NULL, NULL, 0, 2000, 256, 5, 30, 0                   \
    }

/** Counts of one run. */
typedef struct lsync_stats {
    long events;  /* outbox rows passed */
    long applied; /* entries written (add, modify, rename, delete) */
    long parked;  /* events parked */
    long batches;
} lsync_stats;

/** Differences found by lsync_reconcile(). */
typedef struct lsync_diff {
    long missing;   /* in the core, not in LDAP */
    long extra;     /* in the managed subtree, not in the core */
    long different; /* attributes or memberships differ */
} lsync_diff;

/**
 * Check that the sync's own tables (schema lsync) exist (migration 0015;
 * the sync creates none) and take the advisory lock that keeps a second
 * instance out. With opts->read_only no lock is taken, and the handle
 * serves lsync_reconcile() dry runs only
 * (the others return IDM_EINVAL), so a dry run works beside the daemon.
 * @param[out] out  new handle; free with lsync_close(). db is borrowed and
 *                  must outlive it.
 * @return 0, IDM_ECONFIG (missing ldap settings, or a database not
 *         migrated: "run idmctl migrate"), IDM_ECONFLICT (another instance
 *         runs), IDM_EDB.
 */
IDM_MUST_CHECK int lsync_open(lsync **out, idm_db *db, const lsync_opts *opts,
                              idm_err *err);

/** Close the LDAP connection, wipe the password, free. Accepts NULL. */
void lsync_close(lsync *sync);

/**
 * Apply the whole backlog and return (--once). On an unreachable LDAP or
 * PostgreSQL nothing is lost: the checkpoint stays where it was.
 * @return 0, IDM_EUNAVAIL (a server is unreachable), IDM_EDB, ...
 */
IDM_MUST_CHECK int lsync_run_once(lsync *sync, lsync_stats *stats,
                                  idm_err *err);

/** Called by the daemon loop with sd_notify style state lines. */
typedef void (*lsync_notify_fn)(const char *state, void *ctx);

/**
 * Daemon: apply the backlog, then wait for NOTIFY idm_outbox or the poll
 * interval; retry with backoff (1 s doubling to 60 s) while a server is
 * unreachable. Returns when *stop becomes non-zero.
 */
IDM_MUST_CHECK int lsync_run_daemon(lsync *sync, volatile sig_atomic_t *stop,
                                    lsync_notify_fn notify, void *ctx,
                                    idm_err *err);

/**
 * Compare the managed subtree (ou=people, ou=groups, ou=orgs below the
 * base; paged search) with the core, print the differences to report and,
 * unless dry_run, repair them. Entries outside the subtree are never read
 * or written.
 */
IDM_MUST_CHECK int lsync_reconcile(lsync *sync, int dry_run, FILE *report,
                                   lsync_diff *diff, idm_err *err);

/**
 * Write the whole managed tree as LDIF for an offline slapadd and record
 * the checkpoint of the same snapshot, so the incremental sync continues
 * from there. with_base adds the base entry and the three containers.
 * @param[out] count  entries written
 */
IDM_MUST_CHECK int lsync_export_ldif(lsync *sync, const char *path,
                                     int with_base, long *count, idm_err *err);

/** Print status and metrics as key=value lines (works without LDAP). */
IDM_MUST_CHECK int lsync_status_print(idm_db *db, FILE *fp, idm_err *err);

/** Print parked events, one key=value line each. */
IDM_MUST_CHECK int lsync_parked_print(idm_db *db, FILE *fp, int all,
                                      idm_err *err);

/**
 * Check that the sync's tables (schema lsync, migration 0015) exist; the
 * sync creates no tables itself (also done by lsync_open).
 * @return 0, IDM_ECONFIG ("run idmctl migrate"), IDM_EDB.
 */
IDM_MUST_CHECK int lsync_schema_check(idm_db *db, idm_err *err);

#endif /* LSYNC_SYNC_H */
