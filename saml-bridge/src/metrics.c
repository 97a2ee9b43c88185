/* SPDX-License-Identifier: EUPL-1.2
 * Prometheus metrics in text format: requests by route and status class,
 * logins, rejected requests, assertions per SP, a latency histogram per
 * route and the database pool's use. Lock-free counters on the hot path.
 */
#include <stdlib.h>
#include <string.h>

#include "saml_int.h"

static const char *const routes[] = {
    "/saml/sso", "/saml/slo", "/saml/init", "/saml/metadata",
    "/login",    "/logout",   "/",          "other"};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct saml_metrics {
    atomic_ulong requests[N_ROUTES][5]; /* status class 1xx..5xx */
    atomic_ulong hist[N_ROUTES][N_BUCKETS + 1];
    atomic_ulong sum_us[N_ROUTES];
    atomic_ulong logins_ok, logins_failed, rejected;
};

saml_metrics *saml_metrics_new(void)
{
    return idm_xcalloc(1, sizeof(saml_metrics));
}

void saml_metrics_free(saml_metrics *m)
{
    free(m);
}

static size_t route_index(const char *route)
{
    for (size_t i = 0; i + 1 < N_ROUTES; i++) {
        if (strcmp(routes[i], route) == 0) {
            return i;
        }
    }
    return N_ROUTES - 1;
}

void saml_metrics_request(saml_metrics *m, const char *route, int status,
                          double seconds)
{
    size_t r = route_index(route), b = 0;
    int cls = status / 100 - 1;

    if (cls < 0 || cls > 4) {
        cls = 4;
    }
    atomic_fetch_add(&m->requests[r][cls], 1);
    while (b < N_BUCKETS && seconds > buckets[b]) {
        b++;
    }
    atomic_fetch_add(&m->hist[r][b], 1);
    atomic_fetch_add(&m->sum_us[r], (unsigned long)(seconds * 1e6));
}

void saml_metrics_login(saml_metrics *m, int ok)
{
    atomic_fetch_add(ok ? &m->logins_ok : &m->logins_failed, 1);
}

void saml_metrics_reject(saml_metrics *m)
{
    atomic_fetch_add(&m->rejected, 1);
}

static void label(GString *out, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            g_string_append_c(out, '\\');
        }
        if (*v == '\n') {
            g_string_append(out, "\\n");
            continue;
        }
        g_string_append_c(out, *v);
    }
}

void saml_metrics_render(GString *out, saml_metrics *m, saml_idp *idp)
{
    saml_server *srv = saml_server_acquire(idp);
    int size = 0, in_use = 0;

    g_string_append(out, "# HELP idmd_http_requests_total HTTP requests.\n"
                         "# TYPE idmd_http_requests_total counter\n");
    for (size_t r = 0; r < N_ROUTES; r++) {
        for (int c = 0; c < 5; c++) {
            unsigned long v = atomic_load(&m->requests[r][c]);
            if (v > 0) {
                g_string_append_printf(out,
                                       "idmd_http_requests_total{route=\"%s\","
                                       "code=\"%dxx\"} %lu\n",
                                       routes[r], c + 1, v);
            }
        }
    }
    g_string_append(out, "# HELP idmd_http_request_duration_seconds "
                         "Request latency.\n"
                         "# TYPE idmd_http_request_duration_seconds "
                         "histogram\n");
    for (size_t r = 0; r < N_ROUTES; r++) {
        unsigned long cum = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cum += atomic_load(&m->hist[r][b]);
            if (b < N_BUCKETS) {
                g_string_append_printf(
                    out,
                    "idmd_http_request_duration_seconds_bucket{route=\"%s\","
                    "le=\"%g\"} %lu\n",
                    routes[r], buckets[b], cum);
            } else {
                g_string_append_printf(
                    out,
                    "idmd_http_request_duration_seconds_bucket{route=\"%s\","
                    "le=\"+Inf\"} %lu\n"
                    "idmd_http_request_duration_seconds_sum{route=\"%s\"} "
                    "%.6f\n"
                    "idmd_http_request_duration_seconds_count{route=\"%s\"} "
                    "%lu\n",
                    routes[r], cum, routes[r],
                    (double)atomic_load(&m->sum_us[r]) / 1e6, routes[r], cum);
            }
        }
    }
    g_string_append_printf(
        out,
        "# HELP idmd_logins_total Password logins.\n"
        "# TYPE idmd_logins_total counter\n"
        "idmd_logins_total{result=\"ok\"} %lu\n"
        "idmd_logins_total{result=\"failed\"} %lu\n"
        "# HELP idmd_requests_rejected_total SAML requests rejected.\n"
        "# TYPE idmd_requests_rejected_total counter\n"
        "idmd_requests_rejected_total %lu\n",
        atomic_load(&m->logins_ok), atomic_load(&m->logins_failed),
        atomic_load(&m->rejected));
    saml_rejects_render(out, idp->rejects);
    g_string_append_printf(
        out,
        "# HELP idmd_policy_reloads_total Reloads of the rights policies "
        "(refused: invalid, the active policy stayed).\n"
        "# TYPE idmd_policy_reloads_total counter\n"
        "idmd_policy_reloads_total{result=\"ok\"} %lu\n"
        "idmd_policy_reloads_total{result=\"refused\"} %u\n",
        atomic_load(&idp->policy_reloads), saml_idp__policy_refused(idp));
    g_string_append(out, "# HELP idmd_assertions_issued_total Assertions "
                         "issued per SP (since the SP list last changed).\n"
                         "# TYPE idmd_assertions_issued_total counter\n");
    if (srv != NULL) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, srv->sps);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            saml_sp_info *sp = v;
            g_string_append(out, "idmd_assertions_issued_total{sp=\"");
            label(out, sp->entity_id);
            g_string_append_printf(out, "\"} %lu\n",
                                   atomic_load(&sp->assertions));
        }
        g_string_append_printf(out,
                               "# HELP idmd_sp_registry_version Version of "
                               "the SP table in use.\n"
                               "# TYPE idmd_sp_registry_version gauge\n"
                               "idmd_sp_registry_version %lld\n",
                               (long long)srv->version);
    }
    saml_dbpool_stats(idp->pool, &size, &in_use);
    g_string_append_printf(out,
                           "# HELP idmd_db_pool_connections Database pool.\n"
                           "# TYPE idmd_db_pool_connections gauge\n"
                           "idmd_db_pool_connections{state=\"size\"} %d\n"
                           "idmd_db_pool_connections{state=\"in_use\"} %d\n",
                           size, in_use);
    saml_server_release(srv);
}
