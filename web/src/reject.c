/* SPDX-License-Identifier: EUPL-1.2
 * Accounting of rejected SAML requests without touching the database per
 * request: a counter per reason class for /metrics, and in memory one
 * bucket per (client address, reason, minute) that the main thread writes
 * as one audit row with a count (web_site_reject_flush).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "web_int.h"

/* Buckets held between flushes; beyond it, a rejection is counted in the
 * bucket of the address "*" (one per reason and minute). */
#define REJECT_BUCKETS_MAX 4096
/* Longest issuer kept in a bucket (attacker-controlled text). */
#define REJECT_SP_MAX 256

typedef struct bucket {
    const char *action; /* a static audit action */
    int64_t minute;     /* epoch seconds / 60 */
    char *addr;
    char *reason;
    char *sp; /* the first rejection's issuer, or NULL */
    unsigned long count;
} bucket;

struct web_rejects {
    pthread_mutex_t lock;
    GHashTable *buckets; /* "action\nminute\naddr\nreason" -> bucket* */
};

static void bucket_free(void *p)
{
    bucket *b = p;

    if (b != NULL) {
        free(b->addr);
        free(b->reason);
        free(b->sp);
        free(b);
    }
}

web_rejects *web_rejects_new(void)
{
    web_rejects *r = idm_xcalloc(1, sizeof(*r));

    pthread_mutex_init(&r->lock, NULL);
    r->buckets =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, bucket_free);
    return r;
}

void web_rejects_free(web_rejects *r)
{
    if (r == NULL) {
        return;
    }
    g_hash_table_destroy(r->buckets);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void web_reject_note(web_ctx *ctx, const char *action, const char *sp,
                     const char *reason)
{
    web_rejects *r = ctx->site->rejects;
    const char *addr = ctx->actor.addr != NULL ? ctx->actor.addr : "unknown";
    int64_t minute = (int64_t)time(NULL) / 60;
    char *key;
    bucket *b;
    int first = 0;

    if (reason == NULL) {
        reason = "-";
    }
    pthread_mutex_lock(&r->lock);
    key = g_strdup_printf("%s\n%lld\n%s\n%s", action, (long long)minute, addr,
                          reason);
    b = g_hash_table_lookup(r->buckets, key);
    if (b == NULL && g_hash_table_size(r->buckets) >= REJECT_BUCKETS_MAX) {
        /* full: addresses beyond the cap share one bucket per reason */
        addr = "*";
        g_free(key);
        key = g_strdup_printf("%s\n%lld\n%s\n%s", action, (long long)minute,
                              addr, reason);
        b = g_hash_table_lookup(r->buckets, key);
    }
    if (b == NULL) {
        b = idm_xcalloc(1, sizeof(*b));
        b->action = action;
        b->minute = minute;
        b->addr = idm_xstrdup(addr);
        b->reason = idm_xstrdup(reason);
        b->sp =
            sp != NULL ? idm_xstrndup(sp, strnlen(sp, REJECT_SP_MAX)) : NULL;
        g_hash_table_insert(r->buckets, key, b);
        key = NULL;
        first = 1;
    }
    b->count++;
    pthread_mutex_unlock(&r->lock);
    g_free(key);
    /* the log line once per bucket, not once per request: a flood neither
     * fills the journal nor the audit table */
    if (first) {
        web_audit_log(ctx, action, IDM_AUDIT_DENIED, sp, reason);
    }
}

int web_site_reject_flush(web_site *site, int all, idm_err *err)
{
    web_rejects *r = site->rejects;
    int64_t minute = (int64_t)time(NULL) / 60;
    GPtrArray *out = g_ptr_array_new_with_free_func(bucket_free);
    GHashTableIter it;
    gpointer k, v;
    idm_db *db = NULL;
    int rc = 0;

    if (r == NULL) {
        goto cleanup;
    }
    /* take the finished minutes (or all) out under the lock; write them
     * without it */
    pthread_mutex_lock(&r->lock);
    g_hash_table_iter_init(&it, r->buckets);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        bucket *b = v;
        if (all || b->minute < minute) {
            g_hash_table_iter_steal(&it);
            g_free(k);
            g_ptr_array_add(out, b);
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (out->len == 0) {
        goto cleanup;
    }
    rc = web_dbpool_get(&db, site->pool, err);
    for (guint i = 0; i < out->len; i++) {
        const bucket *b = g_ptr_array_index(out, i);
        idm_actor actor = {"anonymous", b->addr};
        char at[32];
        json_t *j = json_object();
        char *details;

        web_time_format(at, b->minute * 60);
        if (db == NULL) {
            /* no database: the counts go to the log at least */
            char qa[96], qr[256];
            idm_log(IDM_LOG_WARN, "web", "reject.unwritten",
                    "action=%s from=%s reason=%s minute=%s count=%lu",
                    b->action, idm_log_quote(qa, sizeof(qa), b->addr),
                    idm_log_quote(qr, sizeof(qr), b->reason), at, b->count);
            continue;
        }
        if (b->sp != NULL) {
            json_object_set_new(j, "sp", json_string(b->sp));
        }
        json_object_set_new(j, "reason", json_string(b->reason));
        json_object_set_new(j, "count", json_integer((json_int_t)b->count));
        json_object_set_new(j, "minute", json_string(at));
        details = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        idm_audit_write_detached(db, &actor, b->action,
                                 b->sp != NULL ? b->sp : "-", IDM_AUDIT_DENIED,
                                 details);
        free(details);
        if (b->count > 1) {
            char qa[96], qr[256];
            idm_log(IDM_LOG_NOTICE, "web", "reject.count",
                    "action=%s from=%s reason=%s minute=%s count=%lu",
                    b->action, idm_log_quote(qa, sizeof(qa), b->addr),
                    idm_log_quote(qr, sizeof(qr), b->reason), at, b->count);
        }
    }
    if (db != NULL) {
        web_dbpool_put(site->pool, db);
    }
cleanup:
    g_ptr_array_free(out, TRUE);
    return rc;
}
