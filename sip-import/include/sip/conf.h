/* SPDX-License-Identifier: EUPL-1.2
 * The import's configuration group [import]. In its own small library
 * (sip_import_conf) so that programs which do not import can still
 * register the group and check a shared config file, without linking
 * libcsv or libharu.
 */
#ifndef SIP_IMPORT_CONF_H
#define SIP_IMPORT_CONF_H

#include <stdint.h>

#include "base/conf.h"

/** [import] */
typedef struct sip_import_conf {
    int grace_days;       /* disabled leavers are deleted after this */
    int max_leaver_share; /* percent of a school; more needs --yes */
    char *login_url;      /* printed on credential letters */
    /* initial passwords (random, >= 80 bits): cheap hash, upgraded at the
     * first login */
    uint32_t initial_argon2_memory_kib;
    uint32_t initial_argon2_iterations;
    uint32_t initial_argon2_parallelism;
    int hash_threads;     /* 0 = one per core */
    int plan_connections; /* 1: the import's; 2: two more, halves */
} sip_import_conf;

extern const idm_conf_section sip_import_conf_section;

/** The [import] values of conf, borrowed from it. */
const sip_import_conf *sip_import_conf_get(const idm_conf *conf);

#endif /* SIP_IMPORT_CONF_H */
