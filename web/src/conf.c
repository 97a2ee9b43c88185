/* SPDX-License-Identifier: EUPL-1.2
 * The web layer's keys of the group [idp]: HTTP server, sessions, login
 * throttling, portal, metrics. The SAML keys of the same group are
 * saml-bridge's (saml-bridge/src/conf.c). In the small library web_conf,
 * which needs nothing but base.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "web/conf.h"

#define OFF(field) offsetof(web_conf, field)

static const char *check_base_url(const char *v)
{
    size_t n = strlen(v);

    if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
        return "must start with https:// or http://";
    }
    if (v[n - 1] == '/' || strpbrk(v, "?#\"<> ") != NULL || n > 200) {
        return "must be an absolute URL without trailing slash, query or "
               "fragment, at most 200 characters";
    }
    return NULL;
}

/* "none", or "ADDR" / "ADDR/BITS" (IPv4 or IPv6) separated by commas:
 * the entry that is not one is named by its position, never quoted (the
 * loader's rule for every value) */
static const char *check_cidr_list(const char *v)
{
    static _Thread_local char why[200];
    size_t offset = 0;
    int entry = 0;

    if (idm_cidr_list_parse(NULL, NULL, v, &entry, &offset) == 0) {
        return NULL;
    }
    snprintf(why, sizeof(why),
             "has an entry that is not an IPv4/IPv6 address or CIDR "
             "(entry %d, at character %zu of the value); list them "
             "comma-separated, e.g. 10.0.0.0/8, 2001:db8::/48",
             entry, offset + 1);
    return why;
}

/* "off" or "IPv4:PORT" */
static const char *check_metrics_listen(const char *v)
{
    const char *colon = strrchr(v, ':');
    char host[INET_ADDRSTRLEN];
    unsigned char a[4];
    char *end = NULL;
    long port;

    if (strcmp(v, "off") == 0) {
        return NULL;
    }
    if (colon == NULL || (size_t)(colon - v) >= sizeof(host)) {
        return "must be IPv4ADDR:PORT (e.g. 127.0.0.1:9108) or off";
    }
    memcpy(host, v, (size_t)(colon - v));
    host[colon - v] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (inet_pton(AF_INET, host, a) != 1 || colon[1] == '\0' || *end != '\0' ||
        errno != 0 || port < 1 || port > 65535) {
        return "must be IPv4ADDR:PORT (e.g. 127.0.0.1:9108) or off";
    }
    return NULL;
}

static const idm_conf_key web_keys[] = {
    {.key = "base_url",
     .type = IDM_CONF_STRING,
     .def = "http://127.0.0.1:8080",
     .min = 0,
     .max = 0,
     .offset = OFF(base_url),
     .doc = "public base URL of idmd (https behind the proxy)",
     .check = check_base_url},
    {.key = "listen",
     .type = IDM_CONF_STRING,
     .def = "127.0.0.1",
     .min = 0,
     .max = 0,
     .offset = OFF(listen),
     .doc = "IPv4 address idmd binds to",
     .check = NULL},
    {.key = "port",
     .type = IDM_CONF_INT,
     .def = "8080",
     .min = 1,
     .max = 65535,
     .offset = OFF(port),
     .doc = "TCP port idmd listens on",
     .check = NULL},
    {.key = "threads",
     .type = IDM_CONF_INT,
     .def = "0",
     .min = 0,
     .max = 256,
     .offset = OFF(threads),
     .doc = "idmd requests served at once with a database "
            "connection (0: two per core)",
     .check = NULL},
    {.key = "pairwise_salt_file",
     .type = IDM_CONF_SECRET,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(pairwise_salt),
     .doc = "file holding the secret of pairwise ids and CSRF tokens",
     .check = NULL},
    {.key = "platform_name",
     .type = IDM_CONF_STRING,
     .def = "Schulportal M-V",
     .min = 0,
     .max = 0,
     .offset = OFF(platform_name),
     .doc = "name shown on the login page",
     .check = NULL},
    {.key = "session_idle_minutes",
     .type = IDM_CONF_INT,
     .def = "60",
     .min = 1,
     .max = 1440,
     .offset = OFF(session_idle_minutes),
     .doc = "session ends after this much inactivity",
     .check = NULL},
    {.key = "session_max_hours",
     .type = IDM_CONF_INT,
     .def = "10",
     .min = 1,
     .max = 168,
     .offset = OFF(session_max_hours),
     .doc = "session ends this long after login",
     .check = NULL},
    {.key = "addr_max_failures",
     .type = IDM_CONF_INT,
     .def = "300",
     .min = 10,
     .max = 100000,
     .offset = OFF(addr_max_failures),
     .doc = "failed logins per address and window before a pause",
     .check = NULL},
    {.key = "addr_window_seconds",
     .type = IDM_CONF_INT,
     .def = "600",
     .min = 10,
     .max = 86400,
     .offset = OFF(addr_window_seconds),
     .doc = "window of addr_max_failures, and the pause",
     .check = NULL},
    {.key = "max_connections",
     .type = IDM_CONF_INT,
     .def = "1024",
     .min = 16,
     .max = 8192,
     .offset = OFF(max_connections),
     .doc = "HTTP connections idmd serves at once (a thread "
            "each); more are refused",
     .check = NULL},
    {.key = "max_connections_per_address",
     .type = IDM_CONF_INT,
     .def = "32",
     .min = 1,
     .max = 8192,
     .offset = OFF(max_connections_per_address),
     .doc = "HTTP connections per client address (IPv6: per /64; "
            "trusted_proxies exempt); more are refused",
     .check = NULL},
    {.key = "shared_networks",
     .type = IDM_CONF_STRING,
     .def = "none",
     .min = 0,
     .max = 0,
     .offset = OFF(shared_networks),
     .doc = "addresses or CIDRs (comma-separated) behind which many "
            "people share one address (school NATs), or none",
     .check = check_cidr_list},
    {.key = "max_connections_per_shared_address",
     .type = IDM_CONF_INT,
     .def = "1024",
     .min = 1,
     .max = 8192,
     .offset = OFF(max_connections_per_shared_address),
     .doc = "HTTP connections per client address inside "
            "shared_networks (at least max_connections_per_address); "
            "more are refused",
     .check = NULL},
    {.key = "request_timeout",
     .type = IDM_CONF_INT,
     .def = "30",
     .min = 2,
     .max = 600,
     .offset = OFF(request_timeout),
     .doc = "seconds a request may take from its first byte to "
            "its answer, and a connection may stay idle",
     .check = NULL},
    {.key = "trusted_proxies",
     .type = IDM_CONF_STRING,
     .def = "none",
     .min = 0,
     .max = 0,
     .offset = OFF(trusted_proxies),
     .doc = "addresses or CIDRs (comma-separated) whose X-Real-IP "
            "header names the client, or none",
     .check = check_cidr_list},
    {.key = "metrics_listen",
     .type = IDM_CONF_STRING,
     .def = "127.0.0.1:9108",
     .min = 0,
     .max = 0,
     .offset = OFF(metrics_listen),
     .doc = "IPv4ADDR:PORT serving /metrics (never the public "
            "port), or off",
     .check = check_metrics_listen},
};

const idm_conf_section web_conf_section = {
    .group = "idp",
    .keys = web_keys,
    .nkeys = sizeof(web_keys) / sizeof(web_keys[0]),
    .size = sizeof(web_conf),
    .check = NULL,
};

int web_conf_register(idm_err *err)
{
    return idm_conf_register(&web_conf_section, err);
}

const web_conf *web_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &web_conf_section);
}
