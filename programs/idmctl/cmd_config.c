/* SPDX-License-Identifier: EUPL-1.2
 * idmctl config check: validate the configuration file, optionally
 * connecting to the database.
 */
#include <string.h>

#include "cli.h"

static int config_check(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"check", config_check, "validate the configuration file",
     "usage: idmctl --config FILE config check [--connect]\n"
     "  Validates every group, key and value; errors name file, line and "
     "key.\n"
     "  --connect  also connect to the database\n"
     "Options of the file (run with --help-keys to list them):\n"},
    {NULL, NULL, NULL, NULL},
};

struct check_opts {
    int connect;
    int keys;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct check_opts *o = data;

    (void)arg;
    if (opt == 'c') {
        o->connect = 1;
    } else if (opt == 'k') {
        o->keys = 1;
    }
    return 0;
}

static int config_check(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"connect", no_argument, NULL, 'c'},
        {"help-keys", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct check_opts o = {0};
    int done, rc;

    rc = cli_getopt(&cmds[0], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        if (done) {
            idm_conf_describe(stdout);
        }
        return rc;
    }
    if (o.keys) {
        idm_conf_describe(stdout);
        return CLI_OK;
    }
    rc = o.connect ? cli_db(ctx) : cli_conf(ctx);
    if (rc != 0) {
        return rc;
    }
    printf("%s: ok%s\n", ctx->config_path,
           o.connect ? " (database reachable)" : "");
    return CLI_OK;
}

int cmd_config(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "config", cmds, argc, argv);
}
