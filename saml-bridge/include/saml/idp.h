/* SPDX-License-Identifier: EUPL-1.2
 * The SAML 2.0 Identity Provider as a library on top of the web layer:
 * one saml_idp per process, shared by every HTTP worker thread. It
 * registers its routes (/saml/...) and the hooks of the login pages on a
 * web_site, which serves them (web/web.h), so the protocol code runs the
 * same in idmd and in the in-process tests.
 */
#ifndef SAML_IDP_H
#define SAML_IDP_H

#include <stddef.h>

#include "base/common.h"
#include "base/conf.h"
#include "base/err.h"
#include "web/web.h"

typedef struct saml_idp saml_idp;

/**
 * Largest request body accepted on /saml/sso and /saml/slo (HTTP-POST
 * binding): a 32 KiB SAML message is 43,692 bytes of base64, ~46 KiB
 * form-encoded ('+' and '/' become %2B and %2F) with RelayState.
 */
#define SAML_BODY_MAX (64 * 1024)

/**
 * Create the IdP from the [idp] settings of web's configuration: loads and
 * checks the signing key and certificates, loads the registered service
 * providers, and registers the routes /saml/metadata, /saml/sso,
 * /saml/slo, /saml/init, the hooks of the login pages and its metric
 * lines on web.
 * @param[out] out  new IdP; free with saml_idp_free(). NULL on error.
 * @param web       borrowed; must outlive the IdP (free the IdP first).
 * @return 0, IDM_ECONFIG (keys, URLs), IDM_EDB / IDM_EUNAVAIL.
 */
IDM_MUST_CHECK int saml_idp_new(saml_idp **out, web_site *web, idm_err *err);

/** Free the IdP. No request may be running. Accepts NULL. */
void saml_idp_free(saml_idp *idp);

/**
 * Rebuild the shared Lasso server if the registered service providers
 * changed (cheap when nothing changed). Called periodically by idmd.
 * @param force  rebuild even without a change.
 * @return 0 or an IDM_E* code; on failure the old server stays in use.
 */
IDM_MUST_CHECK int saml_idp_refresh(saml_idp *idp, int force, idm_err *err);

/**
 * Wait up to ms milliseconds for a change of the registered service
 * providers, announced by PostgreSQL (NOTIFY saml_sp from the saml_sp
 * trigger) to every node. Keeps its own listening connection, opened on
 * the first call and again after it was lost. Not thread-safe: one caller
 * (idmd's main thread).
 * @return 1 a change was announced, 2 just (re)connected so a change may
 *         have been missed: in both cases call saml_idp_refresh();
 *         0 nothing within ms;
 *         IDM_EDB / IDM_EUNAVAIL when the database cannot be reached (the
 *         caller sleeps and tries again).
 */
IDM_MUST_CHECK int saml_idp_wait_sp_change(saml_idp *idp, int ms,
                                           idm_err *err);

/** Delete expired sessions, pending requests, replay entries, device
 * tokens and old throttle rows (one statement for the web layer's tables,
 * the core's login tables and SAML's). */
IDM_MUST_CHECK int saml_idp_housekeeping(saml_idp *idp, idm_err *err);

#endif /* SAML_IDP_H */
