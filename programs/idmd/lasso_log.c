/* SPDX-License-Identifier: EUPL-1.2
 * Lasso's log sink, replaced. Debian builds Lasso with LASSO_DEBUG, so
 * Lasso formats a debug line, with a localtime() stamp, for every XML
 * element it parses or matches (16 per SSO request), only for GLib to
 * drop it: 7 % of the CPU of a Response besides RSA. lasso_log() is an
 * exported function that Lasso calls through its PLT, so this definition
 * in the program takes its place (ELF symbol interposition, as a program's
 * malloc() does): debug lines are dropped before any formatting, the rest
 * go to the idm log as key=value lines like every other message.
 */
#include <stdarg.h>
#include <stdio.h>

#include <glib.h>

#include "base/log.h"

/* the signature of lasso/logging.h, which is not included: it defines
 * unprefixed macros (message, debug) */
void lasso_log(GLogLevelFlags level, const char *filename, int line,
               const char *function, const char *format, ...)
    G_GNUC_PRINTF(5, 6);

void lasso_log(GLogLevelFlags level, const char *filename, int line,
               const char *function, const char *format, ...)
{
    char text[1024], q[1100];
    va_list ap;

    if ((level & G_LOG_LEVEL_DEBUG) != 0) {
        return;
    }
    va_start(ap, format);
    vsnprintf(text, sizeof(text), format, ap);
    va_end(ap);
    idm_log((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0
                ? IDM_LOG_ERROR
            : (level & G_LOG_LEVEL_WARNING) != 0 ? IDM_LOG_WARN
                                                 : IDM_LOG_INFO,
            "lasso", "lasso.log", "at=%s:%d fn=%s msg=%s",
            filename != NULL ? filename : "-", line,
            function != NULL && function[0] != '\0' ? function : "-",
            idm_log_quote(q, sizeof(q), text));
}
