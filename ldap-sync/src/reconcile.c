/* SPDX-License-Identifier: EUPL-1.2
 * Full reconcile: read the managed subtree (ou=people, ou=groups, ou=orgs
 * below the base) with a paged search, compare it with the entries the
 * core wants, print missing, extra and different entries (attributes and
 * memberships) and repair them unless it is a dry run. Nothing outside the
 * three containers is read or written.
 */
#include <string.h>

#include "lsync/escape.h"
#include "lsync_int.h"

#define PAGE_SIZE 1000

typedef struct want {
    lsync_entry *entry;
    const char *const *managed;
    char *key;
    int seen;
} want;

static void want_free(gpointer p)
{
    want *w = p;
    lsync_entry_free(w->entry);
    g_free(w->key);
    g_free(w);
}

static void want_add(GHashTable *wants, lsync_entry *e,
                     const char *const *managed, const char *key)
{
    want *w = g_new0(want, 1);
    char *norm = lsync_dn_normalize(e->dn);
    w->entry = e;
    w->managed = managed;
    w->key = g_strdup(key);
    g_hash_table_replace(wants, norm != NULL ? norm : g_strdup(e->dn), w);
}

/* Everything the core wants in the directory. */
static int load_wanted(lsync *s, GHashTable *wants, idm_err *err)
{
    lsync_load load;
    char *after = g_strdup("0");
    int rc;

    memset(&load, 0, sizeof(load));
    rc = lsync__load_orgs(&load, s->db, NULL, err);
    if (rc != 0) {
        goto cleanup;
    }
    for (guint i = 0; i < load.orgs->len; i++) {
        const lsync_org *o = &g_array_index(load.orgs, lsync_org, i);
        lsync_entry *e = NULL;
        char *key = g_strdup_printf("o:%s", o->code);
        rc = lsync_map_org(&e, &s->map, o, err);
        if (rc == 0) {
            want_add(wants, e, lsync_org_attrs, key);
        }
        g_free(key);
        if (rc != 0) {
            goto cleanup;
        }
    }
    for (;;) {
        rc = lsync__load_persons(&load, s->db, NULL, after, 5000, err);
        if (rc != 0) {
            goto cleanup;
        }
        if (load.persons->len == 0) {
            break;
        }
        for (guint i = 0; i < load.persons->len; i++) {
            const lsync_person *p =
                &g_array_index(load.persons, lsync_person, i);
            lsync_entry *e = NULL;
            char *key = g_strdup_printf("p:%s", p->uuid);
            rc = lsync_map_person(&e, &s->map, p, err);
            if (rc == 0) {
                want_add(wants, e, lsync_person_attrs, key);
            } else {
                char q[300];
                idm_log(IDM_LOG_WARN, LSYNC_COMP, "full.skip", "key=%s why=%s",
                        key, idm_log_quote(q, sizeof(q), err->msg));
                rc = 0;
            }
            g_free(key);
        }
        g_free(after);
        after = g_strdup(load.last_person_id);
    }
    rc = lsync__load_groups(&load, s->db, NULL, NULL, 1, err);
    if (rc != 0) {
        goto cleanup;
    }
    for (guint i = 0; i < load.groups->len; i++) {
        const lsync_group *g = &g_array_index(load.groups, lsync_group, i);
        lsync_entry *e = NULL;
        rc = lsync_map_group(&e, &s->map, g, err);
        if (rc != 0) {
            goto cleanup;
        }
        if (e != NULL) {
            want_add(wants, e, lsync_group_attrs, g->key);
        }
    }
cleanup:
    g_free(after);
    lsync__load_free(&load);
    return rc;
}

static int ci_in(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (g_ascii_strcasecmp(name, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Value sets equal? DN-valued member compares normalised; objectClass
 * ignoring case. */
static char *norm_value(const char *attr, const char *v)
{
    if (g_ascii_strcasecmp(attr, "member") == 0) {
        char *n = lsync_dn_normalize(v);
        return n != NULL ? n : g_strdup(v);
    }
    if (g_ascii_strcasecmp(attr, "objectClass") == 0) {
        return g_ascii_strdown(v, -1);
    }
    return g_strdup(v);
}

static GHashTable *value_set(const char *attr, char **vals, size_t n)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            NULL);
    for (size_t i = 0; i < n; i++) {
        g_hash_table_add(set, norm_value(attr, vals[i]));
    }
    return set;
}

/* Print the difference of one attribute; @return 1 if different. */
static int diff_attr(FILE *out, const char *dn, const char *attr,
                     const lsync_attr *want_a, char **have, size_t nhave)
{
    GHashTable *w = value_set(attr, want_a != NULL ? want_a->vals : NULL,
                              want_a != NULL ? want_a->n : 0);
    GHashTable *h = value_set(attr, have, nhave);
    GHashTableIter it;
    gpointer k;
    int differs = 0, secret = g_ascii_strcasecmp(attr, "userPassword") == 0;

    g_hash_table_iter_init(&it, w);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        if (!g_hash_table_contains(h, k)) {
            differs = 1;
        }
    }
    g_hash_table_iter_init(&it, h);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        if (!g_hash_table_contains(w, k)) {
            differs = 1;
        }
    }
    if (differs && out != NULL) {
        if (secret) {
            fprintf(out, "different dn=\"%s\" attr=%s (values not shown)\n", dn,
                    attr);
        } else {
            g_hash_table_iter_init(&it, w);
            while (g_hash_table_iter_next(&it, &k, NULL)) {
                if (!g_hash_table_contains(h, k)) {
                    fprintf(out, "different dn=\"%s\" attr=%s missing=\"%s\"\n",
                            dn, attr, (const char *)k);
                }
            }
            g_hash_table_iter_init(&it, h);
            while (g_hash_table_iter_next(&it, &k, NULL)) {
                if (!g_hash_table_contains(w, k)) {
                    fprintf(out, "different dn=\"%s\" attr=%s extra=\"%s\"\n",
                            dn, attr, (const char *)k);
                }
            }
        }
    }
    g_hash_table_destroy(w);
    g_hash_table_destroy(h);
    return differs;
}

typedef struct scan {
    lsync *s;
    GHashTable *wants;
    FILE *report;
    lsync_diff *diff;
    GPtrArray *fix;        /* items for the repair */
    GPtrArray *extras[16]; /* DNs of extra entries by depth */
} scan;

static int dn_depth(const char *dn)
{
    LDAPDN parsed = NULL;
    int n = 0;
    if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAP) == LDAP_SUCCESS) {
        while (parsed[n] != NULL) {
            n++;
        }
    }
    ldap_dnfree(parsed);
    return n;
}

static void scan_entry(scan *sc, LDAPMessage *m)
{
    LDAP *ld = sc->s->ld;
    char *dn = ldap_get_dn(ld, m), *norm, *a;
    BerElement *ber = NULL;
    want *w;
    int differs = 0;
    GPtrArray *drop = g_ptr_array_new_with_free_func(g_free);
    GHashTable *have_names = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                   g_free, NULL);

    norm = lsync_dn_normalize(dn);
    w = norm != NULL ? g_hash_table_lookup(sc->wants, norm) : NULL;
    if (w == NULL) {
        int d = dn_depth(dn);
        sc->diff->extra++;
        if (sc->report != NULL) {
            fprintf(sc->report, "extra dn=\"%s\"\n", dn);
        }
        if (d > 15) {
            d = 15;
        }
        g_ptr_array_add(sc->extras[d], g_strdup(dn));
        goto cleanup;
    }
    w->seen = 1;
    for (a = ldap_first_attribute(ld, m, &ber); a != NULL;
         a = ldap_next_attribute(ld, m, ber)) {
        struct berval **v = ldap_get_values_len(ld, m, a);
        GPtrArray *vals = g_ptr_array_new_with_free_func(g_free);
        for (int i = 0; v != NULL && v[i] != NULL; i++) {
            g_ptr_array_add(vals, g_strndup(v[i]->bv_val, v[i]->bv_len));
        }
        g_hash_table_add(have_names, g_ascii_strdown(a, -1));
        if (!ci_in(a, w->managed)) {
            /* written behind our back: not ours to keep */
            differs = 1;
            if (sc->report != NULL) {
                fprintf(sc->report, "different dn=\"%s\" attr=%s foreign\n", dn,
                        a);
            }
            g_ptr_array_add(drop, g_strdup(a));
        } else if (diff_attr(sc->report, dn, a, lsync_entry_get(w->entry, a),
                             (char **)vals->pdata, vals->len)) {
            differs = 1;
        }
        g_ptr_array_free(vals, TRUE);
        ldap_value_free_len(v);
        ldap_memfree(a);
    }
    ber_free(ber, 0);
    /* wanted attributes the entry lacks entirely */
    for (size_t i = 0; i < w->entry->n; i++) {
        char *lc = g_ascii_strdown(w->entry->attrs[i].name, -1);
        if (!g_hash_table_contains(have_names, lc)) {
            differs |= diff_attr(sc->report, dn, w->entry->attrs[i].name,
                                 &w->entry->attrs[i], NULL, 0);
        }
        g_free(lc);
    }
    if (differs) {
        lsync_item *it = g_new0(lsync_item, 1);
        sc->diff->different++;
        it->kind = LSYNC_ITEM_UPSERT;
        it->key = g_strdup(w->key);
        it->dn = g_strdup(w->entry->dn);
        it->entry = w->entry;
        w->entry = NULL; /* the item owns it now */
        w->entry = lsync_entry_new(it->dn); /* keep the want valid */
        it->managed = w->managed;
        it->exists = 1;
        if (drop->len > 0) {
            g_ptr_array_add(drop, NULL);
            it->drop_attrs = (char **)g_ptr_array_free(drop, FALSE);
            drop = NULL;
        }
        g_ptr_array_add(sc->fix, it);
    }
cleanup:
    if (drop != NULL) {
        g_ptr_array_free(drop, TRUE);
    }
    g_hash_table_destroy(have_names);
    g_free(norm);
    ldap_memfree(dn);
}

static int scan_subtree(scan *sc, const char *ou, idm_err *err)
{
    lsync *s = sc->s;
    char *base = g_strdup_printf("ou=%s,%s", ou, s->base);
    struct berval *cookie = NULL;
    int rc = 0;

    do {
        LDAPControl *pc = NULL, **rctrls = NULL, *found;
        LDAPControl *ctrls[2] = {NULL, NULL};
        LDAPMessage *res = NULL;
        struct timeval tv = {s->net_timeout * 10, 0};
        int code = 0, r;

        r = ldap_create_page_control(s->ld, PAGE_SIZE, cookie, 1, &pc);
        ber_bvfree(cookie);
        cookie = NULL;
        if (r != LDAP_SUCCESS) {
            rc = idm_err_set(err, IDM_EINTERNAL, "paged results control");
            break;
        }
        ctrls[0] = pc;
        r = ldap_search_ext_s(s->ld, base, LDAP_SCOPE_SUBTREE,
                              "(objectClass=*)", NULL, 0, ctrls, NULL, &tv, 0,
                              &res);
        ldap_control_free(pc);
        if (r != LDAP_SUCCESS && r != LDAP_NO_SUCH_OBJECT) {
            ldap_msgfree(res);
            rc = idm_err_set(err, IDM_EUNAVAIL, "could not search \"%s\"",
                             base);
            idm_err_detail(err, "%s", ldap_err2string(r));
            lsync__ldap_drop(s);
            break;
        }
        for (LDAPMessage *m = ldap_first_entry(s->ld, res); m != NULL;
             m = ldap_next_entry(s->ld, m)) {
            char *dn = ldap_get_dn(s->ld, m);
            int is_base = dn != NULL && g_ascii_strcasecmp(dn, base) == 0;
            ldap_memfree(dn);
            if (!is_base) {
                scan_entry(sc, m);
            }
        }
        if (ldap_parse_result(s->ld, res, &code, NULL, NULL, NULL, &rctrls,
                              0) == LDAP_SUCCESS) {
            found = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
            if (found != NULL) {
                ber_int_t count = 0;
                struct berval nc = {0, NULL};
                if (ldap_parse_pageresponse_control(s->ld, found, &count,
                                                    &nc) == LDAP_SUCCESS &&
                    nc.bv_len > 0) {
                    cookie = ber_bvdup(&nc);
                }
                ber_memfree(nc.bv_val);
            }
            ldap_controls_free(rctrls);
        }
        ldap_msgfree(res);
    } while (cookie != NULL);
    g_free(base);
    return rc;
}

int lsync_reconcile(lsync *s, int dry_run, FILE *report, lsync_diff *diff,
                    idm_err *err)
{
    GHashTable *wants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              want_free);
    scan sc;
    GHashTableIter hit;
    gpointer k, v;
    long writes = 0;
    int rc;

    memset(diff, 0, sizeof(*diff));
    memset(&sc, 0, sizeof(sc));
    if (!dry_run) {
        rc = lsync__check_writable(s, err);
        if (rc != 0) {
            g_hash_table_destroy(wants);
            return rc;
        }
    }
    sc.s = s;
    sc.wants = wants;
    sc.report = report;
    sc.diff = diff;
    sc.fix = g_ptr_array_new_with_free_func((GDestroyNotify)lsync__item_free);
    for (int i = 0; i < 16; i++) {
        sc.extras[i] = g_ptr_array_new_with_free_func(g_free);
    }
    rc = load_wanted(s, wants, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = lsync__ldap_connect(s, err);
    if (rc != 0) {
        goto cleanup;
    }
    /* the tree is read and repaired here: remembered states may be stale */
    lsync__written_clear(s);
    rc = scan_subtree(&sc, LSYNC_OU_ORGS, err);
    if (rc == 0) {
        rc = scan_subtree(&sc, LSYNC_OU_PEOPLE, err);
    }
    if (rc == 0) {
        rc = scan_subtree(&sc, LSYNC_OU_GROUPS, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    g_hash_table_iter_init(&hit, wants);
    while (g_hash_table_iter_next(&hit, &k, &v)) {
        want *w = v;
        lsync_item *it;
        if (w->seen) {
            continue;
        }
        diff->missing++;
        if (report != NULL) {
            fprintf(report, "missing dn=\"%s\"\n", w->entry->dn);
        }
        it = g_new0(lsync_item, 1);
        it->kind = LSYNC_ITEM_UPSERT;
        it->key = g_strdup(w->key);
        it->dn = g_strdup(w->entry->dn);
        it->entry = w->entry;
        w->entry = lsync_entry_new(it->dn);
        it->managed = w->managed;
        g_ptr_array_add(sc.fix, it);
    }
    if (report != NULL) {
        fprintf(report, "summary missing=%ld extra=%ld different=%ld%s\n",
                diff->missing, diff->extra, diff->different,
                dry_run ? " dry_run=1" : "");
    }
    if (dry_run) {
        goto cleanup;
    }
    rc = lsync__ldap_apply(s, sc.fix, &writes, err);
    /* extra entries: deepest first, so that parents are leaves by then */
    for (int d = 15; rc == 0 && d >= 0; d--) {
        GPtrArray *dels;
        if (sc.extras[d]->len == 0) {
            continue;
        }
        dels = g_ptr_array_new_with_free_func(
            (GDestroyNotify)lsync__item_free);
        for (guint i = 0; i < sc.extras[d]->len; i++) {
            lsync_item *it = g_new0(lsync_item, 1);
            it->kind = LSYNC_ITEM_DELETE;
            it->key = g_strdup("extra");
            it->dn = g_strdup(g_ptr_array_index(sc.extras[d], i));
            g_ptr_array_add(dels, it);
        }
        rc = lsync__ldap_apply(s, dels, &writes, err);
        for (guint i = 0; rc == 0 && i < dels->len; i++) {
            lsync_item *it = g_ptr_array_index(dels, i);
            if (it->done != 1 && report != NULL) {
                fprintf(report, "failed dn=\"%s\" reason=\"%s\"\n", it->dn,
                        it->reason != NULL ? it->reason : "");
            }
        }
        g_ptr_array_free(dels, TRUE);
    }
    for (guint i = 0; rc == 0 && i < sc.fix->len; i++) {
        lsync_item *it = g_ptr_array_index(sc.fix, i);
        if (it->done != 1 && report != NULL) {
            fprintf(report, "failed dn=\"%s\" reason=\"%s\"\n", it->dn,
                    it->reason != NULL ? it->reason : "");
        }
    }
    if (rc == 0) {
        /* the directory now holds exactly the core's logins */
        rc = idm_db_begin(s->db, err);
        if (rc == 0) {
            rc = idm_db_query(NULL, s->db, "DELETE FROM lsync.person_state", 0,
                              NULL, err);
        }
        if (rc == 0) {
            rc = idm_db_query(
                NULL, s->db,
                "INSERT INTO lsync.person_state (uuid, login) "
                "SELECT p.uuid, a.login FROM person p JOIN account "
                "a ON a.person_id = p.id "
                "WHERE a.status <> 'deleted'",
                0, NULL, err);
        }
        if (rc == 0) {
            rc = idm_db_commit(s->db, err);
        } else if (idm_db_in_tx(s->db)) {
            idm_db_rollback(s->db);
        }
    }
    if (report != NULL && rc == 0) {
        fprintf(report, "repaired writes=%ld\n", writes);
    }
cleanup:
    g_hash_table_destroy(wants);
    g_ptr_array_free(sc.fix, TRUE);
    for (int i = 0; i < 16; i++) {
        g_ptr_array_free(sc.extras[i], TRUE);
    }
    return rc;
}
