/* SPDX-License-Identifier: EUPL-1.2
 * The floor of an SSO Response besides its RSA signature (run by
 * tests/bench/saml/run after bench_saml, never by ctest): each piece any
 * correct IdP of idmd's architecture needs per Response, measured alone,
 * pinned to one CPU, as CPU time of this process per operation:
 *  (i)   the RSA signature of a SignedInfo with the IdP key (EVP, blinded:
 *        what "openssl speed" measures);
 *  (ii)  the two statements of an SSO (replay entry + session + person,
 *        then the session's SP + audit row), prepared, as libpq's client
 *        (PostgreSQL answers from the other CPUs);
 *  (iii) the HTTP-Redirect AuthnRequest decoded (inflate, pre-parse,
 *        parse) and taken by Lasso, then Lasso building the Assertion and
 *        Response of the same shape as idmd (pairwise NameID, the
 *        application's attributes) and dumping them as XML trees, and
 *        tearing it all down;
 *  (iv)  exclusive c14n and SHA-256 of the two trees;
 *  (v)   the Assertion encrypted (AES-256-GCM, RSA-OAEP to the SP key);
 *  (vi)  libmicrohttpd answering a keep-alive GET of the same size with a
 *        10 KiB page (thread per connection, as idmd), the client in a
 *        child process on another CPU.
 * The sum of (ii)..(vi) is the floor; sign / (sign + floor) the ceiling
 * of the ratio bench_saml reports. It reuses idmd's own code where that is
 * the minimal way (decoder, keys, SP records, policy, attributes,
 * encryption), so it is a floor for this implementation's libraries and
 * protocol work, not for a different design.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <libxml/c14n.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "base/conf.h"
#include "base/db.h"
#include "conf_sections.h"
#include "idm/policy.h"
#include "saml/decode.h"
#include "idp_int.h"
#include "steps_int.h"
#include "web/conf.h"
#include "web/web.h"

static struct {
    const char *config, *sp, *login;
    long n;
} o = {.n = 2000};

static double cpu_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_floor: %s\n", what);
    exit(1);
}

/* ---- (i) RSA ---- */

static double rsa_sign_ms(const saml_keys *keys)
{
    unsigned char sig[1024], si[700];
    size_t slen;
    double t0;

    memset(si, 'x', sizeof(si));
    t0 = cpu_s();
    for (long i = 0; i < o.n / 4; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        slen = sizeof(sig);
        if (md == NULL || EVP_MD_CTX_copy_ex(md, keys->sign_md) != 1 ||
            EVP_DigestSign(md, sig, &slen, si, sizeof(si)) != 1) {
            die("RSA signature failed");
        }
        EVP_MD_CTX_free(md);
    }
    return (cpu_s() - t0) * 1000.0 / (double)(o.n / 4);
}

/* ---- (ii) the two statements ---- */

#define REPLAY_SQL                                                             \
    "WITH r AS (INSERT INTO saml_replay (sp_entity_id, request_id, "           \
    "expires_at) VALUES ($3, $4, to_timestamp($5)) ON CONFLICT DO NOTHING "    \
    "RETURNING 1), s AS (UPDATE saml_session SET last_seen = now() WHERE "     \
    "token_hash = $1::bytea AND expires_at > now() AND last_seen > now() - "   \
    "make_interval(mins => $2::int) RETURNING id, person_uuid, login, "        \
    "extract(epoch FROM auth_instant)::bigint, must_change_password), %s "     \
    "SELECT EXISTS (SELECT 1 FROM r), s.*, idm_subject.* FROM (VALUES (1)) v " \
    "LEFT JOIN s ON true LEFT JOIN idm_subject ON true ORDER BY %s"
#define RECORD_SQL                                                             \
    "WITH s AS (INSERT INTO saml_session_sp (session_id, sp_entity_id, "       \
    "name_id, name_id_format, session_index) SELECT $1::bigint, $2, $3, $4, "  \
    "$5 WHERE $1::bigint <> 0 ON CONFLICT (session_id, sp_entity_id) DO "      \
    "UPDATE SET name_id = EXCLUDED.name_id, name_id_format = "                 \
    "EXCLUDED.name_id_format, session_index = EXCLUDED.session_index, "        \
    "issued_at = now()) INSERT INTO audit_log (actor, addr, action, target, "  \
    "result, details) VALUES ($6, $7, 'saml.assertion_issue', $8, 'ok', "      \
    "jsonb_build_object('sp', $2::text))"

static PGresult *wait_result(PGconn *c)
{
    PGresult *res = PQgetResult(c), *more;

    while ((more = PQgetResult(c)) != NULL) {
        PQclear(more);
    }
    if (res == NULL || (PQresultStatus(res) != PGRES_TUPLES_OK &&
                        PQresultStatus(res) != PGRES_COMMAND_OK)) {
        fprintf(stderr, "%s", PQerrorMessage(c));
        die("statement failed");
    }
    return res;
}

static double db_ms(const idm_conf *conf, int *rows)
{
    idm_err err = IDM_ERR_INIT;
    idm_db *db = NULL;
    PGconn *c;
    PGresult *res;
    char *subject = idm_subject_sql("(SELECT login FROM s)");
    char *sql = g_strdup_printf(REPLAY_SQL, subject, IDM_SUBJECT_ORDER);
    char hash[80], idle[16], exp[24], id[48], sid[24], login[128];
    double t0, t;

    if (idm_db_open(&db, conf, &err) != 0) {
        die(err.msg);
    }
    c = idm_db_conn(db);
    /* a live session of the benchmark (bench_saml logged in) */
    res = PQexec(c, "SELECT '\\x' || encode(token_hash, 'hex'), login FROM "
                    "saml_session WHERE expires_at > now() ORDER BY id DESC "
                    "LIMIT 1");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        die("no session in the database (run bench_saml first)");
    }
    snprintf(hash, sizeof(hash), "%s", PQgetvalue(res, 0, 0));
    snprintf(login, sizeof(login), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    snprintf(idle, sizeof(idle), "%d",
             web_conf_get(conf)->session_idle_minutes);
    snprintf(exp, sizeof(exp), "%lld", (long long)time(NULL) + 600);
    res = PQprepare(c, "floor_1", sql, 5, NULL);
    PQclear(res);
    res = PQprepare(c, "floor_2", RECORD_SQL, 8, NULL);
    PQclear(res);
    t0 = cpu_s();
    for (long i = 0; i < o.n; i++) {
        const char *p1[5] = {hash, idle, o.sp, id, exp};
        const char *p2[8] = {sid,        o.sp,  "nameid-floor", "persistent",
                             "si-floor", login, "127.0.0.1",    login};
        idm_subject *s = NULL;

        snprintf(id, sizeof(id), "_floor%ld_%ld", (long)getpid(), i);
        if (!PQsendQueryPrepared(c, "floor_1", 5, p1, NULL, NULL, 0)) {
            die("send failed");
        }
        res = wait_result(c);
        if (PQgetvalue(res, 0, 0)[0] != 't' || PQgetisnull(res, 0, 1) ||
            idm_subject_read(&s, res, 6, login, &err) != 0) {
            die("no session or person in the replay statement");
        }
        *rows = PQntuples(res);
        snprintf(sid, sizeof(sid), "%s", PQgetvalue(res, 0, 1));
        idm_subject_free(s);
        PQclear(res);
        if (!PQsendQueryPrepared(c, "floor_2", 8, p2, NULL, NULL, 0)) {
            die("send failed");
        }
        PQclear(wait_result(c));
    }
    t = (cpu_s() - t0) * 1000.0 / (double)o.n;
    idm_db_close(db);
    g_free(sql);
    g_free(subject);
    return t;
}

/* ---- (iii)..(v) ---- */

/* "SAMLRequest=...&RelayState=bench" as bench_saml sends it. */
static char *request_query(const char *base, long serial)
{
    char xml[2048], instant[32], *q;
    unsigned char raw[2048], b64[2800];
    time_t t = time(NULL);
    struct tm tm;
    z_stream z;
    int n;
    GString *out = g_string_new("SAMLRequest=");

    gmtime_r(&t, &tm);
    strftime(instant, sizeof(instant), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(
        xml, sizeof(xml),
        "<samlp:AuthnRequest "
        "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
        "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" "
        "ID=\"_floor%ld\" Version=\"2.0\" IssueInstant=\"%s\" "
        "Destination=\"%s/saml/sso\" AssertionConsumerServiceURL=\"%s\" "
        "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">"
        "<saml:Issuer>%s</saml:Issuer><samlp:NameIDPolicy "
        "Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\" "
        "AllowCreate=\"true\"/></samlp:AuthnRequest>",
        serial, instant, base, "http://127.0.0.1:9/acs", o.sp);
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        die("deflate");
    }
    z.next_in = (unsigned char *)xml;
    z.avail_in = (unsigned)n;
    z.next_out = raw;
    z.avail_out = sizeof(raw);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        die("deflate");
    }
    EVP_EncodeBlock(b64, raw, (int)z.total_out);
    deflateEnd(&z);
    for (const unsigned char *p = b64; *p != '\0'; p++) {
        if (*p == '+' || *p == '/' || *p == '=') {
            g_string_append_printf(out, "%%%02X", *p);
        } else {
            g_string_append_c(out, (char)*p);
        }
    }
    g_string_append(out, "&RelayState=bench");
    q = g_string_free(out, FALSE);
    return q;
}

static xmlDoc *dump(LassoNode *node)
{
    xmlNode *x = LASSO_NODE_GET_CLASS(node)->get_xmlNode(node, FALSE);
    xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");

    xmlDocSetRootElement(doc, x);
    return doc;
}

static int append(void *out, const char *buf, int len)
{
    g_string_append_len(out, buf, len);
    return len;
}

static void c14n_sha(xmlDoc *doc)
{
    GString *c = g_string_sized_new(8192);
    xmlOutputBuffer *ob = xmlOutputBufferCreateIO(append, NULL, c, NULL);
    unsigned char md[32];
    unsigned mdlen;

    if (xmlC14NExecute(doc, NULL, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, ob) <
            0 ||
        xmlOutputBufferClose(ob) < 0 ||
        EVP_Digest(c->str, c->len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        die("c14n");
    }
    g_string_free(c, TRUE);
}

typedef struct pieces {
    double decode, build, dump, c14n, encrypt, teardown, sign_response;
    size_t response_bytes;
    int attrs;
} pieces;

/* The Assertion as issue() makes it, for the session's person. */
static LassoLogin *build(web_ctx *ctx, saml_server *srv, const saml_sp_info *sp,
                         const char *query, const idm_subject *subject,
                         const char *uuid, int *nattrs)
{
    idm_err err = IDM_ERR_INIT;
    saml_msg m;
    LassoLogin *login;
    LassoProfile *profile;
    LassoNode *node;
    LassoSaml2Assertion *a;
    LassoSaml2NameID *nid;
    LassoSamlp2AuthnRequest *ar;
    LassoSaml2AttributeStatement *stmt;
    GList *attrs = NULL;
    idm_decision d;
    char *pw;

    memset(&m, 0, sizeof(m));
    if (saml_msg_decode_redirect(&m, query, strlen(query), "SAMLRequest",
                                 &err) != 0) {
        die(err.msg);
    }
    login = lasso_login_new(srv->lasso);
    profile = LASSO_PROFILE(login);
    lasso_profile_set_signature_hint(profile,
                                     LASSO_PROFILE_SIGNATURE_HINT_FORBID);
    lasso_profile_set_signature_verify_hint(
        profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_IGNORE);
    node = lasso_node_new_from_xmlNode(xmlDocGetRootElement(m.doc));
    profile->request = node;
    profile->remote_providerID = g_strdup(m.issuer);
    if (lasso_login_process_authn_request_msg(login, NULL) != 0) {
        die("Lasso refused the request");
    }
    saml_msg_clear(&m);
    ar = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    g_free(ar->NameIDPolicy->Format);
    ar->NameIDPolicy->Format =
        g_strdup(LASSO_SAML2_NAME_IDENTIFIER_FORMAT_TRANSIENT);
    if (lasso_login_validate_request_msg(login, TRUE, TRUE) != 0 ||
        lasso_login_build_assertion(
            login, LASSO_SAML2_AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT,
            "2026-12-06T00:00:00Z", NULL, "2026-12-06T00:00:00Z",
            "2026-12-06T00:05:00Z") != 0) {
        die("Lasso built no assertion");
    }
    a = LASSO_SAML2_ASSERTION(lasso_login_get_assertion(login));
    pw = saml_nameid_pairwise(saml_idp_of(ctx), uuid, sp->entity_id);
    nid = LASSO_SAML2_NAME_ID(lasso_saml2_name_id_new_with_string(pw));
    nid->Format = g_strdup(LASSO_SAML2_NAME_IDENTIFIER_FORMAT_PERSISTENT);
    nid->NameQualifier = g_strdup(saml_idp_of(ctx)->entity_id);
    nid->SPNameQualifier = g_strdup(sp->entity_id);
    g_object_unref(a->Subject->NameID);
    a->Subject->NameID = nid;
    g_free(a->Subject->SubjectConfirmation->SubjectConfirmationData->Recipient);
    a->Subject->SubjectConfirmation->SubjectConfirmationData->Recipient =
        g_strdup("http://127.0.0.1:9/acs");
    if (a->AuthnStatement != NULL) {
        LassoSaml2AuthnStatement *as = a->AuthnStatement->data;
        char *si = saml_slo_session_index(saml_idp_of(ctx), 1, sp->entity_id);
        g_free(as->SessionIndex);
        as->SessionIndex = g_strdup(si);
        free(si);
    }
    saml_policy_decide(&d, ctx, sp, subject);
    if (d.verdict != IDM_VERDICT_ALLOW ||
        saml_attributes_build(&attrs, ctx, sp, uuid, pw, &d, subject, &err) !=
            0) {
        die("the policy does not allow the benchmark's person");
    }
    *nattrs = (int)g_list_length(attrs);
    stmt =
        LASSO_SAML2_ATTRIBUTE_STATEMENT(lasso_saml2_attribute_statement_new());
    stmt->Attribute = attrs;
    a->AttributeStatement = g_list_append(a->AttributeStatement, stmt);
    free(pw);
    g_object_unref(a);
    return login;
}

static void lasso_pieces(pieces *p, web_site *web, saml_idp *idp,
                         const idm_conf *conf)
{
    idm_err err = IDM_ERR_INIT;
    saml_server *srv = saml_server_acquire(idp);
    const saml_sp_info *sp = g_hash_table_lookup(srv->sps, o.sp);
    idm_db *db = NULL;
    idm_subject *subject = NULL;
    PGresult *res;
    web_ctx ctx;
    char uuid[64];
    long n = o.n / 2;
    double t[8];

    if (sp == NULL) {
        die("the SP is not registered");
    }
    if (idm_db_open(&db, conf, &err) != 0 ||
        idm_subject_load(&subject, db, o.login, &err) != 0) {
        die(err.msg);
    }
    res = PQexecParams(idm_db_conn(db),
                       "SELECT person_uuid FROM saml_session WHERE login = $1 "
                       "LIMIT 1",
                       1, NULL, (const char *const[]){o.login}, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        die("no session of the login");
    }
    snprintf(uuid, sizeof(uuid), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    memset(&ctx, 0, sizeof(ctx));
    ctx.site = web;
    ctx.conf = conf;
    ctx.proto = idp;
    memset(p, 0, sizeof(*p));
    for (long i = 0; i < n; i++) {
        char *q = request_query(web_conf_get(conf)->base_url, i), *b64 = NULL;
        LassoLogin *login;
        LassoSamlp2Response *resp;
        GList *as;
        xmlDoc *da, *dr;
        GString *enc = g_string_sized_new(8192);
        GString *plain = g_string_sized_new(8192);
        xmlOutputBuffer *ob;

        t[0] = cpu_s();
        {
            saml_msg m;
            memset(&m, 0, sizeof(m));
            if (saml_msg_decode_redirect(&m, q, strlen(q), "SAMLRequest",
                                         &err) != 0) {
                die(err.msg);
            }
            saml_msg_clear(&m);
        }
        t[1] = cpu_s();
        login = build(&ctx, srv, sp, q, subject, uuid, &p->attrs);
        t[2] = cpu_s();
        resp = LASSO_SAMLP2_RESPONSE(LASSO_PROFILE(login)->response);
        as = resp->Assertion;
        da = dump(LASSO_NODE(as->data));
        resp->Assertion = NULL;
        dr = dump(LASSO_NODE(resp));
        resp->Assertion = as;
        t[3] = cpu_s();
        c14n_sha(da);
        c14n_sha(dr);
        t[4] = cpu_s();
        ob = xmlOutputBufferCreateIO(append, NULL, plain, NULL);
        xmlC14NExecute(da, NULL, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0, ob);
        xmlOutputBufferClose(ob);
        t[5] = cpu_s();
        if (sp->encrypt && sp->enc_ctx != NULL &&
            saml_encrypt_assertion(enc, plain->str, plain->len, sp->enc_ctx,
                                   sp->enc_alg, &err) != 0) {
            die(err.msg);
        }
        t[6] = cpu_s();
        xmlFreeDoc(da);
        xmlFreeDoc(dr);
        g_object_unref(login);
        t[7] = cpu_s();
        p->decode += t[1] - t[0];
        /* build() decodes once more for Lasso: count that once */
        p->build += t[2] - t[1] - (t[1] - t[0]);
        p->dump += t[3] - t[2];
        p->c14n += t[4] - t[3];
        p->encrypt += t[6] - t[5];
        p->teardown += t[7] - t[6];

        /* the same through idmd's sign.c (one RSA signature included) */
        login = build(&ctx, srv, sp, q, subject, uuid, &p->attrs);
        t[0] = cpu_s();
        if (saml_sign_response(&b64, login, "http://127.0.0.1:9/acs",
                               &idp->keys, sp->sign_parts, sp, &err) != 0) {
            die(err.msg);
        }
        t[1] = cpu_s();
        p->sign_response += t[1] - t[0];
        p->response_bytes = strlen(b64);
        free(b64);
        g_object_unref(login);
        g_string_free(enc, TRUE);
        g_string_free(plain, TRUE);
        g_free(q);
    }
    p->decode *= 1000.0 / (double)n;
    p->build *= 1000.0 / (double)n;
    p->dump *= 1000.0 / (double)n;
    p->c14n *= 1000.0 / (double)n;
    p->encrypt *= 1000.0 / (double)n;
    p->teardown *= 1000.0 / (double)n;
    p->sign_response *= 1000.0 / (double)n;
    idm_subject_free(subject);
    idm_db_close(db);
    saml_server_release(srv);
}

/* ---- (vi) HTTP ---- */

static char page[10240];

static enum MHD_Result serve(void *cls, struct MHD_Connection *c,
                             const char *url, const char *method,
                             const char *version, const char *data,
                             size_t *size, void **state)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    (void)size;
    if (*state == NULL) {
        *state = c; /* headers first, as MHD asks */
        return MHD_YES;
    }
    (void)MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "SAMLRequest");
    (void)MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "idm_s");
    r = MHD_create_response_from_buffer(sizeof(page), page,
                                        MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void client(int port, const char *query, long n, int cpu)
{
    struct sockaddr_in sin;
    char *req = g_strdup_printf("GET /saml/sso?%s HTTP/1.1\r\nHost: "
                                "127.0.0.1\r\nCookie: idm_b=%043d; "
                                "idm_s=%043d\r\n\r\n",
                                query, 0, 0);
    static char buf[65536];
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof(set), &set);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        _exit(1);
    }
    for (long i = 0; i < n; i++) {
        size_t got = 0, need = 0;
        if (send(fd, req, strlen(req), 0) < 0) {
            _exit(1);
        }
        /* headers, then Content-Length bytes */
        for (;;) {
            ssize_t k = recv(fd, buf + got, sizeof(buf) - got - 1, 0);
            char *end;
            if (k <= 0) {
                _exit(1);
            }
            got += (size_t)k;
            buf[got] = '\0';
            end = strstr(buf, "\r\n\r\n");
            if (end != NULL && need == 0) {
                char *cl = strcasestr(buf, "Content-Length:");
                need = (size_t)(end + 4 - buf) +
                       (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0);
            }
            if (need != 0 && got >= need) {
                break;
            }
        }
    }
    close(fd);
    _exit(0);
}

static double http_ms(const char *query, int cpu_client)
{
    struct MHD_Daemon *d;
    const union MHD_DaemonInfo *info;
    struct sockaddr_in sin;
    double t0, t;
    long n = o.n * 2;
    int status = 0;
    pid_t pid;

    memset(page, 'p', sizeof(page));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                             MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
                         0, NULL, NULL, serve, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sin,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         (size_t)(64 * 1024), MHD_OPTION_END);
    info = d != NULL ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (info == NULL) {
        die("could not start libmicrohttpd");
    }
    t0 = cpu_s();
    pid = fork();
    if (pid == 0) {
        client(info->port, query, n, cpu_client);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        die("HTTP client failed");
    }
    t = (cpu_s() - t0) * 1000.0 / (double)n;
    MHD_stop_daemon(d);
    return t;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"config", required_argument, NULL, 'c'},
                                       {"sp", required_argument, NULL, 's'},
                                       {"login", required_argument, NULL, 'l'},
                                       {"n", required_argument, NULL, 'n'},
                                       {NULL, 0, NULL, 0}};
    idm_conf *conf = NULL;
    saml_idp *idp = NULL;
    web_site *web = NULL;
    idm_err err = IDM_ERR_INIT;
    cpu_set_t set;
    pieces p;
    double sign, db, http, floor_ms;
    int opt, rows = 0, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    char *q;

    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'c':
            o.config = optarg;
            break;
        case 's':
            o.sp = optarg;
            break;
        case 'l':
            o.login = optarg;
            break;
        case 'n':
            o.n = atol(optarg);
            break;
        default:
            return 2;
        }
    }
    if (o.config == NULL || o.sp == NULL || o.login == NULL || o.n < 8) {
        fprintf(stderr, "usage: bench_floor --config FILE --sp ENTITY "
                        "--login LOGIN [--n N]\n");
        return 2;
    }
    if (prog_conf_register("bench_floor") != 0) {
        return 1;
    }
    if (idm_conf_load(&conf, o.config, &err) != 0 ||
        web_site_new(&web, conf, 1, &err) != 0 ||
        saml_idp_new(&idp, web, &err) != 0) {
        die(err.msg);
    }
    /* one CPU, as idmd alone on a core; the client and PostgreSQL have
     * the others */
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        die("could not pin to CPU 0");
    }
    sign = rsa_sign_ms(&idp->keys);
    db = db_ms(conf, &rows);
    lasso_pieces(&p, web, idp, conf);
    q = request_query(web_conf_get(conf)->base_url, 0);
    http = http_ms(q, ncpu > 1 ? 1 : 0);
    g_free(q);
    floor_ms = db + p.decode + p.build + p.dump + p.c14n + p.encrypt +
               p.teardown + http;
    printf("floor per Response (CPU ms, pinned to CPU 0, %ld runs each)\n",
           o.n);
    printf("  (i)   RSA %d sign (EVP, blinded)            %.3f\n",
           EVP_PKEY_get_bits(idp->keys.pkey), sign);
    printf("  (ii)  two statements, libpq client (%d rows)  %.3f\n", rows, db);
    printf("  (iii) request decode (inflate, pre-parse, parse) %.3f\n",
           p.decode);
    printf("        Lasso: request, Assertion (%d attributes), Response %.3f\n",
           p.attrs, p.build);
    printf("        Lasso: dump as XML trees                 %.3f\n", p.dump);
    printf("        teardown (Lasso objects, trees)          %.3f\n",
           p.teardown);
    printf("  (iv)  exclusive c14n + SHA-256, both trees     %.3f\n", p.c14n);
    printf("  (v)   encryption (AES-GCM, RSA-OAEP)           %.3f\n",
           p.encrypt);
    printf("  (vi)  libmicrohttpd, keep-alive GET, 10 KiB     %.3f\n", http);
    printf("  floor (ii)..(vi)                               %.3f\n", floor_ms);
    printf("  check: sign.c's saml_sign_response (one RSA)   %.3f = sign + "
           "%.3f (%zu bytes base64)\n",
           p.sign_response, p.sign_response - sign, p.response_bytes);
    printf("  ceiling ratio sign / (sign + floor)            %.3f\n",
           sign / (sign + floor_ms));
    printf("  the same without encryption                    %.3f\n",
           sign / (sign + floor_ms - p.encrypt));
    saml_idp_free(idp);
    web_site_free(web);
    idm_conf_free(conf);
    return 0;
}
