/* SPDX-License-Identifier: EUPL-1.2
 * Logging hook. Libraries never print: they call the installed callback, if
 * any. Programs install idm_log_stderr(), which writes one key=value line per
 * event with a journald <N> priority prefix.
 */
#ifndef IDM_LOG_H
#define IDM_LOG_H

#include <stdio.h>

#include "common.h"

typedef enum idm_log_level {
    IDM_LOG_ERROR = 3, /* syslog priorities, as journald reads them */
    IDM_LOG_WARN = 4,
    IDM_LOG_NOTICE = 5,
    IDM_LOG_INFO = 6,
    IDM_LOG_DEBUG = 7
} idm_log_level;

/* from conf.h, which includes this header */
typedef struct idm_conf idm_conf;
typedef struct idm_conf_section idm_conf_section;

/** [log]: the level the programs pass to idm_log_set(). */
typedef struct idm_log_conf {
    idm_log_level level;
} idm_log_conf;

extern const idm_conf_section idm_log_conf_section;

/** The [log] values of conf, borrowed from it. */
const idm_log_conf *idm_log_conf_get(const idm_conf *conf);

/** Receives a formatted "key=value ..." line without level or newline. */
typedef void (*idm_log_fn)(idm_log_level level, const char *comp,
                           const char *line, void *ctx);

/** Install a callback (NULL silences) and the most verbose level passed. */
void idm_log_set(idm_log_fn fn, void *ctx, idm_log_level max_level);

/** Parse "error|warn|notice|info|debug". @return 0 or IDM_EINVAL. */
int idm_log_level_parse(idm_log_level *out, const char *name);

/** Callback writing "<N>level=info comp=... " lines to stderr. */
void idm_log_stderr(idm_log_level level, const char *comp, const char *line,
                    void *ctx);

/** True if a message at level would be emitted. */
int idm_log_enabled(idm_log_level level);

/**
 * Emit "event=EVENT <fmt...>". The caller quotes values with
 * idm_log_quote(); fmt holds key=value pairs. Never pass secrets.
 */
void idm_log(idm_log_level level, const char *comp, const char *event,
             const char *fmt, ...) IDM_PRINTF(4, 5);

/**
 * Quote a value for a key=value line: wraps in double quotes and escapes
 * quotes, backslashes and control characters. Truncates to fit.
 * @return buf.
 */
const char *idm_log_quote(char *buf, size_t size, const char *value);

#endif /* IDM_LOG_H */
