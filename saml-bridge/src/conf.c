/* SPDX-License-Identifier: EUPL-1.2
 * saml-bridge's keys of the group [idp]: signing keys, lifetimes,
 * metadata validity, the ceilings of pending AuthnRequests. The web
 * layer's keys of the same group are in web/src/conf.c. In the small
 * library saml_conf, which needs nothing but base.
 */
#include <stddef.h>

#include "saml/conf.h"

#define OFF(field) offsetof(saml_conf, field)

static const idm_conf_key saml_keys[] = {
    {.key = "key_file",
     .type = IDM_CONF_PATH,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(key_file),
     .doc = "PEM RSA private key signing responses",
     .check = NULL},
    {.key = "cert_file",
     .type = IDM_CONF_PATH,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(cert_file),
     .doc = "PEM certificate of key_file",
     .check = NULL},
    {.key = "next_cert_file",
     .type = IDM_CONF_PATH,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(next_cert_file),
     .doc = "next signing certificate, published for rollover",
     .check = NULL},
    {.key = "request_max_age",
     .type = IDM_CONF_INT,
     .def = "180",
     .min = 10,
     .max = 3600,
     .offset = OFF(request_max_age),
     .doc = "seconds an AuthnRequest stays acceptable",
     .check = NULL},
    {.key = "clock_skew",
     .type = IDM_CONF_INT,
     .def = "180",
     .min = 0,
     .max = 900,
     .offset = OFF(clock_skew),
     .doc = "seconds of clock difference tolerated",
     .check = NULL},
    {.key = "assertion_lifetime",
     .type = IDM_CONF_INT,
     .def = "300",
     .min = 30,
     .max = 3600,
     .offset = OFF(assertion_lifetime),
     .doc = "seconds an assertion is valid",
     .check = NULL},
    {.key = "metadata_valid_days",
     .type = IDM_CONF_INT,
     .def = "7",
     .min = 1,
     .max = 365,
     .offset = OFF(metadata_valid_days),
     .doc = "validUntil of the published metadata, in days",
     .check = NULL},
    {.key = "pending_per_address",
     .type = IDM_CONF_INT,
     .def = "4096",
     .min = 16,
     .max = 1000000,
     .offset = OFF(pending_per_address),
     .doc = "AuthnRequests waiting for a login per client address "
            "(IPv6: per /64); more are refused with 429",
     .check = NULL},
    {.key = "pending_max",
     .type = IDM_CONF_INT,
     .def = "100000",
     .min = 16,
     .max = 10000000,
     .offset = OFF(pending_max),
     .doc = "AuthnRequests waiting for a login, all addresses "
            "together; more are refused with 503",
     .check = NULL},
};

const idm_conf_section saml_conf_section = {
    .group = "idp",
    .keys = saml_keys,
    .nkeys = sizeof(saml_keys) / sizeof(saml_keys[0]),
    .size = sizeof(saml_conf),
    .check = NULL,
};

int saml_conf_register(idm_err *err)
{
    return idm_conf_register(&saml_conf_section, err);
}

const saml_conf *saml_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &saml_conf_section);
}
