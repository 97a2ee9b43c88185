/* SPDX-License-Identifier: EUPL-1.2
 * The configuration groups the programs register before loading.
 */
#ifndef PROG_CONF_SECTIONS_H
#define PROG_CONF_SECTIONS_H

/**
 * Register every component's config section (base/conf.h), in the order
 * "idmctl config check --help-keys" lists them. Call first in main().
 * @return 0, or 1 after printing "prog: reason" to stderr (a program bug)
 */
int prog_conf_register(const char *prog);

#endif /* PROG_CONF_SECTIONS_H */
