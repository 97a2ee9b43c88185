/* SPDX-License-Identifier: EUPL-1.2
 * Internals shared by the files of ldap-sync only: the handle, the work
 * items of the LDAP engine, and the database loaders.
 */
#ifndef LSYNC_INT_H
#define LSYNC_INT_H

#include <stddef.h>

#include <sys/time.h>

#include <glib.h>
#include <ldap.h>
#include <libpq-fe.h>

#include "base/db.h"
#include "base/err.h"
#include "base/log.h"
#include "idm/event.h"

#include "lsync/entry.h"
#include "lsync/map.h"
#include "lsync/sync.h"

#define LSYNC_COMP "lsync"

struct lsync {
    idm_db *db; /* borrowed */
    char *uri;
    char *base;
    char *bind_dn;
    char *password;
    char *scope;
    lsync_map_opts map;
    int batch_size;
    int window;
    int poll_seconds;
    int net_timeout;
    int read_only; /* see lsync_opts */
    LDAP *ld; /* NULL while disconnected */
    int containers_ok;
    /* group key -> lsync_entry last confirmed in LDAP over the current
     * connection (owned; emptied when the connection drops). Lets the sync
     * skip unchanged groups and send member changes instead of the list. */
    GHashTable *written;
    int initial; /* this run started at an empty checkpoint: add first */
};

/* ---- LDAP engine (ldapc.c) ---------------------------------------------- */

typedef enum lsync_item_kind {
    LSYNC_ITEM_UPSERT,
    LSYNC_ITEM_DELETE
} lsync_item_kind;

/** One entry to bring into shape; the engine keeps at most one operation
 * per item in flight, so operations on one entry stay in order. */
typedef struct lsync_item {
    lsync_item_kind kind;
    char *key;          /* p:UUID, o:CODE, g:ID, r:ORG:ROLE */
    char *dn;           /* target DN */
    char *old_dn;       /* person renamed from, or NULL */
    lsync_entry *entry; /* UPSERT: the wanted entry */
    const char *const *managed; /* replaced on modify */
    char **drop_attrs;  /* reconcile: foreign attributes to remove */
    int exists;         /* hint: modify first */
    int cache;          /* group of the sync: may use s->written */
    /* engine state */
    int state;
    int msgid;
    int tried_add;
    int tried_mod;
    int done;   /* 0 pending, 1 ok, -1 failed for good */
    int ldap_rc;
    char *reason; /* for parking */
} lsync_item;

void lsync__item_free(lsync_item *item);

/** Forget every written state of s->written (after writes that bypass
 * it, e.g. a reconcile). */
void lsync__written_clear(lsync *s);

/** Connect and bind if not connected; creates the containers once. */
int lsync__ldap_connect(lsync *s, idm_err *err);

/** Drop the connection (after an error). */
void lsync__ldap_drop(lsync *s);

/**
 * Apply items with up to s->window operations in flight. Items failing for
 * good get done = -1 and a reason; the call still returns 0.
 * @return 0, or IDM_EUNAVAIL if the server went away (then the connection
 *         is dropped and the caller retries the whole batch).
 */
int lsync__ldap_apply(lsync *s, GPtrArray *items, long *writes,
                      idm_err *err);

/** idmGroupKey values of groups in ou=groups having member=dn. */
int lsync__ldap_groups_of(lsync *s, const char *dn, GHashTable *keys,
                          idm_err *err);

/** IDM_EINVAL if the handle was opened read-only, else 0. */
int lsync__check_writable(const lsync *s, idm_err *err);

/** 1 if an LDAP result code means "try again later". */
int lsync__ldap_transient(int code);

/* ---- database (source.c) ------------------------------------------------ */

/** One outbox row. */
typedef struct lsync_event {
    char *id;
    char *txid;
    char *aggregate;
    char *key;
    char *event;
    int kind; /* idm_aggregate of aggregate (idm/event.h), -1 if unknown */
} lsync_event;

/** Persons, orgs and groups loaded from one set of queries; the records
 * point into the PGresults, which live as long as the set. */
typedef struct lsync_load {
    PGresult *res_persons;
    PGresult *res_roles;
    PGresult *res_orgs;
    PGresult *res_groups;
    PGresult *res_rgroups;
    GArray *persons;   /* lsync_person */
    GArray *roles;     /* lsync_role_ctx, persons point into it */
    GArray *orgs;      /* lsync_org */
    GArray *groups;    /* lsync_group */
    GPtrArray *member_arrays; /* const char ** per group */
    char *last_person_id; /* keyset paging of lsync__load_persons_page */
} lsync_load;

void lsync__load_free(lsync_load *load);

/** SQL array literal {"a","b"} of the keys of a hash set. */
char *lsync__array_literal(GPtrArray *values);

int lsync__fetch_events(GPtrArray **out, idm_db *db, const char *txid,
                        const char *id, int limit, idm_err *err);

/** Persons by UUID, deleted accounts included (status "deleted"); or,
 * with uuids NULL, every person whose account is not deleted, in pages of
 * limit after after_id. */
int lsync__load_persons(lsync_load *load, idm_db *db, const char *uuids,
                        const char *after_id, int limit, idm_err *err);
int lsync__load_orgs(lsync_load *load, idm_db *db, const char *codes,
                     idm_err *err);
/** Groups by key ("g:ID" / "r:ORG:ROLE"); NULL = every group. */
int lsync__load_groups(lsync_load *load, idm_db *db, const char *gids,
                       const char *rkeys, int all, idm_err *err);

/** Current group keys of persons (memberships and valid role groups). */
int lsync__person_groups(GHashTable *keys, idm_db *db, const char *uuids,
                         idm_err *err);

/** uuid -> last synced login (lsync.person_state). */
int lsync__state_logins(GHashTable *out, idm_db *db, const char *uuids,
                        idm_err *err);

#endif /* LSYNC_INT_H */
