/* SPDX-License-Identifier: EUPL-1.2
 * Client addresses as throttle keys (IPv6 by /64, IPv4 as it is), and
 * address blocks (CIDR) and lists of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/alloc.h"

/* separators of a list of blocks */
#define CIDR_SEP ", \t"

void idm_addr_key(char *out, size_t size, const char *addr)
{
    struct in6_addr a6;
    struct in_addr a4;
    char text[INET6_ADDRSTRLEN];
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

    if (size == 0) {
        return;
    }
    out[0] = '\0';
    if (addr == NULL) {
        return;
    }
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        if (inet_ntop(AF_INET, &a4, text, sizeof(text)) != NULL) {
            snprintf(out, size, "%s", text);
        }
        return;
    }
    if (inet_pton(AF_INET6, addr, &a6) != 1) {
        snprintf(out, size, "%.*s", IDM_ADDR_KEY_MAX - 1, addr);
        return;
    }
    if (memcmp(a6.s6_addr, mapped, sizeof(mapped)) == 0) {
        memcpy(&a4, a6.s6_addr + 12, 4);
        if (inet_ntop(AF_INET, &a4, text, sizeof(text)) != NULL) {
            snprintf(out, size, "%s", text);
        }
        return;
    }
    /* one subscriber, one /64 (RFC 6177): its host bits are free to
     * rotate, so they must not make a new key */
    memset(a6.s6_addr + 8, 0, 8);
    if (inet_ntop(AF_INET6, &a6, text, sizeof(text)) != NULL) {
        snprintf(out, size, "%s/64", text);
    }
}

int idm_cidr_parse(idm_cidr *out, const char *text)
{
    char buf[INET6_ADDRSTRLEN + 8], *slash, *end = NULL;
    long bits, b;

    memset(out, 0, sizeof(*out));
    if (strlen(text) >= sizeof(buf)) {
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", text);
    slash = strchr(buf, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    out->family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
    if (inet_pton(out->family, buf, out->addr) != 1) {
        return -1;
    }
    bits = out->family == AF_INET6 ? 128 : 32;
    if (slash != NULL) {
        errno = 0;
        b = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 ||
            b < 0 || b > bits) {
            return -1;
        }
        bits = b;
    }
    out->bits = (int)bits;
    return 0;
}

int idm_cidr_match(const idm_cidr *c, int family, const unsigned char *addr)
{
    int full = c->bits / 8, rest = c->bits % 8;

    if (c->family != family || memcmp(c->addr, addr, (size_t)full) != 0) {
        return 0;
    }
    if (rest == 0) {
        return 1;
    }
    return ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int idm_cidr_list_parse(idm_cidr **out, int *n_out, const char *text,
                        int *bad_entry, size_t *bad_offset)
{
    idm_cidr *list = NULL, one;
    size_t at = 0, len;
    int n = 0, entry = 0, rc = 0;
    char tok[INET6_ADDRSTRLEN + 8];

    if (out != NULL) {
        *out = NULL;
    }
    if (n_out != NULL) {
        *n_out = 0;
    }
    if (strcmp(text, "none") == 0) {
        return 0;
    }
    if (out != NULL) {
        /* at most one block per two characters ("a,") */
        list = idm_xcalloc(strlen(text) / 2 + 1, sizeof(*list));
    }
    for (;;) {
        at += strspn(text + at, CIDR_SEP);
        if (text[at] == '\0') {
            break;
        }
        len = strcspn(text + at, CIDR_SEP);
        entry++;
        if (len >= sizeof(tok)) {
            rc = -1;
        } else {
            memcpy(tok, text + at, len);
            tok[len] = '\0';
            rc = idm_cidr_parse(list != NULL ? &list[n] : &one, tok);
        }
        if (rc != 0) {
            if (bad_entry != NULL) {
                *bad_entry = entry;
            }
            if (bad_offset != NULL) {
                *bad_offset = at;
            }
            free(list);
            return -1;
        }
        n++;
        at += len;
    }
    if (n == 0) {
        free(list);
        list = NULL;
    }
    if (out != NULL) {
        *out = list;
    }
    if (n_out != NULL) {
        *n_out = n;
    }
    return 0;
}
