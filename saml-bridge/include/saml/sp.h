/* SPDX-License-Identifier: EUPL-1.2
 * Service provider registry: SPs are registered from their SAML metadata,
 * which is validated first (well-formed, no DTD, https endpoints unless
 * allowed, an AssertionConsumerService, parsable certificates, validUntil
 * in the future). Stored in PostgreSQL; idmd picks changes up by itself.
 */
#ifndef SAML_SP_H
#define SAML_SP_H

#include <stddef.h>

#include "idm/audit.h"
#include "base/common.h"
#include "base/db.h"
#include "base/err.h"

/** Largest metadata document accepted. */
#define SAML_METADATA_MAX (1024 * 1024)

/** What metadata validation found out. */
typedef struct saml_sp_summary {
    char *entity_id;
    char *valid_until;         /* or NULL */
    int n_acs;                 /* AssertionConsumerService endpoints */
    int n_slo;                 /* SingleLogoutService endpoints */
    int n_certs;               /* certificates in KeyDescriptors */
    int wants_signed_requests; /* AuthnRequestsSigned="true" */
    int wants_assertions_signed; /* WantAssertionsSigned="true" */
    int has_enc_key;             /* an RSA encryption key */
} saml_sp_summary;

/**
 * Validate SP metadata.
 * @param[out] out  summary; release with saml_sp_summary_clear().
 * @param allow_http  accept http:// endpoints on loopback hosts.
 * @return 0 or IDM_EINVAL with the reason in err->msg.
 */
IDM_MUST_CHECK int saml_sp_metadata_check(saml_sp_summary *out,
                                          const char *metadata, size_t len,
                                          int allow_http, idm_err *err);

void saml_sp_summary_clear(saml_sp_summary *summary);

typedef struct saml_sp_new {
    const char *app_key; /* application key in the policy catalogue */
    const char *metadata;
    size_t metadata_len;
    int allow_http;    /* loopback test SPs */
    int sign_requests; /* AuthnRequests must be signed */
    const char *sign;  /* what idmd signs: "assertion", "response",
                        * "both", or NULL: per metadata (the Assertion if
                        * WantAssertionsSigned, else the Response) */
    const char *encrypt; /* "yes", "no", or NULL: per metadata (yes when
                          * it has an encryption key) */
} saml_sp_new;

/** Whether s is a value of saml_sp_new.sign (NULL is). */
int saml_sp_sign_valid(const char *s);

/** Whether s is a value of saml_sp_new.encrypt (NULL is). */
int saml_sp_encrypt_valid(const char *s);

/**
 * Register (or, with replace, update) an SP; audited as sp.add.
 * @param[out] entity_out  its entityID; free(). May be NULL.
 * @return 0, IDM_EINVAL, IDM_EEXISTS, IDM_EDB.
 */
IDM_MUST_CHECK int saml_sp_add(char **entity_out, idm_db *db,
                               const idm_actor *actor, const saml_sp_new *sp,
                               int replace, idm_err *err);

/**
 * Set what idmd signs in the SP's Responses (see saml_sp_new.sign; NULL
 * returns to the metadata's choice); audited as sp.set.
 * @return 0, IDM_EINVAL, IDM_ENOTFOUND, IDM_EDB.
 */
IDM_MUST_CHECK int saml_sp_set_sign(idm_db *db, const idm_actor *actor,
                                    const char *entity_id, const char *sign,
                                    idm_err *err);

/** Remove an SP (audited). @return 0, IDM_ENOTFOUND. */
/**
 * Whether idmd encrypts the Assertions of its Responses to the SP's
 * metadata encryption key: "yes", "no", or NULL (per metadata).
 * @return 0, IDM_ENOTFOUND, IDM_EINVAL (yes without an encryption key in
 *         the metadata) or another negative IDM_E* code.
 */
IDM_MUST_CHECK int saml_sp_set_encrypt(idm_db *db, const idm_actor *actor,
                                       const char *entity_id,
                                       const char *encrypt, idm_err *err);

IDM_MUST_CHECK int saml_sp_remove(idm_db *db, const idm_actor *actor,
                                  const char *entity_id, idm_err *err);

typedef struct saml_sp_record {
    char *entity_id;
    char *app_key;
    int allow_http;
    int sign_requests;
    char *sign;        /* "assertion", "response", "both"; NULL: metadata */
    char *encrypt;     /* "yes", "no"; NULL: metadata */
    char *valid_until; /* or NULL */
    char *created_at;
    char *updated_at;
    char *metadata; /* only filled by saml_sp_get */
} saml_sp_record;

/** @param[out] out  array of *n records; free with saml_sp_records_free. */
IDM_MUST_CHECK int saml_sp_list(saml_sp_record **out, size_t *n, idm_db *db,
                                idm_err *err);

/** One SP with its metadata. @return 0, IDM_ENOTFOUND. */
IDM_MUST_CHECK int saml_sp_get(saml_sp_record **out, idm_db *db,
                               const char *entity_id, idm_err *err);

void saml_sp_records_free(saml_sp_record *records, size_t n);

#endif /* SAML_SP_H */
