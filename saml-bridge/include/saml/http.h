/* SPDX-License-Identifier: EUPL-1.2
 * The HTTP transport of idmd: libmicrohttpd with a thread per connection,
 * a connection timeout and a capped request body, feeding saml_idp_handle.
 */
#ifndef SAML_HTTP_H
#define SAML_HTTP_H

#include "idm/common.h"
#include "idm/err.h"
#include "saml/idp.h"

typedef struct saml_http saml_http;

/**
 * Listen on addr:port (IPv4), a thread per connection (at most 4096).
 * @param[out] out  running server; stop with saml_http_stop().
 * @return 0 or IDM_EIO (cannot bind).
 */
IDM_MUST_CHECK int saml_http_start(saml_http **out, saml_idp *idp,
                                   const char *addr, int port, idm_err *err);

/** Stop accepting, finish running requests, free. Accepts NULL. */
void saml_http_stop(saml_http *http);

#endif /* SAML_HTTP_H */
