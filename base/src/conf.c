/* SPDX-License-Identifier: EUPL-1.2
 * Config loading. Each component describes its groups in an
 * idm_conf_section (base's own: [database] in db.c, [log] in log.c);
 * programs register them before loading. A group may be split across
 * sections of several components, each owning distinct keys. A line scan
 * gives every error its line number, GKeyFile reads the values, and each
 * section's values land in a struct of the owning component's type.
 */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/alloc.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/log.h"

#define SECRET_FILE_MAX 4096
/* longest group or key name, NUL included */
#define NAME_MAX_LEN 64
/* sections one process may know */
#define SECTIONS_MAX 32

/* What idm_conf points to: the public struct first, then the values of
 * the sections known when it was loaded. */
typedef struct conf_impl {
    idm_conf pub;
    size_t n;
    const idm_conf_section *sections[SECTIONS_MAX];
    void *values[SECTIONS_MAX]; /* a struct of sections[i]->size bytes */
} conf_impl;

/* Written only by idm_conf_register() (before threads start), read by
 * every load; the lock keeps a late registration from tearing a read. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const idm_conf_section *registry[SECTIONS_MAX];
static size_t nregistry;

/* base's own, known without registering */
static const idm_conf_section *const builtin[] = {
    &idm_db_conf_section,
    &idm_log_conf_section,
};
#define BUILTIN_N (sizeof(builtin) / sizeof(builtin[0]))

static int registered(const idm_conf_section *s)
{
    for (size_t i = 0; i < nregistry; i++) {
        if (registry[i] == s) {
            return 1;
        }
    }
    return 0;
}

static int is_builtin(const idm_conf_section *s)
{
    for (size_t i = 0; i < BUILTIN_N; i++) {
        if (builtin[i] == s) {
            return 1;
        }
    }
    return 0;
}

static const idm_conf_key *find_key(const idm_conf_section *sec,
                                    const char *key)
{
    for (size_t i = 0; i < sec->nkeys; i++) {
        if (strcmp(sec->keys[i].key, key) == 0) {
            return &sec->keys[i];
        }
    }
    return NULL;
}

/* A key of section that other (of the same group) has too, or NULL. */
static const char *shared_key(const idm_conf_section *section,
                              const idm_conf_section *other)
{
    for (size_t i = 0; i < section->nkeys; i++) {
        if (find_key(other, section->keys[i].key) != NULL) {
            return section->keys[i].key;
        }
    }
    return NULL;
}

int idm_conf_register(const idm_conf_section *section, idm_err *err)
{
    int rc = 0;

    pthread_mutex_lock(&registry_lock);
    if (registered(section)) {
        goto cleanup;
    }
    if (section->group == NULL || strlen(section->group) >= NAME_MAX_LEN ||
        section->size == 0) {
        rc = idm_err_set(err, IDM_EINTERNAL,
                         "config section with a bad group name or size");
        goto cleanup;
    }
    for (size_t i = 0; i < section->nkeys; i++) {
        if (strlen(section->keys[i].key) >= NAME_MAX_LEN) {
            rc = idm_err_set(err, IDM_EINTERNAL,
                             "config key [%s] %s: name too long",
                             section->group, section->keys[i].key);
            goto cleanup;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(section->keys[j].key, section->keys[i].key) == 0) {
                rc = idm_err_set(err, IDM_EINTERNAL,
                                 "config key [%s] %s: defined twice",
                                 section->group, section->keys[i].key);
                goto cleanup;
            }
        }
    }
    for (size_t i = 0; i < nregistry + BUILTIN_N; i++) {
        const idm_conf_section *other =
            i < nregistry ? registry[i] : builtin[i - nregistry];
        const char *key;

        if (other == section || strcmp(other->group, section->group) != 0) {
            continue;
        }
        /* a group may be split between components, never a key, and
         * base's own groups stay base's */
        if (is_builtin(other) || is_builtin(section)) {
            rc = idm_err_set(err, IDM_EINTERNAL,
                             "config group [%s] registered twice",
                             section->group);
            goto cleanup;
        }
        key = shared_key(section, other);
        if (key != NULL) {
            rc = idm_err_set(err, IDM_EINTERNAL,
                             "config group [%s] registered twice with key %s",
                             section->group, key);
            goto cleanup;
        }
    }
    if (nregistry + BUILTIN_N >= SECTIONS_MAX) {
        rc = idm_err_set(err, IDM_EINTERNAL, "too many config sections");
        goto cleanup;
    }
    registry[nregistry++] = section;
cleanup:
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

/* The sections a load or describe uses: the registered ones in order,
 * then base's own that were not registered. */
static size_t known_sections(const idm_conf_section **out)
{
    size_t n;

    pthread_mutex_lock(&registry_lock);
    n = nregistry;
    memcpy(out, registry, n * sizeof(*out));
    for (size_t i = 0; i < BUILTIN_N; i++) {
        if (!registered(builtin[i])) {
            out[n++] = builtin[i];
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return n;
}

const void *idm_conf_values(const idm_conf *conf,
                            const idm_conf_section *section)
{
    const conf_impl *c = (const conf_impl *)conf;
    char q[NAME_MAX_LEN + 2];

    for (size_t i = 0; i < c->n; i++) {
        if (c->sections[i] == section) {
            return c->values[i];
        }
    }
    idm_log(IDM_LOG_ERROR, "conf", "section_unregistered", "group=%s",
            idm_log_quote(q, sizeof(q), section->group));
    abort();
}

static int has_group(const conf_impl *c, const char *group)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->sections[i]->group, group) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The key in whichever section of group owns it, or NULL. */
static const idm_conf_key *find_group_key(const conf_impl *c, const char *group,
                                          const char *key)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->sections[i]->group, group) == 0) {
            const idm_conf_key *d = find_key(c->sections[i], key);
            if (d != NULL) {
                return d;
            }
        }
    }
    return NULL;
}

/* Line of "[group]" (key NULL) or of "key =" inside group; 0 if absent. */
static int find_line(const char *data, size_t len, const char *group,
                     const char *key)
{
    const char *p = data, *end = data + len;
    int line = 0, in_group = 0;
    size_t glen = strlen(group);

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;

        if (eol == NULL) {
            eol = end;
        }
        line++;
        while (s < eol && (*s == ' ' || *s == '\t')) {
            s++;
        }
        if (s < eol && *s == '[') {
            in_group = (size_t)(eol - s) > glen + 1 &&
                       strncmp(s + 1, group, glen) == 0 && s[glen + 1] == ']';
            if (in_group && key == NULL) {
                return line;
            }
        } else if (in_group && key != NULL) {
            size_t klen = strlen(key);
            if ((size_t)(eol - s) >= klen && strncmp(s, key, klen) == 0) {
                const char *q = s + klen;
                while (q < eol && (*q == ' ' || *q == '\t')) {
                    q++;
                }
                if (q < eol && *q == '=') {
                    return line;
                }
            }
        }
        p = eol + 1;
    }
    return 0;
}

/*
 * Syntax pass: every line is blank, a comment, [group] or key=value; groups
 * and keys are known; no key appears twice. GKeyFile would accept
 * duplicates silently and reports no line numbers.
 */
static int check_lines(const char *data, size_t len, const char *path,
                       const conf_impl *c, idm_err *err)
{
    const char *p = data, *end = data + len;
    char group[NAME_MAX_LEN] = "";
    GHashTable *seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    int line = 0, rc = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e;

        if (eol == NULL) {
            eol = end;
        }
        line++;
        e = eol;
        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) {
            e--;
        }
        if (s == e || *s == '#' || *s == ';') {
            p = eol + 1;
            continue;
        }
        if (*s == '[') {
            size_t glen = (size_t)(e - s) - 2;
            if (e[-1] != ']' || glen == 0 || glen >= sizeof(group)) {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: malformed group header", path, line);
                goto cleanup;
            }
            memcpy(group, s + 1, glen);
            group[glen] = '\0';
            if (!has_group(c, group)) {
                rc = idm_err_set(err, IDM_ECONFIG, "%s:%d: unknown group [%s]",
                                 path, line, group);
                goto cleanup;
            }
        } else {
            const char *eq = memchr(s, '=', (size_t)(e - s));
            const char *ke;
            char key[NAME_MAX_LEN], *full;

            if (eq == NULL) {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: expected \"key = value\"", path, line);
                goto cleanup;
            }
            if (group[0] == '\0') {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: key outside of a [group]", path, line);
                goto cleanup;
            }
            ke = eq;
            while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t')) {
                ke--;
            }
            if (ke == s || (size_t)(ke - s) >= sizeof(key)) {
                rc = idm_err_set(err, IDM_ECONFIG, "%s:%d: malformed key", path,
                                 line);
                goto cleanup;
            }
            memcpy(key, s, (size_t)(ke - s));
            key[ke - s] = '\0';
            if (find_group_key(c, group, key) == NULL) {
                rc =
                    idm_err_set(err, IDM_ECONFIG, "%s:%d: [%s] %s: unknown key",
                                path, line, group, key);
                goto cleanup;
            }
            full = g_strdup_printf("%s/%s", group, key);
            if (!g_hash_table_add(seen, full)) {
                rc = idm_err_set(err, IDM_ECONFIG,
                                 "%s:%d: [%s] %s: key given twice", path, line,
                                 group, key);
                goto cleanup;
            }
        }
        p = eol + 1;
    }
cleanup:
    g_hash_table_destroy(seen);
    return rc;
}

static char *resolve_path(const char *base_path, const char *value)
{
    char *dir, *full;

    if (value[0] == '/' || base_path == NULL) {
        return idm_xstrdup(value);
    }
    dir = g_path_get_dirname(base_path);
    full = g_build_filename(dir, value, NULL);
    g_free(dir);
    dir = idm_xstrdup(full);
    g_free(full);
    return dir;
}

static int read_secret(char **out, const char *file, const char *where,
                       idm_err *err)
{
    char buf[SECRET_FILE_MAX + 1];
    FILE *fp = fopen(file, "r");
    size_t n;
    int rc = 0;

    *out = NULL;
    if (fp == NULL) {
        return idm_err_set(err, IDM_ECONFIG, "%s: cannot read \"%s\": %s",
                           where, file, strerror(errno));
    }
    n = fread(buf, 1, sizeof(buf), fp);
    if (ferror(fp) || n > SECRET_FILE_MAX) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "%s: \"%s\" is unreadable or larger than %d bytes",
                         where, file, SECRET_FILE_MAX);
        goto cleanup;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    if (n == 0 || memchr(buf, '\0', n) != NULL) {
        rc =
            idm_err_set(err, IDM_ECONFIG,
                        "%s: \"%s\" is empty or holds a NUL byte", where, file);
        goto cleanup;
    }
    *out = idm_xmalloc(n + 1);
    memcpy(*out, buf, n);
    (*out)[n] = '\0';
cleanup:
    OPENSSL_cleanse(buf, sizeof(buf));
    fclose(fp);
    return rc;
}

/* Store one value (from the file or the default) into the struct. */
static int set_value(void *values, const idm_conf_key *d, const char *value,
                     const char *conf_path, const char *where, idm_err *err)
{
    char *field = (char *)values + d->offset;
    char *endp;
    long v;

    if (d->check != NULL && value[0] != '\0') {
        const char *why = d->check(value);
        if (why != NULL) {
            /* the value is not echoed: it may hold a secret */
            return idm_err_set(err, IDM_ECONFIG, "%s: value %s", where, why);
        }
    }
    switch (d->type) {
    case IDM_CONF_STRING:
        if (value[0] == '\0') {
            return idm_err_set(err, IDM_ECONFIG, "%s: empty value", where);
        }
        free(*(char **)field);
        *(char **)field = idm_xstrdup(value);
        return 0;
    case IDM_CONF_PATH:
        if (value[0] == '\0') {
            return idm_err_set(err, IDM_ECONFIG, "%s: empty path", where);
        }
        free(*(char **)field);
        *(char **)field = resolve_path(conf_path, value);
        return 0;
    case IDM_CONF_SECRET: {
        char *file = resolve_path(conf_path, value);
        char *secret = NULL;
        int rc = read_secret(&secret, file, where, err);
        free(file);
        if (rc != 0) {
            return rc;
        }
        *(char **)field = secret;
        return 0;
    }
    case IDM_CONF_INT:
    case IDM_CONF_U32:
        errno = 0;
        v = strtol(value, &endp, 10);
        if (errno != 0 || endp == value || *endp != '\0') {
            return idm_err_set(err, IDM_ECONFIG,
                               "%s: \"%s\" is not a whole number", where,
                               value);
        }
        if (v < d->min || v > d->max) {
            return idm_err_set(err, IDM_ECONFIG, "%s: %ld is outside %ld..%ld",
                               where, v, d->min, d->max);
        }
        if (d->type == IDM_CONF_INT) {
            *(int *)field = (int)v;
        } else {
            *(uint32_t *)field = (uint32_t)v;
        }
        return 0;
    case IDM_CONF_LOGLEVEL:
        if (idm_log_level_parse((idm_log_level *)field, value) != 0) {
            return idm_err_set(err, IDM_ECONFIG,
                               "%s: \"%s\" is not one of error, warn, "
                               "notice, info, debug",
                               where, value);
        }
        return 0;
    }
    return idm_err_set(err, IDM_EINTERNAL, "%s: unknown option type", where);
}

static void free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static int apply_defaults(conf_impl *c, idm_err *err)
{
    for (size_t i = 0; i < c->n; i++) {
        const idm_conf_section *sec = c->sections[i];

        for (size_t k = 0; k < sec->nkeys; k++) {
            int rc;
            if (sec->keys[k].def == NULL) {
                continue;
            }
            rc = set_value(c->values[i], &sec->keys[k], sec->keys[k].def,
                           c->pub.path, "built-in default", err);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* Read every key the file sets, in the order of the sections. */
static int read_values(conf_impl *c, GKeyFile *kf, const char *data, size_t len,
                       idm_err *err)
{
    for (size_t i = 0; i < c->n; i++) {
        const idm_conf_section *sec = c->sections[i];

        for (size_t k = 0; k < sec->nkeys; k++) {
            const idm_conf_key *d = &sec->keys[k];
            char *value, where[256];
            int rc;

            if (!g_key_file_has_key(kf, sec->group, d->key, NULL)) {
                continue;
            }
            snprintf(where, sizeof(where), "%s:%d: [%s] %s", c->pub.path,
                     find_line(data, len, sec->group, d->key), sec->group,
                     d->key);
            value = g_key_file_get_string(kf, sec->group, d->key, NULL);
            if (value == NULL) {
                return idm_err_set(err, IDM_ECONFIG,
                                   "%s: invalid escape sequence in the value",
                                   where);
            }
            if (d->type == IDM_CONF_SECRET) {
                /* a file's contents replace any earlier secret */
                char **field = (char **)((char *)c->values[i] + d->offset);
                free_secret(*field);
                *field = NULL;
            }
            rc = set_value(c->values[i], d, g_strstrip(value), c->pub.path,
                           where, err);
            g_free(value);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* Checks across the keys of each section. */
static int check_sections(const conf_impl *c, idm_err *err)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->sections[i]->check != NULL) {
            int rc = c->sections[i]->check(c->values[i], c->pub.path, err);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

int idm_conf_load_data(idm_conf **out, const char *data, size_t len,
                       const char *path, idm_err *err)
{
    conf_impl *c = idm_xcalloc(1, sizeof(*c));
    GKeyFile *kf = g_key_file_new();
    GError *gerr = NULL;
    gchar *gdata = NULL;
    int rc;

    *out = NULL;
    c->n = known_sections(c->sections);
    for (size_t i = 0; i < c->n; i++) {
        c->values[i] = idm_xcalloc(1, c->sections[i]->size);
    }
    c->pub.path = idm_xstrdup(path != NULL ? path : "(config)");
    rc = check_lines(data, len, c->pub.path, c, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = apply_defaults(c, err);
    if (rc != 0) {
        goto cleanup;
    }
    /* GKeyFile knows only '#' comments; ';' ones become '#' in a copy.
     * Its messages quote whole lines (which may hold a commented-out
     * secret), so they are never shown. */
    gdata = g_strndup(data, len);
    for (gchar *line = gdata; line != NULL; line = strchr(line, '\n')) {
        line += line[0] == '\n';
        line += strspn(line, " \t");
        if (*line == ';') {
            *line = '#';
        }
    }
    if (!g_key_file_load_from_data(kf, gdata, len, G_KEY_FILE_NONE, &gerr)) {
        rc = idm_err_set(err, IDM_ECONFIG,
                         "%s: not a valid configuration file (is it UTF-8?)",
                         c->pub.path);
        goto cleanup;
    }
    rc = read_values(c, kf, data, len, err);
    if (rc != 0) {
        goto cleanup;
    }
    rc = check_sections(c, err);
    if (rc != 0) {
        goto cleanup;
    }
    *out = &c->pub;
    c = NULL;
cleanup:
    if (gerr != NULL) {
        g_error_free(gerr);
    }
    if (gdata != NULL) {
        OPENSSL_cleanse(gdata, len);
        g_free(gdata);
    }
    g_key_file_free(kf);
    idm_conf_free(c != NULL ? &c->pub : NULL);
    return rc;
}

int idm_conf_load(idm_conf **out, const char *path, idm_err *err)
{
    gchar *data = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    int rc;

    *out = NULL;
    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        rc = idm_err_set(err, IDM_EIO, "cannot read config \"%s\": %s", path,
                         gerr->message);
        g_error_free(gerr);
        return rc;
    }
    rc = idm_conf_load_data(out, data, len, path, err);
    g_free(data);
    return rc;
}

int idm_conf_defaults(idm_conf **out, idm_err *err)
{
    return idm_conf_load_data(out, "", 0, "(defaults)", err);
}

const char *idm_conf_path(const char *arg)
{
    const char *env;

    if (arg != NULL) {
        return arg;
    }
    env = getenv(IDM_CONFIG_ENV);
    return env != NULL && env[0] != '\0' ? env : NULL;
}

void idm_conf_free(idm_conf *conf)
{
    conf_impl *c = (conf_impl *)conf;

    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        const idm_conf_section *sec = c->sections[i];

        for (size_t k = 0; k < sec->nkeys; k++) {
            char **field =
                (char **)((char *)c->values[i] + sec->keys[k].offset);

            if (sec->keys[k].type == IDM_CONF_SECRET) {
                free_secret(*field);
            } else if (sec->keys[k].type == IDM_CONF_STRING ||
                       sec->keys[k].type == IDM_CONF_PATH) {
                free(*field);
            }
        }
        free(c->values[i]);
    }
    free(c->pub.path);
    free(c);
}

void idm_conf_describe(FILE *fp)
{
    const idm_conf_section *sections[SECTIONS_MAX];
    size_t n = known_sections(sections);

    for (size_t i = 0; i < n; i++) {
        size_t first = 0;

        /* a group split across sections: listed once, where its first
         * section is, with the keys of all of them */
        while (strcmp(sections[first]->group, sections[i]->group) != 0) {
            first++;
        }
        if (first < i) {
            continue;
        }
        fprintf(fp, "%s[%s]\n", i > 0 ? "\n" : "", sections[i]->group);
        for (size_t j = i; j < n; j++) {
            const idm_conf_section *sec = sections[j];

            if (strcmp(sec->group, sections[i]->group) != 0) {
                continue;
            }
            for (size_t k = 0; k < sec->nkeys; k++) {
                const idm_conf_key *d = &sec->keys[k];

                fprintf(fp, "  %-22s %s%s%s%s\n", d->key, d->doc,
                        d->def != NULL ? " (default: " : "",
                        d->def != NULL ? d->def : "",
                        d->def != NULL ? ")" : "");
            }
        }
    }
}
