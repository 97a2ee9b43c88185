/* SPDX-License-Identifier: EUPL-1.2
 * The IdP on the web layer: its routes, the hooks the login pages call
 * (what follows a login, the pending request's ForceAuthn, the logout
 * walk, the portal's links) and its metric lines.
 */
#include <stdlib.h>
#include <string.h>

#include "steps_int.h"
#include "store_int.h"

static void route_metadata(web_ctx *ctx, void *arg)
{
    (void)arg;
    saml_metadata_handle(ctx);
}

static void route_sso(web_ctx *ctx, void *arg)
{
    (void)arg;
    saml_sso_handle(ctx);
}

static void route_slo(web_ctx *ctx, void *arg)
{
    (void)arg;
    saml_slo_handle(ctx);
}

static void route_init(web_ctx *ctx, void *arg)
{
    (void)arg;
    saml_sso_init(ctx);
}

static void hook_login_done(web_ctx *ctx, void *arg, const char *pending,
                            const char *uuid, const char *login,
                            int must_change)
{
    (void)arg;
    saml_sso_login_done(ctx, pending, uuid, login, must_change);
}

static void hook_resume(web_ctx *ctx, void *arg, const char *pending)
{
    (void)arg;
    saml_sso_resume(ctx, pending);
}

static int hook_pending_force(int *force_out, web_ctx *ctx, void *arg,
                              const char *pending, idm_err *err)
{
    (void)arg;
    return saml_pending_force(force_out, ctx, pending, err);
}

static void hook_logout(web_ctx *ctx, void *arg)
{
    (void)arg;
    /* IdP-initiated Single Logout across every SP of the session */
    saml_slo_handle(ctx);
}

/* The SP registered for an application key (the first by entityID when
 * there are several), or NULL. */
static const saml_sp_info *sp_for_app(saml_server *srv, const char *key)
{
    const saml_sp_info *found = NULL;
    GHashTableIter it;
    gpointer k, v;

    if (srv == NULL) {
        return NULL;
    }
    g_hash_table_iter_init(&it, srv->sps);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const saml_sp_info *sp = v;
        if (sp->app_key != NULL && strcmp(sp->app_key, key) == 0 &&
            (found == NULL || strcmp(sp->entity_id, found->entity_id) < 0)) {
            found = sp;
        }
    }
    return found;
}

/* IdP-initiated SSO of the application's SP. */
static char *hook_app_link(web_ctx *ctx, void *arg, const char *app_key)
{
    const saml_sp_info *sp = sp_for_app(saml_ctx_server(ctx), app_key);
    char *enc, *link;

    (void)arg;
    if (sp == NULL) {
        return NULL;
    }
    enc = web_url_encode(sp->entity_id);
    link = idm_xasprintf("/saml/init?sp=%s", enc);
    free(enc);
    return link;
}

static int hook_ready(web_ctx *ctx, void *arg)
{
    saml_idp *idp = arg;

    return saml_ctx_server(ctx) != NULL && idp->keys.sign_key != NULL;
}

int saml_routes_register(saml_idp *idp, idm_err *err)
{
    const web_hooks hooks = {
        .arg = idp,
        .login_done = hook_login_done,
        .resume = hook_resume,
        .pending_force = hook_pending_force,
        .logout = hook_logout,
        .app_link = hook_app_link,
        .ready = hook_ready,
    };
    web_site *web = idp->web;
    int rc;

    if ((rc = web_route_add(web, "/saml/sso", WEB_GET | WEB_POST | WEB_METRIC,
                            SAML_BODY_MAX, route_sso, idp, err)) != 0 ||
        (rc = web_route_add(web, "/saml/slo", WEB_GET | WEB_POST | WEB_METRIC,
                            SAML_BODY_MAX, route_slo, idp, err)) != 0 ||
        (rc = web_route_add(web, "/saml/init", WEB_GET | WEB_METRIC, 0,
                            route_init, idp, err)) != 0 ||
        (rc = web_route_add(web, "/saml/metadata", WEB_GET | WEB_METRIC, 0,
                            route_metadata, idp, err)) != 0 ||
        (rc = web_site_add_metrics(web, saml_stats_render, idp, err)) != 0) {
        return rc;
    }
    web_site_set_hooks(web, &hooks);
    return 0;
}
