/* SPDX-License-Identifier: EUPL-1.2
 * One config file serves idmd, idmctl and idm-ldap-sync, so each program
 * knows every group and checks the whole file, also the groups of
 * components it does not run: a typo in [ldap] stops idmd as it stops
 * idm-ldap-sync. Groups of components a program does not link come from
 * their small *_conf libraries (idmd links no libcsv, libharu or libldap
 * for them). [idp] is split: the web layer's keys, then saml-bridge's.
 */
#include <stdio.h>

#include "base/conf.h"
#include "base/db.h"
#include "base/log.h"
#include "conf_sections.h"
#include "idm/conf.h"
#include "lsync/conf.h"
#include "saml/conf.h"
#include "sip/conf.h"
#include "web/conf.h"

int prog_conf_register(const char *prog)
{
    static const idm_conf_section *const sections[] = {
        &idm_db_conf_section,     &idm_password_conf_section,
        &idm_login_conf_section,  &lsync_conf_section,
        &sip_import_conf_section, &web_conf_section,
        &saml_conf_section,       &idm_policy_conf_section,
        &idm_log_conf_section,
    };
    idm_err err = IDM_ERR_INIT;

    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        if (idm_conf_register(sections[i], &err) != 0) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            return 1;
        }
    }
    return 0;
}
