/* SPDX-License-Identifier: EUPL-1.2
 * libmicrohttpd glue: a thread pool with epoll, a connection timeout, the
 * raw request URI (HTTP-Redirect signatures cover the query as sent), a
 * request body capped at SAML_BODY_MAX, and the client address (from
 * X-Real-IP only when the peer is the local reverse proxy).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "saml/http.h"
#include "saml_int.h"

struct saml_http {
    struct MHD_Daemon *mhd;
    saml_idp *idp;
};

typedef struct conn {
    char *uri; /* raw path?query, capped */
    GString *body;
    int too_big;
    int started; /* MHD calls once with the headers, before the body */
    struct timespec start;
} conn;

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    conn *cn = saml__xcalloc(1, sizeof(*cn));

    (void)cls;
    (void)c;
    clock_gettime(CLOCK_MONOTONIC, &cn->start);
    if (uri != NULL && strlen(uri) <= SAML_URI_MAX) {
        cn->uri = saml__xstrdup(uri);
    }
    cn->body = g_string_new(NULL);
    return cn;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    conn *cn = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
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

static void client_addr(char *out, size_t size, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
    const char *real;
    int loopback = 0;

    snprintf(out, size, "unknown");
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, out, (socklen_t)size);
        loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)size);
        loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    real = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP");
    if (loopback && real != NULL && strlen(real) < size &&
        strspn(real, "0123456789abcdefABCDEF.:") == strlen(real)) {
        snprintf(out, size, "%s", real);
    }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    saml_http *h = cls;
    conn *cn = *con_cls;
    saml_request req;
    saml_response resp;
    struct MHD_Response *r;
    struct timespec end;
    enum MHD_Result ret;
    char addr[64], *path = NULL, *q;

    (void)version;
    (void)url;
    if (cn == NULL) {
        return MHD_NO;
    }
    if (!cn->started) {
        cn->started = 1;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (cn->body->len + *upload_size > SAML_BODY_MAX) {
            cn->too_big = 1;
        } else {
            g_string_append_len(cn->body, upload, (gssize)*upload_size);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->too_big) {
        return send_plain(c, 413, "request body too large\n");
    }
    if (cn->uri == NULL) {
        return send_plain(c, 414, "request URI too long\n");
    }
    q = strchr(cn->uri, '?');
    path = q != NULL ? saml__xstrndup(cn->uri, (size_t)(q - cn->uri))
                     : saml__xstrdup(cn->uri);
    client_addr(addr, sizeof(addr), c);
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
    saml_idp_handle(&resp, h->idp, &req);
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
    saml_idp_observe(h->idp, path, resp.status,
                     (double)(end.tv_sec - cn->start.tv_sec) +
                         (double)(end.tv_nsec - cn->start.tv_nsec) / 1e9);
    saml_response_clear(&resp);
    free(path);
    return ret;
}

int saml_http_start(saml_http **out, saml_idp *idp, const char *addr, int port,
                    idm_err *err)
{
    saml_http *h = saml__xcalloc(1, sizeof(*h));
    struct sockaddr_in sin;

    *out = NULL;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        free(h);
        return idm_err_set(err, IDM_ECONFIG,
                           "[idp] listen \"%s\" is not an IPv4 address", addr);
    }
    h->idp = idp;
    /* A thread per connection: a request blocks its thread on PostgreSQL
     * and on Argon2id (~20 ms). A worker pool multiplexes connections on
     * few threads, and libmicrohttpd's epoll mode accepts up to ten
     * connections in a row on one worker: a proxy's few keep-alive
     * connections then all wait behind one login's hash (measured: the
     * login rate of one core on two). The stack holds libxml2's parser,
     * whose depth is capped at 256 elements. */
    h->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_POLL,
        (uint16_t)port, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sin, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(2 * 1024 * 1024), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4096,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        completed, NULL, MHD_OPTION_END);
    if (h->mhd == NULL) {
        free(h);
        return idm_err_set(err, IDM_EIO, "could not listen on %s:%d", addr,
                           port);
    }
    *out = h;
    return 0;
}

void saml_http_stop(saml_http *h)
{
    if (h == NULL) {
        return;
    }
    MHD_stop_daemon(h->mhd);
    free(h);
}
