/* SPDX-License-Identifier: EUPL-1.2
 * idmctl group add|list|members|add-member|remove-member.
 */
#include <string.h>

#include "cli.h"
#include "idm/group.h"

static int group_add(cli_ctx *ctx, int argc, char **argv);
static int group_list(cli_ctx *ctx, int argc, char **argv);
static int group_members(cli_ctx *ctx, int argc, char **argv);
static int group_member(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"add", group_add, "add a class, course or staff group",
     "usage: idmctl group add --org CODE|--school NR --kind "
     "class|course|staff\n"
     "                        --name NAME [--year 2026/27]\n"},
    {"list", group_list, "list groups",
     "usage: idmctl group list [--org "
     "CODE] [--json]\n"},
    {"members", group_members, "list the members of a group",
     "usage: idmctl group members --org CODE --name NAME [--year Y] "
     "[--json]\n"},
    {"add-member", group_member, "add a member",
     "usage: idmctl group add-member --org CODE --name NAME [--year Y] "
     "--user LOGIN\n"},
    {"remove-member", group_member, "remove a member",
     "usage: idmctl group remove-member --org CODE --name NAME [--year Y] "
     "--user LOGIN\n"},
    {NULL, NULL, NULL, NULL},
};

struct group_opts {
    const char *org, *kind, *name, *year, *user;
    int json;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct group_opts *o = data;

    switch (opt) {
    case 'o':
        o->org = arg;
        break;
    case 'k':
        o->kind = arg;
        break;
    case 'n':
        o->name = arg;
        break;
    case 'y':
        o->year = arg;
        break;
    case 'u':
        o->user = arg;
        break;
    case 'j':
        o->json = 1;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"org", required_argument, NULL, 'o'},
    {"school", required_argument, NULL, 'o'},
    {"kind", required_argument, NULL, 'k'},
    {"name", required_argument, NULL, 'n'},
    {"year", required_argument, NULL, 'y'},
    {"user", required_argument, NULL, 'u'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse(const cli_cmd *cmd, struct group_opts *o, int argc,
                 char **argv, int *done)
{
    return cli_getopt(cmd, argc, argv, longopts, on_opt, o, 0, done);
}

static int group_add(cli_ctx *ctx, int argc, char **argv)
{
    struct group_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc;

    rc = parse(&cmds[0], &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.org == NULL || o.kind == NULL || o.name == NULL) {
        return cli_usage(&cmds[0], "--org, --kind and --name are required");
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "group.add", &o.org, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (idm_group_add(ctx->db, &ctx->actor, o.org, o.kind, o.name, o.year,
                      &err) != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s/%s\n", o.org, o.name);
    return CLI_OK;
}

static int group_list(cli_ctx *ctx, int argc, char **argv)
{
    struct group_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_group *list = NULL;
    size_t n = 0;
    int done, rc;

    rc = parse(&cmds[1], &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc == 0) {
        rc = cli_require_org(ctx, o.org);
    }
    rc = cli_authorize(ctx, "group.list", &o.org, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    if (idm_group_list(&list, &n, ctx->db, o.org, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:s, s:o, s:I}", "org", list[i].org_code,
                          "kind", list[i].kind, "name", list[i].name, "year",
                          cli_json_str(list[i].school_year), "members",
                          (json_int_t)list[i].members));
        }
        cli_json_print(arr);
    } else {
        printf("%-12s %-7s %-8s %-8s %s\n", "ORG", "KIND", "YEAR", "MEMBERS",
               "NAME");
        for (size_t i = 0; i < n; i++) {
            printf("%-12s %-7s %-8s %-8lld %s\n", list[i].org_code,
                   list[i].kind,
                   list[i].school_year != NULL ? list[i].school_year : "-",
                   (long long)list[i].members, list[i].name);
        }
    }
    idm_groups_free(list, n);
    return CLI_OK;
}

static int group_members(cli_ctx *ctx, int argc, char **argv)
{
    struct group_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_group_member *list = NULL;
    size_t n = 0;
    int done, rc;

    rc = parse(&cmds[2], &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.org == NULL || o.name == NULL) {
        return cli_usage(&cmds[2], "--org and --name are required");
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "group.members", &o.org, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (idm_group_members(&list, &n, ctx->db, o.org, o.name, o.year, &err) !=
        0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s}", "login", list[i].login,
                               "uuid", list[i].uuid, "given_name",
                               list[i].given_name, "family_name",
                               list[i].family_name));
        }
        cli_json_print(arr);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("%-32s %s %s\n", list[i].login, list[i].given_name,
                   list[i].family_name);
        }
    }
    idm_group_members_free(list, n);
    return CLI_OK;
}

static int group_member(cli_ctx *ctx, int argc, char **argv)
{
    int add = strcmp(argv[0], "add-member") == 0;
    const cli_cmd *cmd = &cmds[add ? 3 : 4];
    struct group_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc;

    rc = parse(cmd, &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.org == NULL || o.name == NULL || o.user == NULL) {
        return cli_usage(cmd, "--org, --name and --user are required");
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, add ? "group.add_member" : "group.remove_member",
                       &o.org, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    if (idm_group_set_member(ctx->db, &ctx->actor, o.org, o.name, o.year,
                             o.user, add, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s: %s %s/%s\n", o.user, add ? "added to" : "removed from", o.org,
           o.name);
    return CLI_OK;
}

int cmd_group(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "group", cmds, argc, argv);
}
