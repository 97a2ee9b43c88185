/* SPDX-License-Identifier: EUPL-1.2
 * Persistent pairwise identifiers: HMAC-SHA256 over the person's stable
 * UUID and the SP's entityID, keyed with the configured secret. Opaque,
 * stable per person and SP, different for every SP, never the login or a
 * database id, and unchanged by renames, login changes or LDAP moves.
 * Computed, so nothing has to be stored or migrated. Transient
 * identifiers: one per IdP session and SP, the same HMAC over the session
 * instead of the SP alone (see saml_nameid_transient()).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "idp_int.h"

char *saml_nameid_pairwise(const saml_idp *idp, const char *person_uuid,
                           const char *sp_entity_id)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    GString *in = g_string_new(person_uuid);
    char *out = idm_xmalloc(65);

    /* the separator cannot occur in a UUID: no ambiguity */
    g_string_append_c(in, '|');
    g_string_append(in, sp_entity_id);
    web_mac(mac, idp->pairwise_mac, in->str, in->len);
    g_string_free(in, TRUE);
    /* hex fits the pairwise-id syntax (SAML subject-id 3.4) */
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    return out;
}

char *saml_nameid_transient(const saml_idp *idp, int64_t session_id,
                            const char *person_uuid, const char *sp_entity_id)
{
    unsigned char mac[32];
    char *in = idm_xasprintf("transient-nameid|%lld|%s|%s",
                             (long long)session_id, person_uuid, sp_entity_id);
    char *out;

    /* the prefix is no UUID and not the SessionIndex's: no input of
     * saml_nameid_pairwise() or saml_slo_session_index() is ever the
     * same. The person is part of it so that a session id handed out
     * again (a database restored from a backup) never gives another
     * person's identifier. */
    web_mac(mac, idp->pairwise_mac, in, strlen(in));
    free(in);
    out = web_b64url_encode(mac, sizeof(mac));
    OPENSSL_cleanse(mac, sizeof(mac));
    return out;
}
