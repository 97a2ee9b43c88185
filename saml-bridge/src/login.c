/* SPDX-License-Identifier: EUPL-1.2
 * The login page, the forced password change, the portal and the logout
 * form. Passwords go to idm-core's idm_user_authenticate() (constant cost,
 * account throttling, audit); the per-address throttle sits on top.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "idm/password.h"
#include "idm/user.h"
#include "saml_int.h"

static char *field(saml_ctx *ctx, const char *name)
{
    const saml_request *req = ctx->req;
    return saml_pool_add(ctx->pool, free,
                         saml__form_get(req->body, req->body_len, name));
}

static char *qfield(saml_ctx *ctx, const char *name)
{
    const char *q = ctx->req->query;
    return q == NULL ? NULL
                     : saml_pool_add(ctx->pool, free,
                                     saml__form_get(q, strlen(q), name));
}

static void wipe(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
    }
}

static void login_post(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    idm_auth_result res;
    idm_actor actor;
    char *pending = field(ctx, "p"), *login = field(ctx, "login");
    char *password = field(ctx, "password");
    idm_db *db;
    int blocked = 0, rc;

    if (saml_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        saml_page_login(ctx, pending, NULL, SAML_M_BAD_FORM);
        goto cleanup;
    }
    if (login == NULL || password == NULL || strlen(login) > 64 ||
        strlen(password) > IDM_PASSWORD_MAX_LEN || password[0] == '\0') {
        saml_page_login(ctx, pending, NULL, SAML_M_BAD_CREDENTIALS);
        goto cleanup;
    }
    if (saml_throttle_blocked(&blocked, ctx, &err) != 0 ||
        saml_ctx_db(&db, ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        goto cleanup;
    }
    if (blocked) {
        saml_audit(ctx, "login.throttled", "-", IDM_AUDIT_DENIED, NULL,
                   "too many failures from this address");
        saml_metrics_login(ctx->idp->metrics, 0);
        saml_page_login(ctx, pending, NULL, SAML_M_ADDR_THROTTLED);
        ctx->resp->status = 429;
        goto cleanup;
    }
    for (char *c = login; *c != '\0'; c++) {
        *c = (char)g_ascii_tolower(*c);
    }
    actor.name = "idmd";
    actor.addr = ctx->actor.addr;
    /* audits login.ok / login.fail itself, never with the password */
    rc = idm_user_authenticate(&res, db, ctx->idp->conf, &actor, login,
                               password, &err);
    if (rc == IDM_EAUTH || rc == IDM_ELOCKED) {
        idm_err terr = IDM_ERR_INIT;
        if (saml_throttle_fail(ctx, &terr) != 0) {
            idm_log(IDM_LOG_WARN, "saml", "throttle.fail", "detail=\"%s\"",
                    terr.msg);
        }
        saml_metrics_login(ctx->idp->metrics, 0);
        saml_page_login(ctx, pending, NULL,
                        rc == IDM_EAUTH ? SAML_M_BAD_CREDENTIALS
                                        : SAML_M_LOCKED);
        goto cleanup;
    }
    if (rc != 0 || saml_session_create(ctx, res.uuid, login,
                                       res.must_change_password, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        goto cleanup;
    }
    saml_metrics_login(ctx->idp->metrics, 1);
    if (res.must_change_password) {
        char *loc = saml__printf("/password%s%s", pending != NULL ? "?p=" : "",
                                 pending != NULL ? pending : "");
        saml_resp_redirect(ctx, loc);
        free(loc);
        goto cleanup;
    }
    saml_sso_resume(ctx, pending);
cleanup:
    wipe(password);
}

void saml_login_handle(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    char *pending, *force;

    if (strcmp(ctx->req->method, "POST") == 0) {
        login_post(ctx);
        return;
    }
    pending = qfield(ctx, "p");
    force = qfield(ctx, "force");
    if (pending != NULL && strlen(pending) != 43) {
        pending = NULL;
    }
    if (saml_session_lookup(ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        return;
    }
    if (ctx->session.id != 0 && force == NULL &&
        !ctx->session.must_change_password) {
        saml_sso_resume(ctx, pending);
        return;
    }
    saml_page_login(ctx, pending, NULL, (saml_msgid)-1);
}

static void password_form(saml_ctx *ctx, const char *pending, const char *error)
{
    GString *p = saml_page_begin(ctx, SAML_M_TITLE_CHANGE_PW);

    if (error != NULL) {
        g_string_append(p, "<p class=\"err\" role=\"alert\">");
        saml__html_append(p, error);
        g_string_append(p, "</p>");
    }
    g_string_append(p, "<p>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_CHANGE_PW_INTRO));
    g_string_append(p, "</p><form method=\"post\" action=\"/password\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
    saml__html_append(p, saml_csrf_token(ctx));
    g_string_append(p, "\">");
    if (pending != NULL) {
        g_string_append(p, "<input type=\"hidden\" name=\"p\" value=\"");
        saml__html_append(p, pending);
        g_string_append(p, "\">");
    }
    g_string_append(p, "<label for=\"pw1\">");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_NEW_PASSWORD));
    g_string_append(p, "</label><input type=\"password\" id=\"pw1\" "
                       "name=\"pw1\" autocomplete=\"new-password\" required "
                       "autofocus maxlength=\"1024\"><label for=\"pw2\">");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_NEW_PASSWORD2));
    g_string_append(p, "</label><input type=\"password\" id=\"pw2\" "
                       "name=\"pw2\" autocomplete=\"new-password\" required "
                       "maxlength=\"1024\"><button type=\"submit\">");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_CONTINUE));
    g_string_append(p, "</button></form>");
    saml_page_end(ctx, p, error != NULL ? 400 : 200);
}

void saml_password_handle(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    int post = strcmp(ctx->req->method, "POST") == 0;
    char *pending = post ? field(ctx, "p") : qfield(ctx, "p");
    char *pw1, *pw2;
    idm_db *db;

    if (saml_session_lookup(ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        return;
    }
    if (ctx->session.id == 0) {
        saml_resp_redirect(ctx, "/");
        return;
    }
    if (!post) {
        password_form(ctx, pending, NULL);
        return;
    }
    pw1 = field(ctx, "pw1");
    pw2 = field(ctx, "pw2");
    if (saml_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        password_form(ctx, pending, saml_msg_text(ctx->lang, SAML_M_BAD_FORM));
    } else if (pw1 == NULL || pw2 == NULL || strcmp(pw1, pw2) != 0) {
        password_form(ctx, pending,
                      saml_msg_text(ctx->lang, SAML_M_PW_MISMATCH));
    } else if (saml_ctx_db(&db, ctx, &err) != 0 ||
               idm_user_set_password(db, ctx->idp->conf, &ctx->actor,
                                     ctx->session.login, pw1, 0, &err) != 0) {
        /* the policy's message names the rule, never the password */
        password_form(ctx, pending, err.msg);
    } else if (saml_session_clear_must_change(ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
    } else {
        saml_sso_resume(ctx, pending);
    }
    wipe(pw1);
    wipe(pw2);
}

void saml_portal_handle(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    saml_server *srv;
    GString *p;
    GList *keys;

    if (saml_session_lookup(ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        return;
    }
    if (ctx->session.id == 0) {
        saml_page_login(ctx, NULL, NULL, (saml_msgid)-1);
        return;
    }
    if (ctx->session.must_change_password) {
        saml_resp_redirect(ctx, "/password");
        return;
    }
    p = saml_page_begin(ctx, SAML_M_TITLE_PORTAL);
    g_string_append(p, "<p>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_LOGGED_IN_AS));
    g_string_append(p, " <strong>");
    saml__html_append(p, ctx->session.login);
    g_string_append(p, "</strong></p><h2>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_YOUR_APPS));
    g_string_append(p, "</h2><ul>");
    /* TODO(#4): the policy decides which applications a person sees */
    srv = saml_ctx_server(ctx);
    keys = srv != NULL ? g_hash_table_get_keys(srv->sps) : NULL;
    keys = g_list_sort(keys, (GCompareFunc)strcmp);
    for (GList *l = keys; l != NULL; l = l->next) {
        const saml_sp_info *sp = g_hash_table_lookup(srv->sps, l->data);
        char *enc = saml__url_encode(sp->entity_id);
        g_string_append(p, "<li><a href=\"/saml/init?sp=");
        saml__html_append(p, enc);
        g_string_append(p, "\">");
        saml__html_append(p, sp->app_key);
        g_string_append(p, "</a></li>");
        free(enc);
    }
    if (keys == NULL) {
        g_string_append(p, "<li>");
        saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_NO_APPS));
        g_string_append(p, "</li>");
    }
    g_list_free(keys);
    g_string_append(p, "</ul><form method=\"post\" action=\"/logout\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
    saml__html_append(p, saml_csrf_token(ctx));
    g_string_append(p, "\"><button type=\"submit\">");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_LOGOUT));
    g_string_append(p, "</button></form>");
    saml_page_end(ctx, p, 200);
}

void saml_logout_handle(saml_ctx *ctx)
{
    if (saml_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        saml_page_error(ctx, 400, saml_msg_text(ctx->lang, SAML_M_BAD_FORM));
        return;
    }
    /* IdP-initiated Single Logout across every SP of the session */
    saml_slo_handle(ctx);
}
