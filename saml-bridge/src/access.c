/* SPDX-License-Identifier: EUPL-1.2
 * The rights policy's decision for a service provider: the SP's
 * application key must name an open application of the policy (default
 * deny), then the policy decides for the subject. The policy itself is
 * the web layer's (web_ctx_policy).
 */
#include <stdio.h>
#include <string.h>

#include "steps_int.h"

int saml_policy_app_check(idm_decision *out, web_ctx *ctx,
                          const saml_sp_info *sp)
{
    const idm_policy *policy = web_ctx_policy(ctx);
    const idm_app *app;
    char qs[600], qa[200];

    memset(out, 0, sizeof(*out));
    out->verdict = IDM_VERDICT_DENY;
    if (sp->app_key == NULL || sp->app_key[0] == '\0' || policy == NULL) {
        snprintf(out->reason, sizeof(out->reason),
                 "the service provider is bound to no application "
                 "(default deny)");
        idm_log(IDM_LOG_WARN, "saml", "policy.sp_unbound",
                "sp=%s hint=\"register it with idmctl sp add --app KEY\"",
                idm_log_quote(qs, sizeof(qs), sp->entity_id));
        return -1;
    }
    app = idm_policy_app_find(policy, sp->app_key);
    if (app == NULL) {
        snprintf(out->reason, sizeof(out->reason),
                 "there is no application \"%s\" in the policy (default deny)",
                 sp->app_key);
        idm_log(IDM_LOG_WARN, "saml", "policy.app_unknown",
                "sp=%s app=%s hint=\"add apps/KEY.xml to [policy] dir or "
                "register the SP with a known --app\"",
                idm_log_quote(qs, sizeof(qs), sp->entity_id),
                idm_log_quote(qa, sizeof(qa), sp->app_key));
        return -1;
    }
    out->app = app;
    out->session_max = app->session_max;
    if (app->sso == IDM_SSO_DENY) {
        snprintf(out->reason, sizeof(out->reason),
                 "\"%s\" is closed for every account (sso = deny)", app->key);
        return -1;
    }
    return 0;
}

void saml_policy_decide(idm_decision *out, web_ctx *ctx, const saml_sp_info *sp,
                        const idm_subject *subject)
{
    if (saml_policy_app_check(out, ctx, sp) != 0) {
        return;
    }
    idm_policy_decide(out, web_ctx_policy(ctx), sp->app_key, subject, NULL);
}
