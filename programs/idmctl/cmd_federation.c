/* SPDX-License-Identifier: EUPL-1.2
 * idmctl federation add|list|show|remove|refresh: signed metadata
 * aggregates fetched over HTTPS (refresh runs from a systemd timer), and
 * the remote forms of "idmctl sp add" (--from-federation, --url).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "base/log.h"
#include "saml/federation.h"

static int fed_add(cli_ctx *ctx, int argc, char **argv);
static int fed_list(cli_ctx *ctx, int argc, char **argv);
static int fed_show(cli_ctx *ctx, int argc, char **argv);
static int fed_remove(cli_ctx *ctx, int argc, char **argv);
static int fed_refresh(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"add", fed_add, "register a federation's signed metadata aggregate",
     "usage: idmctl federation add NAME --url URL --cert FILE\n"
     "                             [--ca-file FILE] [--no-refresh]\n"
     "  NAME           a short name ([a-z][a-z0-9_.-]*), e.g. dfn-aai\n"
     "  --url URL      where the aggregate is published (https only)\n"
     "  --cert FILE    the federation's signing certificate (PEM): the\n"
     "                 aggregate must be signed with its key, no other\n"
     "  --ca-file FILE CA bundle for the HTTPS server (default: system)\n"
     "  --no-refresh   do not fetch it now\n"
     "Its entities become usable only with\n"
     "'idmctl sp add --app KEY --from-federation NAME ENTITYID'.\n"},
    {"list", fed_list, "list federations and SPs fetched from a URL",
     "usage: idmctl federation list [--json]\n"},
    {"show", fed_show, "show one federation and its entities",
     "usage: idmctl federation show NAME [--json]\n"},
    {"remove", fed_remove, "remove a federation (its SPs stay, unrefreshed)",
     "usage: idmctl federation remove NAME\n"},
    {"refresh", fed_refresh, "fetch and verify metadata that is due",
     "usage: idmctl federation refresh [NAME] [--force] [--ca-file FILE]\n"
     "  NAME           refresh this one now (default: every source whose\n"
     "                 cacheDuration has passed; --force: all)\n"
     "A failed refresh keeps the last good copy; the exit status is 1.\n"},
    {NULL, NULL, NULL, NULL},
};

struct fed_opts {
    const char *url;
    const char *cert;
    const char *ca_file;
    int no_refresh;
    int force;
    int json;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct fed_opts *o = data;

    switch (opt) {
    case 'u':
        o->url = arg;
        break;
    case 'c':
        o->cert = arg;
        break;
    case 'C':
        o->ca_file = arg;
        break;
    case 'n':
        o->no_refresh = 1;
        break;
    case 'f':
        o->force = 1;
        break;
    case 'j':
        o->json = 1;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"url", required_argument, NULL, 'u'},
    {"cert", required_argument, NULL, 'c'},
    {"ca-file", required_argument, NULL, 'C'},
    {"no-refresh", no_argument, NULL, 'n'},
    {"force", no_argument, NULL, 'f'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int read_cert(char **out, const char *path, idm_err *err)
{
    GError *gerr = NULL;
    gchar *data = NULL;
    gsize n = 0;

    *out = NULL;
    if (!g_file_get_contents(path, &data, &n, &gerr)) {
        idm_err_set(err, IDM_EIO, "cannot read \"%s\": %s", path,
                    gerr->message);
        g_error_free(gerr);
        return IDM_EIO;
    }
    if (n > SAML_FEDERATION_CERT_MAX || strlen(data) != n) {
        g_free(data);
        return idm_err_set(err, IDM_EINVAL, "\"%s\" is not a PEM certificate",
                           path);
    }
    *out = data;
    return 0;
}

/* Change lines (NOTICE) are what an operator runs refresh for. */
static void show_notices(const cli_ctx *ctx)
{
    if (!ctx->verbose) {
        idm_log_set(idm_log_stderr, NULL, IDM_LOG_NOTICE);
    }
}

static int do_refresh(cli_ctx *ctx, const char *name, int force,
                      const char *ca_file)
{
    saml_federation_opts fo = SAML_FEDERATION_OPTS_INIT;
    idm_err err = IDM_ERR_INIT;
    int failed = 0;

    fo.ca_file = ca_file;
    show_notices(ctx);
    if (saml_federation_refresh(&failed, ctx->db, &ctx->actor, name, force, &fo,
                                &err) != 0) {
        return cli_fail(ctx, &err);
    }
    return CLI_OK;
}

static int fed_add(cli_ctx *ctx, int argc, char **argv)
{
    struct fed_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    char *cert = NULL;
    int done, rc;

    rc = cli_getopt(&cmds[0], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.url == NULL || o.cert == NULL) {
        return cli_usage(&cmds[0], "--url and --cert are required");
    }
    if (read_cert(&cert, o.cert, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        g_free(cert);
        return rc;
    }
    rc = saml_federation_add(ctx->db, &ctx->actor, argv[optind], o.url, cert,
                             &err);
    g_free(cert);
    if (rc != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.no_refresh) {
        return CLI_OK;
    }
    return do_refresh(ctx, argv[optind], 1, o.ca_file);
}

static json_t *fed_json(const saml_federation_record *r)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:i}", "name", r->name,
        "kind", r->kind, "url", r->url, "valid_until",
        cli_json_str(r->valid_until), "fetched_at", cli_json_str(r->fetched_at),
        "next_refresh", cli_json_str(r->next_refresh), "last_error",
        cli_json_str(r->last_error), "last_error_at",
        cli_json_str(r->last_error_at), "mapped", r->n_mapped);
    if (r->entities != NULL) {
        json_t *a = json_array();
        for (int i = 0; i < r->n_entities; i++) {
            json_array_append_new(a, json_string(r->entities[i]));
        }
        json_object_set_new(j, "entities", a);
    }
    return j;
}

static int fed_list(cli_ctx *ctx, int argc, char **argv)
{
    struct fed_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    saml_federation_record *list = NULL;
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
    if (saml_federation_list(&list, &n, ctx->db, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, fed_json(&list[i]));
        }
        cli_json_print(arr);
    } else {
        printf("%-24s %-9s %-20s %-6s %s\n", "NAME", "KIND", "VALID_UNTIL",
               "MAPPED", "LAST_ERROR");
        for (size_t i = 0; i < n; i++) {
            printf("%-24s %-9s %-20s %-6d %s\n", list[i].name, list[i].kind,
                   list[i].valid_until != NULL ? list[i].valid_until : "-",
                   list[i].n_mapped,
                   list[i].last_error != NULL ? list[i].last_error : "-");
        }
    }
    saml_federation_records_free(list, n);
    return CLI_OK;
}

static int fed_show(cli_ctx *ctx, int argc, char **argv)
{
    struct fed_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    saml_federation_record *r = NULL;
    int done, rc;

    rc = cli_getopt(&cmds[2], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if (saml_federation_get(&r, ctx->db, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        cli_json_print(fed_json(r));
    } else {
        printf("name:          %s\n", r->name);
        printf("kind:          %s\n", r->kind);
        printf("url:           %s\n", r->url);
        printf("valid_until:   %s\n",
               r->valid_until != NULL ? r->valid_until : "-");
        printf("fetched_at:    %s\n",
               r->fetched_at != NULL ? r->fetched_at : "-");
        printf("next_refresh:  %s\n", r->next_refresh);
        printf("last_error:    %s%s%s%s\n",
               r->last_error != NULL ? r->last_error : "-",
               r->last_error_at != NULL ? " (" : "",
               r->last_error_at != NULL ? r->last_error_at : "",
               r->last_error_at != NULL ? ")" : "");
        printf("mapped_sps:    %d\n", r->n_mapped);
        printf("entities:      %d\n", r->n_entities > 0 ? r->n_entities : 0);
        for (int i = 0; i < r->n_entities; i++) {
            printf("  %s\n", r->entities[i]);
        }
    }
    saml_federation_records_free(r, 1);
    return CLI_OK;
}

static int fed_remove(cli_ctx *ctx, int argc, char **argv)
{
    struct fed_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc;

    rc = cli_getopt(&cmds[3], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    if (saml_federation_remove(ctx->db, &ctx->actor, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    return CLI_OK;
}

static int fed_refresh(cli_ctx *ctx, int argc, char **argv)
{
    struct fed_opts o = {0};
    int done, rc;

    rc = cli_getopt(&cmds[4], argc, argv, longopts, on_opt, &o, -1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (argc - optind > 1) {
        return cli_usage(&cmds[4], "at most one NAME");
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    return do_refresh(ctx, argc > optind ? argv[optind] : NULL, o.force,
                      o.ca_file);
}

int cmd_sp_add_remote(cli_ctx *ctx, const cmd_sp_remote *r)
{
    saml_federation_opts fo = SAML_FEDERATION_OPTS_INIT;
    idm_err err = IDM_ERR_INIT;
    char *cert = NULL, *entity = NULL;
    int rc;

    if ((r->federation == NULL) == (r->url == NULL) ||
        (r->url != NULL && r->cert == NULL)) {
        fprintf(stderr, "idmctl: use either --from-federation NAME ENTITYID "
                        "or --url URL --cert FILE\n");
        return CLI_USAGE;
    }
    if (r->url != NULL && read_cert(&cert, r->cert, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        g_free(cert);
        return rc;
    }
    fo.ca_file = r->ca_file;
    if (r->federation != NULL) {
        rc = saml_federation_map(ctx->db, &ctx->actor, r->federation,
                                 r->entity_id, r->app_key, r->allow_http,
                                 r->sign_requests, &err);
        entity = rc == 0 ? strdup(r->entity_id) : NULL;
    } else {
        rc = saml_federation_add_sp(&entity, ctx->db, &ctx->actor, r->url, cert,
                                    r->app_key, r->allow_http, r->sign_requests,
                                    &fo, &err);
    }
    g_free(cert);
    if (rc != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s\n", entity != NULL ? entity : "");
    free(entity);
    return CLI_OK;
}

int cmd_federation(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "federation", cmds, argc, argv);
}
