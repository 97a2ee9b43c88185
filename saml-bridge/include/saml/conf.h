/* SPDX-License-Identifier: EUPL-1.2
 * saml-bridge's keys of the group [idp]: signing keys, message and
 * assertion lifetimes, metadata validity, the ceilings of pending
 * AuthnRequests. The web layer owns the group's other keys (web/conf.h:
 * base_url, pairwise_salt_file, ...). In its own small library
 * (saml_conf, nothing but base) so that programs which serve no SAML
 * still register the keys and check a shared config file.
 */
#ifndef SAML_CONF_H
#define SAML_CONF_H

#include "base/common.h"
#include "base/conf.h"
#include "base/err.h"

/** saml-bridge's keys of [idp]. */
typedef struct saml_conf {
    char *key_file;         /* PEM RSA signing key */
    char *cert_file;        /* its certificate */
    char *next_cert_file;   /* published for rollover, or NULL */
    int request_max_age;    /* seconds */
    int clock_skew;         /* seconds */
    int assertion_lifetime; /* seconds */
    int metadata_valid_days;
    int pending_per_address; /* rows of saml_pending per client address */
    int pending_max;         /* rows of saml_pending in all */
} saml_conf;

extern const idm_conf_section saml_conf_section;

/** Register the section above (for tests and tools). */
IDM_MUST_CHECK int saml_conf_register(idm_err *err);

/** saml-bridge's [idp] values of conf, borrowed from it. */
const saml_conf *saml_conf_get(const idm_conf *conf);

#endif /* SAML_CONF_H */
