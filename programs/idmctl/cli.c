/* SPDX-License-Identifier: EUPL-1.2
 * idmctl plumbing: dispatch, lazy config and database, errors, password
 * input and JSON output.
 */
#include <glib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "idm/org.h"
#include "idm/password.h"
#include "idm/policy.h"

static void print_group_help(FILE *fp, const char *group, const cli_cmd *cmds)
{
    fprintf(fp,
            "usage: idmctl [--config FILE] %s COMMAND [OPTIONS]\n\n"
            "commands:\n",
            group);
    for (const cli_cmd *c = cmds; c->name != NULL; c++) {
        fprintf(fp, "  %-14s %s\n", c->name, c->summary);
    }
    fprintf(fp, "\nRun 'idmctl %s COMMAND --help' for the options of one.\n",
            group);
}

int cli_dispatch(cli_ctx *ctx, const char *group, const cli_cmd *cmds, int argc,
                 char **argv)
{
    if (argc < 2) {
        print_group_help(stderr, group, cmds);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_group_help(stdout, group, cmds);
        return CLI_OK;
    }
    for (const cli_cmd *c = cmds; c->name != NULL; c++) {
        if (strcmp(c->name, argv[1]) == 0) {
            return c->run(ctx, argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "idmctl: unknown command \"%s %s\"\n", group, argv[1]);
    print_group_help(stderr, group, cmds);
    return CLI_USAGE;
}

int cli_conf(cli_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;

    if (ctx->conf != NULL) {
        return 0;
    }
    if (ctx->config_path == NULL) {
        fprintf(stderr,
                "idmctl: no configuration: use --config FILE or set "
                "%s\n",
                IDM_CONFIG_ENV);
        return CLI_FAIL;
    }
    if (idm_conf_load(&ctx->conf, ctx->config_path, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    return 0;
}

int cli_db(cli_ctx *ctx)
{
    idm_err err = IDM_ERR_INIT;
    int rc;

    if (ctx->db != NULL) {
        return 0;
    }
    rc = cli_conf(ctx);
    if (rc != 0) {
        return rc;
    }
    if (idm_db_open(&ctx->db, ctx->conf, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    return 0;
}

int cli_fail(const cli_ctx *ctx, const idm_err *err)
{
    int operational = err->code == IDM_EDB || err->code == IDM_EUNAVAIL ||
                      err->code == IDM_EINTERNAL || err->code == IDM_EIO;

    fprintf(stderr, "idmctl: %s\n",
            err->msg[0] != '\0' ? err->msg : idm_strerror(err->code));
    /* detail may carry server text; operators need it for outages */
    if (err->detail[0] != '\0' && (operational || ctx->verbose)) {
        fprintf(stderr, "idmctl: detail: %s\n", err->detail);
    }
    return CLI_FAIL;
}

int cli_fail_password(const cli_ctx *ctx, idm_pw_problem problem,
                      const idm_err *err)
{
    const int en = cli_english();
    char words[160];

    if (err->code != IDM_EINVAL || problem == IDM_PW_OK) {
        return cli_fail(ctx, err);
    }
    fprintf(stderr, "idmctl: %s: %s\n",
            en ? "password refused" : "Passwort abgelehnt",
            idm_pw_problem_text(words, sizeof(words), problem,
                                idm_password_conf_get(ctx->conf)->min_length,
                                en));
    return CLI_FAIL;
}

int cli_english(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v == NULL || v[0] == '\0') {
            continue;
        }
        return !(strcmp(v, "C") == 0 || strcmp(v, "POSIX") == 0 ||
                 strncmp(v, "C.", 2) == 0 || strncmp(v, "de", 2) == 0);
    }
    return 0;
}

int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "idmctl: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", cmd->usage);
    return CLI_USAGE;
}

int cli_getopt(const cli_cmd *cmd, int argc, char **argv,
               const struct option *longopts,
               int (*on_opt)(int opt, const char *arg, void *data), void *data,
               int nargs, int *done)
{
    int opt, rc;

    *done = 0;
    optind = 0; /* full reinitialisation for every subcommand (glibc) */
    opterr = 0;
    /* glibc permutes: options may follow positional arguments */
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(cmd->usage, stdout);
            *done = 1;
            return CLI_OK;
        }
        if (opt == '?' || opt == ':') {
            if (optopt != 0) {
                return cli_usage(cmd, "option needs a value or is unknown");
            }
            return cli_usage(cmd, "unknown option \"%s\"", argv[optind - 1]);
        }
        rc = on_opt(opt, optarg, data);
        if (rc != 0) {
            return rc;
        }
    }
    if (nargs >= 0 && argc - optind != nargs) {
        return argc - optind > nargs
                   ? cli_usage(cmd, "unexpected argument \"%s\"",
                               argv[optind + nargs])
                   : cli_usage(cmd, "missing argument");
    }
    return CLI_OK;
}

int cli_require_org(cli_ctx *ctx, const char *code)
{
    idm_err err = IDM_ERR_INIT;
    idm_org *org = NULL;

    if (code == NULL) {
        return 0;
    }
    if (idm_org_lookup(&org, ctx->db, code, &err) != 0) {
        return cli_fail(ctx, &err);
    }
    idm_org_free(org);
    return 0;
}

int cli_authorize(cli_ctx *ctx, const char *action, const char *const *orgs,
                  size_t norgs, const char *target_login)
{
    idm_err err = IDM_ERR_INIT;
    idm_subject *target = NULL;
    const char **targets = NULL;
    size_t ntargets = 0;
    char *details = NULL;
    int rc = 0;

    if (ctx->as_login == NULL) {
        goto cleanup;
    }
    if (ctx->as_policy == NULL &&
        idm_policy_load(&ctx->as_policy, idm_policy_conf_get(ctx->conf)->dir,
                        NULL, NULL, &err) != 0) {
        rc = cli_fail(ctx, &err);
        goto cleanup;
    }
    if (ctx->as_subject == NULL &&
        idm_subject_load(&ctx->as_subject, ctx->db, ctx->as_login, &err) != 0) {
        idm_err_set(&err, IDM_EDENIED, "--as: no account \"%s\"",
                    ctx->as_login);
        rc = cli_fail(ctx, &err);
        goto cleanup;
    }
    if (target_login != NULL &&
        idm_subject_load(&target, ctx->db, target_login, &err) != 0) {
        rc = cli_fail(ctx, &err);
        goto cleanup;
    }
    /* the units named, and every unit where the target person has a role */
    targets =
        g_new0(const char *, norgs + (target != NULL ? target->nroles : 0) + 1);
    for (size_t i = 0; i < norgs; i++) {
        if (orgs[i] != NULL) {
            targets[ntargets++] = orgs[i];
        }
    }
    for (size_t i = 0; target != NULL && i < target->nroles; i++) {
        targets[ntargets++] = target->roles[i].org_code;
    }
    if (!ctx->as_subject->active) {
        rc = idm_err_set(&err, IDM_EDENIED,
                         "--as: the account \"%s\" is not active",
                         ctx->as_login);
    } else {
        rc = idm_policy_admin_check(ctx->as_policy, ctx->db, ctx->as_subject,
                                    action, targets, ntargets, &err);
    }
    if (rc == IDM_EDENIED) {
        details = g_strdup_printf("{\"action\": \"%s\"}", action);
        idm_audit_write_detached(ctx->db, &ctx->actor, "admin.denied",
                                 target_login != NULL           ? target_login
                                 : norgs > 0 && orgs[0] != NULL ? orgs[0]
                                                                : action,
                                 IDM_AUDIT_DENIED, details);
    }
    if (rc != 0) {
        rc = cli_fail(ctx, &err);
    }
cleanup:
    g_free(details);
    idm_subject_free(target);
    g_free(targets);
    return rc;
}

void cli_authorize_cleanup(cli_ctx *ctx)
{
    idm_policy_unref(ctx->as_policy);
    idm_subject_free(ctx->as_subject);
    ctx->as_policy = NULL;
    ctx->as_subject = NULL;
}

int cli_read_password(char **out, idm_err *err)
{
    char buf[IDM_PASSWORD_MAX_LEN + 3];
    size_t len;

    *out = NULL;
    if (isatty(STDIN_FILENO)) {
        fprintf(stderr, "Password: ");
    }
    if (fgets(buf, sizeof(buf), stdin) == NULL) {
        return idm_err_set(err, IDM_EINVAL,
                           "password: nothing on standard input");
    }
    len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\n') {
        buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r') {
            buf[--len] = '\0';
        }
    } else if (!feof(stdin)) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return idm_err_set(err, IDM_EINVAL, "password: longer than %d bytes",
                           IDM_PASSWORD_MAX_LEN);
    }
    if (len == 0) {
        return idm_err_set(err, IDM_EINVAL, "password: empty");
    }
    *out = strdup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (*out == NULL) {
        return idm_err_set(err, IDM_EINTERNAL, "out of memory");
    }
    return 0;
}

int cli_json_print(json_t *value)
{
    json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(value);
    return CLI_OK;
}

json_t *cli_json_str(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}
