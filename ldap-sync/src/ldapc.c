/* SPDX-License-Identifier: EUPL-1.2
 * LDAP side of the sync: connection, and the asynchronous engine that
 * applies work items with a window of operations in flight. Each item has
 * at most one operation outstanding, so operations on one entry keep
 * their order; an add that finds the entry becomes a modify, a modify that
 * misses it becomes an add, a delete of a missing entry counts as done.
 * Groups of the sync whose last written state is known (s->written) are
 * skipped when unchanged and otherwise get a modify of the changed values
 * only (ST_DELTA), which falls back to a replace of every managed
 * attribute if the server disagrees with what we remember.
 */
#include <stdint.h>
#include <string.h>

#include "lsync/escape.h"
#include "lsync_int.h"

enum {
    ST_NONE,
    ST_RENAME,
    ST_DELOLD,
    ST_ADD,
    ST_MODIFY,
    ST_DELTA,
    ST_DELETE
};

void lsync__item_free(lsync_item *item)
{
    if (item == NULL) {
        return;
    }
    g_free(item->key);
    g_free(item->dn);
    g_free(item->old_dn);
    lsync_entry_free(item->entry);
    g_strfreev(item->drop_attrs);
    g_free(item->reason);
    g_free(item);
}

int lsync__ldap_transient(int code)
{
    switch (code) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_LOCAL_ERROR:
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
    case LDAP_UNWILLING_TO_PERFORM: /* read-only replica, full database */
    case LDAP_OTHER:
    case LDAP_ADMINLIMIT_EXCEEDED:
    case LDAP_INSUFFICIENT_ACCESS: /* our bind lacks rights: fix config */
    case LDAP_INVALID_CREDENTIALS:
        return 1;
    default:
        return 0;
    }
}

void lsync__written_clear(lsync *s)
{
    if (s->written != NULL) {
        g_hash_table_remove_all(s->written);
    }
}

void lsync__ldap_drop(lsync *s)
{
    if (s->ld != NULL) {
        ldap_unbind_ext_s(s->ld, NULL, NULL);
        s->ld = NULL;
    }
    /* the server may come back restored from a backup */
    lsync__written_clear(s);
}

static lsync_entry *entry_copy(const lsync_entry *e)
{
    lsync_entry *c = lsync_entry_new(e->dn);

    for (size_t i = 0; i < e->n; i++) {
        for (size_t j = 0; j < e->attrs[i].n; j++) {
            lsync_entry_append(c, e->attrs[i].name, e->attrs[i].vals[j]);
        }
    }
    return c;
}

/* Record the outcome of a finished item in s->written. */
static void written_note(lsync *s, const lsync_item *it)
{
    if (s->written == NULL) {
        s->written = g_hash_table_new_full(
            g_str_hash, g_str_equal, g_free,
            (GDestroyNotify)lsync_entry_free);
    }
    if (it->cache && it->done == 1 && it->kind == LSYNC_ITEM_UPSERT &&
        it->entry != NULL) {
        g_hash_table_replace(s->written, g_strdup(it->key),
                             entry_copy(it->entry));
    } else {
        g_hash_table_remove(s->written, it->key);
    }
}

/* The remembered state an item may be diffed against, or NULL. */
static const lsync_entry *written_prev(const lsync *s, const lsync_item *it)
{
    const lsync_entry *prev;

    if (!it->cache || s->written == NULL || it->kind != LSYNC_ITEM_UPSERT ||
        it->old_dn != NULL || it->drop_attrs != NULL || it->entry == NULL) {
        return NULL;
    }
    prev = g_hash_table_lookup(s->written, it->key);
    return prev != NULL && strcmp(prev->dn, it->dn) == 0 ? prev : NULL;
}

static int ensure_containers(lsync *s, idm_err *err)
{
    static const char *const ous[] = {LSYNC_OU_PEOPLE, LSYNC_OU_GROUPS,
                                      LSYNC_OU_ORGS};
    for (size_t i = 0; i < 3; i++) {
        char *dn = g_strdup_printf("ou=%s,%s", ous[i], s->base);
        char *oc[] = {(char *)(uintptr_t) "organizationalUnit", NULL};
        char *ou[] = {(char *)(uintptr_t)ous[i], NULL};
        LDAPMod m_oc = {LDAP_MOD_ADD, (char *)(uintptr_t) "objectClass",
                        {oc}};
        LDAPMod m_ou = {LDAP_MOD_ADD, (char *)(uintptr_t) "ou", {ou}};
        LDAPMod *mods[] = {&m_oc, &m_ou, NULL};
        int rc = ldap_add_ext_s(s->ld, dn, mods, NULL, NULL);
        if (rc != LDAP_SUCCESS && rc != LDAP_ALREADY_EXISTS) {
            idm_err_set(err,
                        lsync__ldap_transient(rc) ? IDM_EUNAVAIL : IDM_EINVAL,
                        "could not create \"%s\"", dn);
            idm_err_detail(err, "%s", ldap_err2string(rc));
            g_free(dn);
            return err != NULL ? err->code : IDM_EUNAVAIL;
        }
        g_free(dn);
    }
    s->containers_ok = 1;
    return 0;
}

int lsync__ldap_connect(lsync *s, idm_err *err)
{
    struct berval cred;
    struct timeval tv = {s->net_timeout, 0};
    int version = LDAP_VERSION3, rc;

    if (s->ld != NULL) {
        return 0;
    }
    rc = ldap_initialize(&s->ld, s->uri);
    if (rc != LDAP_SUCCESS) {
        s->ld = NULL;
        idm_err_set(err, IDM_ECONFIG, "invalid LDAP URI \"%s\"", s->uri);
        idm_err_detail(err, "%s", ldap_err2string(rc));
        return IDM_ECONFIG;
    }
    ldap_set_option(s->ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(s->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(s->ld, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(s->ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
    cred.bv_val = s->password;
    cred.bv_len = s->password != NULL ? strlen(s->password) : 0;
    rc = ldap_sasl_bind_s(s->ld, s->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
                          NULL, NULL);
    if (rc != LDAP_SUCCESS) {
        idm_err_set(err, IDM_EUNAVAIL, "could not bind to \"%s\" as \"%s\"",
                    s->uri, s->bind_dn);
        idm_err_detail(err, "%s", ldap_err2string(rc));
        lsync__ldap_drop(s);
        return IDM_EUNAVAIL;
    }
    if (!s->containers_ok && !s->read_only) {
        rc = ensure_containers(s, err);
        if (rc != 0) {
            lsync__ldap_drop(s);
            return rc;
        }
    }
    return 0;
}

/* LDAPMod arrays built from an entry; freed with mods_free. */
static LDAPMod **mods_build(const lsync_item *it, int op)
{
    GPtrArray *mods = g_ptr_array_new();
    const lsync_entry *e = it->entry;

    if (op == LDAP_MOD_ADD) {
        for (size_t i = 0; i < e->n; i++) {
            LDAPMod *m = g_new0(LDAPMod, 1);
            m->mod_op = LDAP_MOD_ADD;
            m->mod_type = e->attrs[i].name;
            m->mod_values = e->attrs[i].vals;
            g_ptr_array_add(mods, m);
        }
    } else {
        for (size_t i = 0; it->managed[i] != NULL; i++) {
            const lsync_attr *a = lsync_entry_get(e, it->managed[i]);
            LDAPMod *m = g_new0(LDAPMod, 1);
            m->mod_op = LDAP_MOD_REPLACE;
            m->mod_type = (char *)(uintptr_t)it->managed[i];
            m->mod_values = a != NULL ? a->vals : NULL;
            g_ptr_array_add(mods, m);
        }
        for (size_t i = 0; it->drop_attrs != NULL && it->drop_attrs[i];
             i++) {
            LDAPMod *m = g_new0(LDAPMod, 1);
            m->mod_op = LDAP_MOD_DELETE;
            m->mod_type = it->drop_attrs[i];
            g_ptr_array_add(mods, m);
        }
    }
    g_ptr_array_add(mods, NULL);
    return (LDAPMod **)g_ptr_array_free(mods, FALSE);
}

static void mods_free(LDAPMod **mods)
{
    for (size_t i = 0; mods[i] != NULL; i++) {
        g_free(mods[i]);
    }
    g_free(mods);
}

/* Values of a not in b (all of a if b is NULL); borrowed strings in a
 * new NULL-terminated array, NULL if there are none. */
static char **vals_minus(const lsync_attr *a, const lsync_attr *b)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTable *set = NULL;

    if (b != NULL && b->n > 8) {
        set = g_hash_table_new(g_str_hash, g_str_equal);
        for (size_t i = 0; i < b->n; i++) {
            g_hash_table_add(set, b->vals[i]);
        }
    }
    for (size_t i = 0; a != NULL && i < a->n; i++) {
        int found = 0;
        if (set != NULL) {
            found = g_hash_table_contains(set, a->vals[i]);
        } else {
            for (size_t j = 0; b != NULL && j < b->n && !found; j++) {
                found = strcmp(a->vals[i], b->vals[j]) == 0;
            }
        }
        if (!found) {
            g_ptr_array_add(out, a->vals[i]);
        }
    }
    if (set != NULL) {
        g_hash_table_destroy(set);
    }
    if (out->len == 0) {
        g_ptr_array_free(out, TRUE);
        return NULL;
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static void delta_add(GPtrArray *mods, int op, const char *attr, char **vals)
{
    LDAPMod *m = g_new0(LDAPMod, 1);

    m->mod_op = op;
    m->mod_type = (char *)(uintptr_t)attr;
    m->mod_values = vals;
    g_ptr_array_add(mods, m);
}

/* The modify that turns prev into it->entry: for each managed attribute
 * the removed values are deleted and the new ones added (an attribute
 * that disappears entirely is deleted as a whole). NULL if nothing
 * changed. Free with delta_free. */
static LDAPMod **delta_build(const lsync_item *it, const lsync_entry *prev)
{
    GPtrArray *mods = g_ptr_array_new();

    for (size_t i = 0; it->managed[i] != NULL; i++) {
        const char *name = it->managed[i];
        const lsync_attr *want = lsync_entry_get(it->entry, name);
        const lsync_attr *had = lsync_entry_get(prev, name);
        char **gone = vals_minus(had, want);
        char **fresh = vals_minus(want, had);

        if (gone != NULL && want == NULL) {
            g_free(gone);
            delta_add(mods, LDAP_MOD_DELETE, name, NULL);
        } else if (gone != NULL) {
            delta_add(mods, LDAP_MOD_DELETE, name, gone);
        }
        if (fresh != NULL) {
            delta_add(mods, LDAP_MOD_ADD, name, fresh);
        }
    }
    if (mods->len == 0) {
        g_ptr_array_free(mods, TRUE);
        return NULL;
    }
    g_ptr_array_add(mods, NULL);
    return (LDAPMod **)g_ptr_array_free(mods, FALSE);
}

static void delta_free(LDAPMod **mods)
{
    for (size_t i = 0; mods != NULL && mods[i] != NULL; i++) {
        g_free(mods[i]->mod_values);
    }
    if (mods != NULL) {
        mods_free(mods);
    }
}

/* Send the operation of item's current state. @return LDAP code of the
 * send (LDAP_SUCCESS if sent). */
static int send_op(lsync *s, lsync_item *it)
{
    LDAPMod **mods;
    int rc = LDAP_OTHER;

    switch (it->state) {
    case ST_RENAME: {
        const char *uid = lsync_entry_first(it->entry, "uid");
        char *v = lsync_dn_escape_value(uid != NULL ? uid : "");
        char *rdn = g_strdup_printf("uid=%s", v);
        rc = ldap_rename(s->ld, it->old_dn, rdn, NULL, 1, NULL, NULL,
                         &it->msgid);
        g_free(rdn);
        g_free(v);
        break;
    }
    case ST_DELOLD:
        rc = ldap_delete_ext(s->ld, it->old_dn, NULL, NULL, &it->msgid);
        break;
    case ST_ADD:
        it->tried_add = 1;
        mods = mods_build(it, LDAP_MOD_ADD);
        rc = ldap_add_ext(s->ld, it->dn, mods, NULL, NULL, &it->msgid);
        mods_free(mods);
        break;
    case ST_MODIFY:
        it->tried_mod = 1;
        mods = mods_build(it, LDAP_MOD_REPLACE);
        rc = ldap_modify_ext(s->ld, it->dn, mods, NULL, NULL, &it->msgid);
        mods_free(mods);
        break;
    case ST_DELTA: {
        const lsync_entry *prev = written_prev(s, it);
        mods = prev != NULL ? delta_build(it, prev) : NULL;
        if (mods == NULL) {
            /* first_state saw a difference; replace to be safe */
            it->state = ST_MODIFY;
            return send_op(s, it);
        }
        rc = ldap_modify_ext(s->ld, it->dn, mods, NULL, NULL, &it->msgid);
        delta_free(mods);
        break;
    }
    case ST_DELETE:
        rc = ldap_delete_ext(s->ld, it->dn, NULL, NULL, &it->msgid);
        break;
    default:
        break;
    }
    return rc;
}

/* @return 0 if an operation must be sent, 1 if the item is already in
 * shape (its remembered state is the wanted one). */
static int first_state(const lsync *s, lsync_item *it)
{
    const lsync_entry *prev = written_prev(s, it);

    if (prev != NULL) {
        LDAPMod **mods = delta_build(it, prev);
        if (mods == NULL) {
            it->done = 1;
            return 1;
        }
        delta_free(mods);
        it->state = ST_DELTA;
    } else if (it->kind == LSYNC_ITEM_DELETE) {
        it->state = ST_DELETE;
    } else if (it->old_dn != NULL) {
        it->state = ST_RENAME;
    } else {
        it->state = it->exists ? ST_MODIFY : ST_ADD;
    }
    return 0;
}

static void fail_item(lsync_item *it, int code, const char *text)
{
    it->done = -1;
    it->ldap_rc = code;
    g_free(it->reason);
    it->reason = g_strdup_printf("%s: %s%s%s", ldap_err2string(code),
                                 text != NULL ? text : "",
                                 text != NULL && text[0] != '\0' ? "; " : "",
                                 it->dn);
}

/* Advance item after a result. @return 1 if another op must be sent,
 * 0 if the item is finished. */
static int step(lsync_item *it, int code, const char *text)
{
    switch (it->state) {
    case ST_RENAME:
        if (code == LDAP_SUCCESS) {
            it->state = ST_MODIFY;
        } else if (code == LDAP_NO_SUCH_OBJECT) {
            it->state = ST_ADD;
        } else if (code == LDAP_ALREADY_EXISTS) {
            it->state = ST_DELOLD; /* replay after a crash: both exist */
        } else {
            fail_item(it, code, text);
            return 0;
        }
        return 1;
    case ST_DELOLD:
        if (code == LDAP_SUCCESS || code == LDAP_NO_SUCH_OBJECT) {
            it->state = ST_MODIFY;
            return 1;
        }
        fail_item(it, code, text);
        return 0;
    case ST_ADD:
        if (code == LDAP_SUCCESS) {
            it->done = 1;
            return 0;
        }
        if (code == LDAP_ALREADY_EXISTS && !it->tried_mod) {
            it->state = ST_MODIFY;
            return 1;
        }
        fail_item(it, code, text);
        return 0;
    case ST_MODIFY:
        if (code == LDAP_SUCCESS) {
            it->done = 1;
            return 0;
        }
        if (code == LDAP_NO_SUCH_OBJECT && !it->tried_add) {
            it->state = ST_ADD;
            return 1;
        }
        fail_item(it, code, text);
        return 0;
    case ST_DELTA:
        if (code == LDAP_SUCCESS) {
            it->done = 1;
            return 0;
        }
        /* the entry is not what we remember: write it whole */
        it->state = code == LDAP_NO_SUCH_OBJECT ? ST_ADD : ST_MODIFY;
        return 1;
    case ST_DELETE:
        if (code == LDAP_SUCCESS || code == LDAP_NO_SUCH_OBJECT) {
            it->done = 1;
            return 0;
        }
        fail_item(it, code, text);
        return 0;
    default:
        fail_item(it, LDAP_OTHER, "internal state");
        return 0;
    }
}

static int unavailable(lsync *s, int code, idm_err *err)
{
    idm_err_set(err, IDM_EUNAVAIL, "LDAP server \"%s\" unavailable", s->uri);
    idm_err_detail(err, "%s", ldap_err2string(code));
    lsync__ldap_drop(s);
    return IDM_EUNAVAIL;
}

int lsync__ldap_apply(lsync *s, GPtrArray *items, long *writes, idm_err *err)
{
    GHashTable *inflight = g_hash_table_new(g_direct_hash, g_direct_equal);
    guint next = 0, finished = 0;
    int rc = 0, window = s->window > 0 ? s->window : 1;

    rc = lsync__ldap_connect(s, err);
    if (rc != 0) {
        goto cleanup;
    }
    while (finished < items->len) {
        LDAPMessage *msg = NULL;
        struct timeval tv = {s->net_timeout, 0};
        lsync_item *it;
        char *text = NULL;
        int code = 0, r;

        while (g_hash_table_size(inflight) < (guint)window &&
               next < items->len) {
            it = g_ptr_array_index(items, next++);
            if (it->done == -1 && it->entry == NULL &&
                it->kind == LSYNC_ITEM_UPSERT) {
                finished++; /* could not be mapped: parked by the caller */
                continue;
            }
            it->done = 0;
            it->tried_add = it->tried_mod = 0;
            if (first_state(s, it)) {
                finished++; /* unchanged since we wrote it */
                continue;
            }
            r = send_op(s, it);
            if (r != LDAP_SUCCESS) {
                rc = unavailable(s, r, err);
                goto cleanup;
            }
            g_hash_table_insert(inflight, GINT_TO_POINTER(it->msgid), it);
        }
        if (g_hash_table_size(inflight) == 0) {
            continue; /* the rest needed no operation: nothing to wait for */
        }
        r = ldap_result(s->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &msg);
        if (r <= 0) {
            ldap_msgfree(msg);
            rc = unavailable(s, r == 0 ? LDAP_TIMEOUT : LDAP_SERVER_DOWN, err);
            goto cleanup;
        }
        it = g_hash_table_lookup(inflight, GINT_TO_POINTER(ldap_msgid(msg)));
        if (it == NULL) {
            ldap_msgfree(msg); /* unsolicited notification */
            continue;
        }
        g_hash_table_remove(inflight, GINT_TO_POINTER(it->msgid));
        r = ldap_parse_result(s->ld, msg, &code, NULL, &text, NULL, NULL, 1);
        if (r != LDAP_SUCCESS) {
            code = r;
        }
        if (lsync__ldap_transient(code)) {
            ldap_memfree(text);
            rc = unavailable(s, code, err);
            goto cleanup;
        }
        if (code == LDAP_SUCCESS && writes != NULL) {
            (*writes)++;
        }
        if (step(it, code, text)) {
            ldap_memfree(text);
            r = send_op(s, it);
            if (r != LDAP_SUCCESS) {
                rc = unavailable(s, r, err);
                goto cleanup;
            }
            g_hash_table_insert(inflight, GINT_TO_POINTER(it->msgid), it);
            continue;
        }
        ldap_memfree(text);
        written_note(s, it);
        finished++;
    }
cleanup:
    g_hash_table_destroy(inflight);
    return rc;
}

int lsync__ldap_groups_of(lsync *s, const char *dn, GHashTable *keys,
                          idm_err *err)
{
    char *fv = lsync_filter_escape_value(dn);
    char *filter = g_strdup_printf("(member=%s)", fv);
    char *base = g_strdup_printf("ou=" LSYNC_OU_GROUPS ",%s", s->base);
    char *attrs[] = {(char *)(uintptr_t) "idmGroupKey", NULL};
    struct timeval tv = {s->net_timeout, 0};
    LDAPMessage *res = NULL;
    int rc = 0, r;

    r = lsync__ldap_connect(s, err);
    if (r != 0) {
        rc = r;
        goto cleanup;
    }
    r = ldap_search_ext_s(s->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
                          NULL, NULL, &tv, 0, &res);
    if (r != LDAP_SUCCESS && r != LDAP_NO_SUCH_OBJECT) {
        rc = unavailable(s, r, err);
        goto cleanup;
    }
    for (LDAPMessage *m = ldap_first_entry(s->ld, res); m != NULL;
         m = ldap_next_entry(s->ld, m)) {
        struct berval **v = ldap_get_values_len(s->ld, m, "idmGroupKey");
        for (int i = 0; v != NULL && v[i] != NULL; i++) {
            g_hash_table_add(keys, g_strndup(v[i]->bv_val, v[i]->bv_len));
        }
        ldap_value_free_len(v);
    }
cleanup:
    ldap_msgfree(res);
    g_free(fv);
    g_free(filter);
    g_free(base);
    return rc;
}
