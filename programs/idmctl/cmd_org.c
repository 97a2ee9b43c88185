/* SPDX-License-Identifier: EUPL-1.2
 * idmctl org add|list|show: organisational units.
 */
#include <string.h>

#include "cli.h"
#include "idm/org.h"

static int org_add(cli_ctx *ctx, int argc, char **argv);
static int org_list(cli_ctx *ctx, int argc, char **argv);
static int org_show(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"add", org_add, "add an organisational unit",
     "usage: idmctl org add --type TYPE --name NAME [--parent CODE]\n"
     "                      [--code CODE | --number NUMBER] [--board CODE]\n"
     "  --type    ministry, authority, school or school_board\n"
     "  --code    short code used on the CLI ([a-z0-9-]); schools use their\n"
     "            number as code\n"
     "  --number  official school number (5 or 6 digits), schools only;\n"
     "            the state code becomes DE-MV-<number>\n"
     "  --parent  code of the parent unit (authority below the ministry,\n"
     "            school below an authority, school_board below either)\n"
     "  --board   school board (Schulträger) maintaining a school\n"
     "example: idmctl org add --type school --number 75123 \\\n"
     "           --name \"Gymnasium Neukloster\" --parent ssa-schwerin\n"},
    {"list", org_list, "list units as a tree",
     "usage: idmctl org list [--type TYPE] [--under CODE] [--json]\n"},
    {"show", org_show, "show one unit",
     "usage: idmctl org show CODE [--json]\n"},
    {NULL, NULL, NULL, NULL},
};

struct org_opts {
    idm_org_new org;
    const char *type;
    const char *under;
    int json;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct org_opts *o = data;

    switch (opt) {
    case 't':
        o->type = arg;
        break;
    case 'c':
        o->org.code = arg;
        break;
    case 'n':
        o->org.school_number = arg;
        break;
    case 'N':
        o->org.name = arg;
        break;
    case 'p':
        o->org.parent_code = arg;
        break;
    case 'b':
        o->org.board_code = arg;
        break;
    case 'u':
        o->under = arg;
        break;
    case 'j':
        o->json = 1;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"type", required_argument, NULL, 't'},
    {"code", required_argument, NULL, 'c'},
    {"number", required_argument, NULL, 'n'},
    {"name", required_argument, NULL, 'N'},
    {"parent", required_argument, NULL, 'p'},
    {"board", required_argument, NULL, 'b'},
    {"under", required_argument, NULL, 'u'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static json_t *org_json(const idm_org *o)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "code",
                     o->code, "type", idm_org_type_name(o->type), "name",
                     o->name, "parent", cli_json_str(o->parent_code),
                     "school_number", cli_json_str(o->school_number),
                     "school_code", cli_json_str(o->school_code), "board",
                     cli_json_str(o->board_code), "created_at",
                     cli_json_str(o->created_at));
}

static int org_add(cli_ctx *ctx, int argc, char **argv)
{
    struct org_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc;

    rc = cli_getopt(&cmds[0], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.type == NULL || o.org.name == NULL) {
        return cli_usage(&cmds[0], "--type and --name are required");
    }
    if (idm_org_type_parse(&o.org.type, o.type) != 0) {
        return cli_usage(&cmds[0],
                         "type: \"%s\" is not ministry, authority, school "
                         "or school_board",
                         o.type);
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "org.add", &o.org.parent_code, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (idm_org_add(ctx->db, &ctx->actor, &o.org, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s\n",
           o.org.type == IDM_ORG_SCHOOL ? o.org.school_number : o.org.code);
    return CLI_OK;
}

static int org_list(cli_ctx *ctx, int argc, char **argv)
{
    struct org_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_org *list = NULL;
    idm_org_type type = IDM_ORG__COUNT;
    size_t n = 0;
    int done, rc;

    rc = cli_getopt(&cmds[1], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.type != NULL && idm_org_type_parse(&type, o.type) != 0) {
        return cli_usage(&cmds[1], "type: \"%s\" is not a unit type", o.type);
    }
    rc = cli_db(ctx);
    if (rc == 0) {
        rc = cli_require_org(ctx, o.under);
    }
    rc = cli_authorize(ctx, "org.list", &o.under, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    if (idm_org_list(&list, &n, ctx->db, o.type != NULL ? (int)type : -1,
                     o.under, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, org_json(&list[i]));
        }
        cli_json_print(arr);
    } else {
        printf("%-18s %-13s %-12s %-18s %s\n", "CODE", "TYPE", "SCHOOL CODE",
               "PARENT", "NAME");
        for (size_t i = 0; i < n; i++) {
            printf("%-18s %-13s %-12s %-18s %s\n", list[i].code,
                   idm_org_type_name(list[i].type),
                   list[i].school_code != NULL ? list[i].school_code : "-",
                   list[i].parent_code != NULL ? list[i].parent_code : "-",
                   list[i].name);
        }
    }
    idm_orgs_free(list, n);
    return CLI_OK;
}

static int org_show(cli_ctx *ctx, int argc, char **argv)
{
    struct org_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_org *org = NULL;
    int done, rc;

    rc = cli_getopt(&cmds[2], argc, argv, longopts, on_opt, &o, 1, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "org.show", (const char *const *)&argv[optind], 1,
                       NULL);
    if (rc != 0) {
        return rc;
    }
    if (idm_org_lookup(&org, ctx->db, argv[optind], &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        cli_json_print(org_json(org));
    } else {
        printf("code:          %s\n", org->code);
        printf("type:          %s\n", idm_org_type_name(org->type));
        printf("name:          %s\n", org->name);
        printf("parent:        %s\n",
               org->parent_code != NULL ? org->parent_code : "-");
        if (org->school_number != NULL) {
            printf("school number: %s\n", org->school_number);
            printf("school code:   %s\n", org->school_code);
            printf("board:         %s\n",
                   org->board_code != NULL ? org->board_code : "-");
        }
        printf("created:       %s\n", org->created_at);
    }
    idm_org_free(org);
    return CLI_OK;
}

int cmd_org(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "org", cmds, argc, argv);
}
