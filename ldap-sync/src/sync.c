/* SPDX-License-Identifier: EUPL-1.2
 * The incremental sync: one batch reads outbox rows in commit order, re-reads
 * the current state of every key they name, applies it to LDAP and, only
 * after LDAP confirmed, advances the checkpoint in one transaction with the
 * person state and the parked events. The daemon loop waits for NOTIFY
 * idm_outbox or the poll interval and backs off while a server is down.
 */
#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "idm/migrate.h"
#include "lsync/escape.h"
#include "lsync_int.h"

/* Advisory lock key: one sync per database. */
#define LSYNC_LOCK_KEY "7238310411"

/* The migration that created the lsync.* tables (migrations/). */
#define LSYNC_SCHEMA_VERSION 15

int lsync_schema_check(idm_db *db, idm_err *err)
{
    return idm_migrate_require(db, LSYNC_SCHEMA_VERSION, "idm-ldap-sync", err);
}

static char *scope_from_base(const char *base)
{
    /* dc=schule-mv,dc=de -> schule-mv.de */
    GString *s = g_string_new(NULL);
    char **parts = g_strsplit(base, ",", -1);

    for (size_t i = 0; parts[i] != NULL; i++) {
        char *p = g_strstrip(parts[i]);
        if (g_ascii_strncasecmp(p, "dc=", 3) == 0) {
            if (s->len > 0) {
                g_string_append_c(s, '.');
            }
            g_string_append(s, p + 3);
        }
    }
    g_strfreev(parts);
    if (s->len == 0) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

int lsync_open(lsync **out, idm_db *db, const lsync_opts *opts, idm_err *err)
{
    lsync *s = NULL;
    PGresult *res = NULL;
    int rc = 0;

    *out = NULL;
    if (opts->ldap_uri == NULL || opts->ldap_base == NULL ||
        opts->ldap_bind_dn == NULL) {
        return idm_err_set(err, IDM_ECONFIG,
                           "[ldap] uri, base and admin_dn must be set");
    }
    rc = lsync_schema_check(db, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (opts->read_only) {
        goto create; /* a dry run beside the daemon: no lock */
    }
    rc = idm_db_query(&res, db,
                      "SELECT pg_try_advisory_lock(" LSYNC_LOCK_KEY ")", 0,
                      NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        rc = idm_err_set(err, IDM_ECONFLICT,
                         "another idm-ldap-sync is running on this database");
        goto cleanup;
    }
create:
    s = g_new0(lsync, 1);
    s->db = db;
    s->read_only = opts->read_only;
    s->uri = g_strdup(opts->ldap_uri);
    s->base = g_strdup(opts->ldap_base);
    s->bind_dn = g_strdup(opts->ldap_bind_dn);
    s->password = g_strdup(opts->ldap_password);
    s->scope = opts->scope != NULL ? g_strdup(opts->scope)
                                   : scope_from_base(opts->ldap_base);
    s->map.base = s->base;
    s->map.scope = s->scope;
    s->map.release_blocked_names = opts->release_blocked_names;
    s->batch_size = opts->batch_size > 0 ? opts->batch_size : 2000;
    s->window = opts->window > 0 ? opts->window : 256;
    s->poll_seconds = opts->poll_seconds > 0 ? opts->poll_seconds : 5;
    s->net_timeout = opts->net_timeout > 0 ? opts->net_timeout : 30;
    *out = s;
    s = NULL;
cleanup:
    PQclear(res);
    lsync_close(s);
    return rc;
}

void lsync_close(lsync *s)
{
    if (s == NULL) {
        return;
    }
    lsync__ldap_drop(s);
    if (s->password != NULL) {
        memset(s->password, 0, strlen(s->password));
    }
    g_free(s->password);
    g_free(s->uri);
    g_free(s->base);
    g_free(s->bind_dn);
    g_free(s->scope);
    if (s->written != NULL) {
        g_hash_table_destroy(s->written);
    }
    g_free(s);
}

/* ---- one batch ---------------------------------------------------------- */

typedef struct batch {
    GPtrArray *events;       /* lsync_event */
    GHashTable *by_key;      /* "agg\037key" -> GPtrArray of events */
    GHashTable *persons;     /* uuid set */
    GHashTable *orgs;        /* code set */
    GHashTable *groups;      /* group key set */
    GHashTable *old_logins;  /* uuid -> login */
    GPtrArray *items;        /* lsync_item */
    lsync_load load;
} batch;

static void batch_clear(batch *b)
{
    if (b->events != NULL) {
        g_ptr_array_free(b->events, TRUE);
    }
    if (b->by_key != NULL) {
        g_hash_table_destroy(b->by_key);
    }
    if (b->persons != NULL) {
        g_hash_table_destroy(b->persons);
    }
    if (b->orgs != NULL) {
        g_hash_table_destroy(b->orgs);
    }
    if (b->groups != NULL) {
        g_hash_table_destroy(b->groups);
    }
    if (b->old_logins != NULL) {
        g_hash_table_destroy(b->old_logins);
    }
    if (b->items != NULL) {
        g_ptr_array_free(b->items, TRUE);
    }
    lsync__load_free(&b->load);
    memset(b, 0, sizeof(*b));
}

static char *set_literal(GHashTable *set)
{
    GPtrArray *arr = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    char *lit;

    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        g_ptr_array_add(arr, k);
    }
    lit = lsync__array_literal(arr);
    g_ptr_array_free(arr, TRUE);
    return lit;
}

static lsync_item *item_new(lsync_item_kind kind, const char *key,
                            const char *dn)
{
    lsync_item *it = g_new0(lsync_item, 1);
    it->kind = kind;
    it->key = g_strdup(key);
    it->dn = g_strdup(dn);
    return it;
}

/* Items for a set of group keys, loaded into b->load. */
static int group_items(lsync *s, GPtrArray *items, lsync_load *load,
                       GHashTable *keys, idm_err *err)
{
    GPtrArray *gids = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *rkeys = g_ptr_array_new();
    GHashTable *found = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter hit;
    gpointer k;
    char *glit = NULL, *rlit = NULL;
    int rc = 0;

    g_hash_table_iter_init(&hit, keys);
    while (g_hash_table_iter_next(&hit, &k, NULL)) {
        const char *key = k;
        if (g_str_has_prefix(key, "g:")) {
            g_ptr_array_add(gids, g_strdup(key + 2));
        } else if (g_str_has_prefix(key, "r:")) {
            g_ptr_array_add(rkeys, (gpointer)(uintptr_t)key);
        }
    }
    if (gids->len > 0) {
        glit = lsync__array_literal(gids);
    }
    if (rkeys->len > 0) {
        rlit = lsync__array_literal(rkeys);
    }
    if (glit != NULL || rlit != NULL) {
        rc = lsync__load_groups(load, s->db, glit, rlit, 0, err);
        if (rc != 0) {
            goto cleanup;
        }
    }
    for (guint i = 0; load->groups != NULL && i < load->groups->len; i++) {
        const lsync_group *g = &g_array_index(load->groups, lsync_group, i);
        lsync_entry *e = NULL;
        lsync_item *it;
        char *dn = lsync_map_group_dn(&s->map, g);

        g_hash_table_add(found, (gpointer)(uintptr_t)g->key);
        rc = lsync_map_group(&e, &s->map, g, err);
        if (rc != 0) {
            g_free(dn);
            goto cleanup;
        }
        it = item_new(e != NULL ? LSYNC_ITEM_UPSERT : LSYNC_ITEM_DELETE,
                      g->key, dn);
        it->entry = e;
        it->managed = lsync_group_attrs;
        /* an initial load creates groups; later they mostly exist */
        it->exists = !s->initial;
        it->cache = 1;
        g_ptr_array_add(items, it);
        g_free(dn);
    }
    /* role groups nobody holds any more: delete their entry */
    for (guint i = 0; i < rkeys->len; i++) {
        const char *key = g_ptr_array_index(rkeys, i);
        char **parts;
        if (g_hash_table_contains(found, key)) {
            continue;
        }
        parts = g_strsplit(key, ":", 3);
        if (g_strv_length(parts) == 3) {
            lsync_group g;
            char *dn;
            memset(&g, 0, sizeof(g));
            g.org_code = parts[1];
            g.kind = "role";
            g.name = parts[2];
            dn = lsync_map_group_dn(&s->map, &g);
            g_ptr_array_add(items, item_new(LSYNC_ITEM_DELETE, key, dn));
            g_free(dn);
        }
        g_strfreev(parts);
    }
cleanup:
    g_free(glit);
    g_free(rlit);
    g_ptr_array_free(gids, TRUE);
    g_ptr_array_free(rkeys, TRUE);
    g_hash_table_destroy(found);
    return rc;
}

static int build_items(lsync *s, batch *b, idm_err *err)
{
    char *plit = NULL, *olit = NULL;
    int rc = 0;

    b->items = g_ptr_array_new_with_free_func((GDestroyNotify)lsync__item_free);
    b->old_logins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);
    /* organisational units first: persons refer to their codes */
    if (g_hash_table_size(b->orgs) > 0) {
        olit = set_literal(b->orgs);
        rc = lsync__load_orgs(&b->load, s->db, olit, err);
        if (rc != 0) {
            goto cleanup;
        }
        for (guint i = 0; i < b->load.orgs->len; i++) {
            const lsync_org *o = &g_array_index(b->load.orgs, lsync_org, i);
            lsync_entry *e = NULL;
            lsync_item *it;
            char *key = g_strdup_printf("o:%s", o->code);
            rc = lsync_map_org(&e, &s->map, o, err);
            if (rc != 0) {
                g_free(key);
                goto cleanup;
            }
            it = item_new(LSYNC_ITEM_UPSERT, key, e->dn);
            it->entry = e;
            it->managed = lsync_org_attrs;
            g_ptr_array_add(b->items, it);
            g_free(key);
        }
    }
    if (g_hash_table_size(b->persons) > 0) {
        plit = set_literal(b->persons);
        rc = lsync__load_persons(&b->load, s->db, plit, NULL, 0, err);
        if (rc == 0) {
            rc = lsync__state_logins(b->old_logins, s->db, plit, err);
        }
        if (rc == 0) {
            rc = lsync__person_groups(b->groups, s->db, plit, err);
        }
        if (rc != 0) {
            goto cleanup;
        }
        for (guint i = 0; i < b->load.persons->len; i++) {
            const lsync_person *p =
                &g_array_index(b->load.persons, lsync_person, i);
            const char *old = g_hash_table_lookup(b->old_logins, p->uuid);
            char *key = g_strdup_printf("p:%s", p->uuid);
            lsync_item *it = NULL;

            if (old != NULL) {
                /* groups that still name the old DN get rewritten too */
                char *odn = lsync_map_person_dn(&s->map, old);
                rc = lsync__ldap_groups_of(s, odn, b->groups, err);
                g_free(odn);
                if (rc != 0) {
                    g_free(key);
                    goto cleanup;
                }
            }
            if (strcmp(p->status, "deleted") == 0) {
                char *dn = lsync_map_person_dn(&s->map, p->login);
                it = item_new(LSYNC_ITEM_DELETE, key, dn);
                g_free(dn);
                if (old != NULL && strcmp(old, p->login) != 0) {
                    it->old_dn = lsync_map_person_dn(&s->map, old);
                }
            } else {
                lsync_entry *e = NULL;
                rc = lsync_map_person(&e, &s->map, p, err);
                if (rc != 0) {
                    /* bad data in the core: park this person only */
                    it = item_new(LSYNC_ITEM_UPSERT, key, "");
                    it->done = -1;
                    it->reason = g_strdup(err != NULL ? err->msg : "mapping");
                    idm_err_clear(err);
                    rc = 0;
                } else {
                    it = item_new(LSYNC_ITEM_UPSERT, key, e->dn);
                    it->entry = e;
                    it->managed = lsync_person_attrs;
                    it->exists = old != NULL;
                    if (old != NULL && strcmp(old, p->login) != 0) {
                        it->old_dn = lsync_map_person_dn(&s->map, old);
                    }
                }
            }
            g_ptr_array_add(b->items, it);
            g_free(key);
        }
    }
    rc = group_items(s, b->items, &b->load, b->groups, err);
cleanup:
    g_free(plit);
    g_free(olit);
    return rc;
}

/* The events that caused an item (for parking); may be NULL. */
static GPtrArray *item_events(batch *b, const lsync_item *it)
{
    char *k = NULL;
    GPtrArray *evs;

    if (g_str_has_prefix(it->key, "p:")) {
        k = g_strdup_printf("person\037%s", it->key + 2);
    } else if (g_str_has_prefix(it->key, "o:")) {
        k = g_strdup_printf("org\037%s", it->key + 2);
    } else if (g_str_has_prefix(it->key, "g:")) {
        k = g_strdup_printf("group\037%s", it->key + 2);
    } else {
        return NULL;
    }
    evs = g_hash_table_lookup(b->by_key, k);
    g_free(k);
    return evs;
}

/* Persist the result of an applied batch in one transaction. */
static int commit_batch(lsync *s, batch *b, lsync_stats *st, idm_err *err)
{
    GPtrArray *up_uuid = g_ptr_array_new(), *up_login = g_ptr_array_new();
    GPtrArray *del_uuid = g_ptr_array_new(), *ok_keys = g_ptr_array_new();
    const lsync_event *last = g_ptr_array_index(b->events, b->events->len - 1);
    char *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL;
    char napplied[32], nparked[32];
    long parked = 0;
    int rc;

    rc = idm_db_begin(s->db, err);
    if (rc != 0) {
        goto done;
    }
    for (guint i = 0; i < b->items->len; i++) {
        lsync_item *it = g_ptr_array_index(b->items, i);
        if (it->done == 1) {
            const char *colon = strchr(it->key, ':');
            g_ptr_array_add(ok_keys, colon != NULL && it->key[0] != 'r'
                                         ? (gpointer)(uintptr_t)(colon + 1)
                                         : (gpointer)it->key);
            if (g_str_has_prefix(it->key, "p:")) {
                if (it->kind == LSYNC_ITEM_DELETE) {
                    g_ptr_array_add(del_uuid, it->key + 2);
                } else {
                    g_ptr_array_add(up_uuid, it->key + 2);
                    g_ptr_array_add(up_login,
                                    (gpointer)(uintptr_t)lsync_entry_first(
                                        it->entry, "uid"));
                }
            }
            continue;
        }
        /* failed for good: park the events that asked for it */
        {
            GPtrArray *evs = item_events(b, it);
            char code[16];
            g_snprintf(code, sizeof(code), "%d", it->ldap_rc);
            idm_log(IDM_LOG_WARN, LSYNC_COMP, "sync.park",
                    "key=%s ldap_code=%d", it->key, it->ldap_rc);
            if (evs == NULL || evs->len == 0) {
                rc = idm_db_q(NULL, s->db,
                              "INSERT INTO lsync.parked (aggregate, key, dn, "
                              "ldap_code, reason) VALUES ('derived', $1, $2, "
                              "$3::int, $4)",
                              err, it->key, it->dn, code,
                              it->reason != NULL ? it->reason : "failed");
                parked++;
            }
            for (guint j = 0; rc == 0 && evs != NULL && j < evs->len; j++) {
                const lsync_event *e = g_ptr_array_index(evs, j);
                rc =
                    idm_db_q(NULL, s->db,
                             "INSERT INTO lsync.parked (outbox_id, aggregate, "
                             "key, event, dn, ldap_code, reason) VALUES "
                             "($1::bigint, $2, $3, $4, $5, $6::int, $7)",
                             err, e->id, e->aggregate, e->key, e->event, it->dn,
                             code, it->reason != NULL ? it->reason : "failed");
                parked++;
            }
            if (rc != 0) {
                goto done;
            }
        }
    }
    if (up_uuid->len > 0) {
        l1 = lsync__array_literal(up_uuid);
        l2 = lsync__array_literal(up_login);
        rc = idm_db_q(NULL, s->db,
                      "INSERT INTO lsync.person_state (uuid, login) "
                      "SELECT * FROM unnest($1::uuid[], $2::text[]) "
                      "ON CONFLICT (uuid) DO UPDATE SET login = "
                      "EXCLUDED.login, synced_at = now()",
                      err, l1, l2);
        if (rc != 0) {
            goto done;
        }
    }
    if (del_uuid->len > 0) {
        l3 = lsync__array_literal(del_uuid);
        rc = idm_db_q(NULL, s->db,
                      "DELETE FROM lsync.person_state WHERE uuid = "
                      "ANY($1::uuid[])",
                      err, l3);
        if (rc != 0) {
            goto done;
        }
    }
    if (ok_keys->len > 0) {
        l4 = lsync__array_literal(ok_keys);
        rc = idm_db_q(NULL, s->db,
                      "UPDATE lsync.parked SET resolved_at = now() "
                      "WHERE resolved_at IS NULL AND key = ANY($1::text[])",
                      err, l4);
        if (rc != 0) {
            goto done;
        }
    }
    g_snprintf(napplied, sizeof(napplied), "%ld",
               (long)b->events->len - parked > 0
                   ? (long)b->events->len - parked
                   : 0);
    g_snprintf(nparked, sizeof(nparked), "%ld", parked);
    rc = idm_db_q(NULL, s->db,
                  "UPDATE lsync.checkpoint SET last_txid = $1::xid8, "
                  "last_id = $2::bigint, "
                  "applied_total = applied_total + $3::bigint, "
                  "parked_total = parked_total + $4::bigint, "
                  "batches_total = batches_total + 1, last_ok_at = now(), "
                  "last_error = NULL, updated_at = now() WHERE id = 1",
                  err, last->txid, last->id, napplied, nparked);
    if (rc != 0) {
        goto done;
    }
    rc = idm_db_commit(s->db, err);
    if (rc == 0 && st != NULL) {
        st->parked += parked;
    }
done:
    if (rc != 0 && idm_db_in_tx(s->db)) {
        idm_db_rollback(s->db);
    }
    g_free(l1);
    g_free(l2);
    g_free(l3);
    g_free(l4);
    g_ptr_array_free(up_uuid, TRUE);
    g_ptr_array_free(up_login, TRUE);
    g_ptr_array_free(del_uuid, TRUE);
    g_ptr_array_free(ok_keys, TRUE);
    return rc;
}

static int process_batch(lsync *s, lsync_stats *st, int first, int *more,
                         idm_err *err)
{
    batch b;
    PGresult *res = NULL;
    long writes = 0;
    gint64 t0 = g_get_monotonic_time(), t1 = 0, t2 = 0;
    int rc;

    memset(&b, 0, sizeof(b));
    *more = 0;
    rc = idm_db_query(&res, s->db,
                      "SELECT last_txid::text, last_id::text FROM "
                      "lsync.checkpoint WHERE id = 1",
                      0, NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (first) {
        s->initial = strcmp(PQgetvalue(res, 0, 0), "0") == 0 &&
                     strcmp(PQgetvalue(res, 0, 1), "0") == 0;
    }
    rc = lsync__fetch_events(&b.events, s->db, PQgetvalue(res, 0, 0),
                             PQgetvalue(res, 0, 1), s->batch_size, err);
    if (rc != 0 || b.events->len == 0) {
        goto cleanup;
    }
    b.by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)g_ptr_array_unref);
    b.persons = g_hash_table_new(g_str_hash, g_str_equal);
    b.orgs = g_hash_table_new(g_str_hash, g_str_equal);
    b.groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < b.events->len; i++) {
        lsync_event *e = g_ptr_array_index(b.events, i);
        char *k = g_strdup_printf("%s\037%s", e->aggregate, e->key);
        GPtrArray *evs = g_hash_table_lookup(b.by_key, k);
        if (evs == NULL) {
            evs = g_ptr_array_new();
            g_hash_table_insert(b.by_key, k, evs);
        } else {
            g_free(k);
        }
        g_ptr_array_add(evs, e);
        switch (e->kind) {
        case IDM_AGGREGATE_PERSON:
            g_hash_table_add(b.persons, e->key);
            break;
        case IDM_AGGREGATE_ORG:
            g_hash_table_add(b.orgs, e->key);
            break;
        case IDM_AGGREGATE_GROUP:
            g_hash_table_add(b.groups, g_strdup_printf("g:%s", e->key));
            break;
        default:
            break; /* an aggregate this sync does not mirror */
        }
    }
    rc = build_items(s, &b, err);
    if (rc != 0) {
        goto cleanup;
    }
    t1 = g_get_monotonic_time();
    rc = lsync__ldap_apply(s, b.items, &writes, err);
    if (rc != 0) {
        goto cleanup;
    }
    t2 = g_get_monotonic_time();
    rc = commit_batch(s, &b, st, err);
    if (rc != 0) {
        goto cleanup;
    }
    if (st != NULL) {
        st->events += b.events->len;
        st->applied += writes;
        st->batches++;
    }
    idm_log(IDM_LOG_INFO, LSYNC_COMP, "sync.batch",
            "events=%u items=%u writes=%ld db_ms=%ld ldap_ms=%ld "
            "commit_ms=%ld last_id=%s",
            b.events->len, b.items->len, writes, (long)((t1 - t0) / 1000),
            (long)((t2 - t1) / 1000),
            (long)((g_get_monotonic_time() - t2) / 1000),
            ((lsync_event *)g_ptr_array_index(b.events, b.events->len - 1))
                ->id);
    *more = (int)b.events->len >= s->batch_size;
cleanup:
    PQclear(res);
    batch_clear(&b);
    return rc;
}

static void record_error(lsync *s, const idm_err *e)
{
    if (PQstatus(idm_db_conn(s->db)) != CONNECTION_OK) {
        return;
    }
    idm_err err2 = IDM_ERR_INIT;
    if (idm_db_q(NULL, s->db,
                 "UPDATE lsync.checkpoint SET last_error = $1, "
                 "last_error_at = now(), updated_at = now() WHERE id = 1",
                 &err2, e->msg) != 0) {
        char q[300];
        idm_log(IDM_LOG_WARN, LSYNC_COMP, "sync.error_record",
                "code=%d detail=%s", err2.code,
                idm_log_quote(q, sizeof(q), err2.detail));
    }
}

/* How long --once waits for transactions older than its start. */
#define ONCE_WAIT_MS 30000

int lsync__check_writable(const lsync *s, idm_err *err)
{
    if (s->read_only) {
        return idm_err_set(err, IDM_EINVAL,
                           "the sync was opened read-only (dry run)");
    }
    return 0;
}

/* Apply the events that are final now (see lsync__fetch_events). */
static int run_backlog(lsync *s, lsync_stats *st, int *first, idm_err *err)
{
    int more = 1, rc = 0;

    while (more) {
        rc = process_batch(s, st, *first, &more, err);
        *first = 0;
        if (rc != 0) {
            if (err != NULL) {
                record_error(s, err);
            }
            break;
        }
    }
    return rc;
}

/*
 * 1 once every event committed before target (the newest txid seen at
 * the start) is final: no transaction older than it still runs, in any
 * database of the cluster.
 */
static int backlog_final(lsync *s, const char *target, idm_err *err)
{
    PGresult *res = NULL;
    int rc =
        idm_db_q(&res, s->db,
                 "SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8",
                 err, target);

    rc = rc == 0 ? *PQgetvalue(res, 0, 0) == 't' : rc;
    PQclear(res);
    return rc;
}

int lsync_run_once(lsync *s, lsync_stats *st, idm_err *err)
{
    PGresult *res = NULL;
    int first = 1, final = 1, rc;

    rc = lsync__check_writable(s, err);
    if (rc != 0) {
        return rc;
    }
    /* Every event committed before the start, also one that waits behind
     * an older transaction still running (an import elsewhere): up to
     * ONCE_WAIT_MS for it to end, then what is final. */
    rc = idm_db_query(&res, s->db, "SELECT max(txid)::text FROM outbox", 0,
                      NULL, err);
    if (rc == 0 && !PQgetisnull(res, 0, 0)) {
        final = backlog_final(s, PQgetvalue(res, 0, 0), err);
        rc = final < 0 ? final : 0;
    }
    if (rc == 0) {
        rc = run_backlog(s, st, &first, err);
    }
    for (int waited = 0; rc == 0 && final == 0; waited += 20) {
        const struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        final = backlog_final(s, PQgetvalue(res, 0, 0), err);
        if (final < 0) {
            rc = final;
        } else if (final || waited >= ONCE_WAIT_MS) {
            rc = run_backlog(s, st, &first, err);
            final = 1;
        }
    }
    PQclear(res);
    return rc;
}

/* ---- daemon --------------------------------------------------------------- */

static int pg_listen(lsync *s, idm_err *err)
{
    return idm_db_query(NULL, s->db, "LISTEN idm_outbox", 0, NULL, err);
}

/* Wait up to ms for a notification; stop early if *stop. */
static void wait_notify(lsync *s, int ms, volatile sig_atomic_t *stop)
{
    PGconn *c = idm_db_conn(s->db);
    struct pollfd pfd;
    int waited = 0;

    while (!*stop && waited < ms) {
        int slice = ms - waited > 500 ? 500 : ms - waited;
        pfd.fd = PQsocket(c);
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (pfd.fd < 0) {
            struct timespec ts = {0, (long)slice * 1000000L};
            nanosleep(&ts, NULL);
        } else if (poll(&pfd, 1, slice) > 0) {
            PGnotify *n;
            int got = 0;
            PQconsumeInput(c);
            while ((n = PQnotifies(c)) != NULL) {
                got = 1;
                PQfreemem(n);
            }
            if (got || PQstatus(c) != CONNECTION_OK) {
                return;
            }
        }
        waited += slice;
    }
}

int lsync_run_daemon(lsync *s, volatile sig_atomic_t *stop,
                     lsync_notify_fn notify, void *ctx, idm_err *err)
{
    int backoff = 1, ready = 0, listening = 0, rc = 0;
    lsync_stats st;

    memset(&st, 0, sizeof(st));
    rc = lsync__check_writable(s, err);
    if (rc != 0) {
        return rc;
    }
    while (!*stop) {
        PGconn *c = idm_db_conn(s->db);
        if (PQstatus(c) != CONNECTION_OK) {
            PQreset(c);
            listening = 0;
        }
        if (!listening && PQstatus(c) == CONNECTION_OK) {
            listening = pg_listen(s, err) == 0;
        }
        rc = listening ? lsync_run_once(s, &st, err)
                       : idm_err_set(err, IDM_EUNAVAIL,
                                     "PostgreSQL unreachable");
        if (rc != 0) {
            char q[300];
            idm_log(IDM_LOG_WARN, LSYNC_COMP, "sync.retry",
                    "backoff_s=%d reason=%s", backoff,
                    idm_log_quote(q, sizeof(q), err != NULL ? err->msg : ""));
            if (notify != NULL) {
                char line[400];
                g_snprintf(line, sizeof(line), "STATUS=retrying in %d s: %s",
                           backoff, err != NULL ? err->msg : "");
                notify(line, ctx);
            }
            for (int i = 0; i < backoff * 10 && !*stop; i++) {
                struct timespec ts = {0, 100000000L};
                nanosleep(&ts, NULL);
            }
            backoff = backoff >= 32 ? 60 : backoff * 2;
            continue;
        }
        if (backoff > 1) {
            idm_log(IDM_LOG_NOTICE, LSYNC_COMP, "sync.recovered",
                    "events=%ld", st.events);
        }
        backoff = 1;
        if (notify != NULL) {
            char line[200];
            g_snprintf(line, sizeof(line),
                       "%sSTATUS=in sync; events=%ld writes=%ld parked=%ld",
                       ready ? "" : "READY=1\n", st.events, st.applied,
                       st.parked);
            notify(line, ctx);
            ready = 1;
        }
        wait_notify(s, s->poll_seconds * 1000, stop);
    }
    idm_err_clear(err);
    return 0;
}
