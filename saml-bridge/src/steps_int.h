/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge: the protocol steps (sso.c, slo.c, verify.c,
 * attributes.c, access.c) and the registration of the IdP on the web
 * layer (routes.c).
 */
#ifndef SAML_STEPS_INT_H
#define SAML_STEPS_INT_H

#include <glib.h>

#include "idm/policy.h"
#include "idp_int.h"
#include "saml/decode.h"
#include "web/ctx.h"

/* verify.c: 0 if m carries an HTTP-Redirect signature (RSA-SHA256 over
 * m->signed_octets) that one of sp's RSA metadata keys verifies, else -1
 * (also when m is not Redirect-signed). */
int saml_verify_redirect(const saml_sp_info *sp, const saml_msg *m);

/* attributes.c: exactly the attributes the decision releases to sp, for
 * the person person_uuid (pairwise-id and subject-id computed here;
 * pairwise: the person's pairwise id for sp if the caller has it, or
 * NULL). */
int saml_attributes_build(GList **out, web_ctx *ctx, const saml_sp_info *sp,
                          const char *person_uuid, const char *pairwise,
                          const idm_decision *d, const idm_subject *subject,
                          idm_err *err);

/* access.c: the rights policy's decision for an SP */
/* Decide for the subject and the SP's application key; an SP without a
 * key or with a key the policy does not know is denied (logged for the
 * administrator). */
void saml_policy_decide(idm_decision *out, web_ctx *ctx, const saml_sp_info *sp,
                        const idm_subject *subject);
/* The decision without a subject: 0 if the SP's application exists and is
 * not closed, else -1 with out->reason set (default deny). */
int saml_policy_app_check(idm_decision *out, web_ctx *ctx,
                          const saml_sp_info *sp);

/* sso.c */
void saml_sso_handle(web_ctx *ctx);
void saml_sso_init(web_ctx *ctx);
/* Continue a pending request after login; NULL pending: portal. */
void saml_sso_resume(web_ctx *ctx, const char *pending);
/* After a successful password check: a pending request of an application
 * that requires a fresh login is answered without creating or touching the
 * shared session; otherwise the session is created and the request (or
 * the password change, or the portal) follows. */
void saml_sso_login_done(web_ctx *ctx, const char *pending, const char *uuid,
                         const char *login, int must_change);
/* slo.c */
void saml_slo_handle(web_ctx *ctx);

/* routes.c: the IdP's routes and the hooks of the login pages on its
 * site */
int saml_routes_register(saml_idp *idp, idm_err *err);

#endif /* SAML_STEPS_INT_H */
