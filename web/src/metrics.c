/* SPDX-License-Identifier: EUPL-1.2
 * Prometheus metrics in text format: requests by route and status class,
 * a latency histogram per route, logins, policy reloads and the database
 * pool's use; the protocols append their own lines (web_site_add_metrics).
 * Lock-free counters on the hot path.
 */
#include <stdlib.h>
#include <string.h>

#include "web_int.h"

/* the labels of the routes registered with WEB_METRIC, then "other" */
#define N_ROUTES (WEB_ROUTES_MAX + 1)
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,   0.25,   0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct web_metrics {
    const char *routes[N_ROUTES];       /* borrowed from the route table */
    size_t n_routes;                    /* the last is "other" */
    atomic_ulong requests[N_ROUTES][5]; /* status class 1xx..5xx */
    atomic_ulong hist[N_ROUTES][N_BUCKETS + 1];
    atomic_ulong sum_us[N_ROUTES];
    atomic_ulong logins_ok, logins_failed;
};

web_metrics *web_metrics_new(void)
{
    web_metrics *m = idm_xcalloc(1, sizeof(web_metrics));

    m->routes[0] = "other";
    m->n_routes = 1;
    return m;
}

int web_metrics_route(web_metrics *m, const char *path)
{
    /* registration happens before requests: no reader yet */
    if (m->n_routes >= N_ROUTES) {
        return -1;
    }
    m->routes[m->n_routes - 1] = path;
    m->routes[m->n_routes] = "other";
    m->n_routes++;
    return (int)m->n_routes - 2;
}

void web_metrics_free(web_metrics *m)
{
    free(m);
}

static size_t route_index(const web_metrics *m, const char *route)
{
    for (size_t i = 0; i + 1 < m->n_routes; i++) {
        if (strcmp(m->routes[i], route) == 0) {
            return i;
        }
    }
    return m->n_routes - 1;
}

void web_metrics_request(web_metrics *m, const char *route, int status,
                         double seconds)
{
    size_t r = route_index(m, route), b = 0;
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

void web_metrics_login(web_metrics *m, int ok)
{
    atomic_fetch_add(ok ? &m->logins_ok : &m->logins_failed, 1);
}

void web_metrics_render(GString *out, web_metrics *m, web_site *site)
{
    int size = 0, in_use = 0;

    g_string_append(out, "# HELP idmd_http_requests_total HTTP requests.\n"
                         "# TYPE idmd_http_requests_total counter\n");
    for (size_t r = 0; r < m->n_routes; r++) {
        for (int c = 0; c < 5; c++) {
            unsigned long v = atomic_load(&m->requests[r][c]);
            if (v > 0) {
                g_string_append_printf(out,
                                       "idmd_http_requests_total{route=\"%s\","
                                       "code=\"%dxx\"} %lu\n",
                                       m->routes[r], c + 1, v);
            }
        }
    }
    g_string_append(out, "# HELP idmd_http_request_duration_seconds "
                         "Request latency.\n"
                         "# TYPE idmd_http_request_duration_seconds "
                         "histogram\n");
    for (size_t r = 0; r < m->n_routes; r++) {
        unsigned long cum = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cum += atomic_load(&m->hist[r][b]);
            if (b < N_BUCKETS) {
                g_string_append_printf(
                    out,
                    "idmd_http_request_duration_seconds_bucket{route=\"%s\","
                    "le=\"%g\"} %lu\n",
                    m->routes[r], buckets[b], cum);
            } else {
                g_string_append_printf(
                    out,
                    "idmd_http_request_duration_seconds_bucket{route=\"%s\","
                    "le=\"+Inf\"} %lu\n"
                    "idmd_http_request_duration_seconds_sum{route=\"%s\"} "
                    "%.6f\n"
                    "idmd_http_request_duration_seconds_count{route=\"%s\"} "
                    "%lu\n",
                    m->routes[r], cum, m->routes[r],
                    (double)atomic_load(&m->sum_us[r]) / 1e6, m->routes[r],
                    cum);
            }
        }
    }
    g_string_append_printf(out,
                           "# HELP idmd_logins_total Password logins.\n"
                           "# TYPE idmd_logins_total counter\n"
                           "idmd_logins_total{result=\"ok\"} %lu\n"
                           "idmd_logins_total{result=\"failed\"} %lu\n",
                           atomic_load(&m->logins_ok),
                           atomic_load(&m->logins_failed));
    g_string_append_printf(
        out,
        "# HELP idmd_policy_reloads_total Reloads of the rights policies "
        "(refused: invalid, the active policy stayed).\n"
        "# TYPE idmd_policy_reloads_total counter\n"
        "idmd_policy_reloads_total{result=\"ok\"} %lu\n"
        "idmd_policy_reloads_total{result=\"refused\"} %u\n",
        atomic_load(&site->policy_reloads), web_site__policy_refused(site));
    web_dbpool_stats(site->pool, &size, &in_use);
    g_string_append_printf(out,
                           "# HELP idmd_db_pool_connections Database pool.\n"
                           "# TYPE idmd_db_pool_connections gauge\n"
                           "idmd_db_pool_connections{state=\"size\"} %d\n"
                           "idmd_db_pool_connections{state=\"in_use\"} %d\n",
                           size, in_use);
}
