/* SPDX-License-Identifier: EUPL-1.2
 * From error codes to answers: the one table mapping IDM_E* codes to HTTP
 * status (as mod_auth_mellon's auth_mellon_errormap), the support
 * reference shown on error pages and written to the log, and the log line
 * of every 5xx with the error's detail.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "web_int.h"

static const struct {
    int code;
    int status;
} status_map[] = {
    {IDM_EINTERNAL, 500}, {IDM_EINVAL, 400},    {IDM_ENOTFOUND, 404},
    {IDM_EEXISTS, 409},   {IDM_EDB, 503},       {IDM_ECONFIG, 500},
    {IDM_EIO, 503},       {IDM_EAUTH, 401},     {IDM_EDENIED, 403},
    {IDM_ELOCKED, 403},   {IDM_ECHECKSUM, 400}, {IDM_ETOOBIG, 413},
    {IDM_ECONFLICT, 409}, {IDM_EUNAVAIL, 503},
};

int web_error_status(int code)
{
    if (code == 0) {
        return 200;
    }
    for (size_t i = 0; i < sizeof(status_map) / sizeof(status_map[0]); i++) {
        if (status_map[i].code == code) {
            return status_map[i].status;
        }
    }
    return 500; /* fail closed: an unknown code is ours to fix */
}

/* The text a person reads for a status of web_error_status(). */
static web_msgid status_msg(int status)
{
    switch (status) {
    case 400:
    case 409:
    case 413:
        return WEB_M_BAD_FORM;
    case 401:
    case 403:
        return WEB_M_REQUEST_REJECTED;
    case 404:
        return WEB_M_NOT_FOUND;
    default:
        return WEB_M_UNAVAILABLE;
    }
}

/* The request's support reference: 8 hex digits, made on first use. */
static const char *support_ref(web_ctx *ctx)
{
    unsigned char r[4] = {0};

    if (ctx->ref[0] == '\0') {
        if (RAND_bytes(r, sizeof(r)) != 1) {
            /* still good enough to find the log line by time */
            uint32_t t = (uint32_t)time(NULL);
            memcpy(r, &t, sizeof(r));
        }
        snprintf(ctx->ref, sizeof(ctx->ref), "%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3]);
    }
    return ctx->ref;
}

/* The log line of a 5xx answer; err may be NULL. */
static void log_5xx(web_ctx *ctx, int status, const char *what,
                    const idm_err *err)
{
    char qp[300], qa[96], qm[300], qd[600];

    idm_log(
        IDM_LOG_ERROR, "web", "request.fail",
        "ref=%s status=%d path=%s from=%s step=%s code=%s reason=%s "
        "detail=%s",
        support_ref(ctx), status,
        idm_log_quote(
            qp, sizeof(qp),
            ctx->req != NULL && ctx->req->path != NULL ? ctx->req->path : "-"),
        idm_log_quote(qa, sizeof(qa),
                      ctx->actor.addr != NULL ? ctx->actor.addr : "-"),
        what != NULL ? what : "-", err != NULL ? idm_errname(err->code) : "-",
        idm_log_quote(qm, sizeof(qm),
                      err != NULL && err->msg[0] != '\0' ? err->msg : "-"),
        idm_log_quote(qd, sizeof(qd),
                      err != NULL && err->detail[0] != '\0' ? err->detail
                                                            : "-"));
}

void web_page_fail(web_ctx *ctx, const char *what, int rc, const idm_err *err)
{
    int status = web_error_status(rc != 0 ? rc : IDM_EINTERNAL);

    if (status >= 500) {
        log_5xx(ctx, status, what, err);
    }
    web_page_error(ctx, status, web_msg_text(ctx->lang, status_msg(status)));
}

/* web_page_error() of pages.c: the reference line, and the log line of a
 * 5xx that came without web_page_fail(). */
void web__error_ref(web_ctx *ctx, GString *page, int status)
{
    if (status >= 500 && ctx->ref[0] == '\0') {
        log_5xx(ctx, status, NULL, NULL);
    }
    g_string_append(page, "<p class=\"ref\">");
    web_html_append(page, web_msg_text(ctx->lang, WEB_M_SUPPORT_REF));
    g_string_append(page, " <code>");
    web_html_append(page, support_ref(ctx));
    g_string_append(page, "</code></p>\n");
}
