/* SPDX-License-Identifier: EUPL-1.2
 * The LDAP mirror's configuration group [ldap]. In its own small library
 * (lsync_conf) so that programs which do not sync can still register the
 * group and check a shared config file without linking libldap.
 */
#ifndef LSYNC_CONF_H
#define LSYNC_CONF_H

#include "base/conf.h"

/** [ldap] */
typedef struct lsync_conf {
    char *uri;
    char *base;
    char *admin_dn;
    char *admin_password;      /* from admin_password_file; wiped on free */
    int release_blocked_names; /* 0/1: names of blocked persons in LDAP */
    char *scope;               /* eduPerson scope; NULL: from base's dc= */
    int sync_poll_seconds;     /* idm-ldap-sync fallback poll */
    int sync_batch;            /* outbox rows per batch */
    int sync_window;           /* LDAP operations in flight */
} lsync_conf;

extern const idm_conf_section lsync_conf_section;

/** The [ldap] values of conf, borrowed from it. */
const lsync_conf *lsync_conf_get(const idm_conf *conf);

#endif /* LSYNC_CONF_H */
