/* SPDX-License-Identifier: EUPL-1.2
 * The rights policy at the IdP. idmd keeps one idm_policy_store: loaded at
 * start (which must succeed), reloaded on SIGHUP and polled every two
 * seconds. An invalid policy is refused, every problem is logged with its
 * file:line, the refusal is counted on /metrics and the active policy
 * stays. A request takes one reference on first use and drops it at its
 * end, so a reload never changes the policy under a running request and
 * none is dropped.
 */
#include <stdio.h>
#include <string.h>

#include "idm/conf.h"
#include "saml_int.h"

static void diag(void *ctx, const char *file, int line, const char *msg)
{
    char where[600], qw[700], qm[600];

    (void)ctx;
    snprintf(where, sizeof(where), "%s:%d", file != NULL ? file : "-", line);
    idm_log(IDM_LOG_ERROR, "saml", "policy.problem", "at=%s problem=%s",
            idm_log_quote(qw, sizeof(qw), where),
            idm_log_quote(qm, sizeof(qm), msg));
}

int saml_policy_open(saml_idp *idp, idm_err *err)
{
    const char *dir = idm_policy_conf_get(idp->conf)->dir;
    int rc = idm_policy_store_open(&idp->policies, dir, err);

    if (rc != 0) {
        idm_err_detail(err, "[policy] dir = %s", dir);
    }
    return rc;
}

int saml_idp_policy_reload(saml_idp *idp, int force, idm_err *err)
{
    const char *dir = idm_policy_conf_get(idp->conf)->dir;
    char qd[600], qr[600];
    int rc;

    if (force) {
        rc = idm_policy_store_reload(idp->policies, diag, NULL, err);
        rc = rc == 0 ? 1 : rc;
    } else {
        rc = idm_policy_store_poll(idp->policies, diag, NULL, err);
    }
    if (rc == 1) {
        atomic_fetch_add(&idp->policy_reloads, 1);
        idm_log(IDM_LOG_NOTICE, "saml", "policy.reload", "dir=%s",
                idm_log_quote(qd, sizeof(qd), dir));
    } else if (rc < 0) {
        idm_log(IDM_LOG_ERROR, "saml", "policy.refused",
                "dir=%s reason=%s active=unchanged",
                idm_log_quote(qd, sizeof(qd), dir),
                idm_log_quote(qr, sizeof(qr), err->msg));
    }
    return rc;
}

unsigned saml_idp__policy_refused(const saml_idp *idp)
{
    return idp->policies != NULL ? idm_policy_store_refused(idp->policies) : 0;
}

const idm_policy *saml_ctx_policy(saml_ctx *ctx)
{
    if (ctx->policy == NULL && ctx->idp->policies != NULL) {
        ctx->policy = idm_policy_store_get(ctx->idp->policies);
    }
    return ctx->policy;
}

int saml_policy_app_check(idm_decision *out, saml_ctx *ctx,
                          const saml_sp_info *sp)
{
    const idm_policy *policy = saml_ctx_policy(ctx);
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

void saml_policy_decide(idm_decision *out, saml_ctx *ctx,
                        const saml_sp_info *sp, const idm_subject *subject)
{
    if (saml_policy_app_check(out, ctx, sp) != 0) {
        return;
    }
    idm_policy_decide(out, saml_ctx_policy(ctx), sp->app_key, subject, NULL);
}
