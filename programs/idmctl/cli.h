/* SPDX-License-Identifier: EUPL-1.2
 * idmctl's shared plumbing: the command context, option parsing helpers,
 * error reporting and output. Commands hold no identity logic: they parse,
 * call idm-core and print.
 */
#ifndef IDMCTL_CLI_H
#define IDMCTL_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "idm/audit.h"
#include "idm/conf.h"
#include "idm/password.h"
#include "base/conf.h"
#include "base/db.h"
#include "base/err.h"

/* Exit codes: 0 ok, 1 failed, 2 usage. */
#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

typedef struct cli_ctx {
    const char *config_path; /* --config or $IDM_CONFIG */
    idm_conf *conf;          /* loaded on demand */
    idm_db *db;              /* opened on demand */
    idm_actor actor;
    char actor_name[96];
    char actor_addr[96];
    int verbose;
    const char *as_login; /* --as: act as this delegated administrator */
    struct idm_policy *as_policy;   /* loaded on first use */
    struct idm_subject *as_subject; /* the administrator */
} cli_ctx;

/** A subcommand: name, handler, one-line summary and its usage text. */
typedef struct cli_cmd {
    const char *name;
    int (*run)(cli_ctx *ctx, int argc, char **argv);
    const char *summary;
    const char *usage;
} cli_cmd;

/** Dispatch argv[0] (the group, e.g. "user") to its subcommands. */
int cli_dispatch(cli_ctx *ctx, const char *group, const cli_cmd *cmds, int argc,
                 char **argv);

/** Load the config (if not yet) and return 0, or print and return 1. */
int cli_conf(cli_ctx *ctx);
/** Open the database (if not yet) and return 0, or print and return 1. */
int cli_db(cli_ctx *ctx);

/** Print "idmctl: msg" (and detail for operational failures); return 1. */
int cli_fail(const cli_ctx *ctx, const idm_err *err);
/**
 * A password idm-core refused (IDM_EINVAL with problem set): one line
 * naming the problem in the locale's language (cli_english), else as
 * cli_fail. @return 1.
 */
int cli_fail_password(const cli_ctx *ctx, idm_pw_problem problem,
                      const idm_err *err);
/** 1 if the locale asks for English; German otherwise, also for C/POSIX. */
int cli_english(void);
/** Print a usage error for a command, return 2. */
int cli_usage(const cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Parse options for cmd and require nargs positional arguments (they start
 * at argv[optind]). Handles --help/-h (prints usage, returns 0 with *done
 * set) and unknown options (returns 2). Calls on_opt for the others.
 */
int cli_getopt(const cli_cmd *cmd, int argc, char **argv,
               const struct option *longopts,
               int (*on_opt)(int opt, const char *arg, void *data), void *data,
               int nargs, int *done);

/** 0 if code is NULL or names a unit, else print the error and return 1. */
int cli_require_org(cli_ctx *ctx, const char *code);

/**
 * With --as LOGIN: may that administrator do action on the units in
 * orgs and on every unit where target_login holds a role? Without --as the
 * operator acts with the database's full rights. Denials are audited.
 * @return 0, or 1 after printing why not.
 */
int cli_authorize(cli_ctx *ctx, const char *action, const char *const *orgs,
                  size_t norgs, const char *target_login);

/* Free what cli_authorize loaded. */
void cli_authorize_cleanup(cli_ctx *ctx);

/** Read a password from standard input (one line, at most 1024 bytes). */
int cli_read_password(char **out, idm_err *err);

/** Print a JSON value (steals the reference) to stdout; returns 0. */
int cli_json_print(json_t *value);

/** json_string or json_null for NULL. */
json_t *cli_json_str(const char *s);

/* Command groups, one file each; argv[0] is the group name. */
int cmd_config(cli_ctx *ctx, int argc, char **argv);
int cmd_migrate(cli_ctx *ctx, int argc, char **argv);
int cmd_org(cli_ctx *ctx, int argc, char **argv);
int cmd_user(cli_ctx *ctx, int argc, char **argv);
int cmd_role(cli_ctx *ctx, int argc, char **argv);
int cmd_group(cli_ctx *ctx, int argc, char **argv);
int cmd_audit(cli_ctx *ctx, int argc, char **argv);
int cmd_import(cli_ctx *ctx, int argc, char **argv);
int cmd_sp(cli_ctx *ctx, int argc, char **argv);
int cmd_federation(cli_ctx *ctx, int argc, char **argv);

/* "idmctl sp add" from a federation or a URL (cmd_federation.c). */
typedef struct cmd_sp_remote {
    const char *app_key;
    const char *federation; /* --from-federation NAME, with entity_id */
    const char *entity_id;
    const char *url; /* --url URL --cert FILE [--ca-file FILE] */
    const char *cert;
    const char *ca_file;
    int allow_http;
    int sign_requests;
} cmd_sp_remote;
int cmd_sp_add_remote(cli_ctx *ctx, const cmd_sp_remote *r);
int cmd_policy(cli_ctx *ctx, int argc, char **argv);

#endif /* IDMCTL_CLI_H */
