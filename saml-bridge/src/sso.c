/* SPDX-License-Identifier: EUPL-1.2
 * Web Browser SSO (SAML profiles 4.1): AuthnRequests over HTTP-Redirect
 * and HTTP-POST, every check failing closed with an error page and an
 * audit event, the Response (signed, with a signed Assertion) back over
 * HTTP-POST, and IdP-initiated SSO for the portal. The rights policy
 * answers every request (policy.c): deny is a page and a RequestDenied
 * Response, reauth a password login for this request only, allow SSO.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "saml/conf.h"
#include "steps_int.h"
#include "store_int.h"
#include "web/pages.h"
#include "web/session.h"

#define FMT_PERSISTENT LASSO_SAML2_NAME_IDENTIFIER_FORMAT_PERSISTENT
#define FMT_TRANSIENT LASSO_SAML2_NAME_IDENTIFIER_FORMAT_TRANSIENT
#define FMT_UNSPECIFIED LASSO_SAML2_NAME_IDENTIFIER_FORMAT_UNSPECIFIED

/* One AuthnRequest being handled. */
typedef struct sso_req {
    saml_msg msg;
    LassoLogin *login;
    const saml_sp_info *sp; /* borrowed from the request's server */
    const char *acs_url;    /* borrowed from sp */
    const char *format;     /* NameID format to issue (by the policy) */
    const char *binding;    /* redirect, post, init */
    const char *raw;        /* the request as received, or as parked */
    int parked;             /* raw is the checked XML from saml_pending */
    const char *relay_state; /* parked with it */
    int force;              /* ForceAuthn or reauth: a password first */
} sso_req;

static void sso_req_clear(sso_req *r)
{
    saml_msg_clear(&r->msg);
    if (r->login != NULL) {
        g_object_unref(r->login);
    }
    memset(r, 0, sizeof(*r));
}

/* Rejections are counted and audited in aggregate (reject.c): no
 * database work per rejected request. */
static void reject(web_ctx *ctx, saml_reject_kind kind, const char *sp,
                   const char *reason, const idm_err *err)
{
    char q[600];

    if (err != NULL && err->detail[0] != '\0') {
        idm_log(IDM_LOG_DEBUG, "saml", "authn.reject.detail", "detail=%s",
                idm_log_quote(q, sizeof(q), err->detail));
    }
    saml_reject_note(ctx, kind, sp, reason);
    web_page_refusal(ctx, 400, saml_reject_text(ctx, kind, reason), reason);
}

/* SAML metadata 2.2.3: the default endpoint; only HTTP-POST responses. */
static const saml_acs *default_acs(const saml_sp_info *sp)
{
    const saml_acs *first = NULL;

    for (int i = 0; i < sp->n_acs; i++) {
        if (strcmp(sp->acs[i].binding, LASSO_SAML2_METADATA_BINDING_POST) !=
            0) {
            continue;
        }
        if (sp->acs[i].is_default) {
            return &sp->acs[i];
        }
        if (first == NULL) {
            first = &sp->acs[i];
        }
    }
    return first;
}

static const char *choose_acs(const saml_sp_info *sp, const saml_msg *m)
{
    if (m->acs_index >= 0 &&
        (m->acs_url != NULL || m->protocol_binding != NULL)) {
        return NULL; /* core 3.4.1: mutually exclusive */
    }
    if (m->protocol_binding != NULL &&
        strcmp(m->protocol_binding, LASSO_SAML2_METADATA_BINDING_POST) != 0) {
        return NULL;
    }
    for (int i = 0; i < sp->n_acs; i++) {
        const saml_acs *a = &sp->acs[i];
        if (strcmp(a->binding, LASSO_SAML2_METADATA_BINDING_POST) != 0) {
            continue;
        }
        /* exact match, no prefix or normalisation */
        if ((m->acs_url != NULL && strcmp(m->acs_url, a->location) == 0) ||
            (m->acs_index >= 0 && m->acs_index == a->index)) {
            return a->location;
        }
    }
    if (m->acs_url == NULL && m->acs_index < 0) {
        const saml_acs *d = default_acs(sp);
        return d != NULL ? d->location : NULL;
    }
    return NULL;
}

/*
 * The checks Lasso and the request's fields make, after the cheap ones and
 * without the database (a replay check may be in flight): NULL if the
 * request passes, else the reason for the error page (details in err).
 */
static const char *lasso_checks(saml_reject_kind *kind, web_ctx *ctx,
                                sso_req *r, const char *lasso_msg, int resume,
                                idm_err *err)
{
    saml_server *srv = saml_ctx_server(ctx);
    const saml_conf *conf = saml_conf_get(ctx->conf);
    int64_t now = (int64_t)time(NULL), t;
    LassoProfile *profile;
    int rc;

    *kind = SAML_REJECT_NOT_ACCEPTED;
    r->login = lasso_login_new(srv->lasso);
    profile = LASSO_PROFILE(r->login);
    /* sign.c signs; Lasso prepares no signature of its own */
    lasso_profile_set_signature_hint(profile,
                                     LASSO_PROFILE_SIGNATURE_HINT_FORBID);
    /* never MAYBE: an XML signature that is present must verify */
    lasso_profile_set_signature_verify_hint(
        profile, r->msg.xml_signed
                     ? LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE
                     : LASSO_PROFILE_SIGNATURE_VERIFY_HINT_IGNORE);
    if (r->msg.xml_signed) {
        rc = lasso_login_process_authn_request_msg(r->login, lasso_msg);
    } else {
        /* nothing for Lasso to verify: it takes the request as decoded and
         * checked here (as in its IdP-initiated path) instead of decoding
         * and parsing the message a second time */
        LassoNode *node = lasso_node_new_from_xmlNode(
            xmlDocGetRootElement((xmlDoc *)r->msg.doc));

        if (!LASSO_IS_SAMLP2_AUTHN_REQUEST(node)) {
            if (node != NULL) {
                g_object_unref(node);
            }
            return "the request was not accepted";
        }
        if (profile->request != NULL) {
            g_object_unref(profile->request);
        }
        profile->request = node;
        g_free(profile->remote_providerID);
        profile->remote_providerID = g_strdup(r->msg.issuer);
        rc = lasso_login_process_authn_request_msg(r->login, NULL);
    }
    /* some Lasso codes are positive: anything but 0 fails */
    if (rc != 0 || (r->msg.xml_signed &&
                    lasso_profile_get_signature_status(profile) != 0)) {
        idm_err_set(err, IDM_EINVAL, "request not accepted");
        idm_err_detail(err, "lasso %d: %s", rc, lasso_strerror(rc));
        /* Lasso's xmldsig errors are the 1xx codes */
        if (r->msg.xml_signed &&
            (lasso_profile_get_signature_status(profile) != 0 ||
             (abs(rc) >= 100 && abs(rc) < 200))) {
            *kind = SAML_REJECT_BAD_SIGNATURE;
            return "the request signature is invalid";
        }
        return "the request was not accepted";
    }
    if (profile->remote_providerID == NULL ||
        strcmp(profile->remote_providerID, r->sp->entity_id) != 0) {
        return "issuer mismatch";
    }
    /* core 3.2.1: Destination must be our endpoint */
    if (r->msg.destination == NULL ||
        strcmp(r->msg.destination, saml_idp_of(ctx)->sso_url) != 0) {
        *kind = SAML_REJECT_ENDPOINT;
        return "the request is addressed to another destination";
    }
    if (!resume) {
        t = web_time_parse(r->msg.issue_instant);
        if (t < 0 || t > now + conf->clock_skew ||
            t < now - conf->request_max_age - conf->clock_skew) {
            *kind = SAML_REJECT_EXPIRED;
            return "the request is expired or not yet valid";
        }
    }
    return NULL;
}

/*
 * Decode and check an AuthnRequest: everything without the database first
 * (decoding with its caps, issuer, signatures, ACS, Lasso), then one round
 * trip for the replay entry and the session; no connection is held while
 * Lasso or a signature check works. resume: r->raw is the request as
 * parked in saml_pending after these checks (its signature verified then
 * and removed; time window and replay are not checked twice). On failure
 * the error page is set and -1 returned.
 */
static int check_request(web_ctx *ctx, sso_req *r, int resume)
{
    saml_server *srv = saml_ctx_server(ctx);
    idm_err err = IDM_ERR_INIT, err2 = IDM_ERR_INIT;
    char *b64 = NULL, *relay = NULL, *lasso_msg = NULL;
    const char *why;
    saml_reject_kind kind;
    int64_t now = (int64_t)time(NULL);
    const saml_conf *conf = saml_conf_get(ctx->conf);
    int rc;

    /* whatever came before (a pending row taken) needs no connection
     * while Lasso works */
    web_ctx_db_release(ctx);
    if (srv == NULL) {
        web_page_error(ctx, 503, web_msg_text(ctx->lang, WEB_M_UNAVAILABLE));
        return -1;
    }
    if (resume && r->parked) {
        rc = saml_msg_decode_xml(&r->msg, r->raw, strlen(r->raw),
                                 r->relay_state, &err);
        if (rc == 0 && r->msg.xml_signed) {
            /* parked without its signature: this row was not ours */
            rc = idm_err_set(&err, IDM_EINVAL, "the request was not accepted");
        }
    } else if (strcmp(r->binding, "redirect") == 0) {
        /* an XML signature inside a Redirect request is refused by the
         * decoder (bindings 3.4.4.1); the query signature is checked here */
        rc = saml_msg_decode_redirect(&r->msg, r->raw, strlen(r->raw),
                                      "SAMLRequest", &err);
    } else {
        size_t len = strlen(r->raw);
        b64 = web_pool_add(ctx->pool, free,
                           web_form_get(r->raw, len, "SAMLRequest"));
        relay = web_pool_add(ctx->pool, free,
                             web_form_get(r->raw, len, "RelayState"));
        rc = saml_msg_decode_post(&r->msg, b64, b64 != NULL ? strlen(b64) : 0,
                                  relay, &err);
        lasso_msg = b64;
    }
    if (rc != 0) {
        reject(ctx,
               rc == IDM_ETOOBIG ? SAML_REJECT_TOO_LARGE
                                 : SAML_REJECT_MALFORMED,
               NULL, err.msg, &err);
        return -1;
    }
    if (r->msg.kind != SAML_MSG_AUTHN_REQUEST) {
        reject(ctx, SAML_REJECT_MALFORMED, r->msg.issuer, "not an AuthnRequest",
               NULL);
        return -1;
    }
    if (r->msg.relay_state != NULL &&
        strlen(r->msg.relay_state) > SAML_RELAY_STATE_MAX) {
        reject(ctx, SAML_REJECT_ENDPOINT, r->msg.issuer,
               "RelayState longer than 80 bytes", NULL);
        return -1;
    }
    r->sp = g_hash_table_lookup(srv->sps, r->msg.issuer);
    if (r->sp == NULL) {
        reject(ctx, SAML_REJECT_UNKNOWN_SP, r->msg.issuer,
               "unknown application (issuer not "
               "registered)",
               NULL);
        return -1;
    }
    if (!r->parked && r->sp->sign_requests && !r->msg.redirect_signed &&
        !r->msg.xml_signed) {
        reject(ctx, SAML_REJECT_UNSIGNED, r->sp->entity_id,
               "this application must sign its "
               "requests",
               NULL);
        return -1;
    }
    /* Redirect signatures are verified here, with the SP's metadata keys;
     * Lasso only ever sees the decoded request: that keeps the verify
     * decision explicit and avoids the ~259-byte leak of Lasso's signed
     * Redirect path. */
    if (r->msg.redirect_signed && saml_verify_redirect(r->sp, &r->msg) != 0) {
        reject(ctx, SAML_REJECT_BAD_SIGNATURE, r->sp->entity_id,
               "the request signature is invalid", NULL);
        return -1;
    }
    /* before Lasso, which refuses a foreign ACS with a vague error */
    r->acs_url = choose_acs(r->sp, &r->msg);
    if (r->acs_url == NULL) {
        reject(ctx, SAML_REJECT_ENDPOINT, r->sp->entity_id,
               "the AssertionConsumerService does not match the metadata",
               NULL);
        return -1;
    }
    why = lasso_checks(&kind, ctx, r, lasso_msg, resume, &err);
    if (why != NULL) {
        reject(ctx, kind, r->sp->entity_id, why, &err);
        return -1;
    }
    if (!resume) {
        /* one round trip: the replay entry, the session and its person */
        rc = saml_replay_send(
            ctx, r->sp->entity_id, r->msg.id,
            now + conf->request_max_age + 2 * conf->clock_skew, &err2);
        if (rc == 0) {
            rc = saml_replay_wait(ctx, &err2);
        }
        web_ctx_db_release(ctx);
        if (rc != 0) {
            reject(ctx,
                   rc == IDM_EEXISTS ? SAML_REJECT_REPLAYED
                                     : SAML_REJECT_INTERNAL,
                   r->sp->entity_id,
                   rc == IDM_EEXISTS ? "the request was replayed"
                                     : "the request could not be checked",
                   &err2);
            return -1;
        }
    }
    if (!resume) {
        /* on resume the pending row says (a password may have been
         * checked since) */
        r->force = r->msg.force_authn;
    }
    return 0;
}

/*
 * The NameID format for this request (SAML core 3.4.1.1, NameIDPolicy);
 * NULL if the SP asks for one the application may not get:
 *  - transient is always allowed: an identifier of this IdP session
 *    for this SP, unlinkable to any other session or SP, reveals less
 *    than any other (mod_auth_mellon asks for it by default), whatever
 *    the policy says about persistent ones;
 *  - persistent (pairwise) only if the policy lists it;
 *  - no NameIDPolicy Format, or unspecified: the policy's preferred
 *    format (the first it lists), transient if it lists none;
 *  - any other format (emailAddress, ...): none, InvalidNameIDPolicy.
 * AllowCreate needs no check: it forbids creating an identifier in the
 * course of the request, and ours exist for every person in advance
 * (pairwise ids are computed, transient ones are not federations; SAML
 * core errata E13: AllowCreate does not apply to transient).
 */
static const char *pick_format(const sso_req *r, const idm_decision *d)
{
    const char *want = r->msg.name_id_format;

    if (want == NULL || strcmp(want, FMT_UNSPECIFIED) == 0) {
        return d->nameid_persistent && !d->nameid_prefer_transient
                   ? FMT_PERSISTENT
                   : FMT_TRANSIENT;
    }
    if (strcmp(want, FMT_PERSISTENT) == 0) {
        return d->nameid_persistent ? FMT_PERSISTENT : NULL;
    }
    if (strcmp(want, FMT_TRANSIENT) == 0) {
        return FMT_TRANSIENT;
    }
    return NULL;
}

/* SAML core 3.4.1.1: an SPNameQualifier asks for the identifier in the
 * namespace of another SP or an affiliation. We have no affiliations, and
 * another SP's pairwise id must never reach this one: only the
 * requester's own entityID (or none) is accepted. */
static int name_qualifier_ok(const sso_req *r,
                             const LassoSamlp2AuthnRequest *ar)
{
    const char *q = ar != NULL && ar->NameIDPolicy != NULL
                        ? ar->NameIDPolicy->SPNameQualifier
                        : NULL;

    return q == NULL || strcmp(q, r->sp->entity_id) == 0;
}

static void set_status(LassoLogin *login, const char *top, const char *sub)
{
    LassoProfile *profile = LASSO_PROFILE(login);
    LassoSamlp2StatusResponse *resp =
        LASSO_SAMLP2_STATUS_RESPONSE(profile->response);
    LassoSamlp2Status *st = LASSO_SAMLP2_STATUS(lasso_samlp2_status_new());
    LassoSamlp2StatusCode *code =
        LASSO_SAMLP2_STATUS_CODE(lasso_samlp2_status_code_new());

    code->Value = g_strdup(top);
    if (sub != NULL) {
        code->StatusCode =
            LASSO_SAMLP2_STATUS_CODE(lasso_samlp2_status_code_new());
        code->StatusCode->Value = g_strdup(sub);
    }
    st->StatusCode = code;
    if (resp->Status != NULL) {
        g_object_unref(resp->Status);
    }
    resp->Status = st;
}

/* The Response for the ACS, signed (sign.c), base64, in ctx's pool. */
static int build_response(const char **out, web_ctx *ctx, sso_req *r,
                          idm_err *err)
{
    char *b64 = NULL;
    int rc =
        saml_sign_response(&b64, r->login, r->acs_url, &saml_idp_of(ctx)->keys,
                           r->sp->sign_parts, r->sp, err);

    *out = rc == 0 ? web_pool_add(ctx->pool, free, b64) : NULL;
    return rc;
}

static void send_response(web_ctx *ctx, sso_req *r)
{
    idm_err err = IDM_ERR_INIT;
    const char *body;

    if (build_response(&body, ctx, r, &err) != 0) {
        reject(ctx, SAML_REJECT_INTERNAL, r->sp->entity_id,
               "the response could not be built", &err);
        return;
    }
    web_page_post_form(ctx, r->acs_url, "SAMLResponse", body,
                       r->msg.relay_state);
}

/* A SAML error Response to the SP (NoPassive, InvalidNameIDPolicy). */
static void send_error(web_ctx *ctx, sso_req *r, const char *top,
                       const char *sub, const char *reason)
{
    saml_reject_note(ctx, SAML_REJECT_STATUS, r->sp->entity_id, reason);
    set_status(r->login, top, sub);
    send_response(ctx, r);
}

/*
 * The policy denies: audit with the rule and reason, a page in the user's
 * language, and for an SP-initiated request a Response with
 * Responder/RequestDenied that the page's button posts to the ACS (the SP
 * learns the outcome, the user reads it first). who: login or NULL.
 */
static void deny(web_ctx *ctx, sso_req *r, const idm_decision *d,
                 const char *who)
{
    idm_err err = IDM_ERR_INIT;
    const char *body = NULL;
    char reason[512];

    snprintf(reason, sizeof(reason), "policy: app %s, rule %s: %s",
             d->app != NULL ? d->app->key : r->sp->app_key,
             d->rule_id != NULL ? d->rule_id : "(default deny)", d->reason);
    web_audit(ctx, "saml.policy_deny", who != NULL ? who : "-",
              IDM_AUDIT_DENIED, r->sp->entity_id, reason);
    saml_reject_count(saml_idp_of(ctx));
    if (strcmp(r->binding, "init") != 0) {
        set_status(r->login, LASSO_SAML2_STATUS_CODE_RESPONDER,
                   LASSO_SAML2_STATUS_CODE_REQUEST_DENIED);
        if (build_response(&body, ctx, r, &err) != 0) {
            idm_log(IDM_LOG_WARN, "saml", "policy.deny_response",
                    "detail=\"%s\"", err.detail);
        }
    }
    web_page_denied(ctx, d->app != NULL ? d->app->name : NULL,
                    body != NULL ? r->acs_url : NULL, "SAMLResponse", body,
                    r->msg.relay_state);
}

/* Answer with an assertion for who (the session, or a fresh login of a
 * reauth application) as the decision allows. */
static void issue(web_ctx *ctx, sso_req *r, const web_session *who,
                  const idm_decision *d, const idm_subject *subject)
{
    LassoProfile *profile = LASSO_PROFILE(r->login);
    LassoSamlp2AuthnRequest *ar;
    LassoSaml2Assertion *assertion;
    LassoSaml2NameID *nid;
    LassoSaml2AttributeStatement *stmt;
    LassoSaml2SubjectConfirmationData *scd;
    LassoSaml2AuthnStatement *authn;
    GList *attrs = NULL;
    idm_err err = IDM_ERR_INIT, err2 = IDM_ERR_INIT;
    const char *body = NULL;
    const char *reason = "the response could not be built";
    char instant[32], not_before[32], not_after[32], session_end[32];
    char *name_id, *pairwise = NULL;
    int64_t now = (int64_t)time(NULL);
    int64_t lifetime = saml_conf_get(ctx->conf)->assertion_lifetime;
    int rc;

    /* Lasso builds, sign.c signs: no connection held meanwhile */
    web_ctx_db_release(ctx);
    ar = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    r->format = pick_format(r, d);
    if (r->format == NULL || !name_qualifier_ok(r, ar)) {
        /* fail closed: no other format or namespace instead of the
         * requested one */
        send_error(ctx, r, LASSO_SAML2_STATUS_CODE_REQUESTER,
                   LASSO_SAML2_STATUS_CODE_INVALID_NAME_ID_POLICY,
                   r->format == NULL
                       ? "NameID format not allowed by the policy"
                       : "SPNameQualifier names another namespace");
        return;
    }
    /* NameIDs are ours (pairwise, below): let Lasso take its transient
     * path rather than its federation store */
    if (ar->NameIDPolicy == NULL) {
        ar->NameIDPolicy =
            LASSO_SAMLP2_NAME_ID_POLICY(lasso_samlp2_name_id_policy_new());
    }
    g_free(ar->NameIDPolicy->Format);
    ar->NameIDPolicy->Format = g_strdup(FMT_TRANSIENT);
    rc = lasso_login_validate_request_msg(r->login, TRUE, TRUE);
    if (rc != 0) {
        idm_err_set(&err, IDM_EINVAL, "request not accepted");
        idm_err_detail(&err, "lasso %d: %s", rc, lasso_strerror(rc));
        reject(ctx, SAML_REJECT_NOT_ACCEPTED, r->sp->entity_id,
               "the request was not accepted", &err);
        return;
    }
    /* the application's session_max caps the SP session and the
     * assertion */
    if (d->session_max > 0 && d->session_max < lifetime) {
        lifetime = d->session_max;
    }
    web_time_format(instant, who->auth_instant);
    web_time_format(not_before, now - saml_conf_get(ctx->conf)->clock_skew);
    web_time_format(not_after, now + lifetime);
    web_time_format(session_end,
                    now + (d->session_max > 0 ? d->session_max : lifetime));
    rc = lasso_login_build_assertion(
        r->login, LASSO_SAML2_AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT,
        instant, NULL, not_before, not_after);
    assertion = rc == 0
                    ? LASSO_SAML2_ASSERTION(lasso_login_get_assertion(r->login))
                    : NULL;
    if (assertion == NULL || assertion->Subject == NULL ||
        assertion->Subject->SubjectConfirmation == NULL) {
        idm_err_set(&err, IDM_EINTERNAL, "assertion not built");
        idm_err_detail(&err, "lasso %d: %s", rc, lasso_strerror(rc));
        reject(ctx, SAML_REJECT_INTERNAL, r->sp->entity_id,
               "the response could not be built", &err);
        if (assertion != NULL) {
            g_object_unref(assertion);
        }
        return;
    }
    web_pool_add(ctx->pool, g_object_unref, assertion);
    if (strcmp(r->format, FMT_PERSISTENT) == 0) {
        name_id = pairwise = web_pool_add(
            ctx->pool, free,
            saml_nameid_pairwise(saml_idp_of(ctx), who->person_uuid,
                                 r->sp->entity_id));
    } else if (who->id != 0) {
        /* transient: one per IdP session and SP, so that Single Logout
         * finds the session whichever of its assertions the SP names
         * (saml-bridge/README.md, "Transient NameIDs") */
        name_id = web_pool_add(ctx->pool, free,
                               saml_nameid_transient(saml_idp_of(ctx), who->id,
                                                     who->person_uuid,
                                                     r->sp->entity_id));
    } else {
        /* a fresh login outside the shared session: no session to end */
        name_id = web_pool_add(ctx->pool, free, web_random_token());
    }
    nid = LASSO_SAML2_NAME_ID(lasso_saml2_name_id_new_with_string(name_id));
    nid->Format = g_strdup(r->format);
    nid->NameQualifier = g_strdup(saml_idp_of(ctx)->entity_id);
    nid->SPNameQualifier = g_strdup(r->sp->entity_id);
    if (assertion->Subject->NameID != NULL) {
        g_object_unref(assertion->Subject->NameID);
    }
    assertion->Subject->NameID = nid;
    /* profiles 4.1.4.2: Recipient, InResponseTo, NotOnOrAfter */
    scd = assertion->Subject->SubjectConfirmation->SubjectConfirmationData;
    if (scd != NULL) {
        g_free(scd->Recipient);
        scd->Recipient = g_strdup(r->acs_url);
    }
    authn = assertion->AuthnStatement != NULL
                ? LASSO_SAML2_AUTHN_STATEMENT(assertion->AuthnStatement->data)
                : NULL;
    if (authn != NULL && who->id != 0) {
        /* stable per session and SP: SLO finds the session by it */
        char *si =
            saml_slo_session_index(saml_idp_of(ctx), who->id, r->sp->entity_id);
        g_free(authn->SessionIndex);
        authn->SessionIndex = g_strdup(si);
        free(si);
    } else if (authn != NULL && authn->SessionIndex == NULL) {
        authn->SessionIndex = g_strdup(assertion->ID);
    }
    if (authn != NULL) {
        g_free(authn->SessionNotOnOrAfter);
        authn->SessionNotOnOrAfter = g_strdup(session_end);
    }
    rc = saml_attributes_build(&attrs, ctx, r->sp, who->person_uuid, pairwise,
                               d, subject, &err);
    if (rc != 0) {
        reject(ctx, SAML_REJECT_INTERNAL, r->sp->entity_id,
               "the user's data could not be read",
               &err);
        return;
    }
    if (attrs != NULL) {
        stmt = LASSO_SAML2_ATTRIBUTE_STATEMENT(
            lasso_saml2_attribute_statement_new());
        stmt->Attribute = attrs;
        assertion->AttributeStatement =
            g_list_append(assertion->AttributeStatement, stmt);
    }
    /* signed first, without a connection; then audit, and the SP joins
     * the session for Single Logout (a fresh login of another person than
     * the session's has no session to join: who->id == 0) in one
     * statement: the Response leaves only once it is committed */
    rc = build_response(&body, ctx, r, &err);
    if (rc == 0) {
        rc = saml_assertion_record_send(
            ctx, who->id, who->login, r->sp->entity_id, name_id, r->format,
            authn != NULL && authn->SessionIndex != NULL ? authn->SessionIndex
                                                         : assertion->ID,
            &err);
        if (rc == 0) {
            rc = saml_assertion_record_wait(ctx, r->sp->entity_id, &err2);
            err = rc != 0 ? err2 : err;
        }
        if (rc != 0) {
            reason = "the session could not be updated";
        }
    }
    if (rc != 0) {
        reject(ctx, SAML_REJECT_INTERNAL, r->sp->entity_id, reason, &err);
        return;
    }
    atomic_fetch_add(&((saml_sp_info *)(uintptr_t)r->sp)->assertions, 1);
    web_page_post_form(ctx, r->acs_url, "SAMLResponse", body,
                       r->msg.relay_state);
}

static int load_subject(idm_subject **out, web_ctx *ctx, const char *login,
                        idm_err *err)
{
    idm_db *db;
    int rc = web_ctx_db(&db, ctx, err);

    *out = NULL;
    return rc != 0 ? rc : idm_subject_load(out, db, login, err);
}

/* What saml_pending keeps of a request (pooled): the query of an
 * IdP-initiated one; else the XML as decoded and checked, without its
 * signature (verified already; the row is ours), so at most
 * SAML_MSG_XML_MAX bytes instead of the raw body. */
static const char *park_message(web_ctx *ctx, sso_req *r)
{
    xmlNode *root;
    xmlBuffer *buf;
    const char *out;

    if (strcmp(r->binding, "init") == 0 || r->parked) {
        return r->raw;
    }
    if (!r->msg.xml_signed) {
        return r->msg.xml;
    }
    root = xmlDocGetRootElement((xmlDoc *)r->msg.doc);
    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
            strcmp((const char *)c->ns->href,
                   "http://www.w3.org/2000/09/xmldsig#") == 0 &&
            strcmp((const char *)c->name, "Signature") == 0) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            break; /* one signature at most (decode.c) */
        }
    }
    buf = xmlBufferCreate();
    xmlNodeDump(buf, (xmlDoc *)r->msg.doc, root, 0, 0);
    out = web_pool_add(ctx->pool, free,
                       idm_xstrndup((const char *)xmlBufferContent(buf),
                                    (size_t)xmlBufferLength(buf)));
    xmlBufferFree(buf);
    return out;
}

/*
 * A request that could not be parked for the login page: all addresses
 * together hold [idp] pending_max requests and this one holds some of
 * them (503: we are full). Nothing was evicted for it; counted and
 * audited like any rejection, and the browser is told when to try again:
 * rows leave as logins finish.
 */
static void park_refused(web_ctx *ctx, const sso_req *r)
{
    const char *reason = "too many logins are being started at once; "
                         "please try again in a minute";

    saml_reject_note(ctx, SAML_REJECT_PENDING_ALL, r->sp->entity_id, reason);
    web_page_refusal(ctx, 503,
                     saml_reject_text(ctx, SAML_REJECT_PENDING_ALL, reason),
                     reason);
    web_resp_header(ctx, "Retry-After", SAML_PENDING_RETRY_AFTER);
}

/* After the checks: the policy answers, or the browser goes to the login
 * page (no session, ForceAuthn, or an application that wants a fresh
 * password every time). */
static void decide(web_ctx *ctx, sso_req *r)
{
    idm_err err = IDM_ERR_INIT;
    const idm_subject *subject = NULL;
    idm_decision d;
    char *pending = NULL;
    saml_pending_limit limit;
    int need_login, reauth = 0;

    /* default deny needs no person: an SP bound to no known application
     * never gets a login form */
    if (saml_policy_app_check(&d, ctx, r->sp) != 0) {
        deny(ctx, r, &d, NULL);
        return;
    }
    if (!ctx->session_checked && web_session_lookup(ctx, &err) != 0) {
        web_page_fail(ctx, "sso.session", err.code, &err);
        return;
    }
    /* ForceAuthn (and reauth) are server-side: from the request, or from
     * the pending row; satisfied only by a password checked in this
     * request (ctx->fresh_auth), never by a URL parameter */
    need_login = ctx->session.id == 0 || ctx->session.must_change_password ||
                 (r->force && ctx->fresh_auth == 0);
    if (!need_login) {
        if (web_session_subject(&subject, ctx, &err) != 0) {
            reject(ctx, SAML_REJECT_INTERNAL, r->sp->entity_id,
               "the user's data could not be read",
                   &err);
            return;
        }
        saml_policy_decide(&d, ctx, r->sp, subject);
        if (d.verdict == IDM_VERDICT_DENY) {
            deny(ctx, r, &d, ctx->session.login);
        } else if (d.verdict == IDM_VERDICT_ALLOW) {
            issue(ctx, r, &ctx->session, &d, subject);
        } else {
            /* reauth: never the session, always the password (answered
             * by saml_sso_login_done) */
            reauth = need_login = 1;
        }
        if (!need_login) {
            return;
        }
    }
    if (r->msg.is_passive) {
        /* core 3.4.1: IsPassive forbids interaction */
        send_error(ctx, r, LASSO_SAML2_STATUS_CODE_RESPONDER,
                   LASSO_SAML2_STATUS_CODE_NO_PASSIVE,
                   reauth ? "passive request for an application that "
                            "requires a fresh login"
                          : "passive request without a session");
        return;
    }
    if (saml_pending_park(&pending, &limit, ctx, r->binding,
                          park_message(ctx, r), r->msg.relay_state,
                          r->force || reauth, &err) != 0) {
        web_page_fail(ctx, "sso.park", err.code, &err);
        return;
    }
    if (limit == SAML_PENDING_ALL_FULL) {
        park_refused(ctx, r);
        return;
    }
    if (limit == SAML_PENDING_EVICTED) {
        /* counted: an address at its ceiling is a school at 8:00 or a
         * flood; either way the operator wants to see it */
        saml_stats_pending_evicted(ctx);
    }
    {
        char *loc = idm_xasprintf("/login?p=%s", pending);
        web_resp_redirect(ctx, loc);
        free(loc);
        web_resp_browser_cookie(ctx);
        ctx->browser_new = 0;
    }
}

void saml_sso_handle(web_ctx *ctx)
{
    const web_request *req = ctx->req;
    sso_req r;

    memset(&r, 0, sizeof(r));
    if (strcmp(req->method, "POST") == 0) {
        r.binding = "post";
        r.raw = web_pool_add(
            ctx->pool, free,
            idm_xstrndup(req->body != NULL ? req->body : "", req->body_len));
    } else {
        r.binding = "redirect";
        r.raw = req->query != NULL ? req->query : "";
    }
    if (check_request(ctx, &r, 0) == 0) {
        decide(ctx, &r);
    }
    sso_req_clear(&r);
}

/* IdP-initiated: a request built here for the SP's default endpoint. */
static int init_request(web_ctx *ctx, sso_req *r, const char *query)
{
    saml_server *srv = saml_ctx_server(ctx);
    size_t len = strlen(query);
    char *sp = web_pool_add(ctx->pool, free, web_form_get(query, len, "sp"));
    char *target =
        web_pool_add(ctx->pool, free, web_form_get(query, len, "target"));
    LassoSamlp2AuthnRequest *ar;
    int rc;

    if (srv == NULL) {
        web_page_error(ctx, 503, web_msg_text(ctx->lang, WEB_M_UNAVAILABLE));
        return -1;
    }
    if (sp == NULL || (r->sp = g_hash_table_lookup(srv->sps, sp)) == NULL) {
        reject(ctx, SAML_REJECT_UNKNOWN_SP, sp, "unknown application", NULL);
        return -1;
    }
    if (target != NULL && strlen(target) > SAML_RELAY_STATE_MAX) {
        reject(ctx, SAML_REJECT_ENDPOINT, sp, "RelayState longer than 80 bytes",
               NULL);
        return -1;
    }
    r->acs_url = default_acs(r->sp)->location;
    r->format = FMT_PERSISTENT;
    r->msg.relay_state = target != NULL ? idm_xstrdup(target) : NULL;
    r->msg.acs_index = -1;
    r->login = lasso_login_new(srv->lasso);
    lasso_profile_set_signature_hint(LASSO_PROFILE(r->login),
                                     LASSO_PROFILE_SIGNATURE_HINT_FORBID);
    rc = lasso_login_init_idp_initiated_authn_request(r->login,
                                                      r->sp->entity_id);
    if (rc == 0) {
        ar = LASSO_SAMLP2_AUTHN_REQUEST(LASSO_PROFILE(r->login)->request);
        g_free(ar->ProtocolBinding);
        ar->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
        rc = lasso_login_process_authn_request_msg(r->login, NULL);
    }
    if (rc != 0) {
        idm_err err = IDM_ERR_INIT;
        idm_err_set(&err, IDM_EINTERNAL, "init failed");
        idm_err_detail(&err, "lasso %d: %s", rc, lasso_strerror(rc));
        reject(ctx, SAML_REJECT_INTERNAL, r->sp->entity_id,
               "the application cannot be started",
               &err);
        return -1;
    }
    return 0;
}

void saml_sso_init(web_ctx *ctx)
{
    sso_req r;

    memset(&r, 0, sizeof(r));
    r.binding = "init";
    r.raw = ctx->req->query != NULL ? ctx->req->query : "";
    if (init_request(ctx, &r, r.raw) == 0) {
        decide(ctx, &r);
    }
    sso_req_clear(&r);
}

/* A pending request of this browser into r (its strings pooled); the
 * connection is handed back before the request is checked again. */
static int take_pending(sso_req *r, web_ctx *ctx, const char *pending,
                        idm_err *err)
{
    char *binding = NULL, *message = NULL, *relay = NULL;
    int force = 0;
    int rc = saml_pending_resume(&binding, &message, &relay, &force, ctx,
                                 pending, err);

    if (rc != 0) {
        return rc;
    }
    r->binding = binding;
    r->raw = message;
    r->relay_state = relay;
    r->force = force;
    r->parked = strcmp(binding, "init") != 0;
    return 0;
}

void saml_sso_resume(web_ctx *ctx, const char *pending)
{
    idm_err err = IDM_ERR_INIT;
    sso_req r;
    int ok;

    if (pending == NULL || pending[0] == '\0') {
        web_resp_redirect(ctx, "/");
        return;
    }
    memset(&r, 0, sizeof(r));
    if (take_pending(&r, ctx, pending, &err) != 0) {
        /* expired or foreign: the portal is the safe place */
        web_resp_redirect(ctx, "/");
        return;
    }
    ok = !r.parked ? init_request(ctx, &r, r.raw) : check_request(ctx, &r, 1);
    if (ok == 0) {
        decide(ctx, &r);
    }
    sso_req_clear(&r);
}

/*
 * A reauth application gets an assertion with this login's instant, and
 * the shared session is neither created, renewed nor changed: other
 * applications keep the session they had, and the next request for this
 * application asks for the password again.
 */
static void issue_fresh(web_ctx *ctx, sso_req *r, const idm_decision *d,
                        const idm_subject *subject, const char *uuid,
                        const char *login)
{
    idm_err err = IDM_ERR_INIT;
    web_session who;

    if (web_session_lookup(ctx, &err) != 0) {
        web_page_fail(ctx, "sso.session", err.code, &err);
        return;
    }
    memset(&who, 0, sizeof(who));
    if (ctx->session.id != 0 && strcmp(ctx->session.person_uuid, uuid) == 0) {
        who.id = ctx->session.id; /* joins it for Single Logout only */
    }
    snprintf(who.person_uuid, sizeof(who.person_uuid), "%s", uuid);
    snprintf(who.login, sizeof(who.login), "%s", login);
    who.auth_instant = ctx->fresh_auth;
    ctx->actor.name = web_pool_strdup(ctx->pool, login);
    issue(ctx, r, &who, d, subject);
}

void saml_sso_login_done(web_ctx *ctx, const char *pending, const char *uuid,
                         const char *login, int must_change)
{
    idm_err err = IDM_ERR_INIT;
    idm_subject *subject = NULL;
    idm_decision d;
    sso_req r;
    int rc;

    ctx->fresh_auth = (int64_t)time(NULL);
    memset(&r, 0, sizeof(r));
    if (must_change && pending != NULL &&
        saml_pending_force_done(ctx, pending, &err) != 0) {
        web_page_fail(ctx, "sso.pending", err.code, &err);
        return;
    }
    /* a pending password change keeps the request for afterwards (its
     * ForceAuthn is satisfied by this password: cleared above) */
    if (!must_change && pending != NULL &&
        take_pending(&r, ctx, pending, &err) == 0) {
        rc = !r.parked ? init_request(ctx, &r, r.raw)
                       : check_request(ctx, &r, 1);
        if (rc != 0) {
            sso_req_clear(&r);
            return; /* the error page is set */
        }
        if (saml_policy_app_check(&d, ctx, r.sp) == 0 &&
            load_subject(&subject, ctx, login, &err) == 0) {
            saml_policy_decide(&d, ctx, r.sp, subject);
            if (d.verdict == IDM_VERDICT_REAUTH) {
                issue_fresh(ctx, &r, &d, subject, uuid, login);
                goto cleanup;
            }
        }
    }
    if (web_session_create(ctx, uuid, login, must_change, &err) != 0) {
        web_page_fail(ctx, "sso.session_create", err.code, &err);
    } else if (must_change) {
        /* the pending id came from a form field: encode it */
        char *enc = pending != NULL ? web_url_encode(pending) : NULL;
        char *loc = idm_xasprintf("/password%s%s", enc != NULL ? "?p=" : "",
                                  enc != NULL ? enc : "");
        web_resp_redirect(ctx, loc);
        free(loc);
        free(enc);
    } else if (r.login != NULL) {
        decide(ctx, &r);
    } else {
        web_resp_redirect(ctx, "/"); /* no (valid) pending request */
    }
cleanup:
    idm_subject_free(subject);
    sso_req_clear(&r);
}
