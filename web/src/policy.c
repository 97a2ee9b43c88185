/* SPDX-License-Identifier: EUPL-1.2
 * The rights policy store of the site. idmd keeps one idm_policy_store: loaded
 * at start (which must succeed), reloaded on SIGHUP and polled every two
 * seconds. An invalid policy is refused, every problem is logged with its
 * file:line, the refusal is counted on /metrics and the active policy
 * stays. A request takes one reference on first use and drops it at its
 * end, so a reload never changes the policy under a running request and
 * none is dropped.
 */
#include <stdio.h>
#include <string.h>

#include "idm/conf.h"
#include "web_int.h"

static void diag(void *ctx, const char *file, int line, const char *msg)
{
    char where[600], qw[700], qm[600];

    (void)ctx;
    snprintf(where, sizeof(where), "%s:%d", file != NULL ? file : "-", line);
    idm_log(IDM_LOG_ERROR, "web", "policy.problem", "at=%s problem=%s",
            idm_log_quote(qw, sizeof(qw), where),
            idm_log_quote(qm, sizeof(qm), msg));
}

int web_policy_open(web_site *site, idm_err *err)
{
    const char *dir = idm_policy_conf_get(site->conf)->dir;
    int rc = idm_policy_store_open(&site->policies, dir, err);

    if (rc != 0) {
        idm_err_detail(err, "[policy] dir = %s", dir);
    }
    return rc;
}

int web_site_policy_reload(web_site *site, int force, idm_err *err)
{
    const char *dir = idm_policy_conf_get(site->conf)->dir;
    char qd[600], qr[600];
    int rc;

    if (force) {
        rc = idm_policy_store_reload(site->policies, diag, NULL, err);
        rc = rc == 0 ? 1 : rc;
    } else {
        rc = idm_policy_store_poll(site->policies, diag, NULL, err);
    }
    if (rc == 1) {
        atomic_fetch_add(&site->policy_reloads, 1);
        idm_log(IDM_LOG_NOTICE, "web", "policy.reload", "dir=%s",
                idm_log_quote(qd, sizeof(qd), dir));
    } else if (rc < 0) {
        idm_log(IDM_LOG_ERROR, "web", "policy.refused",
                "dir=%s reason=%s active=unchanged",
                idm_log_quote(qd, sizeof(qd), dir),
                idm_log_quote(qr, sizeof(qr), err->msg));
    }
    return rc;
}

unsigned web_site__policy_refused(const web_site *site)
{
    return site->policies != NULL ? idm_policy_store_refused(site->policies)
                                  : 0;
}

const idm_policy *web_ctx_policy(web_ctx *ctx)
{
    if (ctx->policy == NULL && ctx->site->policies != NULL) {
        ctx->policy = idm_policy_store_get(ctx->site->policies);
    }
    return ctx->policy;
}
