/* SPDX-License-Identifier: EUPL-1.2
 * HTML pages and the message catalogue: every user-visible text in German
 * (default) and English, the page skeleton, error pages with a support
 * reference, CSRF tokens, the login form and the auto-submitting POST form
 * of the protocols.
 */
#ifndef WEB_PAGES_H
#define WEB_PAGES_H

#include <glib.h>

#include "web/ctx.h"

/** The texts of the catalogue (pages.c). */
typedef enum web_msgid {
    WEB_M_TITLE_LOGIN,
    WEB_M_LOGIN_INTRO,
    WEB_M_LOGIN_FOR,
    WEB_M_USERNAME,
    WEB_M_PASSWORD,
    WEB_M_SUBMIT,
    WEB_M_BAD_CREDENTIALS,
    WEB_M_ACCOUNT_DISABLED,
    WEB_M_ADDR_THROTTLED,
    WEB_M_TITLE_ERROR,
    WEB_M_ERROR_INTRO,
    WEB_M_CONTINUE,
    WEB_M_NOSCRIPT,
    WEB_M_TITLE_PORTAL,
    WEB_M_LOGGED_IN_AS,
    WEB_M_LOGOUT,
    WEB_M_TITLE_LOGGED_OUT,
    WEB_M_LOGGED_OUT,
    WEB_M_LOGGED_OUT_APPS,
    WEB_M_TITLE_CHANGE_PW,
    WEB_M_CHANGE_PW_INTRO,
    WEB_M_NEW_PASSWORD,
    WEB_M_NEW_PASSWORD2,
    WEB_M_PW_MISMATCH,
    WEB_M_NO_APPS,
    WEB_M_BAD_FORM,
    WEB_M_REQUEST_REJECTED,
    WEB_M_UNAVAILABLE,
    WEB_M_NOT_FOUND,
    WEB_M_APP_DENIED,
    WEB_M_BACK_TO_APP,
    WEB_M_TITLE_DENIED,
    WEB_M_DENIED_HELP,
    WEB_M_REAUTH_MARK,
    WEB_M_NO_LINK,
    /* the password page (issue 12) */
    WEB_M_CURRENT_PASSWORD,
    WEB_M_CURRENT_PW_WRONG,
    WEB_M_PW_RULES,
    WEB_M_PW_RULE_LENGTH,
    WEB_M_PW_RULE_LENGTH2,
    WEB_M_PW_RULE_WORDS,
    WEB_M_PW_RULE_SIMPLE,
    WEB_M_PW_RULE_LOGIN,
    WEB_M_PW_RULE_OLD,
    WEB_M_PW_NOT_UTF8,
    WEB_M_PW_TOO_SHORT,
    WEB_M_PW_TOO_LONG,
    WEB_M_PW_DICTIONARY,
    WEB_M_PW_SIMPLE,
    WEB_M_PW_CONTAINS_LOGIN,
    WEB_M_PW_SAME_CURRENT,
    WEB_M_PW_SAME_INITIAL,
    WEB_M_SUPPORT_REF, /* the support reference of an error page */
    WEB_M_TECH_DETAIL, /* label of a protocol's English technical reason */
    WEB_M__COUNT
} web_msgid;

/** The text of id in lang ("" for an unknown id). */
const char *web_msg_text(web_lang lang, web_msgid id);
/** The highest-weighted of de and en in Accept-Language; German wins ties
 * and is the default. */
web_lang web_lang_pick(const char *accept_language);
/** Page skeleton: header with title, then body, then footer. */
GString *web_page_begin(web_ctx *ctx, web_msgid title);
void web_page_end(web_ctx *ctx, GString *page, int status);
/** The page's alert: text (escaped here) in a paragraph with role=alert,
 * which screen readers announce. */
void web_page_alert(GString *page, const char *text);
/** Error page with the support reference (a 5xx is logged with it); the
 * reason text must be safe for users. */
void web_page_error(web_ctx *ctx, int status, const char *reason);
/* The same for a protocol's refusal: reason in the page's language; on a
 * German page the protocol's fixed English reason (tech, may be NULL)
 * follows as a labelled technical detail marked lang="en", for whoever
 * looks after the application. */
void web_page_refusal(web_ctx *ctx, int status, const char *reason,
                      const char *tech);
/** CSRF token bound to the browser token (pooled). */
char *web_csrf_token(web_ctx *ctx);
/** 0 if token is this browser's, else -1. */
int web_csrf_check(web_ctx *ctx, const char *token);
/** Auto-submitting POST form (visible button without JavaScript); its CSP
 * allows posting to url only. */
void web_page_post_form(web_ctx *ctx, const char *url, const char *field,
                        const char *value, const char *relay_state);
/** The login form; pending: the protocol's request id, sp: the name of
 * the application, error: a message or (web_msgid)-1. */
void web_page_login(web_ctx *ctx, const char *pending, const char *sp,
                    web_msgid error);
/** The policy denies (403): plain words; with acs_url and response a
 * button posts the protocol's refusal back to the application (as form
 * field field, with RelayState if not NULL). */
void web_page_denied(web_ctx *ctx, const char *app_name, const char *acs_url,
                     const char *field, const char *response,
                     const char *relay_state);

#endif /* WEB_PAGES_H */
