/* SPDX-License-Identifier: EUPL-1.2
 * Configuration: one INI file parsed once into an immutable idm_conf.
 * Each component owns its groups: it describes a group and its keys in an
 * idm_conf_section (type, default, range, check, doc line, offset into
 * the component's own struct) and reads the values through its own
 * accessor (e.g. idm_login_conf_get()). Programs register every section
 * before loading (base's own are always known); unknown groups or keys and
 * bad values are errors naming file, line and key. Two components may
 * share a group, each owning distinct keys of it (e.g. [idp]: web and
 * saml-bridge). The loader is in
 * src/conf.c; base/README.md describes the flow.
 */
#ifndef IDM_CONF_H
#define IDM_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "common.h"
#include "err.h"
#include "log.h"

/** Environment variable naming the config file when --config is absent. */
#define IDM_CONFIG_ENV "IDM_CONFIG"

/** Type of a key's value, and of the field it fills. */
typedef enum idm_conf_type {
    IDM_CONF_STRING,  /* char *; an empty value is an error */
    IDM_CONF_PATH,    /* char *, relative to the config file's directory */
    IDM_CONF_SECRET,  /* char *: contents of the file the value names;
                         wiped on free */
    IDM_CONF_INT,     /* int within [min, max] */
    IDM_CONF_U32,     /* uint32_t within [min, max] */
    IDM_CONF_LOGLEVEL /* idm_log_level (base/log.h) */
} idm_conf_type;

/** One key of a group. Unset strings are NULL, unset numbers 0. */
typedef struct idm_conf_key {
    const char *key;
    idm_conf_type type;
    const char *def; /* default as text, NULL = unset */
    long min, max;   /* numeric range */
    size_t offset;   /* of the field in the section's struct */
    const char *doc; /* one line for "idmctl config check --help-keys" */
    /* extra check of a value: NULL if fine, else the reason (never echo
     * the value: it may be a secret) */
    const char *(*check)(const char *value);
} idm_conf_key;

/**
 * One [group], owned by the component that reads it. The loader allocates
 * a zeroed struct of size bytes per loaded config, fills it from defaults
 * and the file, and frees its strings (wiping secrets) with the config.
 * Define it as a const object and register it before loading.
 */
typedef struct idm_conf_section {
    const char *group;
    const idm_conf_key *keys;
    size_t nkeys;
    size_t size; /* sizeof the component's struct, not 0 */
    /* checks across keys after loading, or NULL; path for messages */
    int (*check)(const void *values, const char *path, idm_err *err);
} idm_conf_section;

/** A loaded config; each section's values are reached through its
 * owner's accessor (idm_conf_values). */
typedef struct idm_conf {
    /* the file it came from, for messages */
    char *path;
} idm_conf;

/**
 * Make a section known to later loads and to idm_conf_describe(), in
 * registration order. Call from main() before any thread starts and
 * before loading; registering the same section again does nothing.
 * base's [database] and [log] are known without registering (after the
 * registered ones unless registered themselves). Another component's
 * section may share a group if no key is in both (the group then lists
 * the keys of its sections in registration order); base's groups are
 * base's alone.
 * @return 0, or IDM_EINTERNAL (a key of the group registered twice, a
 *         group of base's, or too many sections)
 */
IDM_MUST_CHECK int idm_conf_register(const idm_conf_section *section,
                                     idm_err *err);

/**
 * The values of section in conf: the component's struct, borrowed from
 * conf. For the component's accessor only. A section that was not
 * registered when conf was loaded is a program bug: logged, then abort().
 */
const void *idm_conf_values(const idm_conf *conf,
                            const idm_conf_section *section);

/**
 * Parse a config file.
 * @param[out] out  new config; free with idm_conf_free(). NULL on error.
 * @return 0, IDM_ECONFIG (msg names file, line and key) or IDM_EIO.
 */
IDM_MUST_CHECK int idm_conf_load(idm_conf **out, const char *path,
                                 idm_err *err);

/** Parse config text; path is used in messages and for relative files. */
IDM_MUST_CHECK int idm_conf_load_data(idm_conf **out, const char *data,
                                      size_t len, const char *path,
                                      idm_err *err);

/** A config with every default (no database); for tools and tests. */
IDM_MUST_CHECK int idm_conf_defaults(idm_conf **out, idm_err *err);

/** Resolve the path: explicit argument, else $IDM_CONFIG, else NULL. */
const char *idm_conf_path(const char *arg);

/** Free a config, wiping secrets. Accepts NULL. */
void idm_conf_free(idm_conf *conf);

/** Print every option with its default and doc line (for --help). */
void idm_conf_describe(FILE *fp);

#endif /* IDM_CONF_H */
