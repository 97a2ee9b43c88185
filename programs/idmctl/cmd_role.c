/* SPDX-License-Identifier: EUPL-1.2
 * idmctl role grant|revoke|list|mapping: role assignments and the role
 * model.
 */
#include <string.h>

#include "cli.h"
#include "idm/grant.h"
#include "idm/role.h"

static int role_grant(cli_ctx *ctx, int argc, char **argv);
static int role_list(cli_ctx *ctx, int argc, char **argv);
static int role_mapping(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"grant", role_grant, "grant a role at a unit",
     "usage: idmctl role grant --user LOGIN --org CODE|--school NR "
     "--role ROLE\n"
     "                         [--class NAME [--year Y]] [--from DATE]\n"
     "                         [--until DATE] [--source manual|import|api]\n"
     "  --until  first day the role no longer applies (trainees, "
     "substitutes)\n"
     "  Roles: see 'idmctl role mapping'.\n"},
    {"revoke", role_grant, "revoke a role",
     "usage: idmctl role revoke --user LOGIN --org CODE|--school NR "
     "--role ROLE\n"
     "                          [--class NAME [--year Y]]\n"},
    {"list", role_list, "list role assignments",
     "usage: idmctl role list [--user LOGIN] [--org CODE] [--all] [--json]\n"
     "  --all  include expired assignments\n"},
    {"mapping", role_mapping, "roles with eduPerson and SchulConneX codes",
     "usage: idmctl role mapping [--json]\n"},
    {NULL, NULL, NULL, NULL},
};

struct role_opts {
    idm_grant_spec g;
    int all;
    int json;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct role_opts *o = data;

    switch (opt) {
    case 'u':
        o->g.login = arg;
        break;
    case 'o':
        o->g.org_code = arg;
        break;
    case 'r':
        o->g.role = arg;
        break;
    case 'c':
        o->g.group_name = arg;
        break;
    case 'y':
        o->g.group_year = arg;
        break;
    case 'F':
        o->g.valid_from = arg;
        break;
    case 'U':
        o->g.valid_until = arg;
        break;
    case 'S':
        o->g.source = arg;
        break;
    case 'a':
        o->all = 1;
        break;
    case 'j':
        o->json = 1;
        break;
    }
    return 0;
}

static const struct option longopts[] = {
    {"user", required_argument, NULL, 'u'},
    {"org", required_argument, NULL, 'o'},
    {"school", required_argument, NULL, 'o'},
    {"role", required_argument, NULL, 'r'},
    {"class", required_argument, NULL, 'c'},
    {"group", required_argument, NULL, 'c'},
    {"year", required_argument, NULL, 'y'},
    {"from", required_argument, NULL, 'F'},
    {"until", required_argument, NULL, 'U'},
    {"source", required_argument, NULL, 'S'},
    {"all", no_argument, NULL, 'a'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse(const cli_cmd *cmd, struct role_opts *o, int argc, char **argv,
                 int *done)
{
    return cli_getopt(cmd, argc, argv, longopts, on_opt, o, 0, done);
}

static int role_grant(cli_ctx *ctx, int argc, char **argv)
{
    int revoke = strcmp(argv[0], "revoke") == 0;
    const cli_cmd *cmd = &cmds[revoke ? 1 : 0];
    struct role_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc;

    rc = parse(cmd, &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.g.login == NULL || o.g.org_code == NULL || o.g.role == NULL) {
        return cli_usage(cmd, "--user, --org and --role are required");
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, revoke ? "role.revoke" : "role.grant",
                       &o.g.org_code, 1, NULL);
    if (rc != 0) {
        return rc;
    }
    rc = revoke ? idm_grant_revoke(ctx->db, &ctx->actor, &o.g, &err)
                : idm_grant_add(NULL, ctx->db, &ctx->actor, &o.g, &err);
    if (rc != 0) {
        return cli_fail(ctx, &err);
    }
    printf("%s: %s %s at %s%s%s\n", o.g.login, revoke ? "revoked" : "granted",
           o.g.role, o.g.org_code, o.g.group_name != NULL ? " in " : "",
           o.g.group_name != NULL ? o.g.group_name : "");
    return CLI_OK;
}

static int role_list(cli_ctx *ctx, int argc, char **argv)
{
    struct role_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    idm_grant *list = NULL;
    size_t n = 0;
    int done, rc;

    rc = parse(&cmds[2], &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc == 0) {
        rc = cli_require_org(ctx, o.g.org_code);
    }
    rc = cli_authorize(ctx, "role.list", &o.g.org_code, 1, o.g.login);
    if (rc != 0) {
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    if (idm_grant_list(&list, &n, ctx->db, o.g.login, o.g.org_code, o.all,
                       &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            const idm_grant *g = &list[i];
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:s, "
                               "s:b}",
                               "login", g->login, "uuid", g->person_uuid, "org",
                               g->org_code, "role", g->role, "group",
                               cli_json_str(g->group_name), "year",
                               cli_json_str(g->group_year), "valid_from",
                               g->valid_from, "valid_until",
                               cli_json_str(g->valid_until), "source",
                               g->source, "active", g->active));
        }
        cli_json_print(arr);
    } else {
        printf("%-28s %-12s %-18s %-10s %-11s %-11s %s\n", "LOGIN", "ORG",
               "ROLE", "GROUP", "FROM", "UNTIL", "SOURCE");
        for (size_t i = 0; i < n; i++) {
            const idm_grant *g = &list[i];
            printf("%-28s %-12s %-18s %-10s %-11s %-11s %s%s\n", g->login,
                   g->org_code, g->role,
                   g->group_name != NULL ? g->group_name : "-", g->valid_from,
                   g->valid_until != NULL ? g->valid_until : "-", g->source,
                   g->active ? "" : " (inactive)");
        }
    }
    idm_grants_free(list, n);
    return CLI_OK;
}

static int role_mapping(cli_ctx *ctx, int argc, char **argv)
{
    struct role_opts o = {0};
    json_t *arr;
    int done, rc;

    (void)ctx;
    rc = parse(&cmds[3], &o, argc, argv, &done);
    if (rc != 0 || done) {
        return rc;
    }
    arr = json_array();
    if (!o.json) {
        printf("%-18s %-10s %-30s %s\n", "ROLE", "SCHULCONNEX",
               "EDUPERSONAFFILIATION", "HELD AT");
    }
    for (int r = 0; r < IDM_ROLE__COUNT; r++) {
        const idm_role_info *info = idm_role_get((idm_role)r);
        json_t *aff = json_array(), *at = json_array();
        char affs[64] = "", ats[64] = "";

        for (size_t i = 0; info->affiliations[i] != NULL; i++) {
            json_array_append_new(aff, json_string(info->affiliations[i]));
            snprintf(affs + strlen(affs), sizeof(affs) - strlen(affs), "%s%s",
                     i > 0 ? "," : "", info->affiliations[i]);
        }
        for (int t = 0; t < IDM_ORG__COUNT; t++) {
            if (idm_role_valid_at(info->role, (idm_org_type)t)) {
                json_array_append_new(
                    at, json_string(idm_org_type_name((idm_org_type)t)));
                snprintf(ats + strlen(ats), sizeof(ats) - strlen(ats), "%s%s",
                         ats[0] != '\0' ? "," : "",
                         idm_org_type_name((idm_org_type)t));
            }
        }
        if (o.json) {
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b}", "role",
                               info->name, "label_de", info->label_de,
                               "label_en", info->label_en, "schulconnex",
                               info->schulconnex, "eduPersonAffiliation", aff,
                               "held_at", at, "admin", info->is_admin));
        } else {
            json_decref(aff);
            json_decref(at);
            printf("%-18s %-10s %-30s %s\n", info->name, info->schulconnex,
                   affs[0] != '\0' ? affs : "-", ats);
        }
    }
    if (o.json) {
        return cli_json_print(arr);
    }
    json_decref(arr);
    return CLI_OK;
}

int cmd_role(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "role", cmds, argc, argv);
}
