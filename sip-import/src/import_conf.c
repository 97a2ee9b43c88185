/* SPDX-License-Identifier: EUPL-1.2
 * [import]: the keys of the import (sip/conf.h).
 */
#include <stddef.h>

#include "sip/conf.h"

#define OFF(field) offsetof(sip_import_conf, field)

static const idm_conf_key import_keys[] = {
    {.key = "grace_days",
     .type = IDM_CONF_INT,
     .def = "90",
     .min = 0,
     .max = 3650,
     .offset = OFF(grace_days),
     .doc = "days a leaver stays disabled before "
            "deletion (GDPR)",
     .check = NULL},
    {.key = "max_leaver_share",
     .type = IDM_CONF_INT,
     .def = "10",
     .min = 0,
     .max = 100,
     .offset = OFF(max_leaver_share),
     .doc = "percent of a school's persons "
            "that may leave without --yes",
     .check = NULL},
    {.key = "login_url",
     .type = IDM_CONF_STRING,
     .def = "https://login.schule-mv.de/",
     .min = 0,
     .max = 0,
     .offset = OFF(login_url),
     .doc = "login address printed on credential "
            "letters",
     .check = NULL},
    {.key = "initial_argon2_memory_kib",
     .type = IDM_CONF_U32,
     .def = "64",
     .min = 8,
     .max = 4194304,
     .offset = OFF(initial_argon2_memory_kib),
     .doc = "Argon2id memory of initial passwords "
            "(random, 91 bits; upgraded at first login)",
     .check = NULL},
    {.key = "initial_argon2_iterations",
     .type = IDM_CONF_U32,
     .def = "1",
     .min = 1,
     .max = 100,
     .offset = OFF(initial_argon2_iterations),
     .doc = "Argon2id time cost of initial passwords",
     .check = NULL},
    {.key = "initial_argon2_parallelism",
     .type = IDM_CONF_U32,
     .def = "1",
     .min = 1,
     .max = 64,
     .offset = OFF(initial_argon2_parallelism),
     .doc = "Argon2id lanes of initial passwords",
     .check = NULL},
    {.key = "hash_threads",
     .type = IDM_CONF_INT,
     .def = "0",
     .min = 0,
     .max = 1024,
     .offset = OFF(hash_threads),
     .doc = "threads hashing initial passwords "
            "(0: one per core)",
     .check = NULL},
    {.key = "plan_connections",
     .type = IDM_CONF_INT,
     .def = "2",
     .min = 1,
     .max = 2,
     .offset = OFF(plan_connections),
     .doc = "connections reading a whole "
            "source for the plan (2: two "
            "more, a half each)",
     .check = NULL},
};

const idm_conf_section sip_import_conf_section = {
    .group = "import",
    .keys = import_keys,
    .nkeys = sizeof(import_keys) / sizeof(import_keys[0]),
    .size = sizeof(sip_import_conf),
    .check = NULL,
};

const sip_import_conf *sip_import_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &sip_import_conf_section);
}
