/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge: SAML state in PostgreSQL (store.c): session
 * SPs with the audit row of an assertion, the replay cache, pending
 * AuthnRequests and the sessions of Single Logout.
 */
#ifndef SAML_STORE_INT_H
#define SAML_STORE_INT_H

#include <stdint.h>

#include "base/err.h"
#include "saml/decode.h"
#include "web/ctx.h"

/* An assertion issued to sp for login: audit saml.assertion_issue and,
 * unless session_id is 0, join the SP to that session for Single Logout;
 * both or neither, in one statement. _send() returns once it is on its
 * way (the caller signs meanwhile, touching no database); _wait() gives
 * its outcome: the Response may leave only after it returned 0. */
int saml_assertion_record_send(web_ctx *ctx, int64_t session_id,
                               const char *login, const char *sp,
                               const char *name_id, const char *format,
                               const char *session_index, idm_err *err);
int saml_assertion_record_wait(web_ctx *ctx, const char *sp, idm_err *err);
/* The replay check of a request ID in two halves (idm_db_send_prepared):
 * _send() puts it on its way, the caller works meanwhile without the
 * database, _wait() returns 0 if the ID is seen first, IDM_EEXISTS if
 * replayed. In the same round trip the browser's session is looked up as
 * web_session_lookup() does, with its person (ctx->session_subject). */
int saml_replay_send(web_ctx *ctx, const char *sp, const char *id,
                     int64_t expires, idm_err *err);
int saml_replay_wait(web_ctx *ctx, idm_err *err);
int saml_pending_store(char **id_out, web_ctx *ctx, const char *binding,
                       const char *message, const char *relay_state,
                       idm_err *err);
/* AuthnRequests across the login page: message is the request as decoded
 * and checked (at most SAML_PENDING_MESSAGE_MAX bytes), force the
 * server-side ForceAuthn/reauth flag. A browser keeps at most
 * SAML_PENDING_PER_BROWSER rows per client address: its own oldest give
 * way. At [idp] pending_per_address rows per client address (IPv6: per
 * /64; the same key as the throttle) the address's oldest rows of other
 * browsers give way (*limit_out SAML_PENDING_EVICTED, still parked). At
 * [idp] pending_max rows in all, an address holding SAML_PENDING_LIGHT
 * rows or more is refused (rc 0, *id_out NULL, SAML_PENDING_ALL_FULL).
 * Requests parked at the same moment may pass a ceiling by their number. */
#define SAML_PENDING_MESSAGE_MAX SAML_MSG_XML_MAX
#define SAML_PENDING_PER_BROWSER 16
#define SAML_PENDING_LIGHT 16
/* seconds a refused browser is asked to wait (Retry-After) */
#define SAML_PENDING_RETRY_AFTER "60"
typedef enum saml_pending_limit {
    SAML_PENDING_PARKED,  /* *id_out is the pending request */
    SAML_PENDING_EVICTED, /* parked; other browsers' oldest gave way */
    SAML_PENDING_ALL_FULL /* not parked: pending_max reached */
} saml_pending_limit;
int saml_pending_park(char **id_out, saml_pending_limit *limit_out,
                      web_ctx *ctx, const char *binding, const char *message,
                      const char *relay_state, int force, idm_err *err);
int saml_pending_resume(char **binding_out, char **message_out,
                        char **relay_out, int *force_out, web_ctx *ctx,
                        const char *id, idm_err *err);
/* The force flag of a pending request of this browser (0 if none). */
int saml_pending_force(int *force_out, web_ctx *ctx, const char *id,
                       idm_err *err);
/* The password was just checked for this pending request. */
int saml_pending_force_done(web_ctx *ctx, const char *id, idm_err *err);
/* Single Logout: the live session in which sp was given exactly this
 * NameID and SessionIndex (*id_out 0 if none, or an argument is NULL);
 * end a session by id, leaving the browser's cookie alone. */
int saml_slo_session_find(int64_t *id_out, char login_out[80], web_ctx *ctx,
                          const char *sp, const char *name_id,
                          const char *session_index, idm_err *err);
int saml_slo_session_end(web_ctx *ctx, int64_t id, idm_err *err);
/* The walk a LogoutResponse from sp answers: the logout walk stored as
 * pending row walk_id (the RelayState) for this browser, its state text in
 * *state_out (pooled; NULL if there is none); *replayed_out: sp's
 * response_id is in the replay cache already. Reads only. */
int saml_slo_walk_find(char **state_out, int *replayed_out, web_ctx *ctx,
                       const char *walk_id, const char *sp,
                       const char *response_id, idm_err *err);
/* The next step of the walk saml_slo_walk_find() found, in one statement:
 * the response's replay entry (until expires), the row walk_id (still
 * holding state) deleted and, unless next is NULL (the walk ends), the
 * next step's row with next as its state (*next_id_out, pooled, may be
 * NULL for next NULL). 0; IDM_EEXISTS: the response ID was seen before;
 * IDM_ENOTFOUND: the walk moved on meanwhile; in both nothing changed. */
int saml_slo_walk_advance(char **next_id_out, web_ctx *ctx, const char *walk_id,
                          const char *state, const char *sp,
                          const char *response_id, int64_t expires,
                          const char *next, idm_err *err);

#endif /* SAML_STORE_INT_H */
