/* SPDX-License-Identifier: EUPL-1.2
 * SAML's share of /metrics and of the rejection accounting: counters per
 * reason class of rejected requests (the bucketed audit rows are the web
 * layer's), assertions per SP and the SP registry version.
 */
#include <stdlib.h>
#include <string.h>

#include "idp_int.h"

static const char *const kind_label[SAML_REJECT__COUNT] = {
    [SAML_REJECT_MALFORMED] = "malformed",
    [SAML_REJECT_TOO_LARGE] = "too_large",
    [SAML_REJECT_UNKNOWN_SP] = "unknown_sp",
    [SAML_REJECT_UNSIGNED] = "unsigned",
    [SAML_REJECT_BAD_SIGNATURE] = "bad_signature",
    [SAML_REJECT_ENDPOINT] = "endpoint",
    [SAML_REJECT_EXPIRED] = "expired",
    [SAML_REJECT_REPLAYED] = "replayed",
    [SAML_REJECT_NOT_ACCEPTED] = "not_accepted",
    [SAML_REJECT_STATUS] = "status_response",
    [SAML_REJECT_INTERNAL] = "internal",
    [SAML_REJECT_PENDING_ALL] = "pending_full",
};

/* What a German page says of a rejection: the fixed reasons are English
 * (they are also the audit rows' and the logs', and what an application's
 * administrator searches for), so German pages explain the class and keep
 * the reason only as a technical detail. */
static const char *const kind_text_de[SAML_REJECT__COUNT] = {
    [SAML_REJECT_MALFORMED] = "Die Anwendung hat eine fehlerhafte Nachricht "
                              "gesendet.",
    [SAML_REJECT_TOO_LARGE] = "Die Nachricht der Anwendung ist zu groß.",
    [SAML_REJECT_UNKNOWN_SP] = "Diese Anwendung ist für die Anmeldung nicht "
                               "eingerichtet.",
    [SAML_REJECT_UNSIGNED] = "Die Anwendung muss ihre Anfragen signieren.",
    [SAML_REJECT_BAD_SIGNATURE] = "Die Signatur der Anfrage ist ungültig.",
    [SAML_REJECT_ENDPOINT] = "Die Rücksprungadresse der Anwendung passt "
                             "nicht zu ihrer Registrierung.",
    [SAML_REJECT_EXPIRED] = "Die Anfrage ist abgelaufen. Bitte starten Sie "
                            "die Anmeldung in der Anwendung neu.",
    [SAML_REJECT_REPLAYED] = "Diese Anfrage wurde schon verwendet. Bitte "
                             "starten Sie die Anmeldung in der Anwendung neu.",
    [SAML_REJECT_NOT_ACCEPTED] = "Die Anfrage der Anwendung wurde nicht "
                                 "angenommen.",
    [SAML_REJECT_STATUS] = "Die Anfrage kann nicht beantwortet werden.",
    [SAML_REJECT_INTERNAL] = "Die Anfrage konnte gerade nicht bearbeitet "
                             "werden. Bitte versuchen Sie es später erneut.",
    [SAML_REJECT_PENDING_ALL] = "Gerade werden sehr viele Anmeldungen "
                                "gleichzeitig begonnen. Bitte versuchen "
                                "Sie es in einer Minute erneut.",
};

const char *saml_reject_text(const web_ctx *ctx, saml_reject_kind kind,
                             const char *reason)
{
    if (ctx->lang == WEB_LANG_EN) {
        return reason;
    }
    if (kind >= SAML_REJECT__COUNT) {
        kind = SAML_REJECT_INTERNAL;
    }
    return kind_text_de[kind];
}

void saml_reject_note(web_ctx *ctx, saml_reject_kind kind, const char *sp,
                      const char *reason)
{
    saml_reject_note_as(ctx, "saml.authn_reject", kind, sp, reason);
}

void saml_reject_note_as(web_ctx *ctx, const char *action,
                         saml_reject_kind kind, const char *sp,
                         const char *reason)
{
    saml_idp *idp = saml_idp_of(ctx);

    if (kind >= SAML_REJECT__COUNT) {
        kind = SAML_REJECT_INTERNAL;
    }
    atomic_fetch_add(&idp->rejected_by_kind[kind], 1);
    saml_reject_count(idp);
    web_reject_note(ctx, action, sp, reason);
}

void saml_stats_pending_evicted(web_ctx *ctx)
{
    atomic_fetch_add(&saml_idp_of(ctx)->pending_evicted, 1);
}

void saml_reject_count(saml_idp *idp)
{
    atomic_fetch_add(&idp->rejected, 1);
}

static void label(GString *out, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            g_string_append_c(out, '\\');
        }
        if (*v == '\n') {
            g_string_append(out, "\\n");
            continue;
        }
        g_string_append_c(out, *v);
    }
}

void saml_stats_render(GString *out, void *arg)
{
    saml_idp *idp = arg;
    saml_server *srv = saml_server_acquire(idp);

    g_string_append_printf(
        out,
        "# HELP idmd_requests_rejected_total SAML requests rejected.\n"
        "# TYPE idmd_requests_rejected_total counter\n"
        "idmd_requests_rejected_total %lu\n",
        atomic_load(&idp->rejected));
    g_string_append(out, "# HELP idmd_requests_rejected_by_reason_total SAML "
                         "requests rejected, by reason class.\n"
                         "# TYPE idmd_requests_rejected_by_reason_total "
                         "counter\n");
    for (int k = 0; k < SAML_REJECT__COUNT; k++) {
        g_string_append_printf(
            out, "idmd_requests_rejected_by_reason_total{reason=\"%s\"} %lu\n",
            kind_label[k], atomic_load(&idp->rejected_by_kind[k]));
    }
    g_string_append_printf(
        out,
        "# HELP idmd_pending_evictions_total Parked AuthnRequests that made "
        "older ones of other browsers at their address give way (the "
        "address at [idp] pending_per_address).\n"
        "# TYPE idmd_pending_evictions_total counter\n"
        "idmd_pending_evictions_total %lu\n",
        atomic_load(&idp->pending_evicted));
    g_string_append(out, "# HELP idmd_assertions_issued_total Assertions "
                         "issued per SP (since the SP list last changed).\n"
                         "# TYPE idmd_assertions_issued_total counter\n");
    if (srv != NULL) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, srv->sps);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            saml_sp_info *sp = v;
            g_string_append(out, "idmd_assertions_issued_total{sp=\"");
            label(out, sp->entity_id);
            g_string_append_printf(out, "\"} %lu\n",
                                   atomic_load(&sp->assertions));
        }
        g_string_append_printf(out,
                               "# HELP idmd_sp_registry_version Version of "
                               "the SP table in use.\n"
                               "# TYPE idmd_sp_registry_version gauge\n"
                               "idmd_sp_registry_version %lld\n",
                               (long long)srv->version);
    }
    saml_server_release(srv);
}
