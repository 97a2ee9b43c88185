/* SPDX-License-Identifier: EUPL-1.2
 * Client addresses as throttle keys (IPv6 by /64, IPv4 as it is).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"

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
