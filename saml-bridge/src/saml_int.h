/* SPDX-License-Identifier: EUPL-1.2
 * Internals of saml-bridge shared by its own files only: the IdP object,
 * the shared Lasso server snapshot, the database pool, the per-request
 * pool and small helpers (base64, URL and HTML escaping, time).
 */
#ifndef SAML_INT_H
#define SAML_INT_H

#include <glib.h>
#include <lasso/lasso.h>
#include <libxml/tree.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>
#include <lasso/xml/saml-2.0/samlp2_status_response.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "idm/audit.h"
#include "idm/conf.h"
#include "idm/db.h"
#include "idm/err.h"
#include "idm/policy.h"
#include "saml/decode.h"
#include "saml/idp.h"

/* ---- allocation and the per-request pool ---- */

void *saml__xmalloc(size_t size);
void *saml__xrealloc(void *p, size_t size);
void *saml__xcalloc(size_t n, size_t size);
char *saml__xstrdup(const char *s);
char *saml__xstrndup(const char *s, size_t n);
char *saml__printf(const char *fmt, ...) IDM_PRINTF(1, 2);

/* Everything a request allocates dies with it (STYLE.md section 5). */
typedef struct saml_pool saml_pool;
saml_pool *saml_pool_new(void);
void saml_pool_free(saml_pool *pool);
/* Run fn(ptr) when the pool dies; returns ptr. */
void *saml_pool_add(saml_pool *pool, void (*fn)(void *), void *ptr);
char *saml_pool_strdup(saml_pool *pool, const char *s);
char *saml_pool_printf(saml_pool *pool, const char *fmt, ...) IDM_PRINTF(2, 3);

/* ---- encoding helpers ---- */

/* Base64 (whitespace ignored, strict otherwise). NULL on bad input or if
 * the result would exceed max. */
unsigned char *saml__b64_decode(const char *in, size_t len, size_t max,
                                size_t *out_len);
char *saml__b64_encode(const unsigned char *in, size_t len);
/* base64url without padding, for tokens. */
char *saml__b64url_encode(const unsigned char *in, size_t len);

/* Form/query decoding ('+' is a space). NULL on a bad %-escape or NUL. */
char *saml__url_decode(const char *in, size_t len);
char *saml__url_encode(const char *in);

/* Find name in an application/x-www-form-urlencoded string; raw points at
 * the undecoded value. Returns 1 if found exactly once, 0 if absent, -1 if
 * repeated. */
int saml__form_raw(const char *form, size_t len, const char *name,
                   const char **raw, size_t *raw_len);
/* Decoded value of a field (found once), else NULL; caller frees. */
char *saml__form_get(const char *form, size_t len, const char *name);

/* HTML-escape into a GString (text and attribute values). */
void saml__html_append(GString *out, const char *s);

/* Cookie value by name from a Cookie header; caller frees, or NULL. */
char *saml__cookie_get(const char *header, const char *name);

/* SHA-256, fetched from the provider once (thread-safe). */
const EVP_MD *saml__sha256_md(void);
void saml__sha256(unsigned char out[32], const void *data, size_t len);
/* HMAC-SHA256 keyed once (NULL if OpenSSL fails); saml__mac() computes
 * with a copy, so one keyed context serves every thread. */
EVP_MAC_CTX *saml__mac_new(const void *key, size_t klen);
void saml__mac(unsigned char out[32], const EVP_MAC_CTX *keyed,
               const void *data, size_t len);
void saml__hmac_sha256(unsigned char out[32], const void *key, size_t klen,
                       const void *data, size_t len);
/* bytea literal "\\x.." for a 32-byte hash; out holds 67 bytes. */
void saml__bytea_hex(char out[67], const unsigned char hash[32]);
/* 32 random bytes as base64url (43 chars); aborts if the RNG fails. */
char *saml__random_token(void);

/* xmlutil.c: n is an element named name in namespace ns (n may be NULL);
 * an attribute without namespace as a new string (free()), or NULL. */
int saml__xml_is(const xmlNode *n, const char *ns, const char *name);
char *saml__xml_prop(const xmlNode *n, const char *name);

/* xsd:dateTime to seconds since the epoch; -1 if unparsable. */
int64_t saml__time_parse(const char *s);
/* now + delta as xsd:dateTime UTC into out[32]. */
void saml__time_format(char out[32], int64_t epoch);

/* ---- the shared Lasso server and the SP registry snapshot ---- */

typedef struct saml_acs {
    int index;
    int is_default;
    char *binding;
    char *location;
} saml_acs;

typedef struct saml_slo_ep {
    char *binding;
    char *location;
} saml_slo_ep;

/* One registered SP as the IdP uses it; immutable once built. */
typedef struct saml_sp_info {
    char *entity_id;
    char *app_key;
    int allow_http;
    int sign_requests;
    int wants_assertions_signed; /* metadata: WantAssertionsSigned */
    unsigned sign_parts;         /* SAML_SIGN_* of its SSO Responses */
    saml_acs *acs;
    int n_acs;
    saml_slo_ep *slo;
    int n_slo;
    EVP_PKEY **keys; /* signing keys from the metadata */
    int n_keys;
    EVP_PKEY *enc_key;       /* metadata: first encryption key, or NULL */
    EVP_PKEY_CTX *enc_ctx;   /* its saml_encrypt_key_ctx(), or NULL */
    unsigned enc_alg;        /* SAML_ENC_* the metadata allows */
    int encrypt;             /* assertions encrypted to enc_key */
    atomic_ulong assertions; /* metrics */
} saml_sp_info;

/* Read-only snapshot: one LassoServer per metadata version, shared by all
 * threads and replaced as a whole (refcounted) when SPs change. */
typedef struct saml_server {
    atomic_int refs;
    int64_t version;
    LassoServer *lasso;
    GHashTable *sps; /* entity_id -> saml_sp_info* */
} saml_server;

/* Parse SP metadata into an info record (the validation of sp.c). */
int saml_sp__parse(saml_sp_info **out, const char *metadata, size_t len,
                   int allow_http, char **valid_until_out, int *n_certs_out,
                   int *wants_signed_out, idm_err *err);
void saml_sp__info_free(saml_sp_info *info);
/* 1 if url may be an SP endpoint (ACS, SLO): parsed with GUri, https with
 * a host and no userinfo, or with allow_http http on a loopback host
 * (127.0.0.0/8, ::1, localhost); else 0. */
int saml_sp__endpoint_ok(const char *url, int allow_http);

/* ---- keys ---- */

typedef struct saml_keys {
    char *key_pem; /* wiped on free */
    char *cert_pem;
    char *cert_b64;      /* DER base64 for metadata */
    char *next_cert_b64; /* or NULL */
    LassoKey *sign_key;  /* preloaded key, no certificate in KeyInfo */
    LassoKey *meta_key;  /* key with certificate, signs the metadata */
    EVP_PKEY *pkey;      /* the same key, for HTTP-Redirect signatures */
    EVP_MD_CTX *sign_md; /* RSA-SHA256 with pkey, initialised once: a
                          * copy per signature skips the provider fetch */
} saml_keys;

int saml_keys_load(saml_keys *out, const idm_conf *conf, idm_err *err);
void saml_keys_clear(saml_keys *keys);

/* ---- signed Responses (sign.c) ---- */

#define SAML_SIGN_ASSERTION 1u
#define SAML_SIGN_RESPONSE 2u

/* What an SP's Responses get signed (saml_sp.sign, NULL: per metadata):
 * one signature by default, on the Assertion if wants_assertions_signed,
 * else on the Response. */
unsigned saml_sign_parts(const char *sign, int wants_assertions_signed);

/* The login's Response with Destination acs_url, as base64 in *out
 * (free()); enveloped RSA-SHA256 signatures on every Assertion if parts
 * has SAML_SIGN_ASSERTION, on the Response if it has SAML_SIGN_RESPONSE
 * or carries no Assertion (error Responses are always signed). If sp
 * encrypts (sp->encrypt), every Assertion becomes an EncryptedAssertion
 * after it is signed. */
int saml_sign_response(char **out, LassoLogin *login, const char *acs_url,
                       const saml_keys *keys, unsigned parts,
                       const saml_sp_info *sp, idm_err *err);

/* ---- encrypted assertions (encrypt.c) ---- */

#define SAML_ENC_AES256_GCM 1u
#define SAML_ENC_AES128_CBC 2u

/* The content encryption for an SP whose encryption KeyDescriptor lists
 * md:EncryptionMethods (any_listed) including AES-256-GCM (gcm) or
 * AES-128-CBC (cbc128): AES-256-GCM unless it lists only the latter. */
unsigned saml_enc_from_methods(int any_listed, int gcm, int cbc128);

/* The RSA-OAEP-MGF1P encryption context for an SP's key (RSA, at most
 * 8192 bits), set up once per SP (OpenSSL 3 looks up the algorithms and
 * builds the parameters on every set-up); NULL if it cannot be made.
 * Free with EVP_PKEY_CTX_free(). */
EVP_PKEY_CTX *saml_encrypt_key_ctx(EVP_PKEY *sp_key);

/* A saml:EncryptedAssertion (canonical form) of the canonical Assertion
 * bytes, appended to out: content key wrapped with RSA-OAEP-MGF1P by a
 * copy of key_ctx (saml_encrypt_key_ctx()), content encrypted with alg
 * (SAML_ENC_*). */
int saml_encrypt_assertion(GString *out, const char *assertion, size_t len,
                           const EVP_PKEY_CTX *key_ctx, unsigned alg,
                           idm_err *err);

/* ---- database pool ---- */

typedef struct saml_dbpool saml_dbpool;
int saml_dbpool_new(saml_dbpool **out, const idm_conf *conf, int size,
                    idm_err *err);
void saml_dbpool_free(saml_dbpool *pool);
/* Borrow a connection (waits); reconnects a broken one. */
int saml_dbpool_get(idm_db **out, saml_dbpool *pool, idm_err *err);
void saml_dbpool_put(saml_dbpool *pool, idm_db *db);
void saml_dbpool_stats(saml_dbpool *pool, int *size, int *in_use);

/* ---- metrics ---- */

typedef struct saml_metrics saml_metrics;
saml_metrics *saml_metrics_new(void);
void saml_metrics_free(saml_metrics *m);
void saml_metrics_request(saml_metrics *m, const char *route, int status,
                          double seconds);
void saml_metrics_login(saml_metrics *m, int ok);
void saml_metrics_reject(saml_metrics *m);
void saml_metrics_render(GString *out, saml_metrics *m, saml_idp *idp);

/* ---- rejected requests (reject.c) ---- */

/* Reason classes of rejections: the label of
 * idmd_requests_rejected_by_reason_total (a fixed set, unlike the texts). */
typedef enum saml_reject_kind {
    SAML_REJECT_MALFORMED,     /* not decodable, DTD, repeated element */
    SAML_REJECT_TOO_LARGE,     /* size, element, depth or attribute cap */
    SAML_REJECT_UNKNOWN_SP,    /* issuer not registered */
    SAML_REJECT_UNSIGNED,      /* a signature is required */
    SAML_REJECT_BAD_SIGNATURE, /* invalid signature or algorithm */
    SAML_REJECT_ENDPOINT,      /* ACS, Destination, RelayState */
    SAML_REJECT_EXPIRED,       /* outside the time window */
    SAML_REJECT_REPLAYED,      /* ID seen before */
    SAML_REJECT_NOT_ACCEPTED,  /* Lasso or the profile refused it */
    SAML_REJECT_STATUS,        /* answered with a SAML error status */
    SAML_REJECT_INTERNAL,      /* database or build failure */
    SAML_REJECT__COUNT
} saml_reject_kind;

typedef struct saml_rejects saml_rejects;
saml_rejects *saml_rejects_new(void);
void saml_rejects_free(saml_rejects *r);
void saml_rejects_render(GString *out, saml_rejects *r);

/* ---- the IdP ---- */

/*
 * Cookie names. Behind https they carry the __Host- prefix (RFC 6265bis
 * 4.1.3.2): the browser then accepts them only with Secure, Path=/ and no
 * Domain, so a sibling host under the same domain cannot plant or shadow
 * them. Over plain http (local quickstart) browsers refuse the prefix.
 */
#define SAML_COOKIE_BROWSER "idm_b"
#define SAML_COOKIE_SESSION "idm_s"
#define SAML_COOKIE_BROWSER_SECURE "__Host-idm_b"
#define SAML_COOKIE_SESSION_SECURE "__Host-idm_s"

/* lasso_init() once per process; 0 or Lasso's code. */
int saml__lasso_init(void);

struct saml_idp {
    const idm_conf *conf;
    char *entity_id;
    char *sso_url;
    char *slo_url;
    int secure_cookies; /* base URL is https */
    /* cookie names: SAML_COOKIE_*, with the __Host- prefix behind https */
    const char *cookie_browser;
    const char *cookie_session;
    saml_keys keys;
    EVP_MAC_CTX *pairwise_mac; /* keyed HMAC of pairwise ids */
    EVP_MAC_CTX *csrf_mac;     /* keyed HMAC of CSRF tokens */
    pthread_mutex_t srv_lock;
    saml_server *srv;
    atomic_llong last_refresh; /* monotonic seconds */
    saml_dbpool *pool;
    saml_metrics *metrics;
    pthread_mutex_t meta_lock;
    char *metadata;              /* signed metadata, cached */
    int64_t metadata_made;       /* epoch seconds */
    idm_policy_store *policies;  /* rights policies (policy.c) */
    atomic_ulong policy_reloads; /* successful reloads, for metrics */
    idm_db *sp_listen;           /* LISTEN saml_sp (spwatch.c), main thread */
    saml_rejects *rejects;       /* rejection counts (reject.c) */
};

saml_server *saml_server_acquire(saml_idp *idp);
void saml_server_release(saml_server *srv);
int saml_server_build(saml_server **out, saml_idp *idp, idm_db *db,
                      idm_err *err);

/* IdP metadata (unsigned text for Lasso; signed for publication). */
char *saml_metadata_build(const saml_idp *idp, int64_t valid_until);
int saml_metadata_signed(char **out, saml_idp *idp, idm_err *err);

/* ---- per-request context ---- */

typedef enum saml_lang { SAML_LANG_DE, SAML_LANG_EN } saml_lang;

typedef struct saml_session {
    int64_t id;
    char person_uuid[40];
    char login[80];
    int64_t auth_instant; /* epoch seconds */
    int must_change_password;
} saml_session;

typedef struct saml_ctx {
    saml_idp *idp;
    const saml_request *req;
    saml_response *resp;
    saml_pool *pool;
    saml_lang lang;
    idm_db *db;       /* borrowed from the pool on first use */
    saml_server *srv; /* acquired on first use */
    idm_actor actor;
    char *browser;                /* browser token (CSRF, pending binding) */
    int browser_new;              /* must be sent as a cookie */
    saml_session session;         /* valid if session.id != 0 */
    int session_checked;          /* session looked up (found or not) */
    idm_subject *session_subject; /* the session's person, if the lookup
                                     read it (pooled), else NULL */
    struct saml_replay_q *replay; /* a replay check in flight (store.c) */
    char *session_token;          /* the cookie value of the session */
    idm_policy *policy; /* referenced on first use, unref'd at the end */
    int64_t fresh_auth; /* epoch of a password check in this request */
} saml_ctx;

int saml_ctx_db(idm_db **out, saml_ctx *ctx, idm_err *err);
/* Hand the request's connection back to the pool (nothing may be in
 * flight on it): before Lasso and signature work, so that slow or hostile
 * requests never hold one of the few connections. */
void saml_ctx_db_release(saml_ctx *ctx);
saml_server *saml_ctx_server(saml_ctx *ctx);

/* responses */
void saml_resp_header(saml_ctx *ctx, const char *name, const char *value);
void saml_resp_body(saml_ctx *ctx, int status, const char *type, GString *b);
void saml_resp_redirect(saml_ctx *ctx, const char *location);
void saml_resp_cookie(saml_ctx *ctx, const char *name, const char *value,
                      int max_age);

/* pages (pages.c) */
typedef enum saml_msgid {
    SAML_M_TITLE_LOGIN,
    SAML_M_LOGIN_INTRO,
    SAML_M_LOGIN_FOR,
    SAML_M_USERNAME,
    SAML_M_PASSWORD,
    SAML_M_SUBMIT,
    SAML_M_BAD_CREDENTIALS,
    SAML_M_ACCOUNT_DISABLED,
    SAML_M_ADDR_THROTTLED,
    SAML_M_TITLE_ERROR,
    SAML_M_ERROR_INTRO,
    SAML_M_CONTINUE,
    SAML_M_NOSCRIPT,
    SAML_M_TITLE_PORTAL,
    SAML_M_LOGGED_IN_AS,
    SAML_M_LOGOUT,
    SAML_M_TITLE_LOGGED_OUT,
    SAML_M_LOGGED_OUT,
    SAML_M_LOGGED_OUT_APPS,
    SAML_M_TITLE_CHANGE_PW,
    SAML_M_CHANGE_PW_INTRO,
    SAML_M_NEW_PASSWORD,
    SAML_M_NEW_PASSWORD2,
    SAML_M_PW_MISMATCH,
    SAML_M_YOUR_APPS,
    SAML_M_NO_APPS,
    SAML_M_BAD_FORM,
    SAML_M_REQUEST_REJECTED,
    SAML_M_UNAVAILABLE,
    SAML_M_NOT_FOUND,
    SAML_M_APP_DENIED,
    SAML_M_BACK_TO_APP,
    SAML_M_TITLE_DENIED,
    SAML_M_DENIED_HELP,
    SAML_M_REAUTH_MARK,
    SAML_M_NO_LINK,
    /* the password page (issue 12) */
    SAML_M_CURRENT_PASSWORD,
    SAML_M_CURRENT_PW_WRONG,
    SAML_M_PW_RULES,
    SAML_M_PW_RULE_LENGTH,
    SAML_M_PW_RULE_LENGTH2,
    SAML_M_PW_RULE_WORDS,
    SAML_M_PW_RULE_SIMPLE,
    SAML_M_PW_RULE_LOGIN,
    SAML_M_PW_RULE_OLD,
    SAML_M_PW_NOT_UTF8,
    SAML_M_PW_TOO_SHORT,
    SAML_M_PW_TOO_LONG,
    SAML_M_PW_DICTIONARY,
    SAML_M_PW_SIMPLE,
    SAML_M_PW_CONTAINS_LOGIN,
    SAML_M_PW_SAME_CURRENT,
    SAML_M_PW_SAME_INITIAL,
    SAML_M__COUNT
} saml_msgid;

const char *saml_msg_text(saml_lang lang, saml_msgid id);
saml_lang saml_lang_pick(const char *accept_language);
/* Page skeleton: header with title, then body, then footer. */
GString *saml_page_begin(saml_ctx *ctx, saml_msgid title);
void saml_page_end(saml_ctx *ctx, GString *page, int status);
/* Error page; the reason text must be safe for users. */
void saml_page_error(saml_ctx *ctx, int status, const char *reason);
/* CSRF token bound to the browser token. */
char *saml_csrf_token(saml_ctx *ctx);
int saml_csrf_check(saml_ctx *ctx, const char *token);
/* Auto-submitting POST form (visible button without JavaScript). */
void saml_page_post_form(saml_ctx *ctx, const char *url, const char *field,
                         const char *value, const char *relay_state);
void saml_page_login(saml_ctx *ctx, const char *pending, const char *sp,
                     saml_msgid error);
/* The policy denies (403): plain words; with acs_url and response a
 * button posts the RequestDenied Response back to the application. */
void saml_page_denied(saml_ctx *ctx, const char *app_name, const char *acs_url,
                      const char *response, const char *relay_state);

/* ---- sessions, throttling, replay, pending requests (store.c) ---- */

int saml_session_lookup(saml_ctx *ctx, idm_err *err);
/* The session's person (borrowed from ctx): as the session lookup read it
 * (saml_replay_wait), else read now. */
int saml_session_subject(const idm_subject **out, saml_ctx *ctx, idm_err *err);
int saml_session_create(saml_ctx *ctx, const char *uuid, const char *login,
                        int must_change, idm_err *err);
int saml_session_destroy(saml_ctx *ctx, idm_err *err);
int saml_session_clear_must_change(saml_ctx *ctx, idm_err *err);
/* An assertion issued to sp for login: audit saml.assertion_issue and,
 * unless session_id is 0, join the SP to that session for Single Logout;
 * both or neither, in one statement. _send() returns once it is on its
 * way (the caller signs meanwhile, touching no database); _wait() gives
 * its outcome: the Response may leave only after it returned 0. */
int saml_assertion_record_send(saml_ctx *ctx, int64_t session_id,
                               const char *login, const char *sp,
                               const char *name_id, const char *format,
                               const char *session_index, idm_err *err);
int saml_assertion_record_wait(saml_ctx *ctx, const char *sp, idm_err *err);
int saml_throttle_blocked(int *blocked, saml_ctx *ctx, idm_err *err);
int saml_throttle_fail(saml_ctx *ctx, idm_err *err);
/* The replay check of a request ID in two halves (idm_db_send_prepared):
 * _send() puts it on its way, the caller works meanwhile without the
 * database, _wait() returns 0 if the ID is seen first, IDM_EEXISTS if
 * replayed. In the same round trip the browser's session is looked up as
 * saml_session_lookup() does, with its person (ctx->session_subject). */
int saml_replay_send(saml_ctx *ctx, const char *sp, const char *id,
                     int64_t expires, idm_err *err);
int saml_replay_wait(saml_ctx *ctx, idm_err *err);
int saml_pending_store(char **id_out, saml_ctx *ctx, const char *binding,
                       const char *message, const char *relay_state,
                       idm_err *err);
int saml_pending_take(char **binding_out, char **message_out, char **relay_out,
                      saml_ctx *ctx, const char *id, idm_err *err);
/* AuthnRequests across the login page: message is the request as decoded
 * and checked (at most SAML_PENDING_MESSAGE_MAX bytes), force the
 * server-side ForceAuthn/reauth flag; each client address keeps at most
 * SAML_PENDING_PER_ADDR rows (the oldest give way). */
#define SAML_PENDING_MESSAGE_MAX SAML_MSG_XML_MAX
#define SAML_PENDING_PER_ADDR 64
int saml_pending_park(char **id_out, saml_ctx *ctx, const char *binding,
                      const char *message, const char *relay_state, int force,
                      idm_err *err);
int saml_pending_resume(char **binding_out, char **message_out,
                        char **relay_out, int *force_out, saml_ctx *ctx,
                        const char *id, idm_err *err);
/* The force flag of a pending request of this browser (0 if none). */
int saml_pending_force(int *force_out, saml_ctx *ctx, const char *id,
                       idm_err *err);
/* The password was just checked for this pending request. */
int saml_pending_force_done(saml_ctx *ctx, const char *id, idm_err *err);
/* Single Logout: the live session in which sp was given exactly this
 * NameID and SessionIndex (*id_out 0 if none, or an argument is NULL);
 * end a session by id, leaving the browser's cookie alone. */
int saml_slo_session_find(int64_t *id_out, char login_out[80], saml_ctx *ctx,
                          const char *sp, const char *name_id,
                          const char *session_index, idm_err *err);
int saml_slo_session_end(saml_ctx *ctx, int64_t id, idm_err *err);
/* The SessionIndex of session_id for sp: the same for every assertion of
 * that session to that SP, different (unlinkable) for every SP. free(). */
char *saml_slo_session_index(const saml_idp *idp, int64_t session_id,
                             const char *sp);

/* ---- protocol steps ---- */

/* verify.c: 0 if m carries an HTTP-Redirect signature (RSA-SHA256 over
 * m->signed_octets) that one of sp's RSA metadata keys verifies, else -1
 * (also when m is not Redirect-signed). */
int saml_verify_redirect(const saml_sp_info *sp, const saml_msg *m);

void saml_audit(saml_ctx *ctx, const char *action, const char *target,
                idm_audit_result result, const char *sp, const char *reason);
/* Only the log line of saml_audit (for callers writing the row
 * themselves). */
void saml_audit_log(saml_ctx *ctx, const char *action, idm_audit_result result,
                    const char *sp, const char *reason);

/* A rejected request from ctx's client (reject.c): counted per kind in
 * metrics and in the (address, reason, minute) bucket that becomes one
 * audit row "saml.authn_reject" with a count; logged once per bucket. No
 * database access: usable before any connection is taken. sp: issuer or
 * NULL; reason: safe for users, from a small fixed set of texts. */
void saml_reject_note(saml_ctx *ctx, saml_reject_kind kind, const char *sp,
                      const char *reason);
/* The same under another audit action (a string literal), such as
 * "saml.logout_reject". */
void saml_reject_note_as(saml_ctx *ctx, const char *action,
                         saml_reject_kind kind, const char *sp,
                         const char *reason);

/* nameid.c: persistent pairwise id of a person for an SP. */
char *saml_nameid_pairwise(const saml_idp *idp, const char *person_uuid,
                           const char *sp_entity_id);

/* attributes.c: exactly the attributes the decision releases to sp, for
 * the person person_uuid (pairwise-id and subject-id computed here;
 * pairwise: the person's pairwise id for sp if the caller has it, or
 * NULL). */
int saml_attributes_build(GList **out, saml_ctx *ctx, const saml_sp_info *sp,
                          const char *person_uuid, const char *pairwise,
                          const idm_decision *d, const idm_subject *subject,
                          idm_err *err);

/* policy.c: the rights policy at the IdP */
int saml_policy_open(saml_idp *idp, idm_err *err);
/* Reloads refused since start (metrics). */
unsigned saml_idp__policy_refused(const saml_idp *idp);
/* The active policy for this request (one reference per request). */
const idm_policy *saml_ctx_policy(saml_ctx *ctx);
/* Decide for the subject and the SP's application key; an SP without a
 * key or with a key the policy does not know is denied (logged for the
 * administrator). */
void saml_policy_decide(idm_decision *out, saml_ctx *ctx,
                        const saml_sp_info *sp, const idm_subject *subject);
/* The decision without a subject: 0 if the SP's application exists and is
 * not closed, else -1 with out->reason set (default deny). */
int saml_policy_app_check(idm_decision *out, saml_ctx *ctx,
                          const saml_sp_info *sp);

/* sso.c */
void saml_sso_handle(saml_ctx *ctx);
void saml_sso_init(saml_ctx *ctx);
/* Continue a pending request after login; NULL pending: portal. */
void saml_sso_resume(saml_ctx *ctx, const char *pending);
/* After a successful password check: a pending request of an application
 * that requires a fresh login is answered without creating or touching the
 * shared session; otherwise the session is created and the request (or
 * the password change, or the portal) follows. */
void saml_sso_login_done(saml_ctx *ctx, const char *pending, const char *uuid,
                         const char *login, int must_change);
/* login.c */
void saml_login_handle(saml_ctx *ctx);
void saml_logout_handle(saml_ctx *ctx);
void saml_portal_handle(saml_ctx *ctx);
void saml_password_handle(saml_ctx *ctx);
/* slo.c */
void saml_slo_handle(saml_ctx *ctx);

#endif /* SAML_INT_H */
