/* SPDX-License-Identifier: EUPL-1.2
 * Client addresses as throttle keys: one host gets one IPv6 /64, so an
 * IPv6 address counts by its /64 prefix, an IPv4 address as it is.
 */
#ifndef IDM_ADDR_H
#define IDM_ADDR_H

#include <stddef.h>

/** Room for any key idm_addr_key() writes, with the terminating NUL. */
#define IDM_ADDR_KEY_MAX 64

/**
 * The throttle key of a client address: IPv4 (also IPv4-mapped IPv6) in
 * dotted form, IPv6 as its /64 ("2001:db8:1:2::/64"). Anything else (no
 * address, a Unix socket) is cut to size and used as it is.
 * @param[out] out  at least IDM_ADDR_KEY_MAX bytes.
 */
void idm_addr_key(char *out, size_t size, const char *addr);

#endif /* IDM_ADDR_H */
