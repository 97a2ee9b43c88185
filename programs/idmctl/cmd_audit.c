/* SPDX-License-Identifier: EUPL-1.2
 * idmctl audit list: read the append-only audit log, newest first.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int audit_list(cli_ctx *ctx, int argc, char **argv);

static const cli_cmd cmds[] = {
    {"list", audit_list, "list audit entries, newest first",
     "usage: idmctl audit list [--actor NAME] [--action PREFIX] "
     "[--target T]\n"
     "                         [--limit N] [--json]\n"
     "  --action  e.g. \"user.\" or \"login.fail\"\n"
     "  --limit   number of entries (default 100)\n"},
    {NULL, NULL, NULL, NULL},
};

struct audit_opts {
    idm_audit_filter f;
    const char *limit;
    int json;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct audit_opts *o = data;

    switch (opt) {
    case 'a':
        o->f.actor = arg;
        break;
    case 'A':
        o->f.action = arg;
        break;
    case 't':
        o->f.target = arg;
        break;
    case 'l':
        o->limit = arg;
        break;
    case 'j':
        o->json = 1;
        break;
    }
    return 0;
}

static int audit_list(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"actor", required_argument, NULL, 'a'},
        {"action", required_argument, NULL, 'A'},
        {"target", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct audit_opts o = {IDM_AUDIT_FILTER_INIT, NULL, 0};
    idm_err err = IDM_ERR_INIT;
    idm_audit_entry *list = NULL;
    size_t n = 0;
    int done, rc;

    rc = cli_getopt(&cmds[0], argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    if (o.limit != NULL) {
        char *end;
        long v = strtol(o.limit, &end, 10);
        if (*end != '\0' || v <= 0 || v > 100000) {
            return cli_usage(&cmds[0], "limit: \"%s\" is not 1..100000",
                             o.limit);
        }
        o.f.limit = (int)v;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "audit.list", NULL, 0, NULL);
    if (rc != 0) {
        return rc;
    }
    if (idm_audit_list(&list, &n, ctx->db, &o.f, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *details = NULL;
            if (list[i].details != NULL) {
                details = json_loads(list[i].details, 0, NULL);
            }
            json_array_append_new(
                arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "id",
                               (json_int_t)list[i].id, "at", list[i].at,
                               "actor", list[i].actor, "addr", list[i].addr,
                               "action", list[i].action, "target",
                               cli_json_str(list[i].target), "result",
                               list[i].result, "details",
                               details != NULL ? details : json_null()));
        }
        cli_json_print(arr);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("%s %-20s %-6s %-18s %-7s %s %s\n", list[i].at,
                   list[i].actor, list[i].addr, list[i].action, list[i].result,
                   list[i].target != NULL ? list[i].target : "-",
                   list[i].details != NULL ? list[i].details : "");
        }
    }
    idm_audit_entries_free(list, n);
    return CLI_OK;
}

int cmd_audit(cli_ctx *ctx, int argc, char **argv)
{
    return cli_dispatch(ctx, "audit", cmds, argc, argv);
}
