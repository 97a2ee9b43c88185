/* SPDX-License-Identifier: EUPL-1.2
 * Single Logout over the front channel (SAML profiles 4.4): SP-initiated
 * (a LogoutRequest at /saml/slo) and IdP-initiated (the portal's logout
 * button). The session ends at once; then the browser visits every other
 * SP that got an assertion in it, one LogoutRequest after the other, and
 * finally returns the LogoutResponse to the initiating SP or shows which
 * applications were logged out. The walk's state waits in saml_pending,
 * bound to the browser, its id travelling as RelayState.
 *
 * Logout rules: a LogoutRequest is always signed (Redirect query or XML
 * signature) with the SP's metadata key, fresh, addressed to us and never
 * seen before (replay cache); it ends only the session in which that SP
 * was given exactly its NameID and SessionIndex, never the session of a
 * cookie alone. The walk to the other SPs carries their own NameIDs, each
 * sent only to that SP's SLO endpoint from the metadata, through the
 * browser: so it runs only when that browser holds the session ended
 * (its cookie) or for the person's own logout (POST /logout with CSRF
 * token); otherwise the initiator gets PartialLogout. An SP's
 * LogoutResponse moves the walk on only if it answers our request to that
 * SP in the walk of this browser and is signed as that SP must sign; its
 * ID enters the replay cache in the statement that moves the walk on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "saml/conf.h"
#include "steps_int.h"
#include "store_int.h"
#include "web/pages.h"
#include "web/session.h"

#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define ST_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define ST_REQUESTER "urn:oasis:names:tc:SAML:2.0:status:Requester"
#define ST_UNKNOWN_PRINCIPAL                                                   \
    "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal"
#define ST_PARTIAL "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"

static const saml_slo_ep *slo_endpoint(const saml_sp_info *sp)
{
    const saml_slo_ep *post = NULL;

    for (int i = 0; i < sp->n_slo; i++) {
        if (strcmp(sp->slo[i].binding, LASSO_SAML2_METADATA_BINDING_REDIRECT) ==
            0) {
            return &sp->slo[i];
        }
        if (strcmp(sp->slo[i].binding, LASSO_SAML2_METADATA_BINDING_POST) ==
            0) {
            post = &sp->slo[i];
        }
    }
    return post;
}

static char *deflate_b64(const char *xml)
{
    z_stream zs;
    size_t cap = compressBound((uLong)strlen(xml)) + 64;
    unsigned char *buf = idm_xmalloc(cap);
    char *out;

    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)(uintptr_t)xml;
    zs.avail_in = (uInt)strlen(xml);
    zs.next_out = buf;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    out = web_b64_encode(buf, zs.total_out);
    deflateEnd(&zs);
    free(buf);
    return out;
}

/* Lasso's signer appends the enveloped ds:Signature; the SAML schema
 * wants it right after the Issuer (the enveloped transform leaves the
 * signature valid wherever it is). */
static void signature_after_issuer(xmlNode *root)
{
    xmlNode *issuer = NULL, *sig = NULL;

    for (xmlNode *c = root != NULL ? root->children : NULL; c != NULL;
         c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (strcmp((const char *)c->name, "Issuer") == 0 && issuer == NULL) {
            issuer = c;
        } else if (strcmp((const char *)c->name, "Signature") == 0) {
            sig = c;
        }
    }
    if (issuer != NULL && sig != NULL && issuer->next != sig) {
        xmlUnlinkNode(sig);
        xmlAddNextSibling(issuer, sig);
    }
}

/* Send a message to an SP's SLO endpoint: HTTP-Redirect with an RSA-SHA256
 * query signature, or HTTP-POST with an enveloped XML signature. */
static void send_message(web_ctx *ctx, const saml_slo_ep *ep, const char *param,
                         const char *xml, const char *id, const char *relay)
{
    if (strcmp(ep->binding, LASSO_SAML2_METADATA_BINDING_REDIRECT) == 0) {
        char *b64 = deflate_b64(xml), *enc = web_url_encode(b64);
        char *renc = relay != NULL ? web_url_encode(relay) : NULL;
        char *aenc = web_url_encode(SAML_ALG_RSA_SHA256);
        char *query = idm_xasprintf("%s=%s%s%s&SigAlg=%s", param, enc,
                                    renc != NULL ? "&RelayState=" : "",
                                    renc != NULL ? renc : "", aenc);
        unsigned char sig[1024];
        size_t siglen = sizeof(sig);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        char *sb64 = NULL, *senc = NULL, *loc;

        if (md == NULL ||
            EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
                               saml_idp_of(ctx)->keys.pkey) != 1 ||
            EVP_DigestSign(md, sig, &siglen, (unsigned char *)query,
                           strlen(query)) != 1) {
            web_page_error(ctx, 500,
                           web_msg_text(ctx->lang, WEB_M_UNAVAILABLE));
        } else {
            sb64 = web_b64_encode(sig, siglen);
            senc = web_url_encode(sb64);
            loc = idm_xasprintf("%s%c%s&Signature=%s", ep->location,
                                strchr(ep->location, '?') != NULL ? '&' : '?',
                                query, senc);
            web_resp_redirect(ctx, loc);
            free(loc);
        }
        EVP_MD_CTX_free(md);
        free(b64);
        free(enc);
        free(renc);
        free(aenc);
        free(query);
        free(sb64);
        free(senc);
        return;
    }
    {
        xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "slo.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NODICT);
        xmlChar *mem = NULL;
        int size = 0;
        char *b64;

        if (doc == NULL ||
            lasso_key_saml2_xml_sign(saml_idp_of(ctx)->keys.sign_key, id,
                                     xmlDocGetRootElement(doc)) == NULL) {
            xmlFreeDoc(doc);
            web_page_error(ctx, 500,
                           web_msg_text(ctx->lang, WEB_M_UNAVAILABLE));
            return;
        }
        signature_after_issuer(xmlDocGetRootElement(doc));
        xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
        b64 = web_b64_encode(mem, (size_t)size);
        web_page_post_form(ctx, ep->location, param, b64, relay);
        free(b64);
        xmlFree(mem);
        xmlFreeDoc(doc);
    }
}

static void xml_attr(GString *s, const char *name, const char *v)
{
    g_string_append_printf(s, " %s=\"", name);
    web_html_append(s, v);
    g_string_append_c(s, '"');
}

static char *new_id(void)
{
    char *t = web_random_token(), *id;
    /* xs:ID must not start with a digit or '-' */
    id = idm_xasprintf("_%s", t);
    free(t);
    for (char *p = id; *p != '\0'; p++) {
        if (*p == '-') {
            *p = 'x';
        }
    }
    return id;
}

static char *msg_head(const saml_idp *idp, const char *el, const char *id,
                      const char *dest, const char *in_response_to)
{
    GString *s = g_string_new(NULL);
    char now[32];

    web_time_format(now, (int64_t)time(NULL));
    g_string_append_printf(
        s, "<samlp:%s xmlns:samlp=\"" NS_SAMLP "\" xmlns:saml=\"" NS_SAML "\"",
        el);
    xml_attr(s, "ID", id);
    xml_attr(s, "Version", "2.0");
    xml_attr(s, "IssueInstant", now);
    xml_attr(s, "Destination", dest);
    if (in_response_to != NULL) {
        xml_attr(s, "InResponseTo", in_response_to);
    }
    g_string_append(s, "><saml:Issuer>");
    web_html_append(s, idp->entity_id);
    g_string_append(s, "</saml:Issuer>");
    return g_string_free(s, FALSE);
}

static void logged_out_page(web_ctx *ctx, json_t *done)
{
    GString *p = web_page_begin(ctx, WEB_M_TITLE_LOGGED_OUT);
    size_t i;
    json_t *v;

    g_string_append(p, "<p>");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_LOGGED_OUT));
    g_string_append(p, "</p>");
    if (json_array_size(done) > 0) {
        g_string_append(p, "<p>");
        web_html_append(p, web_msg_text(ctx->lang, WEB_M_LOGGED_OUT_APPS));
        g_string_append(p, "</p><ul>");
        json_array_foreach(done, i, v)
        {
            g_string_append(p, "<li>");
            web_html_append(p, json_string_value(v));
            g_string_append(p, "</li>");
        }
        g_string_append(p, "</ul>");
    }
    g_string_append(p, "<p><a href=\"/\">");
    web_html_append(p, web_msg_text(ctx->lang, WEB_M_TITLE_LOGIN));
    g_string_append(p, "</a></p>");
    web_page_end(ctx, p, 200);
}

static const char *app_name(saml_server *srv, const char *entity)
{
    const saml_sp_info *sp = g_hash_table_lookup(srv->sps, entity);
    return sp != NULL ? sp->app_key : entity;
}

/* Counted and audited in aggregate (reject.c), as AuthnRequests are: an
 * unauthenticated flood writes no row per request. */
static void slo_reject(web_ctx *ctx, saml_reject_kind kind, const char *sp,
                       const char *reason)
{
    saml_reject_note_as(ctx, "saml.logout_reject", kind, sp, reason);
    web_page_refusal(ctx, 400, saml_reject_text(ctx, kind, reason), reason);
}

/* Until when a logout message ID stays in the replay cache. */
static int64_t replay_expiry(const web_ctx *ctx)
{
    const saml_conf *conf = saml_conf_get(ctx->conf);

    return (int64_t)time(NULL) + conf->request_max_age + 2 * conf->clock_skew;
}

/* The LogoutResponse that moves a walk on (sp_response): found, verified,
 * and now its replay entry goes in with the walk's next step. */
typedef struct walk_prev {
    const char *walk_id;     /* the pending row (the RelayState) */
    const char *state;       /* its state text as found */
    const char *sp;          /* the responding SP */
    const char *response_id; /* the LogoutResponse's ID */
} walk_prev;

/* Store the walk's next state (text; NULL: the walk ends): a new row when
 * a walk starts; after a response, in one statement with the response's
 * replay entry and the found row's removal. 0, or a refusal set. */
static int save(char **id_out, web_ctx *ctx, const walk_prev *prev,
                const char *text)
{
    idm_err err = IDM_ERR_INIT;
    int rc;

    *id_out = NULL;
    if (prev == NULL) {
        rc = text != NULL
                 ? saml_pending_store(id_out, ctx, "logout", text, NULL, &err)
                 : 0;
    } else {
        rc = saml_slo_walk_advance(id_out, ctx, prev->walk_id, prev->state,
                                   prev->sp, prev->response_id,
                                   replay_expiry(ctx), text, &err);
    }
    if (prev != NULL && (rc == IDM_EEXISTS || rc == IDM_ENOTFOUND)) {
        /* another copy of the response came first */
        slo_reject(ctx, SAML_REJECT_REPLAYED, prev->sp,
                   "the response was replayed");
    } else if (rc != 0) {
        web_page_fail(ctx, "slo.pending", rc, &err);
    }
    return rc;
}

/* Next SP of the walk, or the end of it. Consumes state. prev: the
 * response this step answers, or NULL when the walk starts. */
static void step(web_ctx *ctx, json_t *state, const walk_prev *prev)
{
    saml_server *srv = saml_ctx_server(ctx);
    json_t *todo = json_object_get(state, "todo");
    json_t *done = json_object_get(state, "done");
    json_t *reply = json_object_get(state, "reply");
    char *none;

    while (json_array_size(todo) > 0) {
        json_t *t = json_incref(json_array_get(todo, 0));
        const char *sp_id = json_string_value(json_object_get(t, "sp"));
        const saml_sp_info *sp =
            sp_id != NULL ? g_hash_table_lookup(srv->sps, sp_id) : NULL;
        const saml_slo_ep *ep = sp != NULL ? slo_endpoint(sp) : NULL;
        char *id, *head, *xml, *text, *pending = NULL;
        GString *s;

        json_array_remove(todo, 0);
        if (ep == NULL) {
            /* no SLO endpoint: its local session outlives ours */
            json_decref(t);
            continue;
        }
        id = new_id();
        head =
            msg_head(saml_idp_of(ctx), "LogoutRequest", id, ep->location, NULL);
        s = g_string_new(head);
        g_string_append(s, "<saml:NameID");
        xml_attr(s, "Format", json_string_value(json_object_get(t, "fmt")));
        xml_attr(s, "NameQualifier", saml_idp_of(ctx)->entity_id);
        xml_attr(s, "SPNameQualifier", sp_id);
        g_string_append_c(s, '>');
        web_html_append(s, json_string_value(json_object_get(t, "nid")));
        g_string_append(s, "</saml:NameID><samlp:SessionIndex>");
        web_html_append(s, json_string_value(json_object_get(t, "si")));
        g_string_append(s, "</samlp:SessionIndex></samlp:LogoutRequest>");
        xml = g_string_free(s, FALSE);
        json_object_set_new(state, "wait", json_string(id));
        json_object_set_new(state, "current", json_string(sp_id));
        text = json_dumps(state, JSON_COMPACT);
        if (save(&pending, ctx, prev, text) == 0) {
            send_message(ctx, ep, "SAMLRequest", xml, id, pending);
            web_resp_browser_cookie(ctx);
            ctx->browser_new = 0;
        }
        free(text);
        free(id);
        free(head);
        g_free(xml);
        json_decref(t);
        json_decref(state);
        return;
    }
    /* the end: the walk's row goes (with the response's replay entry) */
    if (save(&none, ctx, prev, NULL) != 0) {
        json_decref(state);
        return;
    }
    if (json_is_object(reply)) {
        const char *sp_id = json_string_value(json_object_get(reply, "sp"));
        const saml_sp_info *sp = g_hash_table_lookup(srv->sps, sp_id);
        const saml_slo_ep *ep = sp != NULL ? slo_endpoint(sp) : NULL;

        if (ep != NULL) {
            char *id = new_id();
            char *head =
                msg_head(saml_idp_of(ctx), "LogoutResponse", id, ep->location,
                         json_string_value(json_object_get(reply, "id")));
            const char *top =
                json_string_value(json_object_get(reply, "status"));
            const char *sub = json_string_value(json_object_get(reply, "sub"));
            char *xml = idm_xasprintf(
                "%s<samlp:Status><samlp:StatusCode Value=\"%s\"%s%s%s"
                "</samlp:Status></samlp:LogoutResponse>",
                head, top != NULL ? top : ST_SUCCESS,
                sub != NULL ? "><samlp:StatusCode Value=\"" : "/>",
                sub != NULL ? sub : "",
                sub != NULL ? "\"/></samlp:StatusCode>" : "");
            send_message(ctx, ep, "SAMLResponse", xml, id,
                         json_string_value(json_object_get(reply, "relay")));
            free(id);
            free(head);
            free(xml);
            json_decref(state);
            return;
        }
    }
    {
        json_t *names = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(done, i, v)
        {
            json_array_append_new(
                names, json_string(app_name(srv, json_string_value(v))));
        }
        logged_out_page(ctx, names);
        json_decref(names);
    }
    json_decref(state);
}

/* End session sid and list its SPs, except the initiator. own: the
 * session of this browser (its cookie is cleared); otherwise the cookie,
 * which may belong to another session or none, is left alone. */
static json_t *end_session(web_ctx *ctx, int64_t sid, const char *login,
                           const char *except, int own)
{
    json_t *state = json_object(), *todo = json_array(), *done = json_array();
    idm_err err = IDM_ERR_INIT;
    PGresult *res = NULL;
    char id[24];
    idm_db *db;
    int rc;

    json_object_set_new(state, "todo", todo);
    json_object_set_new(state, "done", done);
    if (sid == 0 || web_ctx_db(&db, ctx, &err) != 0) {
        return state;
    }
    snprintf(id, sizeof(id), "%lld", (long long)sid);
    if (idm_db_query(&res, db,
                     "SELECT sp_entity_id, name_id, name_id_format, "
                     "session_index FROM saml_session_sp "
                     "WHERE session_id = $1 ORDER BY issued_at",
                     1, (const char *const[]){id}, &err) == 0) {
        for (int i = 0; i < PQntuples(res); i++) {
            if (except != NULL && strcmp(PQgetvalue(res, i, 0), except) == 0) {
                json_array_append_new(done, json_string(except));
                continue;
            }
            json_array_append_new(todo, json_pack("{s:s, s:s, s:s, s:s}", "sp",
                                                  PQgetvalue(res, i, 0), "nid",
                                                  PQgetvalue(res, i, 1), "fmt",
                                                  PQgetvalue(res, i, 2), "si",
                                                  PQgetvalue(res, i, 3)));
        }
    }
    PQclear(res);
    web_audit(ctx, "saml.logout", login, IDM_AUDIT_OK, except,
              except == NULL ? "idp-initiated"
              : own          ? "sp-initiated"
                             : "sp-initiated, other browser");
    if (own && sid == ctx->session.id) {
        /* the person's logout in this browser: its device token goes too */
        rc = web_session_logout(ctx, &err);
    } else {
        rc = saml_slo_session_end(ctx, sid, &err);
    }
    if (rc != 0) {
        idm_log(IDM_LOG_WARN, "saml", "session.destroy_fail", "detail=\"%s\"",
                err.msg);
    }
    return state;
}

/* Decode the message once; for HTTP-POST *b64 is the form's base64 text
 * (pooled), for Lasso's XML signature check. */
static int decode(web_ctx *ctx, saml_msg *m, const char **b64,
                  const char *param, idm_err *err)
{
    const web_request *req = ctx->req;

    *b64 = NULL;
    if (strcmp(req->method, "POST") == 0) {
        char *v = web_pool_add(ctx->pool, free,
                               web_form_get(req->body, req->body_len, param));
        char *relay =
            web_pool_add(ctx->pool, free,
                         web_form_get(req->body, req->body_len, "RelayState"));
        *b64 = v;
        return saml_msg_decode_post(m, v, v != NULL ? strlen(v) : 0, relay,
                                    err);
    }
    return saml_msg_decode_redirect(
        m, req->query, req->query != NULL ? strlen(req->query) : 0, param, err);
}

static saml_reject_kind decode_kind(const idm_err *err)
{
    return err->code == IDM_ETOOBIG ? SAML_REJECT_TOO_LARGE
                                    : SAML_REJECT_MALFORMED;
}

/* The XML signature of a POST LogoutRequest or LogoutResponse (kind),
 * checked by Lasso with the keys of the SP the message names (hint FORCE:
 * no signature, no pass); the issuer Lasso verified for must be the one we
 * read. */
static int verify_xml(saml_server *srv, const char *b64, const char *issuer,
                      saml_msg_kind kind)
{
    LassoLogout *lo = lasso_logout_new(srv->lasso);
    int rc;

    if (lo == NULL || b64 == NULL) {
        if (lo != NULL) {
            g_object_unref(lo);
        }
        return -1;
    }
    lasso_profile_set_signature_verify_hint(
        LASSO_PROFILE(lo), LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
    if (kind == SAML_MSG_LOGOUT_REQUEST) {
        rc = lasso_logout_process_request_msg(lo, (char *)(uintptr_t)b64);
    } else {
        rc = lasso_logout_process_response_msg(lo, (char *)(uintptr_t)b64);
        /* a status other than Success is the SP's answer, which Lasso
         * reports only after it checked the signature: that signature's
         * status decides, as for every other response */
        if (rc == LASSO_PROFILE_ERROR_STATUS_NOT_SUCCESS ||
            rc == LASSO_PROFILE_ERROR_REQUEST_DENIED ||
            rc == LASSO_LOGOUT_ERROR_PARTIAL_LOGOUT ||
            rc == LASSO_LOGOUT_ERROR_REQUEST_DENIED ||
            rc == LASSO_LOGOUT_ERROR_UNKNOWN_PRINCIPAL) {
            rc = 0;
        }
    }
    if (rc == 0) {
        rc = lasso_profile_get_signature_status(LASSO_PROFILE(lo));
    }
    if (rc == 0 &&
        g_strcmp0(LASSO_PROFILE(lo)->remote_providerID, issuer) != 0) {
        rc = -1;
    }
    g_object_unref(lo);
    return rc != 0 ? -1 : 0;
}

/* The replay cache entry of a logout message ID; the same round trip
 * looks up the browser's session (ctx->session). 0, IDM_EEXISTS if seen
 * before, or another error. */
static int replay_check(web_ctx *ctx, const char *sp, const char *id)
{
    idm_err err = IDM_ERR_INIT;
    int rc;

    rc = saml_replay_send(ctx, sp, id, replay_expiry(ctx), &err);
    if (rc == 0) {
        rc = saml_replay_wait(ctx, &err);
    }
    if (rc != 0 && rc != IDM_EEXISTS) {
        idm_log(IDM_LOG_WARN, "saml", "logout.replay_fail", "detail=\"%s\"",
                err.msg);
    }
    return rc;
}

/* The checks every LogoutRequest passes before it touches a session: NULL
 * or the reason (safe for users) it is refused, its class in *kind. */
static const char *request_check(saml_reject_kind *kind, web_ctx *ctx,
                                 saml_server *srv, const saml_sp_info *sp,
                                 const saml_msg *m, const char *b64)
{
    int64_t now = (int64_t)time(NULL), t = web_time_parse(m->issue_instant);
    const saml_conf *conf = saml_conf_get(ctx->conf);

    if (m->kind != SAML_MSG_LOGOUT_REQUEST) {
        *kind = SAML_REJECT_MALFORMED;
        return "not a LogoutRequest";
    }
    if (sp == NULL) {
        *kind = SAML_REJECT_UNKNOWN_SP;
        return "unknown application (issuer not registered)";
    }
    if (m->relay_state != NULL &&
        strlen(m->relay_state) > SAML_RELAY_STATE_MAX) {
        *kind = SAML_REJECT_ENDPOINT;
        return "RelayState longer than 80 bytes";
    }
    if (m->destination == NULL ||
        strcmp(m->destination, saml_idp_of(ctx)->slo_url) != 0) {
        *kind = SAML_REJECT_ENDPOINT;
        return "the request is addressed to another destination";
    }
    if (t < 0 || t > now + conf->clock_skew ||
        t < now - conf->request_max_age - conf->clock_skew) {
        *kind = SAML_REJECT_EXPIRED;
        return "the request is expired or not yet valid";
    }
    if (m->name_id == NULL || m->name_id[0] == '\0' ||
        m->session_index == NULL || m->session_index[0] == '\0') {
        *kind = SAML_REJECT_MALFORMED;
        return "the request must name the NameID and the SessionIndex";
    }
    /* always signed, whatever the SP's AuthnRequest setting: anyone can
     * send a LogoutRequest in an SP's name */
    if (!m->redirect_signed && !m->xml_signed) {
        *kind = SAML_REJECT_UNSIGNED;
        return "logout requests must be signed";
    }
    if (m->redirect_signed ? saml_verify_redirect(sp, m) != 0
                           : verify_xml(srv, b64, m->issuer, m->kind) != 0) {
        *kind = SAML_REJECT_BAD_SIGNATURE;
        return "the request signature is invalid";
    }
    return NULL;
}

static void sp_request(web_ctx *ctx, saml_server *srv)
{
    idm_err err = IDM_ERR_INIT;
    const saml_sp_info *sp;
    const char *b64, *why;
    saml_reject_kind kind = SAML_REJECT_INTERNAL;
    char login[80];
    int64_t sid = 0;
    json_t *state, *reply;
    saml_msg m;
    int rc, own;

    if (decode(ctx, &m, &b64, "SAMLRequest", &err) != 0) {
        slo_reject(ctx, decode_kind(&err), NULL, err.msg);
        return;
    }
    sp = g_hash_table_lookup(srv->sps, m.issuer);
    why = request_check(&kind, ctx, srv, sp, &m, b64);
    if (why != NULL) {
        slo_reject(ctx, kind, m.issuer, why);
        goto cleanup;
    }
    /* verified: only now the database (replay cache, then the session) */
    rc = replay_check(ctx, m.issuer, m.id);
    if (rc != 0) {
        slo_reject(ctx,
                   rc == IDM_EEXISTS ? SAML_REJECT_REPLAYED
                                     : SAML_REJECT_INTERNAL,
                   m.issuer,
                   rc == IDM_EEXISTS ? "the request was replayed"
                                     : "the request could not be checked");
        goto cleanup;
    }
    if (saml_slo_session_find(&sid, login, ctx, m.issuer, m.name_id,
                              m.session_index, &err) != 0) {
        web_page_fail(ctx, "slo.session", err.code, &err);
        goto cleanup;
    }
    reply = json_pack("{s:s, s:s, s:s?}", "sp", m.issuer, "id", m.id, "relay",
                      m.relay_state);
    if (sid == 0) {
        /* no session in which this SP got this NameID and SessionIndex:
         * nothing ends, whichever session the browser's cookie holds */
        saml_reject_note_as(ctx, "saml.logout_reject", SAML_REJECT_STATUS,
                            m.issuer,
                            "no session matches the NameID and SessionIndex");
        state = json_pack("{s:[], s:[]}", "todo", "done");
        json_object_set_new(reply, "status", json_string(ST_REQUESTER));
        json_object_set_new(reply, "sub", json_string(ST_UNKNOWN_PRINCIPAL));
    } else {
        /* the other SPs are walked through this browser only if it holds
         * the session: their LogoutRequests carry their NameIDs, which no
         * one else may see (pairwise identifiers stay unlinkable) */
        own = ctx->session.id != 0 && ctx->session.id == sid;
        state = end_session(ctx, sid, login, m.issuer, own);
        if (!own && json_array_size(json_object_get(state, "todo")) > 0) {
            json_array_clear(json_object_get(state, "todo"));
            json_object_set_new(reply, "sub", json_string(ST_PARTIAL));
        }
    }
    json_object_set_new(state, "reply", reply);
    step(ctx, state, NULL);
cleanup:
    saml_msg_clear(&m);
}

/* How a LogoutResponse must be signed: NULL or the reason (safe for users)
 * it is refused, its class in *kind. The same signatures as a
 * LogoutRequest's (saml_verify_redirect(), verify_xml()); required of an
 * SP with signing keys in its metadata or held to signed requests
 * (sign_requests), since an unsigned answer would let anyone holding the
 * walk's RelayState speak for the SP. An SP without keys cannot sign: its
 * answer only decides whether it is listed as logged out. */
static const char *response_check(saml_reject_kind *kind, saml_server *srv,
                                  const saml_sp_info *sp, const saml_msg *m,
                                  const char *b64)
{
    if (!m->redirect_signed && !m->xml_signed) {
        if (sp->n_keys > 0 || sp->sign_requests) {
            *kind = SAML_REJECT_UNSIGNED;
            return "logout responses must be signed";
        }
        return NULL;
    }
    if (m->redirect_signed ? saml_verify_redirect(sp, m) != 0
                           : verify_xml(srv, b64, m->issuer, m->kind) != 0) {
        *kind = SAML_REJECT_BAD_SIGNATURE;
        return "the response signature is invalid";
    }
    return NULL;
}

/*
 * A LogoutResponse to a LogoutRequest of a walk. First the walk it
 * answers: this browser's (RelayState), standing at this SP (Issuer),
 * the response's ID not seen before; one that answers no walk writes
 * nothing and gets 400. Then the checks of the SP's answer: exactly our
 * request (InResponseTo), its signature. A failed one is audited in
 * aggregate like any refusal, but the walk still moves on, without this
 * SP listed as logged out: an SP that answers badly must not keep the
 * person logged in at the SPs after it, nor leave the initiator without
 * its LogoutResponse. Either way the response's ID enters the replay
 * cache in the one statement that moves the walk on
 * (saml_slo_walk_advance).
 */
static void sp_response(web_ctx *ctx, saml_server *srv)
{
    idm_err err = IDM_ERR_INIT;
    const saml_sp_info *sp;
    const char *b64, *why;
    char *found = NULL;
    saml_reject_kind kind = SAML_REJECT_INTERNAL;
    json_t *state = NULL;
    walk_prev prev;
    saml_msg m;
    int replayed = 0;

    if (decode(ctx, &m, &b64, "SAMLResponse", &err) != 0) {
        slo_reject(ctx, decode_kind(&err), NULL, err.msg);
        return;
    }
    if (m.kind != SAML_MSG_LOGOUT_RESPONSE) {
        slo_reject(ctx, SAML_REJECT_MALFORMED, m.issuer,
                   "not a LogoutResponse");
        goto cleanup;
    }
    sp = g_hash_table_lookup(srv->sps, m.issuer);
    if (sp == NULL) {
        slo_reject(ctx, SAML_REJECT_UNKNOWN_SP, m.issuer,
                   "unknown application (issuer not registered)");
        goto cleanup;
    }
    if (saml_slo_walk_find(&found, &replayed, ctx, m.relay_state, m.issuer,
                           m.id, &err) != 0) {
        idm_log(IDM_LOG_WARN, "saml", "logout.walk_fail", "detail=\"%s\"",
                err.msg);
        slo_reject(ctx, SAML_REJECT_INTERNAL, m.issuer,
                   "the response could not be checked");
        goto cleanup;
    }
    /* no connection held while the signature is checked */
    web_ctx_db_release(ctx);
    state = found != NULL ? json_loads(found, 0, NULL) : NULL;
    if (state == NULL || replayed ||
        g_strcmp0(json_string_value(json_object_get(state, "current")),
                  m.issuer) != 0) {
        slo_reject(ctx,
                   replayed ? SAML_REJECT_REPLAYED : SAML_REJECT_NOT_ACCEPTED,
                   m.issuer,
                   replayed ? "the response was replayed"
                            : "unexpected logout response");
        goto cleanup;
    }
    if (g_strcmp0(json_string_value(json_object_get(state, "wait")),
                  m.in_response_to) != 0) {
        kind = SAML_REJECT_NOT_ACCEPTED;
        why = "unexpected logout response";
    } else {
        why = response_check(&kind, srv, sp, &m, b64);
    }
    if (why == NULL && m.status != NULL && strcmp(m.status, ST_SUCCESS) == 0) {
        json_array_append_new(json_object_get(state, "done"),
                              json_string(m.issuer));
    } else {
        json_t *reply = json_object_get(state, "reply");
        char q[160];

        /* the walk goes on; this SP is not listed as logged out, and an
         * initiating SP learns that not every SP confirmed */
        if (why != NULL) {
            saml_reject_note_as(ctx, "saml.logout_reject", kind, m.issuer, why);
        } else {
            idm_log(
                IDM_LOG_NOTICE, "saml", "logout.not_success", "status=%s",
                idm_log_quote(q, sizeof(q), m.status != NULL ? m.status : "-"));
        }
        if (json_is_object(reply) && json_object_get(reply, "status") == NULL) {
            json_object_set_new(reply, "sub", json_string(ST_PARTIAL));
        }
    }
    prev.walk_id = m.relay_state;
    prev.state = found;
    prev.sp = m.issuer;
    prev.response_id = m.id;
    step(ctx, state, &prev);
    state = NULL; /* step() consumed it */
cleanup:
    json_decref(state);
    saml_msg_clear(&m);
}

void saml_slo_handle(web_ctx *ctx)
{
    const web_request *req = ctx->req;
    saml_server *srv = saml_ctx_server(ctx);
    idm_err err = IDM_ERR_INIT;
    int has_req, has_resp;

    if (srv == NULL) {
        web_page_error(ctx, 503, web_msg_text(ctx->lang, WEB_M_UNAVAILABLE));
        return;
    }
    if (strcmp(req->path, "/logout") == 0) {
        /* the person's own logout: POST with the CSRF token, checked by
         * web_logout_handle(); the walk runs through this browser */
        if (strcmp(req->method, "POST") != 0) {
            web_page_error(ctx, 400, web_msg_text(ctx->lang, WEB_M_BAD_FORM));
            return;
        }
        if (web_session_lookup(ctx, &err) != 0) {
            web_page_fail(ctx, "logout.session", err.code, &err);
            return;
        }
        step(ctx,
             end_session(ctx, ctx->session.id, ctx->session.login, NULL, 1),
             NULL);
        return;
    }
    if (strcmp(req->method, "POST") == 0) {
        has_req = g_strstr_len(req->body, (gssize)req->body_len,
                               "SAMLRequest=") != NULL;
        has_resp = g_strstr_len(req->body, (gssize)req->body_len,
                                "SAMLResponse=") != NULL;
    } else {
        has_req = req->query != NULL && strstr(req->query, "SAMLRequest=");
        has_resp = req->query != NULL && strstr(req->query, "SAMLResponse=");
    }
    if (has_req && !has_resp) {
        sp_request(ctx, srv);
    } else if (has_resp && !has_req) {
        sp_response(ctx, srv);
    } else {
        slo_reject(ctx, SAML_REJECT_MALFORMED, NULL, "no logout message");
    }
}
