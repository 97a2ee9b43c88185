/* SPDX-License-Identifier: EUPL-1.2
 * [ldap]: the keys of the LDAP mirror (lsync/conf.h).
 */
#include <stddef.h>
#include <string.h>

#include "lsync/conf.h"

#define OFF(field) offsetof(lsync_conf, field)

static const char *check_ldap_uri(const char *v)
{
    if (strncmp(v, "ldap://", 7) != 0 && strncmp(v, "ldaps://", 8) != 0 &&
        strncmp(v, "ldapi://", 8) != 0) {
        return "must start with ldap://, ldaps:// or ldapi://";
    }
    return NULL;
}

static const idm_conf_key ldap_keys[] = {
    {.key = "uri",
     .type = IDM_CONF_STRING,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(uri),
     .doc = "LDAP server URI (ldap://, ldaps://, ldapi://)",
     .check = check_ldap_uri},
    {.key = "base",
     .type = IDM_CONF_STRING,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(base),
     .doc = "base DN of the directory",
     .check = NULL},
    {.key = "admin_dn",
     .type = IDM_CONF_STRING,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(admin_dn),
     .doc = "DN the sync binds as",
     .check = NULL},
    {.key = "admin_password_file",
     .type = IDM_CONF_SECRET,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(admin_password),
     .doc = "file holding that DN's password",
     .check = NULL},
    {.key = "release_blocked_names",
     .type = IDM_CONF_INT,
     .def = "0",
     .min = 0,
     .max = 1,
     .offset = OFF(release_blocked_names),
     .doc = "1: persons with an "
            "information release block "
            "keep their names in LDAP",
     .check = NULL},
    {.key = "scope",
     .type = IDM_CONF_STRING,
     .def = NULL,
     .min = 0,
     .max = 0,
     .offset = OFF(scope),
     .doc = "eduPerson/SCHAC scope domain (unset: the dc= "
            "parts of base)",
     .check = NULL},
    {.key = "sync_poll_seconds",
     .type = IDM_CONF_INT,
     .def = "5",
     .min = 1,
     .max = 3600,
     .offset = OFF(sync_poll_seconds),
     .doc = "idm-ldap-sync fallback poll interval",
     .check = NULL},
    {.key = "sync_batch",
     .type = IDM_CONF_INT,
     .def = "2000",
     .min = 1,
     .max = 1000000,
     .offset = OFF(sync_batch),
     .doc = "outbox rows per sync batch",
     .check = NULL},
    {.key = "sync_window",
     .type = IDM_CONF_INT,
     .def = "256",
     .min = 1,
     .max = 1000000,
     .offset = OFF(sync_window),
     .doc = "LDAP operations the sync keeps in "
            "flight",
     .check = NULL},
};

const idm_conf_section lsync_conf_section = {
    .group = "ldap",
    .keys = ldap_keys,
    .nkeys = sizeof(ldap_keys) / sizeof(ldap_keys[0]),
    .size = sizeof(lsync_conf),
    .check = NULL,
};

const lsync_conf *lsync_conf_get(const idm_conf *conf)
{
    return idm_conf_values(conf, &lsync_conf_section);
}
