/* SPDX-License-Identifier: EUPL-1.2
 * idmctl migrate: apply pending schema migrations, or list their status.
 */
#include <string.h>

#include "cli.h"
#include "idm/migrate.h"

static const cli_cmd migrate_cmd = {
    "migrate", NULL, "apply database migrations",
    "usage: idmctl migrate [--status [--json]] [--dir DIR]\n"
    "  Applies pending migrations, each in its own transaction, and records\n"
    "  their SHA-256. Refuses to run if an applied file was changed.\n"
    "  --status  list migrations (applied, pending, changed) and exit\n"
    "  --json    with --status: JSON output\n"
    "  --dir     migrations directory (default: [database] migrations_dir)\n"};

struct migrate_opts {
    int status;
    int json;
    const char *dir;
};

static int on_opt(int opt, const char *arg, void *data)
{
    struct migrate_opts *o = data;

    switch (opt) {
    case 's':
        o->status = 1;
        break;
    case 'j':
        o->json = 1;
        break;
    case 'd':
        o->dir = arg;
        break;
    }
    return 0;
}

static int print_status(cli_ctx *ctx, const char *dir, int json)
{
    idm_err err = IDM_ERR_INIT;
    idm_migration *list = NULL;
    size_t n = 0;
    int changed = 0;

    if (idm_migrate_status(&list, &n, ctx->db, dir, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(
                arr,
                json_pack("{s:i, s:s, s:o, s:o, s:s}", "version",
                          list[i].version, "name", list[i].name, "checksum",
                          cli_json_str(list[i].checksum), "applied_at",
                          cli_json_str(list[i].applied_at), "state",
                          list[i].changed      ? "changed"
                          : list[i].applied_at ? "applied"
                                               : "pending"));
        }
        cli_json_print(arr);
    } else {
        printf("%-7s %-9s %-20s %s\n", "VERSION", "STATE", "APPLIED", "NAME");
        for (size_t i = 0; i < n; i++) {
            printf("%04d    %-9s %-20s %s\n", list[i].version,
                   list[i].changed      ? "CHANGED"
                   : list[i].applied_at ? "applied"
                                        : "pending",
                   list[i].applied_at != NULL ? list[i].applied_at : "-",
                   list[i].name);
        }
    }
    for (size_t i = 0; i < n; i++) {
        changed |= list[i].changed;
    }
    idm_migrations_free(list, n);
    return changed ? CLI_FAIL : CLI_OK;
}

int cmd_migrate(cli_ctx *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"status", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct migrate_opts o = {0};
    idm_err err = IDM_ERR_INIT;
    int done, rc, applied = 0;

    rc = cli_getopt(&migrate_cmd, argc, argv, longopts, on_opt, &o, 0, &done);
    if (rc != 0 || done) {
        return rc;
    }
    rc = cli_db(ctx);
    if (rc != 0) {
        return rc;
    }
    rc = cli_authorize(ctx, "migrate", NULL, 0, NULL);
    if (rc != 0) {
        return rc;
    }
    if (o.dir == NULL) {
        o.dir = idm_db_conf_get(ctx->conf)->migrations_dir;
    }
    if (o.status) {
        return print_status(ctx, o.dir, o.json);
    }
    if (idm_migrate_apply(&applied, ctx->db, o.dir, &err) != 0) {
        if (applied > 0) {
            fprintf(stderr,
                    "idmctl: %d migration(s) were applied before "
                    "the failure\n",
                    applied);
        }
        return cli_fail(ctx, &err);
    }
    printf("applied %d migration(s); the schema is up to date\n", applied);
    return CLI_OK;
}
