/* SPDX-License-Identifier: EUPL-1.2
 * The active policy of a daemon: reference-counted snapshots swapped
 * under a mutex, reloaded on demand or when the files change.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"
#include "idm/policy.h"

struct idm_policy_store {
    GMutex lock;
    char *dir;
    idm_policy *active;  /* guarded by lock */
    guint64 fingerprint; /* of the files at the last load attempt */
    unsigned refused;
};

/* Mix mtime, size and name of every policy file into one number. */
static guint64 fingerprint(const char *dir)
{
    static const char *const subdirs[] = {"apps", "schema", "."};
    guint64 h = 1469598103934665603ULL;

    for (size_t i = 0; i < G_N_ELEMENTS(subdirs); i++) {
        char *path = g_build_filename(dir, subdirs[i], NULL);
        GDir *d = g_dir_open(path, 0, NULL);
        const char *name;

        while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
            char *file;
            GStatBuf st;

            if (!g_str_has_suffix(name, ".xml") &&
                !g_str_has_suffix(name, ".xsd")) {
                continue;
            }
            file = g_build_filename(path, name, NULL);
            if (g_stat(file, &st) == 0) {
                h = (h ^ (guint64)st.st_mtime) * 1099511628211ULL;
#ifdef __linux__
                h = (h ^ (guint64)st.st_mtim.tv_nsec) * 1099511628211ULL;
#endif
                h = (h ^ (guint64)st.st_size) * 1099511628211ULL;
                h = (h ^ g_str_hash(name)) * 1099511628211ULL;
            }
            g_free(file);
        }
        if (d != NULL) {
            g_dir_close(d);
        }
        g_free(path);
    }
    return h;
}

int idm_policy_store_open(idm_policy_store **out, const char *dir, idm_err *err)
{
    idm_policy_store *st = idm_xcalloc(1, sizeof(*st));
    int rc;

    *out = NULL;
    st->dir = idm_xstrdup(dir);
    g_mutex_init(&st->lock);
    st->fingerprint = fingerprint(dir);
    rc = idm_policy_load(&st->active, dir, NULL, NULL, err);
    if (rc != 0) {
        idm_policy_store_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

idm_policy *idm_policy_store_get(idm_policy_store *st)
{
    idm_policy *p;

    g_mutex_lock(&st->lock);
    p = idm_policy_ref(st->active);
    g_mutex_unlock(&st->lock);
    return p;
}

int idm_policy_store_reload(idm_policy_store *st, idm_policy_diag_fn diag,
                            void *ctx, idm_err *err)
{
    guint64 now = fingerprint(st->dir);
    idm_policy *fresh = NULL, *old;
    int rc;

    /* an explicit reload is an attempt too: the next poll does not try
     * the same files again */
    g_mutex_lock(&st->lock);
    st->fingerprint = now;
    g_mutex_unlock(&st->lock);
    /* Load outside the lock: readers are never blocked by parsing. */
    rc = idm_policy_load(&fresh, st->dir, diag, ctx, err);
    if (rc != 0) {
        g_mutex_lock(&st->lock);
        st->refused++;
        g_mutex_unlock(&st->lock);
        return rc;
    }
    g_mutex_lock(&st->lock);
    old = st->active;
    st->active = fresh;
    g_mutex_unlock(&st->lock);
    idm_policy_unref(old); /* readers holding it keep their reference */
    return 0;
}

int idm_policy_store_poll(idm_policy_store *st, idm_policy_diag_fn diag,
                          void *ctx, idm_err *err)
{
    guint64 now = fingerprint(st->dir);
    int rc;

    g_mutex_lock(&st->lock);
    if (now == st->fingerprint) {
        g_mutex_unlock(&st->lock);
        return 0;
    }
    /* remember the attempt: a broken file is reported once, not on every
     * poll, and the next edit is tried again */
    st->fingerprint = now;
    g_mutex_unlock(&st->lock);
    rc = idm_policy_store_reload(st, diag, ctx, err);
    return rc == 0 ? 1 : rc;
}

unsigned idm_policy_store_refused(const idm_policy_store *st)
{
    return st->refused;
}

void idm_policy_store_free(idm_policy_store *st)
{
    if (st == NULL) {
        return;
    }
    idm_policy_unref(st->active);
    g_mutex_clear(&st->lock);
    free(st->dir);
    free(st);
}
