/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge: the IdP object, its server snapshot and
 * metadata, pairwise identifiers, the per-request state of SAML and the
 * accounting of rejected requests.
 */
#ifndef SAML_IDP_INT_H
#define SAML_IDP_INT_H

#include <glib.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/alloc.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"
#include "base/log.h"
#include "crypto_int.h"
#include "registry_int.h"
#include "saml/idp.h"
#include "web/codec.h"
#include "web/ctx.h"

/* Reason classes of rejections: the label of
 * idmd_requests_rejected_by_reason_total (a fixed set, unlike the texts). */
typedef enum saml_reject_kind {
    SAML_REJECT_MALFORMED,     /* not decodable, DTD, repeated element */
    SAML_REJECT_TOO_LARGE,     /* size, element, depth or attribute cap */
    SAML_REJECT_UNKNOWN_SP,    /* issuer not registered */
    SAML_REJECT_UNSIGNED,      /* a signature is required */
    SAML_REJECT_BAD_SIGNATURE, /* invalid signature or algorithm */
    SAML_REJECT_ENDPOINT,      /* ACS, Destination, RelayState */
    SAML_REJECT_EXPIRED,       /* outside the time window */
    SAML_REJECT_REPLAYED,      /* ID seen before */
    SAML_REJECT_NOT_ACCEPTED,  /* Lasso or the profile refused it */
    SAML_REJECT_STATUS,        /* answered with a SAML error status */
    SAML_REJECT_INTERNAL,      /* database or build failure */
    SAML_REJECT_PENDING_ALL,   /* [idp] pending_max reached */
    SAML_REJECT__COUNT
} saml_reject_kind;

struct saml_idp {
    web_site *web; /* borrowed: the site the IdP's routes are on */
    const idm_conf *conf;
    char *entity_id;
    char *sso_url;
    char *slo_url;
    saml_keys keys;
    EVP_MAC_CTX *pairwise_mac; /* keyed HMAC of pairwise ids */
    pthread_mutex_t srv_lock;
    saml_server *srv;
    atomic_llong last_refresh; /* monotonic seconds */
    pthread_mutex_t meta_lock;
    char *metadata;        /* signed metadata, cached */
    int64_t metadata_made; /* epoch seconds */
    idm_db *sp_listen;     /* LISTEN saml_sp (spwatch.c), main thread */
    /* metrics (stats.c) */
    atomic_ulong rejected;
    atomic_ulong rejected_by_kind[SAML_REJECT__COUNT];
    atomic_ulong pending_evicted; /* rows given way at an address's ceiling */
};

/* The IdP of a request: the arg of the SAML route or hook running. */
static inline saml_idp *saml_idp_of(const web_ctx *ctx)
{
    return ctx->proto;
}

/* SAML's per-request state (ctx->proto_data), made on first use and
 * released with the request's pool. */
typedef struct saml_req {
    saml_server *srv;             /* acquired on first use */
    struct saml_replay_q *replay; /* a replay check in flight (store.c) */
} saml_req;
saml_req *saml_req_of(web_ctx *ctx);
/* The server snapshot for this request (acquired once), or NULL. */
saml_server *saml_ctx_server(web_ctx *ctx);

saml_server *saml_server_acquire(saml_idp *idp);
void saml_server_release(saml_server *srv);
int saml_server_build(saml_server **out, saml_idp *idp, idm_db *db,
                      idm_err *err);

/* IdP metadata (unsigned text for Lasso; signed for publication). */
char *saml_metadata_build(const saml_idp *idp, int64_t valid_until);
int saml_metadata_signed(char **out, saml_idp *idp, idm_err *err);
/* GET /saml/metadata (idp.c). */
void saml_metadata_handle(web_ctx *ctx);

/* nameid.c: persistent pairwise id of a person for an SP. */
char *saml_nameid_pairwise(const saml_idp *idp, const char *person_uuid,
                           const char *sp_entity_id);
/* nameid.c: the transient NameID of session_id (of the person
 * person_uuid) for an SP: the same for every assertion of that session to
 * that SP, unlinkable across sessions and SPs (keyed HMAC). free(). */
char *saml_nameid_transient(const saml_idp *idp, int64_t session_id,
                            const char *person_uuid, const char *sp_entity_id);
/* The SessionIndex of session_id for sp: the same for every assertion of
 * that session to that SP, different (unlinkable) for every SP. free(). */
char *saml_slo_session_index(const saml_idp *idp, int64_t session_id,
                             const char *sp);

/* stats.c: a rejected request from ctx's client: counted per kind on
 * /metrics and in the web layer's (address, reason, minute) bucket that
 * becomes one audit row "saml.authn_reject" with a count; logged once per
 * bucket. No database access: usable before any connection is taken. sp:
 * issuer or NULL; reason: safe for users, from a small fixed set of
 * texts. */
void saml_reject_note(web_ctx *ctx, saml_reject_kind kind, const char *sp,
                      const char *reason);
/* The same under another audit action (a string literal), such as
 * "saml.logout_reject". */
void saml_reject_note_as(web_ctx *ctx, const char *action,
                         saml_reject_kind kind, const char *sp,
                         const char *reason);
/* The text of a rejection's error page in the request's language: the
 * fixed English reason on English pages, the kind's German text on German
 * ones (which show the English reason only as a technical detail marked
 * lang="en", web_page_refusal()). */
const char *saml_reject_text(const web_ctx *ctx, saml_reject_kind kind,
                             const char *reason);
/* A refusal counted in idmd_requests_rejected_total only (a policy
 * denial answered with a SAML status). */
void saml_reject_count(saml_idp *idp);
/* SAML's lines of the /metrics text (web_metrics_fn). */
void saml_stats_render(GString *out, void *idp);
/* One park made older rows of other browsers at its address give way. */
void saml_stats_pending_evicted(web_ctx *ctx);

#endif /* SAML_IDP_INT_H */
