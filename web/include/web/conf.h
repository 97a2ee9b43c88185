/* SPDX-License-Identifier: EUPL-1.2
 * The web layer's keys of the group [idp]: HTTP server, sessions, login
 * throttling, portal and metrics. saml-bridge owns the group's SAML keys
 * (saml/conf.h). In its own small library (web_conf, nothing but base) so
 * that programs which serve no web pages still register the keys and
 * check a shared config file.
 */
#ifndef WEB_CONF_H
#define WEB_CONF_H

#include "base/common.h"
#include "base/conf.h"
#include "base/err.h"

/** The web layer's keys of [idp]. */
typedef struct web_conf {
    char *base_url; /* public base URL, no trailing slash */
    char *listen;   /* IPv4 address to bind */
    int port;
    int threads;         /* 0 = two per core */
    char *pairwise_salt; /* from pairwise_salt_file (CSRF tokens, and
                            saml-bridge's pairwise ids); wiped on free */
    char *platform_name;
    int session_idle_minutes;
    int session_max_hours;
    int addr_max_failures; /* per address and window */
    int addr_window_seconds;
    int max_connections;             /* connections served at once */
    int max_connections_per_address; /* per peer, proxies exempt */
    char *shared_networks;           /* CIDRs of NATs many share, or "none" */
    int max_connections_per_shared_address; /* per peer in those */
    int request_timeout;             /* seconds: idle and absolute deadline */
    char *trusted_proxies;           /* CIDRs sending X-Real-IP, or "none" */
    char *metrics_listen;            /* "ADDR:PORT" of /metrics, or "off" */
} web_conf;

extern const idm_conf_section web_conf_section;

/** Register the section above (for tests and tools). */
IDM_MUST_CHECK int web_conf_register(idm_err *err);

/** The web layer's [idp] values of conf, borrowed from it. */
const web_conf *web_conf_get(const idm_conf *conf);

#endif /* WEB_CONF_H */
