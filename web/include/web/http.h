/* SPDX-License-Identifier: EUPL-1.2
 * The HTTP transport of idmd: libmicrohttpd with a bounded thread per
 * connection, a per-address connection limit, an absolute per-request
 * deadline and request bodies capped per route, feeding web_site_handle;
 * /metrics on a listener of its own.
 */
#ifndef SAML_HTTP_H
#define SAML_HTTP_H

#include "base/common.h"
#include "base/err.h"
#include "base/conf.h"
#include "web/web.h"

typedef struct web_http web_http;

/**
 * Listen on [idp] listen:port (IPv4) with the limits of [idp]
 * (max_connections, max_connections_per_address, request_timeout,
 * trusted_proxies), and serve /metrics on metrics_listen.
 * @param[out] out       running server; stop with web_http_stop().
 * @param site           borrowed; must outlive the server.
 * @param conf           borrowed; must outlive the server.
 * @param port           overrides [idp] port if > 0.
 * @param metrics_listen overrides [idp] metrics_listen if not NULL
 *                       ("ADDR:PORT" or "off").
 * @return 0, IDM_ECONFIG or IDM_EIO (cannot bind).
 */
IDM_MUST_CHECK int web_http_start(web_http **out, web_site *site,
                                  const idm_conf *conf, int port,
                                  const char *metrics_listen, idm_err *err);

/** Stop accepting, finish running requests, free. Accepts NULL. */
void web_http_stop(web_http *http);

#endif /* WEB_HTTP_H */
