/* SPDX-License-Identifier: EUPL-1.2
 * Error codes, their texts and the idm_err setters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

const char *idm_strerror(int code)
{
    switch (code) {
#define IDM_ERR_TEXT(name, value, text)                                        \
    case value:                                                                \
        return text;
        IDM_ERROR_LIST(IDM_ERR_TEXT)
#undef IDM_ERR_TEXT
    default:
        return "unknown error";
    }
}

const char *idm_errname(int code)
{
    switch (code) {
#define IDM_ERR_NAME(name, value, text)                                        \
    case value:                                                                \
        return #name;
        IDM_ERROR_LIST(IDM_ERR_NAME)
#undef IDM_ERR_NAME
    default:
        return "IDM_E?";
    }
}

int idm_err_set(idm_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return code;
    }
    err->code = code;
    err->detail[0] = '\0';
    if (fmt == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s", idm_strerror(code));
        return code;
    }
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void idm_err_msg(idm_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

void idm_err_detail(idm_err *err, const char *fmt, ...)
{
    va_list ap;
    size_t used;

    if (err == NULL) {
        return;
    }
    used = strlen(err->detail);
    if (used > 0 && used + 2 < sizeof(err->detail)) {
        err->detail[used++] = ';';
        err->detail[used++] = ' ';
        err->detail[used] = '\0';
    }
    if (used >= sizeof(err->detail) - 1) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err->detail + used, sizeof(err->detail) - used, fmt, ap);
    va_end(ap);
}

void idm_err_clear(idm_err *err)
{
    if (err == NULL) {
        return;
    }
    err->code = IDM_OK;
    err->msg[0] = '\0';
    err->detail[0] = '\0';
}
