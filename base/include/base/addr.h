/* SPDX-License-Identifier: EUPL-1.2
 * Client addresses as throttle keys: one host gets one IPv6 /64, so an
 * IPv6 address counts by its /64 prefix, an IPv4 address as it is. And
 * address blocks (CIDR) as configured lists: trusted proxies, shared
 * networks.
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

/** An address block: an IPv4 or IPv6 prefix. */
typedef struct idm_cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network byte order; IPv4 in the first 4 */
    int bits;               /* prefix length */
} idm_cidr;

/**
 * Parse "ADDR" or "ADDR/BITS", IPv4 or IPv6; an address alone is a /32
 * or /128. Host bits beyond the prefix are ignored when matching.
 * @return 0, or -1 if text is not one.
 */
int idm_cidr_parse(idm_cidr *out, const char *text);

/** 1 if the address (family AF_INET or AF_INET6, 4 or 16 bytes in
 * network byte order) lies in c, else 0. */
int idm_cidr_match(const idm_cidr *c, int family, const unsigned char *addr);

/**
 * Parse a configured list: "none", or blocks as idm_cidr_parse() takes
 * them, separated by commas and/or blanks.
 * @param[out] out  new array of *n_out blocks (NULL if none); free()
 *                  it. out and n_out NULL: only check the list.
 * @param[out] bad_entry, bad_offset  on error: which entry failed
 *                  (1-based) and where it starts in text (0-based);
 *                  either may be NULL.
 * @return 0, or -1 if an entry is not a block (*out NULL, *n_out 0).
 */
int idm_cidr_list_parse(idm_cidr **out, int *n_out, const char *text,
                        int *bad_entry, size_t *bad_offset);

#endif /* IDM_ADDR_H */
