/* SPDX-License-Identifier: EUPL-1.2
 * idmctl: the administration CLI of the identity core. Parses the global
 * options, sets up logging and the acting identity, and dispatches.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf_sections.h"
#include "base/log.h"

#ifndef IDM_VERSION
#define IDM_VERSION "0.1.0"
#endif

static const struct {
    const char *name;
    int (*run)(cli_ctx *ctx, int argc, char **argv);
    const char *summary;
} groups[] = {
    {"migrate", cmd_migrate, "apply database migrations (--status lists)"},
    {"config", cmd_config, "check the configuration file"},
    {"org", cmd_org, "organisational units: add, list, show"},
    {"user", cmd_user, "persons and accounts: add, show, list, lock, ..."},
    {"role", cmd_role, "role assignments: grant, revoke, list, mapping"},
    {"group", cmd_group, "classes, courses, staff groups and members"},
    {"audit", cmd_audit, "read the audit log"},
    {"import", cmd_import, "bulk import from SIP-Schule exports (sip)"},
    {"sp", cmd_sp, "SAML service providers: add, list, remove, show, set"},
    {"federation", cmd_federation, "SAML federation metadata: add, refresh"},
    {"policy", cmd_policy, "rights policies: check, explain, matrix"},
};

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: idmctl [--config FILE] [--verbose] COMMAND ...\n\n"
            "Administration of the identity core (persons, accounts,\n"
            "organisational units, roles, groups).\n\n"
            "global options:\n"
            "  --config FILE  configuration file (default: $%s)\n"
            "  --as LOGIN     act as that delegated administrator: every\n"
            "                 command is checked against policies/admin.xml\n"
            "                 and the administrator's subtree; audited\n"
            "  --verbose, -v  print error details and library log events\n"
            "  --version      print the version\n"
            "  --help, -h     this text\n\n"
            "commands:\n",
            IDM_CONFIG_ENV);
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        fprintf(fp, "  %-10s %s\n", groups[i].name, groups[i].summary);
    }
    fprintf(fp, "\nExit codes: 0 ok, 1 failed, 2 usage error.\n"
                "Run 'idmctl COMMAND --help' for details.\n");
}

/* The acting identity for audit entries: the OS user (or sudo caller). */
static void set_actor(cli_ctx *ctx)
{
    const char *name = getenv("SUDO_USER");
    struct passwd *pw;

    if (name == NULL || name[0] == '\0') {
        pw = getpwuid(geteuid());
        name = pw != NULL ? pw->pw_name : "unknown";
    }
    if (ctx->as_login != NULL) {
        /* a delegated administrator acts; the OS user is the origin */
        snprintf(ctx->actor_name, sizeof(ctx->actor_name), "%s", ctx->as_login);
        snprintf(ctx->actor_addr, sizeof(ctx->actor_addr), "cli:system:%s",
                 name);
    } else {
        snprintf(ctx->actor_name, sizeof(ctx->actor_name), "system:%s", name);
        snprintf(ctx->actor_addr, sizeof(ctx->actor_addr), "cli");
    }
    ctx->actor.name = ctx->actor_name;
    ctx->actor.addr = ctx->actor_addr;
}

int main(int argc, char **argv)
{
    cli_ctx ctx = {0};
    const char *config = NULL;
    int i, rc = CLI_USAGE;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            config = argv[i] + 9;
        } else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc) {
            ctx.as_login = argv[++i];
        } else if (strncmp(argv[i], "--as=", 5) == 0) {
            ctx.as_login = argv[i] + 5;
        } else if (strcmp(argv[i], "--verbose") == 0 ||
                   strcmp(argv[i], "-v") == 0) {
            ctx.verbose = 1;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("idmctl %s\n", IDM_VERSION);
            return CLI_OK;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_OK;
        } else {
            fprintf(stderr, "idmctl: unknown option \"%s\"\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (prog_conf_register("idmctl") != 0) {
        return CLI_FAIL;
    }
    ctx.config_path = idm_conf_path(config);
    set_actor(&ctx);
    /* The command's own messages are the output; library events show
     * only with --verbose. */
    idm_log_set(idm_log_stderr, NULL,
                ctx.verbose ? IDM_LOG_DEBUG : IDM_LOG_WARN);
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (strcmp(groups[g].name, argv[i]) == 0) {
            rc = groups[g].run(&ctx, argc - i, argv + i);
            goto cleanup;
        }
    }
    fprintf(stderr, "idmctl: unknown command \"%s\"\n", argv[i]);
    usage(stderr);
cleanup:
    cli_authorize_cleanup(&ctx);
    idm_db_close(ctx.db);
    idm_conf_free(ctx.conf);
    return rc;
}
