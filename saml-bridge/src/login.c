/* SPDX-License-Identifier: EUPL-1.2
 * The login page, the forced password change, the portal and the logout
 * form. Passwords go to idm-core's idm_user_authenticate() (constant cost,
 * account throttling, audit); the per-address throttle sits on top.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "idm/conf.h"
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
    if (rc == IDM_EAUTH) {
        idm_err terr = IDM_ERR_INIT;
        if (saml_throttle_fail(ctx, &terr) != 0) {
            idm_log(IDM_LOG_WARN, "saml", "throttle.fail", "detail=\"%s\"",
                    terr.msg);
        }
        saml_metrics_login(ctx->idp->metrics, 0);
        /* one page for unknown login, wrong password, throttled account
         * and a wrong password for a disabled one: no account oracle */
        saml_page_login(ctx, pending, NULL, SAML_M_BAD_CREDENTIALS);
        goto cleanup;
    }
    if (rc == IDM_ELOCKED) {
        /* the right password proved ownership: now it may be told */
        saml_metrics_login(ctx->idp->metrics, 0);
        saml_page_error(ctx, 403,
                        saml_msg_text(ctx->lang, SAML_M_ACCOUNT_DISABLED));
        goto cleanup;
    }
    if (rc != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        goto cleanup;
    }
    saml_metrics_login(ctx->idp->metrics, 1);
    /* the session (unless a reauth application asked), then the request */
    saml_sso_login_done(ctx, pending, res.uuid, login,
                        res.must_change_password);
cleanup:
    wipe(password);
}

void saml_login_handle(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    char *pending;
    int force = 0;

    if (strcmp(ctx->req->method, "POST") == 0) {
        login_post(ctx);
        return;
    }
    pending = qfield(ctx, "p");
    if (pending != NULL && strlen(pending) != 43) {
        pending = NULL;
    }
    /* ForceAuthn and reauth are the pending request's, kept server-side:
     * nothing in the URL can skip the password */
    if (saml_session_lookup(ctx, &err) != 0 ||
        (ctx->session.id != 0 && pending != NULL &&
         saml_pending_force(&force, ctx, pending, &err) != 0)) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        return;
    }
    if (ctx->session.id != 0 && !force &&
        !ctx->session.must_change_password) {
        saml_sso_resume(ctx, pending);
        return;
    }
    saml_page_login(ctx, pending, NULL, (saml_msgid)-1);
}

static void append_label(GString *p, saml_ctx *ctx, const char *id,
                         saml_msgid label)
{
    g_string_append_printf(p, "<label for=\"%s\">", id);
    saml__html_append(p, saml_msg_text(ctx->lang, label));
    g_string_append(p, "</label>");
}

/* The rules, above the fields, so nobody types a password twice for
 * nothing. */
static void append_rules(GString *p, saml_ctx *ctx)
{
    static const saml_msgid rules[] = {
        SAML_M_PW_RULE_WORDS, SAML_M_PW_RULE_SIMPLE, SAML_M_PW_RULE_LOGIN,
        SAML_M_PW_RULE_OLD};

    g_string_append(p, "<div id=\"pwrules\"><p>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_PW_RULES));
    g_string_append(p, "</p><ul><li>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_PW_RULE_LENGTH));
    g_string_append_printf(p, " %d ",
                           idm_password_conf_get(ctx->idp->conf)->min_length);
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_PW_RULE_LENGTH2));
    g_string_append(p, "</li>");
    for (size_t i = 0; i < G_N_ELEMENTS(rules); i++) {
        g_string_append(p, "<li>");
        saml__html_append(p, saml_msg_text(ctx->lang, rules[i]));
        g_string_append(p, "</li>");
    }
    g_string_append(p, "</ul></div>");
}

static void password_form(saml_ctx *ctx, const char *pending, const char *error)
{
    GString *p = saml_page_begin(ctx, SAML_M_TITLE_CHANGE_PW);
    /* the forced change follows the login with the letter's password;
     * a voluntary one must prove the person is the owner */
    int voluntary = !ctx->session.must_change_password;

    if (error != NULL) {
        g_string_append(p, "<p class=\"err\" role=\"alert\">");
        saml__html_append(p, error);
        g_string_append(p, "</p>");
    }
    g_string_append(p, "<p>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_CHANGE_PW_INTRO));
    g_string_append(p, "</p>");
    append_rules(p, ctx);
    g_string_append(p, "<form method=\"post\" action=\"/password\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
    saml__html_append(p, saml_csrf_token(ctx));
    g_string_append(p, "\">");
    if (pending != NULL) {
        g_string_append(p, "<input type=\"hidden\" name=\"p\" value=\"");
        saml__html_append(p, pending);
        g_string_append(p, "\">");
    }
    if (voluntary) {
        append_label(p, ctx, "pw0", SAML_M_CURRENT_PASSWORD);
        g_string_append(p, "<input type=\"password\" id=\"pw0\" "
                           "name=\"pw0\" autocomplete=\"current-password\" "
                           "required autofocus maxlength=\"1024\">");
    }
    append_label(p, ctx, "pw1", SAML_M_NEW_PASSWORD);
    g_string_append_printf(p,
                           "<input type=\"password\" id=\"pw1\" "
                           "name=\"pw1\" autocomplete=\"new-password\" "
                           "required%s maxlength=\"1024\" "
                           "aria-describedby=\"pwrules\">",
                           voluntary ? "" : " autofocus");
    append_label(p, ctx, "pw2", SAML_M_NEW_PASSWORD2);
    g_string_append(p, "<input type=\"password\" id=\"pw2\" "
                       "name=\"pw2\" autocomplete=\"new-password\" required "
                       "maxlength=\"1024\"><button type=\"submit\">");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_CONTINUE));
    g_string_append(p, "</button></form>");
    saml_page_end(ctx, p, error != NULL ? 400 : 200);
}

static saml_msgid problem_msg(idm_pw_problem problem)
{
    switch (problem) {
    case IDM_PW_NOT_UTF8:
        return SAML_M_PW_NOT_UTF8;
    case IDM_PW_TOO_SHORT:
        return SAML_M_PW_TOO_SHORT;
    case IDM_PW_TOO_LONG:
        return SAML_M_PW_TOO_LONG;
    case IDM_PW_DICTIONARY:
        return SAML_M_PW_DICTIONARY;
    case IDM_PW_CONTAINS_LOGIN:
        return SAML_M_PW_CONTAINS_LOGIN;
    case IDM_PW_SAME_AS_CURRENT:
        return SAML_M_PW_SAME_CURRENT;
    case IDM_PW_SAME_AS_INITIAL:
        return SAML_M_PW_SAME_INITIAL;
    case IDM_PW_SIMPLE:
    case IDM_PW_OK:
    default:
        return SAML_M_PW_SIMPLE;
    }
}

/* The voluntary change: the current password, checked like a login
 * (throttled, audited, constant cost). @return 0, or the message id. */
static int check_current(saml_msgid *msg, saml_ctx *ctx, idm_db *db,
                         const char *current)
{
    idm_err err = IDM_ERR_INIT;
    idm_auth_result res;
    idm_actor actor = {"idmd", ctx->actor.addr};
    int rc;

    if (current == NULL || current[0] == '\0' ||
        strlen(current) > IDM_PASSWORD_MAX_LEN) {
        *msg = SAML_M_CURRENT_PW_WRONG;
        return IDM_EAUTH;
    }
    rc = idm_user_authenticate(&res, db, ctx->idp->conf, &actor,
                               ctx->session.login, current, &err);
    *msg = rc == IDM_ELOCKED ? SAML_M_ACCOUNT_DISABLED
           : rc == IDM_EAUTH ? SAML_M_CURRENT_PW_WRONG
                             : SAML_M_UNAVAILABLE;
    return rc;
}

void saml_password_handle(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    int post = strcmp(ctx->req->method, "POST") == 0;
    char *pending = post ? field(ctx, "p") : qfield(ctx, "p");
    char *pw0 = NULL, *pw1 = NULL, *pw2 = NULL;
    idm_pw_problem problem = IDM_PW_OK;
    saml_msgid msg;
    char keep[24];
    idm_db *db;
    int rc;

    if (pending != NULL && strlen(pending) != 43) {
        pending = NULL;
    }
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
    pw0 = field(ctx, "pw0");
    pw1 = field(ctx, "pw1");
    pw2 = field(ctx, "pw2");
    if (saml_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        password_form(ctx, pending, saml_msg_text(ctx->lang, SAML_M_BAD_FORM));
        goto cleanup;
    }
    if (pw1 == NULL || pw2 == NULL || strcmp(pw1, pw2) != 0) {
        password_form(ctx, pending,
                      saml_msg_text(ctx->lang, SAML_M_PW_MISMATCH));
        goto cleanup;
    }
    if (saml_ctx_db(&db, ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        goto cleanup;
    }
    if (!ctx->session.must_change_password &&
        (rc = check_current(&msg, ctx, db, pw0)) != 0) {
        if (rc == IDM_EAUTH) {
            password_form(ctx, pending, saml_msg_text(ctx->lang, msg));
        } else {
            saml_page_error(ctx, rc == IDM_ELOCKED ? 403 : 503,
                            saml_msg_text(ctx->lang, msg));
        }
        goto cleanup;
    }
    snprintf(keep, sizeof(keep), "%lld", (long long)ctx->session.id);
    rc = idm_user_change_password(&problem, db, ctx->idp->conf, &ctx->actor,
                                  ctx->session.login, pw1, keep, &err);
    if (rc == IDM_EINVAL) {
        /* our own words for what to change, never libpwquality's */
        password_form(ctx, pending,
                      saml_msg_text(ctx->lang, problem_msg(problem)));
    } else if (rc != 0) {
        idm_log(IDM_LOG_WARN, "saml", "password.fail", "detail=\"%s\"",
                err.msg);
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
    } else if (saml_session_clear_must_change(ctx, &err) != 0) {
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
    } else {
        saml_sso_resume(ctx, pending);
    }
cleanup:
    wipe(pw0);
    wipe(pw1);
    wipe(pw2);
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

/*
 * Exactly the applications the policy lets this person use (allow and
 * reauth), grouped by category in the catalogue's order (category, name).
 * A reauth application carries a lock mark and its link asks for the
 * password first (sso.c). An application without a registered SP is shown
 * without a link ("not connected yet"): the person may use it, there is
 * just nothing to start yet. Denied applications are not shown.
 * @return the number listed, or -1 if the person could not be read.
 */
static int portal_apps(GString *out, saml_ctx *ctx)
{
    const idm_policy *policy = saml_ctx_policy(ctx);
    saml_server *srv = saml_ctx_server(ctx);
    idm_subject *subject = NULL;
    idm_err err = IDM_ERR_INIT;
    const char *category = NULL;
    idm_db *db;
    int shown = 0;

    if (policy == NULL || saml_ctx_db(&db, ctx, &err) != 0 ||
        idm_subject_load(&subject, db, ctx->session.login, &err) != 0) {
        idm_log(IDM_LOG_WARN, "saml", "portal.fail", "reason=\"%s\"", err.msg);
        return -1;
    }
    for (size_t i = 0; i < idm_policy_app_count(policy); i++) {
        const idm_app *app = idm_policy_app_at(policy, i);
        const char *cat = app->category != NULL ? app->category : "";
        const saml_sp_info *sp;
        idm_decision d;

        idm_policy_decide(&d, policy, app->key, subject, NULL);
        if (d.verdict == IDM_VERDICT_DENY) {
            continue;
        }
        if (category == NULL || strcmp(category, cat) != 0) {
            g_string_append(out, category != NULL ? "</ul><h3>" : "<h3>");
            saml__html_append(out, cat);
            g_string_append(out, "</h3><ul>");
            category = cat;
        }
        g_string_append(out, "<li data-app=\"");
        saml__html_append(out, app->key);
        g_string_append(out, "\">");
        sp = sp_for_app(srv, app->key);
        if (sp != NULL) {
            char *enc = saml__url_encode(sp->entity_id);
            g_string_append(out, "<a href=\"/saml/init?sp=");
            saml__html_append(out, enc);
            g_string_append(out, "\">");
            saml__html_append(out, app->name);
            g_string_append(out, "</a>");
            free(enc);
        } else {
            g_string_append(out, "<strong>");
            saml__html_append(out, app->name);
            g_string_append(out, "</strong> (");
            saml__html_append(out, saml_msg_text(ctx->lang, SAML_M_NO_LINK));
            g_string_append(out, ")");
        }
        if (d.verdict == IDM_VERDICT_REAUTH) {
            /* the symbol is decoration; the words carry the meaning */
            g_string_append(out, " <span class=\"lock\"><span "
                                 "aria-hidden=\"true\">🔒</span> ");
            saml__html_append(out,
                              saml_msg_text(ctx->lang, SAML_M_REAUTH_MARK));
            g_string_append(out, "</span>");
        }
        if (app->description != NULL) {
            g_string_append(out, "<br><small>");
            saml__html_append(out, app->description);
            g_string_append(out, "</small>");
        }
        g_string_append(out, "</li>");
        shown++;
    }
    if (category != NULL) {
        g_string_append(out, "</ul>");
    }
    idm_subject_free(subject);
    return shown;
}

void saml_portal_handle(saml_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    GString *apps, *p;
    int n;

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
    apps = g_string_new(NULL);
    n = portal_apps(apps, ctx);
    if (n < 0) {
        g_string_free(apps, TRUE);
        saml_page_error(ctx, 503, saml_msg_text(ctx->lang, SAML_M_UNAVAILABLE));
        return;
    }
    p = saml_page_begin(ctx, SAML_M_TITLE_PORTAL);
    g_string_append(p, "<p>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_LOGGED_IN_AS));
    g_string_append(p, " <strong>");
    saml__html_append(p, ctx->session.login);
    g_string_append(p, "</strong></p><h2>");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_YOUR_APPS));
    g_string_append(p, "</h2>");
    if (n == 0) {
        g_string_append(p, "<p>");
        saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_NO_APPS));
        g_string_append(p, "</p>");
    }
    g_string_append_len(p, apps->str, (gssize)apps->len);
    g_string_free(apps, TRUE);
    g_string_append(p, "<p><a href=\"/password\">");
    saml__html_append(p, saml_msg_text(ctx->lang, SAML_M_TITLE_CHANGE_PW));
    g_string_append(p, "</a></p>");
    g_string_append(p, "<form method=\"post\" action=\"/logout\">"
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
