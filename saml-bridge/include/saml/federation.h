/* SPDX-License-Identifier: EUPL-1.2
 * Signed SP metadata from a URL: federation aggregates and single SPs.
 * A source is fetched over HTTPS, its enveloped signature verified with
 * the pinned certificate before anything in it is used, and the last good
 * copy kept. Its entities become SPs only when mapped to an application.
 */
#ifndef SAML_FEDERATION_H
#define SAML_FEDERATION_H

#include <stddef.h>

#include "idm/audit.h"
#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

/** Largest aggregate downloaded (DFN-AAI and eduGAIN are far below). */
#define SAML_FEDERATION_MAX (64 * 1024 * 1024)
/** Largest pinned certificate file. */
#define SAML_FEDERATION_CERT_MAX (64 * 1024)
/** Next refresh without cacheDuration, and the bounds applied to it. */
#define SAML_FEDERATION_REFRESH_DEFAULT (6 * 3600)
#define SAML_FEDERATION_REFRESH_MIN (5 * 60)
#define SAML_FEDERATION_REFRESH_MAX (24 * 3600)

/** How to fetch; all fields may be zero. */
typedef struct saml_federation_opts {
    const char *ca_file; /* CA bundle for TLS instead of the system's */
    size_t max_bytes;    /* 0: SAML_FEDERATION_MAX */
} saml_federation_opts;

#define SAML_FEDERATION_OPTS_INIT                                              \
    {                                                                          \
        NULL, 0                                                                \
    }

typedef struct saml_federation_record {
    char *name;
    char *kind; /* "aggregate" or "entity" (an SP added with --url) */
    char *url;
    char *valid_until; /* of the last good copy, or NULL */
    char *fetched_at;  /* or NULL */
    char *next_refresh;
    char *last_error; /* or NULL */
    char *last_error_at;
    int n_entities;  /* in the last good copy; -1 from _list */
    int n_mapped;    /* of them registered as SPs */
    char **entities; /* n_entities entityIDs, only from _get */
} saml_federation_record;

/**
 * Register an aggregate (not fetched yet: run saml_federation_refresh).
 * @param cert_pem  the PEM certificate that must sign the aggregate.
 * @return 0, IDM_EINVAL, IDM_EEXISTS, IDM_EDB.
 */
IDM_MUST_CHECK int saml_federation_add(idm_db *db, const idm_actor *actor,
                                       const char *name, const char *url,
                                       const char *cert_pem, idm_err *err);

/** Remove a source; its SPs stay registered but are no longer refreshed. */
IDM_MUST_CHECK int saml_federation_remove(idm_db *db, const idm_actor *actor,
                                          const char *name, idm_err *err);

/** @param[out] out  *n records; free with saml_federation_records_free. */
IDM_MUST_CHECK int saml_federation_list(saml_federation_record **out, size_t *n,
                                        idm_db *db, idm_err *err);

/** One source with the entityIDs of its last good copy. */
IDM_MUST_CHECK int saml_federation_get(saml_federation_record **out, idm_db *db,
                                       const char *name, idm_err *err);

void saml_federation_records_free(saml_federation_record *records, size_t n);

/**
 * Fetch, verify and store one source (name) or every source that is due
 * (name NULL; all of them with force). A failed refresh keeps the last
 * good copy and records the error; changes and failures are logged
 * (comp=saml event=federation.*) and audited.
 * @param[out] failed_out  number of sources that failed; may be NULL.
 * @return 0, or the code of the last failure (details in err).
 */
IDM_MUST_CHECK int saml_federation_refresh(int *failed_out, idm_db *db,
                                           const idm_actor *actor,
                                           const char *name, int force,
                                           const saml_federation_opts *opts,
                                           idm_err *err);

/**
 * Register the entity entity_id of the federation's last good copy as an
 * SP of application app_key (saml_sp_add's validations), refreshed with
 * the federation from then on.
 * @return 0, IDM_ENOTFOUND, IDM_EINVAL, IDM_EEXISTS, IDM_EDB.
 */
IDM_MUST_CHECK int saml_federation_map(idm_db *db, const idm_actor *actor,
                                       const char *federation,
                                       const char *entity_id,
                                       const char *app_key, int allow_http,
                                       int sign_requests, idm_err *err);

/**
 * Fetch a single SP's signed EntityDescriptor from url, verify it with
 * cert_pem, register it as an SP of app_key and refresh it like a
 * federation (source named by its entityID).
 * @param[out] entity_out  its entityID; free(). May be NULL.
 */
IDM_MUST_CHECK int
saml_federation_add_sp(char **entity_out, idm_db *db, const idm_actor *actor,
                       const char *url, const char *cert_pem,
                       const char *app_key, int allow_http, int sign_requests,
                       const saml_federation_opts *opts, idm_err *err);

/**
 * Verify a metadata document (no network): well-formed, no DTD, root
 * md:EntitiesDescriptor (aggregate) or md:EntityDescriptor, an enveloped
 * RSA-SHA256/384/512 signature over the root element by the key of
 * cert_pem, validUntil in the future (required for aggregates).
 * For tests and fuzzing. @return 0 or IDM_EINVAL with the reason.
 */
IDM_MUST_CHECK int saml_federation_verify(const char *xml, size_t len,
                                          const char *cert_pem, int aggregate,
                                          idm_err *err);

#endif /* SAML_FEDERATION_H */
