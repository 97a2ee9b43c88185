/* SPDX-License-Identifier: EUPL-1.2
 * Browser sessions and the per-address login throttle, in PostgreSQL and
 * shared by all idmd nodes: the session cookie is a random 256-bit token,
 * only its SHA-256 is stored. A protocol may look the session up inside a
 * statement of its own (WEB_SESSION_TOUCH) to save a round trip.
 */
#ifndef WEB_SESSION_H
#define WEB_SESSION_H

#include <libpq-fe.h>

#include "base/common.h"
#include "base/err.h"
#include "idm/policy.h"
#include "web/ctx.h"

/** The session columns every lookup returns (5, see web_session_fill). */
#define WEB_SESSION_COLS                                                       \
    "id, person_uuid, login, extract(epoch FROM auth_instant)::bigint, "       \
    "must_change_password"
/** Find the session ($1 token hash, $2 idle minutes), check both
 * timeouts, touch it. */
#define WEB_SESSION_TOUCH                                                      \
    "UPDATE saml_session SET last_seen = now() "                               \
    "WHERE token_hash = $1::bytea AND expires_at > now() "                     \
    "AND last_seen > now() - make_interval(mins => $2::int) "                  \
    "RETURNING " WEB_SESSION_COLS

/** Look up the browser's session (ctx->session.id 0 if none). */
IDM_MUST_CHECK int web_session_lookup(web_ctx *ctx, idm_err *err);
/** The session's person (borrowed from ctx): as the session lookup read it
 * (ctx->session_subject), else read now. */
IDM_MUST_CHECK int web_session_subject(const idm_subject **out, web_ctx *ctx,
                                       idm_err *err);
/** A new session with a new token (no fixation), its cookie set; an old
 * session of this browser ends. */
IDM_MUST_CHECK int web_session_create(web_ctx *ctx, const char *uuid,
                                      const char *login, int must_change,
                                      idm_err *err);
/** End the browser's session and clear its cookie. */
IDM_MUST_CHECK int web_session_destroy(web_ctx *ctx, idm_err *err);
/** The person's logout in this browser: web_session_destroy(), and the
 * browser's device token revoked (its row deleted, its cookie cleared),
 * so that a shared computer remembers no one after a logout. */
IDM_MUST_CHECK int web_session_logout(web_ctx *ctx, idm_err *err);
IDM_MUST_CHECK int web_session_clear_must_change(web_ctx *ctx, idm_err *err);

/* For a protocol embedding WEB_SESSION_TOUCH in its own statement: */

/** SHA-256 of a token as a bytea literal. */
void web_token_hash(char out[67], const char *token);
/** The browser's session token (pooled) with its hash and the idle
 * minutes as parameters of WEB_SESSION_TOUCH, or NULL (idle set anyway). */
char *web_session_token(web_ctx *ctx, char hash[67], char idle[16]);
/** No session known (yet) in this request. */
void web_session_reset(web_ctx *ctx);
/** The session's person as the protocol's statement read it; the
 * request owns it from now on (ctx->session_subject). */
void web_session_subject_set(web_ctx *ctx, idm_subject *subject);
/** The session from WEB_SESSION_COLS at column col of row 0. */
void web_session_fill(web_ctx *ctx, const PGresult *res, int col, char *token);

/** Whether the client's address is blocked after too many failures. */
IDM_MUST_CHECK int web_throttle_blocked(int *blocked, web_ctx *ctx,
                                        idm_err *err);
/** Count a failed login of the client's address. */
IDM_MUST_CHECK int web_throttle_fail(web_ctx *ctx, idm_err *err);

#endif /* WEB_SESSION_H */
