/* SPDX-License-Identifier: EUPL-1.2
 * LDAP sync benchmark helpers (run by tests/bench/lsync/run):
 *   bench_lsync add URI BIND_DN PWFILE LDIF [WINDOW]
 *     the reference: raw asynchronous ldap_add of every entry of an LDIF
 *     file (idm-ldap-sync --export-ldif) over one connection; entries/s
 *   bench_lsync lag URI BIND_DN PWFILE BASE CONNINFO RATE SECONDS FIRST_ID
 *     RATE person renames per second for SECONDS, committed in SQL in
 *     batches of RATE/10 every 100 ms with outbox rows (person ids from
 *     FIRST_ID on, each once); a syncrepl refreshAndPersist search on
 *     (sn=T*) sees each arrive; prints p50/p99/max commit-to-LDAP time
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <glib.h>
#include <lber.h>
#include <ldap.h>
#include <libpq-fe.h>

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static LDAP *connect_bind(const char *uri, const char *dn, const char *pwfile)
{
    LDAP *ld = NULL;
    gchar *pw = NULL;
    gsize len = 0;
    struct berval cred;
    int v3 = LDAP_VERSION3, rc;

    if (!g_file_get_contents(pwfile, &pw, &len, NULL)) {
        fprintf(stderr, "cannot read %s\n", pwfile);
        return NULL;
    }
    if (ldap_initialize(&ld, uri) != LDAP_SUCCESS) {
        g_free(pw);
        return NULL;
    }
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    cred.bv_val = pw;
    cred.bv_len = len;
    rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
    g_free(pw);
    if (rc != LDAP_SUCCESS) {
        fprintf(stderr, "bind: %s\n", ldap_err2string(rc));
        ldap_unbind_ext_s(ld, NULL, NULL);
        return NULL;
    }
    return ld;
}

/* ---- LDIF (as lsync_entry_write_ldif writes it) ---------------------------- */

typedef struct ent {
    char *dn;
    LDAPMod **mods;
} ent;

static void ent_free(gpointer p)
{
    ent *e = p;

    for (size_t i = 0; e->mods != NULL && e->mods[i] != NULL; i++) {
        for (size_t j = 0; e->mods[i]->mod_bvalues[j] != NULL; j++) {
            g_free(e->mods[i]->mod_bvalues[j]->bv_val);
            g_free(e->mods[i]->mod_bvalues[j]);
        }
        g_free(e->mods[i]->mod_bvalues);
        g_free(e->mods[i]->mod_type);
        g_free(e->mods[i]);
    }
    g_free(e->mods);
    g_free(e->dn);
    g_free(e);
}

static void ent_add_value(GPtrArray *mods, const char *attr, char *val,
                          size_t len)
{
    LDAPMod *m = NULL;
    struct berval *bv = g_new0(struct berval, 1);
    size_t n = 0;

    for (guint i = 0; i < mods->len; i++) {
        LDAPMod *x = g_ptr_array_index(mods, i);
        if (g_ascii_strcasecmp(x->mod_type, attr) == 0) {
            m = x;
        }
    }
    if (m == NULL) {
        m = g_new0(LDAPMod, 1);
        m->mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
        m->mod_type = g_strdup(attr);
        m->mod_bvalues = g_new0(struct berval *, 1);
        g_ptr_array_add(mods, m);
    }
    while (m->mod_bvalues[n] != NULL) {
        n++;
    }
    m->mod_bvalues = g_renew(struct berval *, m->mod_bvalues, n + 2);
    bv->bv_val = val;
    bv->bv_len = len;
    m->mod_bvalues[n] = bv;
    m->mod_bvalues[n + 1] = NULL;
}

/* One logical line ("attr: v" / "attr:: b64") into the entry being built. */
static void ldif_line(GPtrArray *out, ent **cur, GPtrArray **mods,
                      const char *line)
{
    const char *colon = strchr(line, ':');
    char *attr, *val;
    size_t len;

    if (colon == NULL) {
        return;
    }
    attr = g_strndup(line, (size_t)(colon - line));
    if (colon[1] == ':') {
        gsize n = 0;
        const char *p = colon + 2;
        while (*p == ' ') {
            p++;
        }
        val = (char *)g_base64_decode(p, &n);
        len = n;
    } else {
        const char *p = colon + 1;
        while (*p == ' ') {
            p++;
        }
        val = g_strdup(p);
        len = strlen(val);
    }
    if (g_ascii_strcasecmp(attr, "dn") == 0) {
        *cur = g_new0(ent, 1);
        (*cur)->dn = g_strndup(val, len);
        *mods = g_ptr_array_new();
        g_ptr_array_add(out, *cur);
        g_free(val);
    } else if (*cur != NULL) {
        ent_add_value(*mods, attr, val, len);
    } else {
        g_free(val);
    }
    g_free(attr);
}

static void ldif_finish(ent **cur, GPtrArray **mods)
{
    if (*cur != NULL) {
        g_ptr_array_add(*mods, NULL);
        (*cur)->mods = (LDAPMod **)g_ptr_array_free(*mods, FALSE);
        *cur = NULL;
        *mods = NULL;
    }
}

static GPtrArray *ldif_read(const char *path)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(ent_free);
    GString *logical = g_string_new(NULL);
    GPtrArray *mods = NULL;
    ent *cur = NULL;
    gchar *data = NULL;
    char **lines;

    if (!g_file_get_contents(path, &data, NULL, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    lines = g_strsplit(data, "\n", -1);
    g_free(data);
    for (size_t i = 0; lines[i] != NULL; i++) {
        const char *l = lines[i];
        if (l[0] == ' ') {
            g_string_append(logical, l + 1); /* RFC 2849 continuation */
            continue;
        }
        if (logical->len > 0) {
            ldif_line(out, &cur, &mods, logical->str);
            g_string_truncate(logical, 0);
        }
        if (l[0] == '\0') {
            ldif_finish(&cur, &mods);
        } else if (l[0] != '#') {
            g_string_append(logical, l);
        }
    }
    if (logical->len > 0) {
        ldif_line(out, &cur, &mods, logical->str);
    }
    ldif_finish(&cur, &mods);
    g_strfreev(lines);
    g_string_free(logical, TRUE);
    return out;
}

static int cmd_add(int argc, char **argv)
{
    GPtrArray *ents;
    LDAP *ld;
    guint next = 0, done = 0, failed = 0, inflight = 0;
    int window = argc > 6 ? atoi(argv[6]) : 256;
    double t0, secs;

    if (argc < 6) {
        return 2;
    }
    ents = ldif_read(argv[5]);
    ld = connect_bind(argv[2], argv[3], argv[4]);
    if (ld == NULL) {
        return 1;
    }
    t0 = now_s();
    while (done < ents->len) {
        LDAPMessage *msg = NULL;
        int code = 0, msgid;
        while (inflight < (guint)window && next < ents->len) {
            ent *e = g_ptr_array_index(ents, next++);
            if (ldap_add_ext(ld, e->dn, e->mods, NULL, NULL, &msgid) !=
                LDAP_SUCCESS) {
                fprintf(stderr, "send failed\n");
                return 1;
            }
            inflight++;
        }
        if (ldap_result(ld, LDAP_RES_ANY, LDAP_MSG_ONE, NULL, &msg) <= 0) {
            fprintf(stderr, "connection lost\n");
            return 1;
        }
        ldap_parse_result(ld, msg, &code, NULL, NULL, NULL, NULL, 1);
        if (code != LDAP_SUCCESS) {
            failed++;
        }
        inflight--;
        done++;
    }
    secs = now_s() - t0;
    printf("raw_add entries=%u failed=%u seconds=%.2f entries_per_s=%.0f\n",
           ents->len, failed, secs, (double)ents->len / secs);
    ldap_unbind_ext_s(ld, NULL, NULL);
    g_ptr_array_free(ents, TRUE);
    return failed == 0 ? 0 : 1;
}

/* ---- lag ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sync request control (RFC 4533): refreshAndPersist, no cookie. */
static LDAPControl *sync_control(void)
{
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    struct berval bv;
    LDAPControl *c = NULL;

    ber_printf(ber, "{e}", (ber_int_t)3);
    ber_flatten2(ber, &bv, 0);
    ldap_control_create(LDAP_CONTROL_SYNC, 1, &bv, 1, &c);
    ber_free(ber, 1);
    return c;
}

static int cmd_lag(int argc, char **argv)
{
    LDAP *ld;
    PGconn *pg;
    LDAPControl *ctrl, *ctrls[2];
    char *attrs[] = {(char *)(uintptr_t) "sn", NULL};
    char *base;
    int rate, secs, per_tick, total, msgid, seen = 0, next = 0;
    long first_id;
    double *committed, *arrived, t_start, next_tick, *lat;
    double deadline;
    int nlat = 0, rc = 1;

    if (argc < 10) {
        return 2;
    }
    rate = atoi(argv[7]);
    secs = atoi(argv[8]);
    first_id = atol(argv[9]);
    per_tick = rate / 10 > 0 ? rate / 10 : 1;
    total = per_tick * 10 * secs;
    committed = g_new0(double, (size_t)total);
    arrived = g_new0(double, (size_t)total);
    ld = connect_bind(argv[2], argv[3], argv[4]);
    pg = PQconnectdb(argv[6]);
    if (ld == NULL || PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "connect failed: %s\n", PQerrorMessage(pg));
        return 1;
    }
    base = g_strdup_printf("ou=people,%s", argv[5]);
    ctrl = sync_control();
    ctrls[0] = ctrl;
    ctrls[1] = NULL;
    if (ldap_search_ext(ld, base, LDAP_SCOPE_ONELEVEL, "(sn=T*)", attrs, 0,
                        ctrls, NULL, NULL, 0, &msgid) != LDAP_SUCCESS) {
        fprintf(stderr, "syncrepl search failed\n");
        return 1;
    }
    t_start = now_s();
    next_tick = t_start;
    deadline = t_start + secs + 30.0;
    while (now_s() < deadline && seen < total) {
        LDAPMessage *msg = NULL;
        struct timeval tv;
        double wait;
        if (next < total && now_s() >= next_tick) {
            GString *ids = g_string_new("{"), *seqs = g_string_new("{");
            const char *params[2];
            PGresult *res;
            for (int i = 0; i < per_tick; i++) {
                g_string_append_printf(ids, "%s%ld", i ? "," : "",
                                       first_id + next + i);
                g_string_append_printf(seqs, "%s%d", i ? "," : "", next + i);
            }
            g_string_append_c(ids, '}');
            g_string_append_c(seqs, '}');
            params[0] = ids->str;
            params[1] = seqs->str;
            /* one statement = one transaction: rename and outbox rows */
            res = PQexecParams(
                pg,
                "WITH v AS (SELECT unnest($1::bigint[]) AS id, "
                "unnest($2::int[]) AS seq), u AS (UPDATE person p SET "
                "family_name = 'T' || v.seq, updated_at = now() FROM v "
                "WHERE p.id = v.id RETURNING p.uuid) INSERT INTO outbox "
                "(aggregate, key, event) SELECT 'person', uuid::text, "
                "'person.updated' FROM u",
                2, NULL, params, NULL, NULL, 0);
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                fprintf(stderr, "update: %s\n", PQerrorMessage(pg));
                PQclear(res);
                goto cleanup;
            }
            PQclear(res);
            for (int i = 0; i < per_tick; i++) {
                committed[next + i] = now_s();
            }
            next += per_tick;
            next_tick += 0.1;
            g_string_free(ids, TRUE);
            g_string_free(seqs, TRUE);
        }
        wait = next < total ? next_tick - now_s() : 0.5;
        if (wait < 0) {
            wait = 0;
        }
        tv.tv_sec = (time_t)wait;
        tv.tv_usec = (suseconds_t)((wait - (double)tv.tv_sec) * 1e6);
        while (ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &msg) > 0) {
            if (ldap_msgtype(msg) == LDAP_RES_SEARCH_ENTRY) {
                struct berval **v = ldap_get_values_len(ld, msg, "sn");
                if (v != NULL && v[0] != NULL && v[0]->bv_len > 1 &&
                    v[0]->bv_val[0] == 'T') {
                    int seq = atoi(v[0]->bv_val + 1);
                    if (seq >= 0 && seq < total && arrived[seq] == 0) {
                        arrived[seq] = now_s();
                        seen++;
                    }
                }
                ldap_value_free_len(v);
            } else if (ldap_msgtype(msg) == LDAP_RES_SEARCH_RESULT) {
                fprintf(stderr, "syncrepl search ended\n");
                ldap_msgfree(msg);
                goto cleanup;
            }
            ldap_msgfree(msg);
            msg = NULL;
            tv.tv_sec = 0;
            tv.tv_usec = 0;
        }
    }
    lat = g_new0(double, (size_t)total);
    for (int i = 0; i < total; i++) {
        if (arrived[i] > 0 && committed[i] > 0) {
            /* arrival can be stamped a few ms before the commit time
             * (measured after PQexec returned): count it as 0 */
            lat[nlat++] = arrived[i] > committed[i] ? arrived[i] - committed[i]
                                                    : 0.0;
        }
    }
    qsort(lat, (size_t)nlat, sizeof(double), cmp_double);
    printf("lag rate=%d/s seconds=%d changes=%d arrived=%d "
           "p50_ms=%.0f p99_ms=%.0f max_ms=%.0f\n",
           rate, secs, total, nlat,
           nlat > 0 ? lat[nlat / 2] * 1000 : -1.0,
           nlat > 0 ? lat[(int)((double)nlat * 0.99)] * 1000 : -1.0,
           nlat > 0 ? lat[nlat - 1] * 1000 : -1.0);
    g_free(lat);
    rc = nlat == total ? 0 : 1;
cleanup:
    ldap_control_free(ctrl);
    ldap_unbind_ext_s(ld, NULL, NULL);
    PQfinish(pg);
    g_free(base);
    g_free(committed);
    g_free(arrived);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 2;

    if (argc > 1 && strcmp(argv[1], "add") == 0) {
        rc = cmd_add(argc, argv);
    } else if (argc > 1 && strcmp(argv[1], "lag") == 0) {
        rc = cmd_lag(argc, argv);
    }
    if (rc == 2) {
        fputs("usage: bench_lsync add URI BIND_DN PWFILE LDIF [WINDOW]\n"
              "       bench_lsync lag URI BIND_DN PWFILE BASE CONNINFO RATE "
              "SECONDS FIRST_PERSON_ID\n",
              stderr);
    }
    return rc;
}
