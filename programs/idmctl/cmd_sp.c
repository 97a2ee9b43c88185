/* SPDX-License-Identifier: EUPL-1.2
 * idmctl sp add|list|remove|show|set: SAML service providers, registered from
 * their metadata (validated first). idmd picks changes up by itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "idm/policy.h"
#include "saml/sp.h"

static int sp_add(cli_ctx *ctx, int argc, char **argv);
static int sp_list(cli_ctx *ctx, int argc, char **argv);
static int sp_remove(cli_ctx *ctx, int argc, char **argv);
static int sp_show(cli_ctx *ctx, int argc, char **argv);
static int sp_set(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"add", sp_add, "register a service provider from its metadata",
     "usage: idmctl sp add --app KEY [--allow-http] [--sign-requests]\n"
     "                     [--sign WHAT] [--encrypt yes|no] [--replace]\n"
     "                     METADATA.xml\n"
     "  --app KEY        the application in the policy catalogue\n"
     "                   ([a-z][a-z0-9_-]*)\n"
     "  --allow-http     accept http:// endpoints on loopback hosts (test\n"
     "                   SPs only)\n"
     "  --sign-requests  the SP must sign its AuthnRequests (implied by\n"
     "                   AuthnRequestsSigned=\"true\" in the metadata)\n"
     "  --sign WHAT      what idmd signs in its Responses: assertion,\n"
     "                   response or both (default: one signature, on the\n"
     "                   Assertion if the metadata says\n"
     "                   WantAssertionsSigned=\"true\", else the Response)\n"
     "  --encrypt yes|no encrypt the Assertions (AES-256-GCM, RSA-OAEP) to\n"
     "                   the SP's metadata encryption key (default: yes\n"
     "                   when the metadata has one)\n"
     "  --replace        update an SP already registered (new metadata,\n"
     "                   e.g. after its key rollover)\n"
     "  METADATA.xml     the SP's SAML metadata ('-' reads stdin)\n"
     "   or: idmctl sp add --app KEY --from-federation NAME ENTITYID\n"
     "   or: idmctl sp add --app KEY --url URL --cert FILE [--ca-file F]\n"
     "  --from-federation the entity from the federation's verified copy\n"
     "  --url, --cert     signed metadata fetched over https, its signature\n"
     "                    checked with the certificate; refreshed by\n"
     "                    'idmctl federation refresh'\n"},
    {"list", sp_list, "list service providers",
     "usage: idmctl sp list [--json]\n"},
    {"remove", sp_remove, "remove a service provider",
     "usage: idmctl sp remove ENTITYID\n"},
    {"show", sp_show, "show one service provider",
     "usage: idmctl sp show ENTITYID [--json] [--metadata]\n"},
    {"set", sp_set, "change what idmd signs or encrypts for an SP",
     "usage: idmctl sp set [--sign WHAT] [--encrypt HOW] ENTITYID\n"
     "  --sign WHAT      assertion, response, both, or metadata (one\n"
     "                   signature, on the Assertion if the metadata says\n"
     "                   WantAssertionsSigned=\"true\", else the Response)\n"
     "  --encrypt HOW    yes, no, or metadata (yes when the metadata has an\n"
     "                   encryption key)\n"},
    {NULL, NULL, NULL, NULL},
};

struct sp_opts {
    const char *app;
    int allow_http;
    int sign_requests;
    const char *sign;
    const char *encrypt;
    int replace;
    int json;
    int metadata;
    const char *federation, *url, *cert, *ca_file;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct sp_opts *o = data;

    switch (opt) {
    case 'a':
        o->app = arg;
        break;
    case 'H':
        o->allow_http = 1;
        break;
    case 's':
        o->sign_requests = 1;
        break;
    case 'S':
        o->sign = arg;
        break;
    case 'E':
        o->encrypt = arg;
        break;
    case 'r':
        o->replace = 1;
        break;
    case 'j':
        o->json = 1;
        break;
    case 'm':
        o->metadata = 1;
        break;
    case 'F':
        o->federation = arg;
        break;
    case 'U':
        o->url = arg;
        break;
    case 'K':
        o->cert = arg;
        break;
    case 'C':
        o->ca_file = arg;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"app", required_argument, NULL, 'a'},
    {"allow-http", no_argument, NULL, 'H'},
    {"sign-requests", no_argument, NULL, 's'},
    {"sign", required_argument, NULL, 'S'},
    {"encrypt", required_argument, NULL, 'E'},
    {"replace", no_argument, NULL, 'r'},
    {"json", no_argument, NULL, 'j'},
    {"metadata", no_argument, NULL, 'm'},
    {"from-federation", required_argument, NULL, 'F'},
    {"url", required_argument, NULL, 'U'},
    {"cert", required_argument, NULL, 'K'},
    {"ca-file", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int read_input(char **out, size_t *len, const char *path, idm_err *err)
{
    GError *gerr = NULL;
    gchar *data = NULL;
    gsize n = 0;

    if (strcmp(path, "-") == 0) {
        GString *s = g_string_new(NULL);
        char buf[8192];
        size_t r;
        while ((r = fread(buf, 1, sizeof(buf), stdin)) > 0 &&
               s->len <= SAML_METADATA_MAX) {
            g_string_append_len(s, buf, (gssize)r);
        }
        n = s->len;
        data = g_string_free(s, FALSE);
    } else if (!g_file_get_contents(path, &data, &n, &gerr)) {
        idm_err_set(err, IDM_EIO, "cannot read \"%s\": %s", path,
                    gerr->message);
        g_error_free(gerr);
        return IDM_EIO;
    }
    *out = data;
    *len = n;
    return 0;
}

static json_t *sp_json(const saml_sp_record *r)
{
    json_t *j = json_pack("{s:s, s:s, s:b, s:b, s:s, s:o, s:o, s:o}",
                          "entity_id", r->entity_id, "app", r->app_key,
                          "allow_http", r->allow_http, "sign_requests",
                          r->sign_requests, "sign",
                          r->sign != NULL ? r->sign : "metadata",
                          "valid_until", cli_json_str(r->valid_until),
                          "created_at", cli_json_str(r->created_at),
                          "updated_at", cli_json_str(r->updated_at));
    json_object_set_new(
        j, "encrypt",
        json_string(r->encrypt != NULL ? r->encrypt : "metadata"));
    if (r->metadata != NULL) {
        json_object_set_new(j, "metadata", json_string(r->metadata));
    }
    return j;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The application must be in the catalogue (policy_dir/apps): a typo
 * would register an SP to which every login is then denied. */
static int check_app(cli_ctx *ctx, const char *key)
{
    idm_err err = IDM_ERR_INIT;
    idm_policy *policy = NULL;
    const char **keys = NULL;
    size_t n;
    int rc = CLI_OK;

    if (idm_policy_load(&policy, idm_policy_conf_get(ctx->conf)->dir, NULL,
                        NULL, &err) != 0) {
        fprintf(stderr,
                "idmctl: cannot check --app \"%s\": the policy in \"%s\" "
                "does not load (idmctl policy check): %s\n",
                key, idm_policy_conf_get(ctx->conf)->dir, err.msg);
        return CLI_FAIL;
    }
    if (idm_policy_app_find(policy, key) != NULL) {
        goto cleanup;
    }
    n = idm_policy_app_count(policy);
    keys = g_new0(const char *, n + 1);
    for (size_t i = 0; i < n; i++) {
        keys[i] = idm_policy_app_at(policy, i)->key;
    }
    qsort(keys, n, sizeof(*keys), key_cmp);
    fprintf(stderr,
            "idmctl: unknown application \"%s\": it is not in the "
            "catalogue in \"%s/apps\"\n",
            key, idm_policy_conf_get(ctx->conf)->dir);
    fprintf(stderr, "idmctl: known applications:");
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "%s %s", i > 0 ? "," : "", keys[i]);
    }
    fprintf(stderr, "%s\n", n == 0 ? " (none)" : "");
    rc = CLI_FAIL;
cleanup:
    g_free(keys);
    idm_policy_unref(policy);
    return rc;
}

static int sp_add(cli_ctx *ctx, int argc, char **argv)
{
    struct sp_opts o = {0};
    saml_sp_new sp = {0};
    idm_err err = IDM_ERR_INIT;
    char *data = NULL, *entity = NULL;
    size_t len = 0;
    int done, rc;

    rc = cli_getopt(&cmds[0], argc, argv, longopts, on_opt, &o, -1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.app == NULL) {
        return cli_usage(&cmds[0], "--app is required");
    }
    if (argc - optind != (o.url != NULL ? 0 : 1)) {
        return cli_usage(&cmds[0], "wrong number of arguments");
    }
    if (!saml_sp_sign_valid(o.sign)) {
        return cli_usage(&cmds[0],
                         "--sign must be assertion, response or both");
    }
    if (!saml_sp_encrypt_valid(o.encrypt)) {
        return cli_usage(&cmds[0], "--encrypt must be yes or no");
    }
    if (o.federation != NULL || o.url != NULL) {
        cmd_sp_remote r = {o.app, o.federation, argv[optind], o.url,
                           o.cert, o.ca_file, o.allow_http, o.sign_requests};
        return cmd_sp_add_remote(ctx, &r);
    }
    if (read_input(&data, &len, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        g_free(data);
        return rc;
    }
    /* the metadata first (its problems are the likelier ones), then the
     * application */
    {
        saml_sp_summary sum;
        rc = saml_sp_metadata_check(&sum, data, len, o.allow_http, &err);
        saml_sp_summary_clear(&sum);
        if (rc == 0) {
            rc = check_app(ctx, o.app);
        } else {
            rc = cli_fail(ctx, &err);
        }
        if (rc != 0) {
            g_free(data);
            return rc;
        }
    }
    sp.app_key = o.app;
    sp.metadata = data;
    sp.metadata_len = len;
    sp.allow_http = o.allow_http;
    sp.sign_requests = o.sign_requests;
    sp.sign = o.sign;
    sp.encrypt = o.encrypt;
    rc = saml_sp_add(&entity, ctx->db, &ctx->actor, &sp, o.replace, &err);
    g_free(data);
    if (rc != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s\n", entity);
    free(entity);
    return CLI_OK;
}

static int sp_list(cli_ctx *ctx, int argc, char **argv)
{
    struct sp_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    saml_sp_record *list = NULL;
    size_t n = 0;
    int done, rc;

    rc = cli_getopt(&cmds[1], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if (saml_sp_list(&list, &n, ctx->db, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, sp_json(&list[i]));
        }
        cli_json_print(arr);
    } else {
        printf("%-16s %-5s %-5s %s\n", "APP", "HTTP", "SIGN", "ENTITYID");
        for (size_t i = 0; i < n; i++) {
            printf("%-16s %-5s %-5s %s\n", list[i].app_key,
                   list[i].allow_http ? "yes" : "no",
                   list[i].sign_requests ? "yes" : "no", list[i].entity_id);
        }
    }
    saml_sp_records_free(list, n);
    return CLI_OK;
}

static int sp_remove(cli_ctx *ctx, int argc, char **argv)
{
    struct sp_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc;

    rc = cli_getopt(&cmds[2], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if (saml_sp_remove(ctx->db, &ctx->actor, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    return CLI_OK;
}

static int sp_show(cli_ctx *ctx, int argc, char **argv)
{
    struct sp_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    saml_sp_record *r = NULL;
    int done, rc;

    rc = cli_getopt(&cmds[3], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if (saml_sp_get(&r, ctx->db, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        if (!o.metadata) {
            free(r->metadata);
            r->metadata = NULL;
        }
        cli_json_print(sp_json(r));
    } else if (o.metadata) {
        fputs(r->metadata, stdout);
    } else {
        printf("entity_id:     %s\n", r->entity_id);
        printf("app:           %s\n", r->app_key);
        printf("allow_http:    %s\n", r->allow_http ? "yes" : "no");
        printf("sign_requests: %s\n", r->sign_requests ? "yes" : "no");
        printf("sign:          %s\n",
               r->sign != NULL ? r->sign : "metadata");
        printf("encrypt:       %s\n",
               r->encrypt != NULL ? r->encrypt : "metadata");
        printf("valid_until:   %s\n",
               r->valid_until != NULL ? r->valid_until : "-");
        printf("created_at:    %s\n", r->created_at);
        printf("updated_at:    %s\n", r->updated_at);
    }
    saml_sp_records_free(r, 1);
    return CLI_OK;
}

static int sp_set(cli_ctx *ctx, int argc, char **argv)
{
    struct sp_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    const char *sign = NULL, *encrypt = NULL;
    int done, rc;

    rc = cli_getopt(&cmds[4], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.sign == NULL && o.encrypt == NULL) {
        return cli_usage(&cmds[4], "--sign or --encrypt is required");
    }
    if (o.sign != NULL) {
        sign = strcmp(o.sign, "metadata") == 0 ? NULL : o.sign;
        if (!saml_sp_sign_valid(sign)) {
            return cli_usage(&cmds[4], "--sign must be assertion, response, "
                                       "both or metadata");
        }
    }
    if (o.encrypt != NULL) {
        encrypt = strcmp(o.encrypt, "metadata") == 0 ? NULL : o.encrypt;
        if (!saml_sp_encrypt_valid(encrypt)) {
            return cli_usage(&cmds[4], "--encrypt must be yes, no or metadata");
        }
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if ((o.sign != NULL && saml_sp_set_sign(ctx->db, &ctx->actor, argv[optind],
                                            sign, &err) != 0) ||
        (o.encrypt != NULL &&
         saml_sp_set_encrypt(ctx->db, &ctx->actor, argv[optind], encrypt,
                             &err) != 0)) {
        return cli_fail(ctx, &err);
    }
    return CLI_OK;
}

int cmd_sp(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "sp", cmds, argc, argv);
}
