/* SPDX-License-Identifier: EUPL-1.2
 * libmicrohttpd glue: a bounded thread per connection, a per-address
 * connection limit (higher for configured shared networks, such as a
 * school's NAT), an absolute per-request deadline enforced by a reaper
 * thread, the raw request URI (HTTP-Redirect signatures cover the query as
 * sent), request bodies capped per route, the client address (from
 * X-Real-IP only when the peer is a configured trusted proxy), and
 * /metrics on a listener of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "base/addr.h"
#include "web/http.h"
#include "web/conf.h"
#include "web_int.h"

/* the /metrics listener: one thread, a few scrapers at a time */
#define METRICS_CONNECTIONS 8
#define METRICS_TIMEOUT 10

/* One TCP connection (MHD's socket context); on the list while open. */
typedef struct sock {
    struct sock *prev, *next;
    char key[INET6_ADDRSTRLEN + 4]; /* per-address key; "" = exempt */
    int fd;
    int in_request;        /* the request line has arrived */
    struct timespec since; /* opened, request line, or previous answer */
    int closed_by_deadline;
} sock;

struct web_http {
    struct MHD_Daemon *mhd;
    struct MHD_Daemon *metrics;
    web_site *site;
    idm_cidr *proxies;
    int nproxies;
    idm_cidr *shared; /* [idp] shared_networks */
    int nshared;
    int per_addr_max;
    int per_shared_max; /* for an address in shared */
    int deadline; /* seconds */
    pthread_mutex_t lock;
    GHashTable *per_addr; /* key -> open connections (GUINT_TO_POINTER) */
    sock *socks;          /* open connections */
    unsigned long open;
    pthread_t reaper;
    int reaper_running;
    int stopping;
    pthread_cond_t wake;
    atomic_ulong refused_addr;   /* per-address limit */
    atomic_ulong refused_shared; /* the limit of a shared address */
    atomic_ulong deadline_kills; /* closed by the deadline */
    atomic_ulong too_large;      /* body over the route's cap */
};

typedef struct conn {
    char *uri; /* raw path?query, capped */
    GString *body;
    size_t body_max; /* of the route */
    int started;     /* MHD calls once with the headers, before the body */
    struct timespec start;
} conn;

static double elapsed(const struct timespec *from, const struct timespec *to)
{
    return (double)(to->tv_sec - from->tv_sec) +
           (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

/* ---- addresses ---- */

/* The peer's family and raw address (IPv4-mapped IPv6 as IPv4). */
static int peer_addr(int *family, unsigned char a[16],
                     const struct sockaddr *sa)
{
    if (sa != NULL && sa->sa_family == AF_INET) {
        *family = AF_INET;
        memcpy(a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct in6_addr *in6 =
            &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            *family = AF_INET;
            memcpy(a, in6->s6_addr + 12, 4);
        } else {
            *family = AF_INET6;
            memcpy(a, in6->s6_addr, 16);
        }
        return 0;
    }
    return -1;
}

static int in_list(const idm_cidr *list, int n, int family,
                   const unsigned char *a)
{
    for (int i = 0; i < n; i++) {
        if (idm_cidr_match(&list[i], family, a)) {
            return 1;
        }
    }
    return 0;
}

static int is_proxy(const web_http *h, int family, const unsigned char *a)
{
    return in_list(h->proxies, h->nproxies, family, a);
}

/*
 * Key of the per-address connection limit: the IPv4 address, or the /64
 * of an IPv6 address (one subscriber's prefix). "" for trusted proxies:
 * they carry many clients, whose connections the proxy limits itself.
 * *shared: the peer is in [idp] shared_networks, whose addresses many
 * people share (a school behind one NAT address), so the key gets
 * max_connections_per_shared_address instead.
 */
static void addr_key(char *out, size_t size, int *shared, const web_http *h,
                     const struct sockaddr *sa)
{
    unsigned char a[16];
    int family;

    out[0] = '\0';
    *shared = 0;
    if (peer_addr(&family, a, sa) != 0) {
        snprintf(out, size, "unknown");
        return;
    }
    if (is_proxy(h, family, a)) {
        return;
    }
    *shared = in_list(h->shared, h->nshared, family, a);
    if (family == AF_INET6) {
        memset(a + 8, 0, 8);
    }
    if (inet_ntop(family, a, out, (socklen_t)size) == NULL) {
        snprintf(out, size, "unknown");
    } else if (family == AF_INET6 && strlen(out) + 4 < size) {
        strcat(out, "/64");
    }
}

/*
 * The client address for audit and throttle: X-Real-IP only from a
 * configured proxy ([idp] trusted_proxies); from anyone else the header
 * would let a client pick the address it is throttled under.
 */
static void client_addr(char *out, size_t size, const web_http *h,
                        struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    unsigned char a[16], r[16];
    const char *real;
    int family;

    snprintf(out, size, "unknown");
    if (ci == NULL || peer_addr(&family, a, ci->client_addr) != 0) {
        return;
    }
    if (inet_ntop(family, a, out, (socklen_t)size) == NULL) {
        snprintf(out, size, "unknown");
        return;
    }
    if (!is_proxy(h, family, a)) {
        return;
    }
    real = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
    if (real == NULL) {
        return;
    }
    family = strchr(real, ':') != NULL ? AF_INET6 : AF_INET;
    /* canonical text of a valid address; anything else is ignored */
    if (inet_pton(family, real, r) == 1) {
        char tmp[INET6_ADDRSTRLEN];
        if (inet_ntop(family, r, tmp, sizeof(tmp)) != NULL) {
            snprintf(out, size, "%s", tmp);
        }
    }
}

/* ---- connection accounting and the deadline ---- */

/* Runs in the listening thread before MHD accepts; NOTIFY_STARTED for an
 * accepted connection follows in the same thread, so check and count
 * cannot race. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr,
                                     socklen_t addrlen)
{
    web_http *h = cls;
    char key[INET6_ADDRSTRLEN + 4];
    unsigned n;
    int shared;

    (void)addrlen;
    addr_key(key, sizeof(key), &shared, h, addr);
    if (key[0] == '\0') {
        return MHD_YES;
    }
    pthread_mutex_lock(&h->lock);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(h->per_addr, key));
    pthread_mutex_unlock(&h->lock);
    /* [idp] max_connections stays the bound of all together (MHD's
     * connection limit) */
    if (n >= (unsigned)(shared ? h->per_shared_max : h->per_addr_max)) {
        atomic_fetch_add(shared ? &h->refused_shared : &h->refused_addr, 1);
        return MHD_NO;
    }
    return MHD_YES;
}

static void notify_connection(void *cls, struct MHD_Connection *c,
                              void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    web_http *h = cls;
    sock *s = *socket_context;
    int shared;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ca =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        s = idm_xcalloc(1, sizeof(*s));
        addr_key(s->key, sizeof(s->key), &shared, h,
                 ca != NULL ? ca->client_addr : NULL);
        s->fd = fd != NULL ? fd->connect_fd : -1;
        clock_gettime(CLOCK_MONOTONIC, &s->since);
        pthread_mutex_lock(&h->lock);
        if (s->key[0] != '\0') {
            unsigned n =
                GPOINTER_TO_UINT(g_hash_table_lookup(h->per_addr, s->key));
            g_hash_table_insert(h->per_addr, g_strdup(s->key),
                                GUINT_TO_POINTER(n + 1));
        }
        s->next = h->socks;
        if (h->socks != NULL) {
            h->socks->prev = s;
        }
        h->socks = s;
        h->open++;
        pthread_mutex_unlock(&h->lock);
        *socket_context = s;
        return;
    }
    if (s == NULL) {
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED: called before MHD closes the socket,
     * so the reaper never shuts down a descriptor that was reused */
    pthread_mutex_lock(&h->lock);
    if (s->key[0] != '\0') {
        unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(h->per_addr, s->key));
        if (n <= 1) {
            g_hash_table_remove(h->per_addr, s->key);
        } else {
            g_hash_table_insert(h->per_addr, g_strdup(s->key),
                                GUINT_TO_POINTER(n - 1));
        }
    }
    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        h->socks = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    h->open--;
    pthread_mutex_unlock(&h->lock);
    free(s);
    *socket_context = NULL;
}

static sock *sock_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

/* the request line arrived (in_request) or the answer left (!in_request) */
static void sock_phase(web_http *h, struct MHD_Connection *c, int in_request)
{
    sock *s = sock_of(c);

    if (s == NULL) {
        return;
    }
    pthread_mutex_lock(&h->lock);
    s->in_request = in_request;
    clock_gettime(CLOCK_MONOTONIC, &s->since);
    pthread_mutex_unlock(&h->lock);
}

/*
 * The absolute deadline. MHD's connection timeout restarts with every
 * byte received, so a client trickling a byte now and then would hold its
 * connection (and thread) for ever. Every second this thread closes
 * connections whose request line has not arrived within [idp]
 * request_timeout of the connection opening or of the previous answer,
 * and those whose request has not been answered within request_timeout of
 * its request line: no request holds a connection longer than twice
 * request_timeout from its first byte, whatever trickles in. shutdown()
 * makes the connection's thread see the end of the stream; MHD closes it.
 */
static void *reaper_main(void *arg)
{
    web_http *h = arg;

    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec now, until;
        unsigned long killed = 0;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&h->wake, &h->lock, &until);
        if (h->stopping) {
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (sock *s = h->socks; s != NULL; s = s->next) {
            if (!s->closed_by_deadline && s->fd >= 0 &&
                elapsed(&s->since, &now) > (double)h->deadline) {
                (void)shutdown(s->fd, SHUT_RDWR);
                s->closed_by_deadline = 1;
                killed++;
            }
        }
        if (killed > 0) {
            atomic_fetch_add(&h->deadline_kills, killed);
            idm_log(IDM_LOG_NOTICE, "web", "http.deadline",
                    "closed=%lu timeout=%d", killed, h->deadline);
        }
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* ---- requests ---- */

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    conn *cn = idm_xcalloc(1, sizeof(*cn));

    sock_phase(cls, c, 1);
    clock_gettime(CLOCK_MONOTONIC, &cn->start);
    if (uri != NULL && strlen(uri) <= WEB_URI_MAX) {
        cn->uri = idm_xstrdup(uri);
    }
    cn->body = g_string_new(NULL);
    return cn;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    conn *cn = *con_cls;

    (void)toe;
    sock_phase(cls, c, 0);
    if (cn != NULL) {
        free(cn->uri);
        g_string_free(cn->body, TRUE);
        free(cn);
        *con_cls = NULL;
    }
}

static enum MHD_Result send_plain(struct MHD_Connection *c, unsigned status,
                                  const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    web_http *h = cls;
    conn *cn = *con_cls;
    web_request req;
    web_response resp;
    struct MHD_Response *r;
    struct timespec end;
    enum MHD_Result ret;
    char addr[64], *path = NULL, *q;

    (void)version;
    if (cn == NULL) {
        return MHD_NO;
    }
    if (!cn->started) {
        const char *len =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        cn->started = 1;
        /* what the route may receive: protocol messages, small forms, or
         * nothing (GET-only routes) */
        cn->body_max = web_route_body_max(h->site, url);
        /* refused before a byte of the body is read: MHD answers and
         * closes the connection instead of reading on */
        if (len != NULL && strtoull(len, NULL, 10) > cn->body_max) {
            atomic_fetch_add(&h->too_large, 1);
            return send_plain(c, 413, "request body too large\n");
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (cn->body->len + *upload_size > cn->body_max) {
            /* chunked and over the cap: no answer, the connection ends */
            atomic_fetch_add(&h->too_large, 1);
            return MHD_NO;
        }
        g_string_append_len(cn->body, upload, (gssize)*upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->uri == NULL) {
        return send_plain(c, 414, "request URI too long\n");
    }
    q = strchr(cn->uri, '?');
    path = q != NULL ? idm_xstrndup(cn->uri, (size_t)(q - cn->uri))
                     : idm_xstrdup(cn->uri);
    client_addr(addr, sizeof(addr), h, c);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.query = q != NULL ? q + 1 : NULL;
    req.body = cn->body->str;
    req.body_len = cn->body->len;
    req.content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    req.cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Cookie");
    req.accept_language =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");
    req.client_addr = addr;
    web_site_handle(&resp, h->site, &req);
    r = MHD_create_response_from_buffer(resp.body_len, resp.body,
                                        MHD_RESPMEM_MUST_COPY);
    if (resp.content_type != NULL) {
        MHD_add_response_header(r, "Content-Type", resp.content_type);
    }
    for (int i = 0; i < resp.nheaders; i++) {
        MHD_add_response_header(r, resp.headers[i].name, resp.headers[i].value);
    }
    ret = MHD_queue_response(c, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    clock_gettime(CLOCK_MONOTONIC, &end);
    web_site_observe(h->site, path, resp.status, elapsed(&cn->start, &end));
    web_response_clear(&resp);
    free(path);
    return ret;
}

/* ---- /metrics ---- */

static enum MHD_Result metrics_handler(void *cls, struct MHD_Connection *c,
                                       const char *url, const char *method,
                                       const char *version, const char *upload,
                                       size_t *upload_size, void **con_cls)
{
    web_http *h = cls;
    web_response resp;
    struct MHD_Response *r;
    enum MHD_Result ret;
    GString *b;
    unsigned long open;

    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    if (strcmp(url, "/metrics") != 0) {
        return send_plain(c, 404, "not found\n");
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return send_plain(c, 405, "method not allowed\n");
    }
    web_site_metrics(&resp, h->site);
    pthread_mutex_lock(&h->lock);
    open = h->open;
    pthread_mutex_unlock(&h->lock);
    b = g_string_new_len(resp.body, (gssize)resp.body_len);
    g_string_append_printf(
        b,
        "# HELP idmd_http_connections Open HTTP connections.\n"
        "# TYPE idmd_http_connections gauge\n"
        "idmd_http_connections %lu\n"
        "# HELP idmd_http_refused_total Connections or requests refused by "
        "the HTTP limits.\n"
        "# TYPE idmd_http_refused_total counter\n"
        "idmd_http_refused_total{reason=\"per_address\"} %lu\n"
        "idmd_http_refused_total{reason=\"per_shared_address\"} %lu\n"
        "idmd_http_refused_total{reason=\"deadline\"} %lu\n"
        "idmd_http_refused_total{reason=\"body_too_large\"} %lu\n",
        open, atomic_load(&h->refused_addr), atomic_load(&h->refused_shared),
        atomic_load(&h->deadline_kills), atomic_load(&h->too_large));
    r = MHD_create_response_from_buffer(b->len, b->str, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", resp.content_type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    g_string_free(b, TRUE);
    web_response_clear(&resp);
    return ret;
}

/* "ADDR:PORT" (validated by the config loader) into sin */
static int parse_listen(struct sockaddr_in *sin, const char *text)
{
    const char *colon = strrchr(text, ':');
    char host[INET_ADDRSTRLEN];
    long port;

    if (colon == NULL || (size_t)(colon - text) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    port = strtol(colon + 1, NULL, 10);
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (port < 1 || port > 65535 ||
        inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
        return -1;
    }
    return 0;
}

/* A list of [idp] (validated by the config loader, checked again) */
static int parse_list(idm_cidr **out, int *n_out, const char *key,
                      const char *list, idm_err *err)
{
    int entry = 0;

    if (list == NULL) {
        *out = NULL;
        *n_out = 0;
        return 0;
    }
    if (idm_cidr_list_parse(out, n_out, list, &entry, NULL) != 0) {
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] %s: entry %d is not an address or CIDR", key,
                           entry);
    }
    return 0;
}

int web_http_start(web_http **out, web_site *site, const idm_conf *conf,
                   int port, const char *metrics_listen, idm_err *err)
{
    const web_conf *wc = web_conf_get(conf);
    web_http *h = idm_xcalloc(1, sizeof(*h));
    struct sockaddr_in sin, msin;
    int rc;

    *out = NULL;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    h->per_addr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    h->site = site;
    h->per_addr_max = wc->max_connections_per_address;
    /* never below the limit of a single client */
    h->per_shared_max =
        wc->max_connections_per_shared_address > wc->max_connections_per_address
            ? wc->max_connections_per_shared_address
            : wc->max_connections_per_address;
    h->deadline = wc->request_timeout;
    port = port > 0 ? port : wc->port;
    if (metrics_listen == NULL) {
        metrics_listen = wc->metrics_listen;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, wc->listen, &sin.sin_addr) != 1) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] listen \"%s\" is not an IPv4 address",
                         wc->listen);
        goto cleanup;
    }
    if (metrics_listen != NULL && strcmp(metrics_listen, "off") != 0 &&
        parse_listen(&msin, metrics_listen) != 0) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "[idp] metrics_listen \"%s\" is not ADDR:PORT",
                         metrics_listen);
        goto cleanup;
    }
    rc = parse_list(&h->proxies, &h->nproxies, "trusted_proxies",
                    wc->trusted_proxies, err);
    if (rc == 0) {
        rc = parse_list(&h->shared, &h->nshared, "shared_networks",
                        wc->shared_networks, err);
    }
    if (rc != 0) {
        goto cleanup;
    }
    /*
     * A thread per connection, bounded: a request blocks its thread on
     * PostgreSQL and on Argon2id (~20 ms). A worker pool multiplexes
     * connections on few threads, and libmicrohttpd's epoll mode accepts
     * up to ten connections in a row on one worker: a proxy's few
     * keep-alive connections then all wait behind one login's hash
     * (measured: the login rate of one core on two). So the threads are
     * bounded by the connection limit instead ([idp] max_connections),
     * a client address gets at most max_connections_per_address of them
     * (max_connections_per_shared_address in shared_networks),
     * and the reaper ends requests that outlive request_timeout. The
     * stack holds libxml2's parser, whose depth is capped.
     */
    h->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_POLL,
        (uint16_t)port, accept_policy, h, handler, h, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sin, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(2 * 1024 * 1024), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)wc->request_timeout, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)wc->max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_NOTIFY_CONNECTION, notify_connection, h,
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, h, MHD_OPTION_NOTIFY_COMPLETED,
        completed, h, MHD_OPTION_END);
    if (h->mhd == NULL) {
        rc = idm_err_set(err, IDM_EIO, "could not listen on %s:%d", wc->listen,
                         port);
        goto cleanup;
    }
    if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) {
        rc = idm_err_set(err, IDM_EINTERNAL, "could not start a thread");
        goto cleanup;
    }
    h->reaper_running = 1;
    if (metrics_listen != NULL && strcmp(metrics_listen, "off") != 0) {
        h->metrics = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
            metrics_handler, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&msin,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_TIMEOUT,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONNECTIONS,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
            MHD_OPTION_END);
        if (h->metrics == NULL) {
            rc = idm_err_set(err, IDM_EIO,
                             "could not listen on %s ([idp] metrics_listen)",
                             metrics_listen);
            goto cleanup;
        }
    }
    *out = h;
    h = NULL;
    rc = 0;
cleanup:
    web_http_stop(h);
    return rc;
}

void web_http_stop(web_http *h)
{
    if (h == NULL) {
        return;
    }
    if (h->metrics != NULL) {
        MHD_stop_daemon(h->metrics);
    }
    if (h->reaper_running) {
        pthread_mutex_lock(&h->lock);
        h->stopping = 1;
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->reaper, NULL);
    }
    if (h->mhd != NULL) {
        MHD_stop_daemon(h->mhd);
    }
    g_hash_table_destroy(h->per_addr);
    free(h->proxies);
    free(h->shared);
    pthread_cond_destroy(&h->wake);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
