/* SPDX-License-Identifier: EUPL-1.2
 * The logging hook and the stderr writer used by the programs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/conf.h"
#include "base/log.h"

static const idm_conf_key log_keys[] = {
    {.key = "level",
     .type = IDM_CONF_LOGLEVEL,
     .def = "info",
     .min = 0,
     .max = 0,
     .offset = offsetof(idm_log_conf, level),
     .doc = "error, warn, notice, info or debug",
     .check = NULL},
};

const idm_conf_section idm_log_conf_section = {
    .group = "log",
    .keys = log_keys,
    .nkeys = sizeof(log_keys) / sizeof(log_keys[0]),
    .size = sizeof(idm_log_conf),
    .check = NULL,
};

const idm_log_conf *idm_log_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &idm_log_conf_section);
}

static idm_log_fn log_fn;
static void *log_ctx;
static idm_log_level log_max = IDM_LOG_INFO;

static const char *const level_names[] = {
    [IDM_LOG_ERROR] = "error",   [IDM_LOG_WARN] = "warn",
    [IDM_LOG_NOTICE] = "notice", [IDM_LOG_INFO] = "info",
    [IDM_LOG_DEBUG] = "debug",
};

void idm_log_set(idm_log_fn fn, void *ctx, idm_log_level max_level)
{
    log_fn = fn;
    log_ctx = ctx;
    log_max = max_level;
}

int idm_log_level_parse(idm_log_level *out, const char *name)
{
    for (int l = IDM_LOG_ERROR; l <= IDM_LOG_DEBUG; l++) {
        if (strcmp(name, level_names[l]) == 0) {
            *out = (idm_log_level)l;
            return 0;
        }
    }
    return -2; /* IDM_EINVAL, without pulling err.h into log users */
}

int idm_log_enabled(idm_log_level level)
{
    return log_fn != NULL && level <= log_max;
}

void idm_log_stderr(idm_log_level level, const char *comp, const char *line,
                    void *ctx)
{
    (void)ctx;
    /* One fprintf per line keeps lines whole between threads. */
    fprintf(stderr, "<%d>level=%s comp=%s %s\n", (int)level, level_names[level],
            comp, line);
}

void idm_log(idm_log_level level, const char *comp, const char *event,
             const char *fmt, ...)
{
    char line[2048];
    int used;
    va_list ap;

    if (!idm_log_enabled(level)) {
        return;
    }
    used = snprintf(line, sizeof(line), "event=%s", event);
    if (fmt != NULL && fmt[0] != '\0' && used > 0 &&
        (size_t)used + 1 < sizeof(line)) {
        line[used++] = ' ';
        va_start(ap, fmt);
        vsnprintf(line + used, sizeof(line) - (size_t)used, fmt, ap);
        va_end(ap);
    }
    log_fn(level, comp, line, log_ctx);
}

const char *idm_log_quote(char *buf, size_t size, const char *value)
{
    size_t o = 0;

    if (size < 3) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return buf;
    }
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)value;
         p != NULL && *p != '\0'; p++) {
        char esc[5];
        size_t len;

        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            len = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", *p);
            len = 4;
        } else {
            esc[0] = (char)*p;
            len = 1;
        }
        if (o + len + 2 > size) {
            break;
        }
        memcpy(buf + o, esc, len);
        o += len;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
