/* SPDX-License-Identifier: EUPL-1.2
 * HTML pages in German (default) or English (when the browser prefers it):
 * the message catalogue with every user-visible text, the page skeleton,
 * the login form, errors and the auto-submitting HTTP-POST form. Accessible
 * (labels, lang, focus order, contrast), no JavaScript needed; every form
 * carries a CSRF token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "web/conf.h"
#include "web_int.h"

static const char *const texts[WEB_M__COUNT][2] = {
    [WEB_M_TITLE_LOGIN] = {"Anmelden", "Log in"},
    [WEB_M_LOGIN_INTRO] = {"Melden Sie sich mit Ihrem Benutzernamen und "
                           "Passwort an.",
                           "Log in with your user name and password."},
    [WEB_M_LOGIN_FOR] = {"Anmeldung für:", "Logging in to:"},
    [WEB_M_USERNAME] = {"Benutzername", "User name"},
    [WEB_M_PASSWORD] = {"Passwort", "Password"},
    [WEB_M_SUBMIT] = {"Anmelden", "Log in"},
    [WEB_M_BAD_CREDENTIALS] = {"Benutzername oder Passwort ist falsch.",
                               "Wrong user name or password."},
    /* only after the right password: no way to probe for accounts */
    [WEB_M_ACCOUNT_DISABLED] = {"Konto deaktiviert: Dieses Konto ist "
                                "gesperrt oder deaktiviert. Bitte wenden "
                                "Sie sich an Ihre Schule.",
                                "Account disabled: this account is locked "
                                "or disabled. Please contact your "
                                "school."},
    [WEB_M_ADDR_THROTTLED] = {"Zu viele fehlgeschlagene Anmeldungen aus "
                              "Ihrem Netz. Bitte warten Sie einige "
                              "Minuten.",
                              "Too many failed logins from your network. "
                              "Please wait a few minutes."},
    [WEB_M_TITLE_ERROR] = {"Fehler", "Error"},
    [WEB_M_ERROR_INTRO] = {"Die Anfrage konnte nicht bearbeitet werden.",
                           "The request could not be processed."},
    [WEB_M_CONTINUE] = {"Weiter", "Continue"},
    [WEB_M_NOSCRIPT] = {"JavaScript ist aus: Bitte auf „Weiter“ klicken.",
                        "JavaScript is off: please press \"Continue\"."},
    [WEB_M_TITLE_PORTAL] = {"Meine Anwendungen", "My applications"},
    [WEB_M_LOGGED_IN_AS] = {"Angemeldet als", "Logged in as"},
    [WEB_M_LOGOUT] = {"Abmelden", "Log out"},
    [WEB_M_TITLE_LOGGED_OUT] = {"Abgemeldet", "Logged out"},
    [WEB_M_LOGGED_OUT] = {"Sie sind abgemeldet.", "You are logged out."},
    [WEB_M_LOGGED_OUT_APPS] = {"Abgemeldet bei:", "Logged out of:"},
    [WEB_M_TITLE_CHANGE_PW] = {"Passwort ändern", "Change password"},
    [WEB_M_CHANGE_PW_INTRO] = {"Bitte wählen Sie ein neues Passwort.",
                               "Please choose a new password."},
    [WEB_M_NEW_PASSWORD] = {"Neues Passwort", "New password"},
    [WEB_M_NEW_PASSWORD2] = {"Neues Passwort wiederholen",
                             "Repeat the new password"},
    [WEB_M_PW_MISMATCH] = {"Die Passwörter stimmen nicht überein.",
                           "The passwords do not match."},
    [WEB_M_NO_APPS] = {"Für Ihr Konto ist zurzeit keine Anwendung "
                       "freigegeben. Wenn Sie eine erwarten, wenden Sie sich "
                       "bitte an die Administration Ihrer Schule oder "
                       "Dienststelle.",
                       "No application is available to your account at the "
                       "moment. If you expected one, please contact the "
                       "administrators of your school or office."},
    [WEB_M_BAD_FORM] = {"Das Formular ist abgelaufen. Bitte erneut "
                        "versuchen.",
                        "The form expired. Please try again."},
    [WEB_M_REQUEST_REJECTED] = {"Die Anfrage der Anwendung wurde "
                                "abgelehnt.",
                                "The application's request was rejected."},
    [WEB_M_UNAVAILABLE] = {"Der Dienst ist vorübergehend nicht "
                           "verfügbar.",
                           "The service is temporarily unavailable."},
    [WEB_M_NOT_FOUND] = {"Diese Seite gibt es nicht.",
                         "This page does not exist."},
    [WEB_M_APP_DENIED] = {"Diese Anwendung steht für Ihr Konto nicht zur "
                          "Verfügung.",
                          "This application is not available for your "
                          "account."},
    [WEB_M_BACK_TO_APP] = {"Zurück zur Anwendung", "Back to the application"},
    [WEB_M_TITLE_DENIED] = {"Kein Zugang", "No access"},
    [WEB_M_DENIED_HELP] = {"Wenn Sie diese Anwendung für Ihre Arbeit "
                           "brauchen, wenden Sie sich an Ihre Schule.",
                           "If you need this application, please contact "
                           "your school."},
    [WEB_M_REAUTH_MARK] = {"erneute Anmeldung erforderlich",
                           "password required again"},
    [WEB_M_NO_LINK] = {"noch nicht angebunden", "not connected yet"},
    [WEB_M_CURRENT_PASSWORD] = {"Bisheriges Passwort", "Current password"},
    [WEB_M_CURRENT_PW_WRONG] = {"Das bisherige Passwort ist falsch.",
                                "The current password is wrong."},
    [WEB_M_PW_RULES] = {"Das neue Passwort", "The new password"},
    [WEB_M_PW_RULE_LENGTH] = {"hat mindestens", "has at least"},
    [WEB_M_PW_RULE_LENGTH2] = {"Zeichen (mehrere Wörter mit Ziffern und "
                               "Zeichen sind gut zu merken),",
                               "characters (several words with digits and "
                               "symbols are easy to remember),"},
    [WEB_M_PW_RULE_WORDS] = {"ist kein einzelnes Wort aus dem Wörterbuch "
                             "und kein bekanntes Passwort,",
                             "is not a single dictionary word or a "
                             "well-known password,"},
    [WEB_M_PW_RULE_SIMPLE] = {"enthält keine Folgen wie „12345“ oder "
                              "„abcde“ und keine Wiederholungen wie "
                              "„aaaa“,",
                              "contains no runs like \"12345\" or "
                              "\"abcde\" and no repeats like \"aaaa\","},
    [WEB_M_PW_RULE_LOGIN] = {"enthält nicht Ihren Benutzernamen,",
                             "does not contain your user name,"},
    [WEB_M_PW_RULE_OLD] = {"ist weder Ihr bisheriges Passwort noch das "
                           "Anfangspasswort aus Ihrem Brief.",
                           "is neither your current password nor the "
                           "initial password from your letter."},
    [WEB_M_PW_NOT_UTF8] = {"Das Passwort enthält ungültige Zeichen. Bitte "
                           "geben Sie es erneut ein.",
                           "The password contains invalid characters. "
                           "Please type it again."},
    [WEB_M_PW_TOO_SHORT] = {"Das Passwort ist zu kurz. Bitte verwenden Sie "
                            "mindestens so viele Zeichen wie unten "
                            "angegeben, z. B. indem Sie ein weiteres Wort "
                            "anhängen.",
                            "The password is too short. Please use at "
                            "least as many characters as given below, "
                            "e.g. by adding another word."},
    [WEB_M_PW_TOO_LONG] = {"Das Passwort ist zu lang (höchstens 1024 "
                           "Byte). Bitte kürzen Sie es.",
                           "The password is too long (at most 1024 "
                           "bytes). Please shorten it."},
    [WEB_M_PW_DICTIONARY] = {"Das Passwort beruht auf einem Wort aus dem "
                             "Wörterbuch oder ist allgemein bekannt. Bitte "
                             "kombinieren Sie mehrere Wörter mit Ziffern "
                             "und Sonderzeichen.",
                             "The password is based on a dictionary word "
                             "or is well known. Please combine several "
                             "words with digits and symbols."},
    [WEB_M_PW_SIMPLE] = {"Das Passwort ist zu einfach (Folgen wie „12345“, "
                         "Wiederholungen oder zu wenige verschiedene "
                         "Zeichen). Bitte mischen Sie Buchstaben, Ziffern "
                         "und Sonderzeichen ohne erkennbares Muster.",
                         "The password is too simple (runs like "
                         "\"12345\", repeats or too few different "
                         "characters). Please mix letters, digits and "
                         "symbols without a visible pattern."},
    [WEB_M_PW_CONTAINS_LOGIN] = {"Das Passwort enthält Ihren "
                                 "Benutzernamen. Bitte wählen Sie eines "
                                 "ohne ihn.",
                                 "The password contains your user name. "
                                 "Please choose one without it."},
    [WEB_M_PW_SAME_CURRENT] = {"Das ist Ihr bisheriges Passwort. Bitte "
                               "wählen Sie ein neues.",
                               "That is your current password. Please "
                               "choose a new one."},
    [WEB_M_PW_SAME_INITIAL] = {"Das ist das Anfangspasswort aus Ihrem "
                               "Brief. Bitte wählen Sie ein eigenes, "
                               "neues Passwort.",
                               "That is the initial password from your "
                               "letter. Please choose a new password of "
                               "your own."},
    [WEB_M_SUPPORT_REF] = {"Support-Referenz:", "Support reference:"},
    [WEB_M_TECH_DETAIL] = {"Technische Angabe für die Betreuung der "
                           "Anwendung:",
                           "Technical detail:"},
};

const char *web_msg_text(web_lang lang, web_msgid id)
{
    if ((int)id < 0 || id >= WEB_M__COUNT) {
        return "";
    }
    return texts[id][lang == WEB_LANG_EN ? 1 : 0];
}

/* The highest-weighted of de and en in Accept-Language; German wins ties
 * and is the default. */
web_lang web_lang_pick(const char *al)
{
    double q_de = -1, q_en = -1;
    const char *p = al;

    while (p != NULL && *p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        char item[64];
        double q = 1.0;
        char *semi;

        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        if (n > 0 && n < sizeof(item)) {
            memcpy(item, p, n);
            item[n] = '\0';
            semi = strchr(item, ';');
            if (semi != NULL) {
                char *qs = strstr(semi, "q=");
                *semi = '\0';
                q = qs != NULL ? strtod(qs + 2, NULL) : 1.0;
            }
            if (g_ascii_strncasecmp(item, "de", 2) == 0 && q > q_de) {
                q_de = q;
            } else if (g_ascii_strncasecmp(item, "en", 2) == 0 && q > q_en) {
                q_en = q;
            }
        }
        p = e != NULL ? e + 1 : NULL;
    }
    return q_en > q_de && q_en > 0 ? WEB_LANG_EN : WEB_LANG_DE;
}

char *web_csrf_token(web_ctx *ctx)
{
    unsigned char mac[32];
    char *tok;

    web_mac(mac, ctx->site->csrf_mac, ctx->browser, strlen(ctx->browser));
    tok = web_b64url_encode(mac, sizeof(mac));
    return web_pool_add(ctx->pool, free, tok);
}

int web_csrf_check(web_ctx *ctx, const char *token)
{
    const char *want;

    if (ctx->browser_new || token == NULL || strlen(token) != 43) {
        return -1;
    }
    want = web_csrf_token(ctx);
    return CRYPTO_memcmp(want, token, 43) == 0 ? 0 : -1;
}

static const char style[] =
    "body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#111;"
    "margin:0}main{max-width:28rem;margin:3rem auto;background:#fff;"
    "padding:2rem;border:1px solid #ccd;border-radius:6px}"
    "h1{font-size:1.5rem;margin-top:0}"
    "h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
    "label{display:block;margin-top:1rem;"
    "font-weight:600}input[type=text],input[type=password]{width:100%;"
    "box-sizing:border-box;padding:.6rem;font-size:1rem;border:2px solid "
    "#555;border-radius:4px}input:focus,button:focus{outline:3px solid "
    "#0b5cad;outline-offset:2px}button{margin-top:1.5rem;padding:.7rem "
    "1.4rem;font-size:1rem;background:#0b4f91;color:#fff;border:0;"
    "border-radius:4px;cursor:pointer}.err{background:#fde8e8;color:#8a1111;"
    "border:1px solid #8a1111;padding:.7rem;border-radius:4px}"
    "footer{margin-top:2rem;font-size:.85rem;color:#444}";

void web_page_alert(GString *page, const char *text)
{
    g_string_append(page, "<p class=\"err\" role=\"alert\">");
    web_html_append(page, text);
    g_string_append(page, "</p>\n");
}

GString *web_page_begin(web_ctx *ctx, web_msgid title)
{
    GString *p = g_string_sized_new(4096);

    g_string_append_printf(p,
                           "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
                           "<meta charset=\"utf-8\"><meta name=\"viewport\" "
                           "content=\"width=device-width,initial-scale=1\">"
                           "<title>",
                           ctx->lang == WEB_LANG_EN ? "en" : "de");
    web_html_append(p, web_msg_text(ctx->lang, title));
    g_string_append(p, " – ");
    web_html_append(p, web_conf_get(ctx->conf)->platform_name);
    g_string_append_printf(p,
                           "</title><style>%s</style></head><body><main>"
                           "<h1>",
                           style);
    web_html_append(p, web_msg_text(ctx->lang, title));
    g_string_append(p, "</h1>\n");
    return p;
}

void web_page_end(web_ctx *ctx, GString *page, int status)
{
    g_string_append(page, "<footer>");
    web_html_append(page, web_conf_get(ctx->conf)->platform_name);
    g_string_append(page, "</footer></main></body></html>\n");
    web_resp_body(ctx, status, "text/html; charset=utf-8", page);
}

void web_page_error(web_ctx *ctx, int status, const char *reason)
{
    web_page_refusal(ctx, status, reason, NULL);
}

void web_page_refusal(web_ctx *ctx, int status, const char *reason,
                      const char *tech)
{
    GString *p = web_page_begin(ctx, WEB_M_TITLE_ERROR);

    web_page_alert(p, web_msg_text(ctx->lang, WEB_M_ERROR_INTRO));
    if (reason != NULL) {
        /* reasons are our own fixed texts, never internals */
        g_string_append(p, "<p>");
        web_html_append(p, reason);
        g_string_append(p, "</p>\n");
    }
    if (tech != NULL && ctx->lang != WEB_LANG_EN) {
        g_string_append(p, "<p class=\"tech\">");
        web_html_append(p, web_msg_text(ctx->lang, WEB_M_TECH_DETAIL));
        g_string_append(p, " <span lang=\"en\">");
        web_html_append(p, tech);
        g_string_append(p, "</span></p>\n");
    }
    web__error_ref(ctx, p, status);
    web_page_end(ctx, p, status);
}

/* sha256 of the one inline script, for the CSP of the POST form */
#define AUTOPOST_JS "document.forms[0].submit();"

void web_page_post_form(web_ctx *ctx, const char *url, const char *field,
                        const char *value, const char *relay_state)
{
    GString *p = web_page_begin(ctx, WEB_M_CONTINUE);
    unsigned char h[32];
    char *hash, *csp;

    g_string_append(p, "<form method=\"post\" action=\"");
    web_html_append(p, url);
    g_string_append_printf(p,
                           "\"><input type=\"hidden\" name=\"%s\" "
                           "value=\"",
                           field);
    web_html_append(p, value);
    g_string_append(p, "\">");
    if (relay_state != NULL) {
        /* echoed escaped (bindings 3.5.3) */
        g_string_append(p, "<input type=\"hidden\" name=\"RelayState\" "
                           "value=\"");
        web_html_append(p, relay_state);
        g_string_append(p, "\">");
    }
    g_string_append(p, "<noscript><p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_NOSCRIPT));
    g_string_append(p, "</p></noscript><button type=\"submit\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_CONTINUE));
    g_string_append(p, "</button></form><script>" AUTOPOST_JS "</script>\n");
    web_sha256(h, AUTOPOST_JS, strlen(AUTOPOST_JS));
    hash = web_b64_encode(h, sizeof(h));
    /* the form posts to the SP: allow exactly that target */
    csp = idm_xasprintf("default-src 'none'; style-src 'unsafe-inline'; "
                        "script-src 'sha256-%s'; form-action %s; "
                        "frame-ancestors 'none'; base-uri 'none'",
                        hash, url);
    web_resp_header(ctx, "Content-Security-Policy", csp);
    free(hash);
    free(csp);
    web_page_end(ctx, p, 200);
}

void web_page_login(web_ctx *ctx, const char *pending, const char *sp,
                    web_msgid error)
{
    GString *p = web_page_begin(ctx, WEB_M_TITLE_LOGIN);

    if ((int)error >= 0) {
        web_page_alert(p, web_msg_text(ctx->lang, error));
    }
    g_string_append(p, "<p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_LOGIN_INTRO));
    g_string_append(p, "</p>\n");
    if (sp != NULL) {
        g_string_append(p, "<p>");
        web_html_append(p, web_msg_text(ctx->lang, WEB_M_LOGIN_FOR));
        g_string_append(p, " <strong>");
        web_html_append(p, sp);
        g_string_append(p, "</strong></p>\n");
    }
    g_string_append(p, "<form method=\"post\" action=\"/login\">"
                       "<input type=\"hidden\" name=\"csrf\" value=\"");
    web_html_append(p, web_csrf_token(ctx));
    g_string_append(p, "\">");
    if (pending != NULL) {
        g_string_append(p, "<input type=\"hidden\" name=\"p\" value=\"");
        web_html_append(p, pending);
        g_string_append(p, "\">");
    }
    g_string_append(p, "<label for=\"login\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_USERNAME));
    g_string_append(p, "</label><input type=\"text\" id=\"login\" "
                       "name=\"login\" autocomplete=\"username\" "
                       "autocapitalize=\"none\" spellcheck=\"false\" "
                       "required autofocus maxlength=\"64\">"
                       "<label for=\"password\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_PASSWORD));
    g_string_append(p, "</label><input type=\"password\" id=\"password\" "
                       "name=\"password\" autocomplete=\"current-password\" "
                       "required maxlength=\"1024\"><button type=\"submit\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_SUBMIT));
    g_string_append(p, "</button></form>\n");
    web_page_end(ctx, p, (int)error >= 0 ? 401 : 200);
}

void web_page_denied(web_ctx *ctx, const char *app_name, const char *acs_url,
                     const char *field, const char *response,
                     const char *relay_state)
{
    GString *p = web_page_begin(ctx, WEB_M_TITLE_DENIED);
    char *csp;

    web_page_alert(p, web_msg_text(ctx->lang, WEB_M_APP_DENIED));
    if (app_name != NULL) {
        g_string_append(p, "<p><strong>");
        web_html_append(p, app_name);
        g_string_append(p, "</strong></p>\n");
    }
    g_string_append(p, "<p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_DENIED_HELP));
    g_string_append(p, "</p>\n");
    if (acs_url != NULL && response != NULL) {
        /* no auto-submit: the person reads the reason first */
        g_string_append(p, "<form method=\"post\" action=\"");
        web_html_append(p, acs_url);
        g_string_append_printf(p,
                               "\"><input type=\"hidden\" name=\"%s\" "
                               "value=\"",
                               field);
        web_html_append(p, response);
        g_string_append(p, "\">");
        if (relay_state != NULL) {
            g_string_append(p, "<input type=\"hidden\" name=\"RelayState\" "
                               "value=\"");
            web_html_append(p, relay_state);
            g_string_append(p, "\">");
        }
        g_string_append(p, "<button type=\"submit\">");
        web_html_append(p, web_msg_text(ctx->lang, WEB_M_BACK_TO_APP));
        g_string_append(p, "</button></form>\n");
        csp = idm_xasprintf("default-src 'none'; style-src 'unsafe-inline'; "
                            "form-action %s; frame-ancestors 'none'; "
                            "base-uri 'none'",
                            acs_url);
        web_resp_header(ctx, "Content-Security-Policy", csp);
        free(csp);
    }
    web_page_end(ctx, p, 403);
}
