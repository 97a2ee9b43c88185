/* SPDX-License-Identifier: EUPL-1.2
 * Fuzz target: federation metadata verification (saml/federation.h), the
 * parser and signature check every downloaded aggregate or signed SP
 * metadata goes through before anything in it is trusted. Each input is
 * tried as an aggregate and as a single EntityDescriptor against the
 * pinned certificate fed.crt, whose key signed only the seeds' entities
 * (https://sp.example.org/a/sp and /b/sp; make_corpus.sh). Besides
 * crashes and sanitizer reports: an accepted document naming any other
 * entity means a signature was bypassed (wrapping), and aborts.
 * The replay (FEDMD_REPLAY) also checks the verdict: seeds carrying the
 * comment "fedmd:accept" (outside the signed root) must verify, every
 * other seed (tampered, SHA-1, wrapping, unsigned, DTD) must be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "../fuzz.h"
#include "saml/federation.h"

#ifndef FEDMD_CERT
#error FEDMD_CERT must name the pinned certificate
#endif

static char *cert_pem(void)
{
    static char *pem;
    FILE *f;
    long n;

    if (pem != NULL) {
        return pem;
    }
    f = fopen(FEDMD_CERT, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        abort();
    }
    pem = calloc(1, (size_t)n + 1);
    if (pem == NULL || fread(pem, 1, (size_t)n, f) != (size_t)n) {
        abort();
    }
    fclose(f);
    return pem;
}

static void only_signed_entities(const xmlNode *n)
{
    for (; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (strcmp((const char *)n->name, "EntityDescriptor") == 0) {
            xmlChar *id = xmlGetNoNsProp(n, (const xmlChar *)"entityID");
            int ok =
                id != NULL &&
                (strcmp((const char *)id, "https://sp.example.org/a/sp") == 0 ||
                 strcmp((const char *)id, "https://sp.example.org/b/sp") == 0);
            xmlFree(id);
            if (!ok) {
                abort(); /* accepted, but not what the key signed */
            }
        }
        only_signed_entities(n->children);
    }
}

static void accepted(const uint8_t *data, size_t size)
{
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)size, "in.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR |
                                    XML_PARSE_NOWARNING);
    if (doc == NULL) {
        abort(); /* accepted something that does not parse */
    }
    only_signed_entities(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    idm_err err = IDM_ERR_INIT;
    const char *pem = cert_pem();

    if (size > 1024 * 1024) {
        return 0;
    }
    int n_ok = 0;

    for (int aggregate = 0; aggregate <= 1; aggregate++) {
        if (saml_federation_verify((const char *)data, size, pem, aggregate,
                                   &err) == 0) {
            accepted(data, size);
            n_ok++;
        }
    }
#ifdef FEDMD_REPLAY
    {
        static const char mark[] = "fedmd:accept";
        int want = 0;
        for (size_t i = 0; i + sizeof(mark) - 1 <= size && !want; i++) {
            want = memcmp(data + i, mark, sizeof(mark) - 1) == 0;
        }
        if (want != (n_ok > 0)) {
            fprintf(stderr, "fedmd: expected %s, got %s (%s)\n",
                    want ? "accepted" : "refused",
                    n_ok > 0 ? "accepted" : "refused", err.msg);
            abort();
        }
    }
#endif
    return 0;
}
