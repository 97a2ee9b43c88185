/* SPDX-License-Identifier: EUPL-1.2
 * The login page, the forced password change, the portal and the logout
 * form. Passwords go to idm-core's idm_user_authenticate_ext() (constant
 * cost, account throttling, device tokens, audit); the per-address
 * throttle sits on top. What follows a login or a logout is the
 * protocol's, through its hooks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "idm/conf.h"
#include "idm/device.h"
#include "idm/password.h"
#include "idm/user.h"
#include "web_int.h"

static char *field(web_ctx *ctx, const char *name)
{
    const web_request *req = ctx->req;
    return web_pool_add(ctx->pool, free,
                        web_form_get(req->body, req->body_len, name));
}

static char *qfield(web_ctx *ctx, const char *name)
{
    const char *q = ctx->req->query;
    return q == NULL ? NULL
                     : web_pool_add(ctx->pool, free,
                                    web_form_get(q, strlen(q), name));
}

static void wipe(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
    }
}

/* ---- the protocol's hooks (ctx->proto is its arg while one runs) ---- */

static void hook_resume(web_ctx *ctx, const char *pending)
{
    const web_hooks *h = &ctx->site->hooks;

    if (h->resume != NULL) {
        ctx->proto = h->arg;
        h->resume(ctx, h->arg, pending);
        return;
    }
    web_resp_redirect(ctx, "/");
}

static void hook_login_done(web_ctx *ctx, const char *pending, const char *uuid,
                            const char *login, int must_change)
{
    const web_hooks *h = &ctx->site->hooks;
    idm_err err = IDM_ERR_INIT;
    int rc;

    if (h->login_done != NULL) {
        ctx->proto = h->arg;
        h->login_done(ctx, h->arg, pending, uuid, login, must_change);
        return;
    }
    /* no protocol: the session, then the password change or the portal */
    rc = web_session_create(ctx, uuid, login, must_change, &err);
    if (rc != 0) {
        web_page_fail(ctx, "session.create", rc, &err);
        return;
    }
    web_resp_redirect(ctx, must_change ? "/password" : "/");
}

static int hook_pending_force(int *force, web_ctx *ctx, const char *pending,
                              idm_err *err)
{
    const web_hooks *h = &ctx->site->hooks;

    *force = 0;
    if (h->pending_force == NULL) {
        return 0;
    }
    ctx->proto = h->arg;
    return h->pending_force(force, ctx, h->arg, pending, err);
}

static char *hook_app_link(web_ctx *ctx, const char *app_key)
{
    const web_hooks *h = &ctx->site->hooks;

    if (h->app_link == NULL) {
        return NULL;
    }
    ctx->proto = h->arg;
    return h->app_link(ctx, h->arg, app_key);
}

static void login_post(web_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    idm_auth_result res;
    idm_auth_opts opts = IDM_AUTH_OPTS_INIT;
    idm_actor actor;
    char *pending = field(ctx, "p"), *login = field(ctx, "login");
    char *password = field(ctx, "password");
    idm_db *db;
    int blocked = 0, rc;

    memset(&res, 0, sizeof(res));
    opts.device_token = web_device_token(ctx);
    opts.issue_device = 1;

    if (web_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        web_page_login(ctx, pending, NULL, WEB_M_BAD_FORM);
        goto cleanup;
    }
    if (login == NULL || password == NULL || strlen(login) > 64 ||
        strlen(password) > IDM_PASSWORD_MAX_LEN || password[0] == '\0') {
        web_page_login(ctx, pending, NULL, WEB_M_BAD_CREDENTIALS);
        goto cleanup;
    }
    if ((rc = web_throttle_blocked(&blocked, ctx, &err)) != 0 ||
        (rc = web_ctx_db(&db, ctx, &err)) != 0) {
        web_page_fail(ctx, "login.throttle", rc, &err);
        goto cleanup;
    }
    if (blocked && opts.device_token != NULL) {
        /* the owner's browser is not held back by what others at the same
         * address did (a school's NAT); its token has its own budget */
        int device = 0;
        rc = idm_device_check(&device, db, ctx->conf, login, opts.device_token,
                              &err);
        if (rc != 0) {
            web_page_fail(ctx, "login.device", rc, &err);
            goto cleanup;
        }
        blocked = !device;
    }
    if (blocked) {
        web__audit(ctx, "web", "login.throttled", "-", IDM_AUDIT_DENIED, NULL,
                   "too many failures from this address");
        web_metrics_login(ctx->site->metrics, 0);
        web_page_login(ctx, pending, NULL, WEB_M_ADDR_THROTTLED);
        ctx->resp->status = 429;
        goto cleanup;
    }
    for (char *c = login; *c != '\0'; c++) {
        *c = (char)g_ascii_tolower(*c);
    }
    actor.name = "idmd";
    actor.addr = ctx->actor.addr;
    /* audits login.ok / login.fail itself, never with the password */
    rc = idm_user_authenticate_ext(&res, db, ctx->conf, &actor, login, password,
                                   &opts, &err);
    if (rc == IDM_EAUTH) {
        idm_err terr = IDM_ERR_INIT;
        if (web_throttle_fail(ctx, &terr) != 0) {
            idm_log(IDM_LOG_WARN, "web", "throttle.fail", "detail=\"%s\"",
                    terr.msg);
        }
        web_metrics_login(ctx->site->metrics, 0);
        /* one page for unknown login, wrong password, throttled account
         * and a wrong password for a disabled one: no account oracle */
        web_page_login(ctx, pending, NULL, WEB_M_BAD_CREDENTIALS);
        goto cleanup;
    }
    if (rc == IDM_ELOCKED) {
        /* the right password proved ownership: now it may be told */
        web_metrics_login(ctx->site->metrics, 0);
        web_page_error(ctx, 403,
                       web_msg_text(ctx->lang, WEB_M_ACCOUNT_DISABLED));
        goto cleanup;
    }
    if (rc != 0) {
        web_page_fail(ctx, "login.authenticate", rc, &err);
        goto cleanup;
    }
    web_metrics_login(ctx->site->metrics, 1);
    /* this browser is the owner's now (a new token each time) */
    web_device_set(ctx, res.device_token);
    /* the session (unless a reauth application asked), then the request */
    hook_login_done(ctx, pending, res.uuid, login, res.must_change_password);
cleanup:
    OPENSSL_cleanse(res.device_token, sizeof(res.device_token));
    wipe(password);
}

void web_login_handle(web_ctx *ctx, void *arg)
{
    idm_err err = IDM_ERR_INIT;
    char *pending;
    int force = 0, rc;

    (void)arg;
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
    if ((rc = web_session_lookup(ctx, &err)) != 0 ||
        (ctx->session.id != 0 && pending != NULL &&
         (rc = hook_pending_force(&force, ctx, pending, &err)) != 0)) {
        web_page_fail(ctx, "login.session", rc, &err);
        return;
    }
    if (ctx->session.id != 0 && !force && !ctx->session.must_change_password) {
        hook_resume(ctx, pending);
        return;
    }
    web_page_login(ctx, pending, NULL, (web_msgid)-1);
}

static void append_label(GString *p, web_ctx *ctx, const char *id,
                         web_msgid label)
{
    g_string_append_printf(p, "<label for=\"%s\">", id);
    web_html_append(p, web_msg_text(ctx->lang, label));
    g_string_append(p, "</label>");
}

/* The rules, above the fields, so nobody types a password twice for
 * nothing. */
static void append_rules(GString *p, web_ctx *ctx)
{
    static const web_msgid rules[] = {WEB_M_PW_RULE_WORDS, WEB_M_PW_RULE_SIMPLE,
                                      WEB_M_PW_RULE_LOGIN, WEB_M_PW_RULE_OLD};

    g_string_append(p, "<div id=\"pwrules\"><p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_PW_RULES));
    g_string_append(p, "</p><ul><li>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_PW_RULE_LENGTH));
    g_string_append_printf(p, " %d ",
                           idm_password_conf_get(ctx->conf)->min_length);
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_PW_RULE_LENGTH2));
    g_string_append(p, "</li>");
    for (size_t i = 0; i < G_N_ELEMENTS(rules); i++) {
        g_string_append(p, "<li>");
        web_html_append(p, web_msg_text(ctx->lang, rules[i]));
        g_string_append(p, "</li>");
    }
    g_string_append(p, "</ul></div>");
}

static void password_form(web_ctx *ctx, const char *pending, const char *error)
{
    GString *p = web_page_begin(ctx, WEB_M_TITLE_CHANGE_PW);
    /* the forced change follows the login with the letter's password;
     * a voluntary one must prove the person is the owner */
    int voluntary = !ctx->session.must_change_password;

    if (error != NULL) {
        web_page_alert(p, error);
    }
    g_string_append(p, "<p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_CHANGE_PW_INTRO));
    g_string_append(p, "</p>");
    append_rules(p, ctx);
    g_string_append(p, "<form method=\"post\" action=\"/password\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
    web_html_append(p, web_csrf_token(ctx));
    g_string_append(p, "\">");
    if (pending != NULL) {
        g_string_append(p, "<input type=\"hidden\" name=\"p\" value=\"");
        web_html_append(p, pending);
        g_string_append(p, "\">");
    }
    if (voluntary) {
        append_label(p, ctx, "pw0", WEB_M_CURRENT_PASSWORD);
        g_string_append(p, "<input type=\"password\" id=\"pw0\" "
                           "name=\"pw0\" autocomplete=\"current-password\" "
                           "required autofocus maxlength=\"1024\">");
    }
    append_label(p, ctx, "pw1", WEB_M_NEW_PASSWORD);
    g_string_append_printf(p,
                           "<input type=\"password\" id=\"pw1\" "
                           "name=\"pw1\" autocomplete=\"new-password\" "
                           "required%s maxlength=\"1024\" "
                           "aria-describedby=\"pwrules\">",
                           voluntary ? "" : " autofocus");
    append_label(p, ctx, "pw2", WEB_M_NEW_PASSWORD2);
    g_string_append(p, "<input type=\"password\" id=\"pw2\" "
                       "name=\"pw2\" autocomplete=\"new-password\" required "
                       "maxlength=\"1024\"><button type=\"submit\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_CONTINUE));
    g_string_append(p, "</button></form>");
    web_page_end(ctx, p, error != NULL ? 400 : 200);
}

static web_msgid problem_msg(idm_pw_problem problem)
{
    switch (problem) {
    case IDM_PW_NOT_UTF8:
        return WEB_M_PW_NOT_UTF8;
    case IDM_PW_TOO_SHORT:
        return WEB_M_PW_TOO_SHORT;
    case IDM_PW_TOO_LONG:
        return WEB_M_PW_TOO_LONG;
    case IDM_PW_DICTIONARY:
        return WEB_M_PW_DICTIONARY;
    case IDM_PW_CONTAINS_LOGIN:
        return WEB_M_PW_CONTAINS_LOGIN;
    case IDM_PW_SAME_AS_CURRENT:
        return WEB_M_PW_SAME_CURRENT;
    case IDM_PW_SAME_AS_INITIAL:
        return WEB_M_PW_SAME_INITIAL;
    case IDM_PW_SIMPLE:
    case IDM_PW_OK:
    default:
        return WEB_M_PW_SIMPLE;
    }
}

/* The voluntary change: the current password, checked like a login
 * (throttled, audited, constant cost). @return 0, or the message id. */
static int check_current(web_msgid *msg, web_ctx *ctx, idm_db *db,
                         const char *current, idm_err *err)
{
    idm_auth_result res;
    idm_auth_opts opts = IDM_AUTH_OPTS_INIT;
    idm_actor actor = {"idmd", ctx->actor.addr};
    int rc;

    if (current == NULL || current[0] == '\0' ||
        strlen(current) > IDM_PASSWORD_MAX_LEN) {
        *msg = WEB_M_CURRENT_PW_WRONG;
        return IDM_EAUTH;
    }
    /* the owner's device token spares them the address score here too */
    opts.device_token = web_device_token(ctx);
    rc = idm_user_authenticate_ext(&res, db, ctx->conf, &actor,
                                   ctx->session.login, current, &opts, err);
    *msg = rc == IDM_ELOCKED ? WEB_M_ACCOUNT_DISABLED
           : rc == IDM_EAUTH ? WEB_M_CURRENT_PW_WRONG
                             : WEB_M_UNAVAILABLE;
    return rc;
}

void web_password_handle(web_ctx *ctx, void *arg)
{
    idm_err err = IDM_ERR_INIT;
    int post = strcmp(ctx->req->method, "POST") == 0;
    char *pending = post ? field(ctx, "p") : qfield(ctx, "p");
    char *pw0 = NULL, *pw1 = NULL, *pw2 = NULL;
    idm_pw_problem problem = IDM_PW_OK;
    web_msgid msg;
    char keep[24];
    idm_db *db;
    int rc;

    (void)arg;
    if (pending != NULL && strlen(pending) != 43) {
        pending = NULL;
    }
    if ((rc = web_session_lookup(ctx, &err)) != 0) {
        web_page_fail(ctx, "password.session", rc, &err);
        return;
    }
    if (ctx->session.id == 0) {
        web_resp_redirect(ctx, "/");
        return;
    }
    if (!post) {
        password_form(ctx, pending, NULL);
        return;
    }
    pw0 = field(ctx, "pw0");
    pw1 = field(ctx, "pw1");
    pw2 = field(ctx, "pw2");
    if (web_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        password_form(ctx, pending, web_msg_text(ctx->lang, WEB_M_BAD_FORM));
        goto cleanup;
    }
    if (pw1 == NULL || pw2 == NULL || strcmp(pw1, pw2) != 0) {
        password_form(ctx, pending, web_msg_text(ctx->lang, WEB_M_PW_MISMATCH));
        goto cleanup;
    }
    if ((rc = web_ctx_db(&db, ctx, &err)) != 0) {
        web_page_fail(ctx, "password.db", rc, &err);
        goto cleanup;
    }
    if (!ctx->session.must_change_password &&
        (rc = check_current(&msg, ctx, db, pw0, &err)) != 0) {
        if (rc == IDM_EAUTH) {
            password_form(ctx, pending, web_msg_text(ctx->lang, msg));
        } else if (rc == IDM_ELOCKED) {
            web_page_error(ctx, web_error_status(rc),
                           web_msg_text(ctx->lang, msg));
        } else {
            web_page_fail(ctx, "password.current", rc, &err);
        }
        goto cleanup;
    }
    snprintf(keep, sizeof(keep), "%lld", (long long)ctx->session.id);
    rc = idm_user_change_password(&problem, db, ctx->conf, &ctx->actor,
                                  ctx->session.login, pw1, keep, &err);
    if (rc == IDM_EINVAL) {
        /* our own words for what to change, never libpwquality's */
        password_form(ctx, pending,
                      web_msg_text(ctx->lang, problem_msg(problem)));
    } else if (rc != 0) {
        idm_log(IDM_LOG_WARN, "web", "password.fail", "detail=\"%s\"", err.msg);
        web_page_fail(ctx, "password.change", rc, &err);
    } else if ((rc = web_session_clear_must_change(ctx, &err)) != 0) {
        web_page_fail(ctx, "password.session", rc, &err);
    } else {
        /* the new password revoked every device token of the account
         * (migration 0017); this browser proved it is the owner's */
        char device[IDM_DEVICE_TOKEN_LEN + 1];
        if (idm_device_issue(device, db, ctx->conf, ctx->session.login, &err) !=
            0) {
            idm_log(IDM_LOG_WARN, "web", "device.fail", "detail=\"%s\"",
                    err.msg);
        } else {
            web_device_set(ctx, device);
        }
        hook_resume(ctx, pending);
    }
cleanup:
    wipe(pw0);
    wipe(pw1);
    wipe(pw2);
}

/*
 * Exactly the applications the policy lets this person use (allow and
 * reauth), grouped by category in the catalogue's order (category, name):
 * each category an h2 under the page's h1 and its list, applications
 * without a category in a list straight under the h1. The catalogue is
 * German: on an English page its texts are marked lang="de".
 * A reauth application carries a lock mark and its link asks for the
 * password first (sso.c). An application without a registered SP is shown
 * without a link ("not connected yet"): the person may use it, there is
 * just nothing to start yet. Denied applications are not shown.
 * @return the number listed, or -1 if the person could not be read.
 */
static int portal_apps(GString *out, web_ctx *ctx, idm_err *err)
{
    const idm_policy *policy = web_ctx_policy(ctx);
    const char *de = ctx->lang == WEB_LANG_DE ? "" : " lang=\"de\"";
    idm_subject *subject = NULL;
    const char *category = NULL;
    idm_db *db;
    int shown = 0;

    if (policy == NULL) {
        idm_err_set(err, IDM_EUNAVAIL, "no rights policy is loaded");
    }
    if (policy == NULL || web_ctx_db(&db, ctx, err) != 0 ||
        idm_subject_load(&subject, db, ctx->session.login, err) != 0) {
        idm_log(IDM_LOG_WARN, "web", "portal.fail", "reason=\"%s\"", err->msg);
        return -1;
    }
    for (size_t i = 0; i < idm_policy_app_count(policy); i++) {
        const idm_app *app = idm_policy_app_at(policy, i);
        const char *cat = app->category != NULL ? app->category : "";
        char *link;
        idm_decision d;

        idm_policy_decide(&d, policy, app->key, subject, NULL);
        if (d.verdict == IDM_VERDICT_DENY) {
            continue;
        }
        if (category == NULL || strcmp(category, cat) != 0) {
            if (category != NULL) {
                g_string_append(out, "</ul>");
            }
            if (cat[0] != '\0') {
                g_string_append_printf(out, "<h2%s>", de);
                web_html_append(out, cat);
                g_string_append(out, "</h2>");
            }
            g_string_append(out, "<ul>");
            category = cat;
        }
        g_string_append(out, "<li data-app=\"");
        web_html_append(out, app->key);
        g_string_append(out, "\">");
        link = hook_app_link(ctx, app->key);
        if (link != NULL) {
            g_string_append(out, "<a href=\"");
            web_html_append(out, link);
            g_string_append_printf(out, "\"%s>", de);
            web_html_append(out, app->name);
            g_string_append(out, "</a>");
            free(link);
        } else {
            g_string_append_printf(out, "<strong%s>", de);
            web_html_append(out, app->name);
            g_string_append(out, "</strong> (");
            web_html_append(out, web_msg_text(ctx->lang, WEB_M_NO_LINK));
            g_string_append(out, ")");
        }
        if (d.verdict == IDM_VERDICT_REAUTH) {
            /* the symbol is decoration; the words carry the meaning */
            g_string_append(out, " <span class=\"lock\"><span "
                                 "aria-hidden=\"true\">🔒</span> ");
            web_html_append(out, web_msg_text(ctx->lang, WEB_M_REAUTH_MARK));
            g_string_append(out, "</span>");
        }
        if (app->description != NULL) {
            g_string_append_printf(out, "<br><small%s>", de);
            web_html_append(out, app->description);
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

void web_portal_handle(web_ctx *ctx, void *arg)
{
    idm_err err = IDM_ERR_INIT;
    GString *apps, *p;
    int n, rc;

    (void)arg;
    if ((rc = web_session_lookup(ctx, &err)) != 0) {
        web_page_fail(ctx, "portal.session", rc, &err);
        return;
    }
    if (ctx->session.id == 0) {
        web_page_login(ctx, NULL, NULL, (web_msgid)-1);
        return;
    }
    if (ctx->session.must_change_password) {
        web_resp_redirect(ctx, "/password");
        return;
    }
    apps = g_string_new(NULL);
    n = portal_apps(apps, ctx, &err);
    if (n < 0) {
        g_string_free(apps, TRUE);
        web_page_fail(ctx, "portal.apps", err.code, &err);
        return;
    }
    p = web_page_begin(ctx, WEB_M_TITLE_PORTAL);
    g_string_append(p, "<p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_LOGGED_IN_AS));
    g_string_append(p, " <strong>");
    web_html_append(p, ctx->session.login);
    g_string_append(p, "</strong></p>");
    /* the h1 names the list; categories are its h2 (portal_apps) */
    if (n == 0) {
        g_string_append(p, "<p>");
        web_html_append(p, web_msg_text(ctx->lang, WEB_M_NO_APPS));
        g_string_append(p, "</p>");
    }
    g_string_append_len(p, apps->str, (gssize)apps->len);
    g_string_free(apps, TRUE);
    g_string_append(p, "<p><a href=\"/password\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_TITLE_CHANGE_PW));
    g_string_append(p, "</a></p>");
    g_string_append(p, "<form method=\"post\" action=\"/logout\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
    web_html_append(p, web_csrf_token(ctx));
    g_string_append(p, "\"><button type=\"submit\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_LOGOUT));
    g_string_append(p, "</button></form>");
    web_page_end(ctx, p, 200);
}

void web_logout_handle(web_ctx *ctx, void *arg)
{
    const web_hooks *h = &ctx->site->hooks;
    idm_err err = IDM_ERR_INIT;
    int rc;

    (void)arg;
    if (web_csrf_check(ctx, field(ctx, "csrf")) != 0) {
        web_page_error(ctx, 400, web_msg_text(ctx->lang, WEB_M_BAD_FORM));
        return;
    }
    if (h->logout != NULL) {
        /* the protocol's logout across every client of the session (SAML:
         * IdP-initiated Single Logout) */
        ctx->proto = h->arg;
        h->logout(ctx, h->arg);
        return;
    }
    if ((rc = web_session_lookup(ctx, &err)) != 0 ||
        (rc = web_session_logout(ctx, &err)) != 0) {
        web_page_fail(ctx, "logout.session", rc, &err);
        return;
    }
    web_resp_redirect(ctx, "/");
}
